// OperationKey and KeyBuilder: how a result is named.
//
// A key is the SHA-256 of a canonical encoding of an operation's recipe: its
// name, its named arguments in order, and the keys of its inputs. Inputs are
// keys themselves, so a derived result's key is a Merkle hash of the whole
// recipe DAG and can be rebuilt from the recipe alone. A leaf (a volume read
// from disk) is named by content_key(). The encoding is specified byte for
// byte, with test vectors, in docs/format.md; it never changes for a given
// domain string, so keys do not drift between builds or machines.

#ifndef VOXCACHE_KEY_H_
#define VOXCACHE_KEY_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "voxcache/export.h"
#include "voxcache/status.h"

namespace voxcache {

class Volume;

class VOXCACHE_EXPORT OperationKey {
 public:
  static constexpr size_t kBytes = 32;
  static constexpr size_t kHexChars = 64;

  OperationKey() = default;  // all zero; never produced by a hash in practice
  explicit OperationKey(const std::array<uint8_t, kBytes>& bytes) : bytes_(bytes) {}

  // Exactly 64 hex digits; upper case is accepted. InvalidArgument names the
  // first offending position.
  static Result<OperationKey> FromHex(std::string_view hex);

  std::string hex() const;  // 64 lower-case hex digits
  const std::array<uint8_t, kBytes>& bytes() const { return bytes_; }

  bool operator==(const OperationKey& o) const { return bytes_ == o.bytes_; }
  bool operator!=(const OperationKey& o) const { return bytes_ != o.bytes_; }
  bool operator<(const OperationKey& o) const { return bytes_ < o.bytes_; }

 private:
  std::array<uint8_t, kBytes> bytes_{};
};

// One argument value. Lists nest; doubles are hashed by their IEEE-754 bits
// (so 0.0 and -0.0 differ) except that every NaN hashes as the quiet NaN.
class VOXCACHE_EXPORT KeyArg {
 public:
  // Any integer type is hashed as int64 (unsigned values above INT64_MAX wrap,
  // as a static_cast would).
  template <typename T,
            std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool>, int> = 0>
  KeyArg(T v) : KeyArg(Kind::kInt64, {}) {  // NOLINT: implicit so builders read naturally
    int_ = static_cast<int64_t>(v);
  }
  KeyArg(double v);                                    // NOLINT
  KeyArg(float v) : KeyArg(static_cast<double>(v)) {}  // NOLINT
  KeyArg(bool v);                                      // NOLINT
  KeyArg(const char* v);                               // NOLINT: a string, not a bool
  KeyArg(std::string v);                               // NOLINT
  KeyArg(std::vector<KeyArg> list);                    // NOLINT
  static KeyArg Bytes(std::string_view raw);

  // Appends the canonical encoding (docs/format.md, "Argument values").
  void append_to(std::string* out) const;

 private:
  enum class Kind : uint8_t { kInt64, kDouble, kBool, kString, kBytes, kList };
  KeyArg(Kind kind, std::string payload) : kind_(kind), text_(std::move(payload)) {}

  Kind kind_;
  int64_t int_ = 0;
  double double_ = 0.0;
  bool bool_ = false;
  std::string text_;  // string or bytes payload
  std::vector<KeyArg> list_;
};

// Builds the key of an operation:
//   KeyBuilder("smooth").arg("sigma", 1.5).input(source).build()
// Argument order matters (it is part of the recipe); so do names and types.
// Not thread-safe; cheap to copy.
class VOXCACHE_EXPORT KeyBuilder {
 public:
  explicit KeyBuilder(std::string_view operation);

  KeyBuilder& arg(std::string_view name, const KeyArg& value);
  KeyBuilder& input(const OperationKey& key);

  OperationKey build() const;
  // The exact bytes that build() hashes; recorded as lineage.
  std::string canonical_encoding() const;

  const std::string& operation() const { return operation_; }
  const std::vector<OperationKey>& inputs() const { return inputs_; }

 private:
  std::string operation_;
  uint64_t arg_count_ = 0;
  std::string args_;  // encoded (name, value) pairs
  std::vector<OperationKey> inputs_;
};

// Leaf key of a volume: SHA-256 over pixel type, components, size, every
// geometry field and the voxel bytes (docs/format.md, "Content keys").
VOXCACHE_EXPORT OperationKey content_key(const Volume& volume);

}  // namespace voxcache

template <>
struct std::hash<voxcache::OperationKey> {
  size_t operator()(const voxcache::OperationKey& k) const noexcept {
    size_t h;
    static_assert(sizeof(h) <= voxcache::OperationKey::kBytes);
    __builtin_memcpy(&h, k.bytes().data(), sizeof(h));  // already uniformly distributed
    return h;
  }
};

#endif  // VOXCACHE_KEY_H_
