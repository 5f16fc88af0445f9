#include "voxcache/value.h"

#include <cstring>
#include <iterator>

namespace voxcache {

const char* Value::builtin_tag(Kind kind) {
  // Indexed by Kind, whose numbers are persistent (docs/format.md).
  static constexpr const char* kTags[] = {"null",   "bool",  "int64", "float64", "string",
                                          "volume", nullptr, "list",  "tuple"};
  static_assert(std::size(kTags) == static_cast<size_t>(Kind::kTuple) + 1, "a tag per kind");
  return kTags[static_cast<size_t>(kind)];
}

static bool is_builtin_tag(std::string_view tag) {
  for (size_t k = 0; k <= static_cast<size_t>(Value::Kind::kTuple); ++k) {
    const char* builtin = Value::builtin_tag(static_cast<Value::Kind>(k));
    if (builtin && tag == builtin) return true;
  }
  return false;
}

std::string Value::type_tag() const {
  const char* builtin = builtin_tag(kind());
  return builtin ? builtin : std::get<CustomValue>(v_).tag;
}

Value Value::List(std::vector<Value> items) {
  Value v;
  v.v_.emplace<static_cast<size_t>(Kind::kList)>(
      std::make_shared<const std::vector<Value>>(std::move(items)));
  return v;
}

Value Value::Tuple(std::vector<Value> items) {
  Value v;
  v.v_.emplace<static_cast<size_t>(Kind::kTuple)>(
      std::make_shared<const std::vector<Value>>(std::move(items)));
  return v;
}

const std::vector<Value>* Value::items() const {
  const Items* p = std::get_if<static_cast<size_t>(Kind::kList)>(&v_);
  if (!p) p = std::get_if<static_cast<size_t>(Kind::kTuple)>(&v_);
  return p ? p->get() : nullptr;
}

const Volume* Value::as_volume() const {
  const auto* p = std::get_if<std::shared_ptr<const Volume>>(&v_);
  return p ? p->get() : nullptr;
}

std::shared_ptr<const Volume> Value::shared_volume() const {
  const auto* p = std::get_if<std::shared_ptr<const Volume>>(&v_);
  return p ? *p : nullptr;
}

bool Value::operator==(const Value& o) const {
  if (kind() != o.kind()) return false;
  switch (kind()) {
    case Kind::kNull:
      return true;
    case Kind::kBool:
      return *as_bool() == *o.as_bool();
    case Kind::kInt64:
      return *as_int64() == *o.as_int64();
    case Kind::kFloat64:
      // Bit-exact, like geometry: a cache must return what was put.
      return std::memcmp(as_double(), o.as_double(), sizeof(double)) == 0;
    case Kind::kString:
      return *as_string() == *o.as_string();
    case Kind::kVolume: {
      const Volume* a = as_volume();
      const Volume* b = o.as_volume();
      return a == b || (a && b && *a == *b);
    }
    case Kind::kCustom:
      return as_custom()->tag == o.as_custom()->tag && as_custom()->object == o.as_custom()->object;
    case Kind::kList:
    case Kind::kTuple: {
      const std::vector<Value>* a = items();
      const std::vector<Value>* b = o.items();
      return a == b || (a && b && *a == *b);
    }
  }
  return false;
}

Status TypeRegistry::add(std::string tag, Encoder encode, Decoder decode) {
  if (tag.empty() || tag.size() > 64) {
    return Status::InvalidArgument("type tag must be 1 to 64 characters");
  }
  for (char c : tag) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
                    c == ':' || c == '-';
    if (!ok)
      return Status::InvalidArgument("type tag '" + tag + "' has a character outside [a-z0-9_.:-]");
  }
  if (is_builtin_tag(tag)) {
    return Status::InvalidArgument("type tag '" + tag + "' is built in");
  }
  if (!encode || !decode) return Status::InvalidArgument("type '" + tag + "' needs both functions");
  if (codecs_.count(tag))
    return Status::InvalidArgument("type tag '" + tag + "' is registered already");
  codecs_.emplace(std::move(tag), Codec{std::move(encode), std::move(decode)});
  return Status::OK();
}

const TypeRegistry::Codec* TypeRegistry::find(std::string_view tag) const {
  auto it = codecs_.find(tag);
  if (it != codecs_.end()) return &it->second;
  return fallback_ ? &*fallback_ : nullptr;
}

}  // namespace voxcache
