// Value: what a cache entry holds, and TypeRegistry for user-defined types.
//
// A Value is null, a bool, an int64, a double, a string, a Volume, a
// user-registered type, or a list or tuple of Values (a segmentation's mask
// and its volume in millilitres, each kept in its own typed form). Its type
// tag is stored in the `data_type` column (docs/format.md); built-in tags
// never change. A Value is immutable and cheap to copy: volumes and item
// sequences are held through std::shared_ptr<const ...>, so copies share
// them, read-only (the memory tier may be one of the holders; copy the
// Volume, or use to_itk(const Volume&), to get voxels to write).
// Safe to read from many threads at once.

#ifndef VOXCACHE_VALUE_H_
#define VOXCACHE_VALUE_H_

#include <any>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "voxcache/export.h"
#include "voxcache/status.h"
#include "voxcache/volume.h"

namespace voxcache {

// A value of a user-registered type: its tag and the object itself.
struct VOXCACHE_EXPORT CustomValue {
  std::string tag;
  std::shared_ptr<const std::any> object;
};

class VOXCACHE_EXPORT Value {
 public:
  // Persistent kind numbers (docs/format.md); never renumber.
  enum class Kind : uint8_t {
    kNull = 0,
    kBool = 1,
    kInt64 = 2,
    kFloat64 = 3,
    kString = 4,
    kVolume = 5,
    kCustom = 6,
    // Sequences of Values, nested at most kMaxNesting deep. Two kinds, so a
    // language that tells them apart (Python's list and tuple) gets back
    // the one it put; C++ reads both through items().
    kList = 7,
    kTuple = 8,
  };
  // How deep lists and tuples may nest (a list of lists is depth 2): deeper
  // is InvalidArgument on put and Corruption on read, so a hostile entry
  // cannot exhaust the stack.
  static constexpr int kMaxNesting = 32;

  Value() = default;                                                     // null
  Value(bool v) : v_(v) {}                                               // NOLINT
  Value(int64_t v) : v_(v) {}                                            // NOLINT
  Value(int v) : v_(static_cast<int64_t>(v)) {}                          // NOLINT
  Value(double v) : v_(v) {}                                             // NOLINT
  Value(std::string v) : v_(std::move(v)) {}                             // NOLINT
  Value(const char* v) : v_(std::string(v)) {}                           // NOLINT
  Value(Volume v) : v_(std::make_shared<const Volume>(std::move(v))) {}  // NOLINT
  Value(std::shared_ptr<const Volume> v) : v_(std::move(v)) {}           // NOLINT
  // A user type; `tag` must be registered in the TypeRegistry of the cache it
  // is put into.
  template <typename T>
  static Value Custom(std::string tag, T object) {
    Value v;
    v.v_ = CustomValue{std::move(tag), std::make_shared<const std::any>(std::move(object))};
    return v;
  }

  static Value List(std::vector<Value> items);
  static Value Tuple(std::vector<Value> items);

  Kind kind() const { return static_cast<Kind>(v_.index()); }
  // "null", "bool", "int64", "float64", "string", "volume", "list", "tuple",
  // or the custom tag.
  std::string type_tag() const;
  // The tag of a built-in kind, as type_tag() gives it; nullptr for kCustom,
  // whose tag is the registered one.
  static const char* builtin_tag(Kind kind);

  bool is_null() const { return kind() == Kind::kNull; }
  // Typed access; nullptr when the kind differs.
  const bool* as_bool() const { return std::get_if<bool>(&v_); }
  const int64_t* as_int64() const { return std::get_if<int64_t>(&v_); }
  const double* as_double() const { return std::get_if<double>(&v_); }
  const std::string* as_string() const { return std::get_if<std::string>(&v_); }
  const Volume* as_volume() const;
  std::shared_ptr<const Volume> shared_volume() const;
  const CustomValue* as_custom() const { return std::get_if<CustomValue>(&v_); }
  // The items of a list or a tuple; nullptr for any other kind.
  const std::vector<Value>* items() const;
  // The custom object as T; nullptr when this is not a custom value of type T.
  template <typename T>
  const T* custom() const {
    const CustomValue* c = as_custom();
    return c && c->object ? std::any_cast<T>(c->object.get()) : nullptr;
  }

  // Same kind and equal contents (volumes compared voxel by voxel and
  // bit-exact in geometry; custom values by tag and object identity; lists
  // and tuples item by item).
  bool operator==(const Value& other) const;
  bool operator!=(const Value& other) const { return !(*this == other); }

 private:
  using Items = std::shared_ptr<const std::vector<Value>>;
  // Alternative order is Kind's order (list and tuple share a type, so they
  // are reached by index).
  std::variant<std::monostate, bool, int64_t, double, std::string, std::shared_ptr<const Volume>,
               CustomValue, Items, Items>
      v_;
};

// Encoders and decoders of user-defined types, looked up by tag.
// Register everything before handing the registry to Options; a registry in
// use by a Cache is only read, so it may be shared between caches and threads.
class VOXCACHE_EXPORT TypeRegistry {
 public:
  using Encoder = std::function<Result<std::string>(const std::any& object)>;
  using Decoder = std::function<Result<std::any>(std::string_view bytes)>;

  // Tags are 1 to 64 characters of [a-z0-9_.:-] and not a built-in tag.
  Status add(std::string tag, Encoder encode, Decoder decode);

  // Typed convenience: `encode(const T&) -> Result<std::string>`,
  // `decode(std::string_view) -> Result<T>`.
  template <typename T, typename Enc, typename Dec>
  Status add_type(std::string tag, Enc encode, Dec decode) {
    return add(
        std::move(tag),
        [encode](const std::any& object) -> Result<std::string> {
          const T* typed = std::any_cast<T>(&object);
          if (!typed) return Status::InvalidArgument("custom value holds another C++ type");
          return encode(*typed);
        },
        [decode](std::string_view bytes) -> Result<std::any> {
          Result<T> r = decode(bytes);
          if (!r.ok()) return r.status();
          return std::any(std::move(r).value());
        });
  }

  struct Codec {
    Encoder encode;
    Decoder decode;
  };
  // Reads and writes every tag no codec is registered for. An inspector
  // that must handle any cache (the CLI: a Python package's py.json, a list
  // holding one) keeps such values as their bytes, a std::string, and
  // writes them back unchanged (recompress).
  void set_fallback(Codec codec) { fallback_ = std::move(codec); }
  // The codec of `tag`: its own, else the fallback; nullptr when neither.
  const Codec* find(std::string_view tag) const;

 private:
  std::map<std::string, Codec, std::less<>> codecs_;
  std::optional<Codec> fallback_;
};

}  // namespace voxcache

#endif  // VOXCACHE_VALUE_H_
