// Canonical encodings hashed into keys. docs/format.md ("Keys") is the
// specification; tests/key/key_test.cc checks its test vectors.

#include "voxcache/key.h"

#include <cmath>
#include <cstring>

#include "util/coding.h"
#include "util/sha256.h"
#include "voxcache/volume.h"

namespace voxcache {
namespace {

// Domain strings keep an operation key from ever equalling a content key of
// the same bytes, and version the encodings.
constexpr std::string_view kOpDomain = "voxcache.op.v1";
constexpr std::string_view kContentDomain = "voxcache.content.v1";
// 2D images and 4D series: v1 could not say their dimension, frames or time
// axis; the domain keeps their keys apart from every v1 key.
constexpr std::string_view kContentDomainV2 = "voxcache.content.v2";

// Argument value tags; part of the key encoding, never renumbered.
enum ArgTag : uint8_t {
  kTagInt64 = 1,
  kTagDouble = 2,
  kTagBool = 3,
  kTagString = 4,
  kTagBytes = 5,
  kTagList = 6,
};

void put_str(std::string* out, std::string_view s) {
  util::put_fixed<uint64_t>(out, s.size());
  out->append(s.data(), s.size());
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Result<OperationKey> OperationKey::FromHex(std::string_view hex) {
  if (hex.size() != kHexChars) {
    return Status::InvalidArgument("a key is 64 hex digits, got " + std::to_string(hex.size()) +
                                   " characters");
  }
  std::array<uint8_t, kBytes> bytes{};
  for (size_t i = 0; i < kHexChars; ++i) {
    const int v = hex_value(hex[i]);
    if (v < 0) {
      return Status::InvalidArgument("key has a non-hex character at position " +
                                     std::to_string(i));
    }
    bytes[i / 2] = static_cast<uint8_t>(bytes[i / 2] | (i % 2 ? v : v << 4));
  }
  return OperationKey(bytes);
}

std::string OperationKey::hex() const { return util::to_hex(bytes_.data(), bytes_.size()); }

KeyArg::KeyArg(double v) : kind_(Kind::kDouble), double_(v) {}
KeyArg::KeyArg(bool v) : kind_(Kind::kBool), bool_(v) {}
KeyArg::KeyArg(const char* v) : kind_(Kind::kString), text_(v) {}
KeyArg::KeyArg(std::string v) : kind_(Kind::kString), text_(std::move(v)) {}
KeyArg::KeyArg(std::vector<KeyArg> list) : kind_(Kind::kList), list_(std::move(list)) {}
KeyArg KeyArg::Bytes(std::string_view raw) { return KeyArg(Kind::kBytes, std::string(raw)); }

void KeyArg::append_to(std::string* out) const {
  switch (kind_) {
    case Kind::kInt64:
      out->push_back(static_cast<char>(kTagInt64));
      util::put_fixed<int64_t>(out, int_);
      break;
    case Kind::kDouble: {
      out->push_back(static_cast<char>(kTagDouble));
      uint64_t bits;
      std::memcpy(&bits, &double_, sizeof(bits));
      if (std::isnan(double_)) bits = 0x7ff8000000000000ull;  // one NaN, whatever its payload
      util::put_fixed<uint64_t>(out, bits);
      break;
    }
    case Kind::kBool:
      out->push_back(static_cast<char>(kTagBool));
      out->push_back(bool_ ? 1 : 0);
      break;
    case Kind::kString:
      out->push_back(static_cast<char>(kTagString));
      put_str(out, text_);
      break;
    case Kind::kBytes:
      out->push_back(static_cast<char>(kTagBytes));
      put_str(out, text_);
      break;
    case Kind::kList:
      out->push_back(static_cast<char>(kTagList));
      util::put_fixed<uint64_t>(out, list_.size());
      for (const KeyArg& e : list_) e.append_to(out);
      break;
  }
}

KeyBuilder::KeyBuilder(std::string_view operation) : operation_(operation) {}

KeyBuilder& KeyBuilder::arg(std::string_view name, const KeyArg& value) {
  put_str(&args_, name);
  value.append_to(&args_);
  ++arg_count_;
  return *this;
}

KeyBuilder& KeyBuilder::input(const OperationKey& key) {
  inputs_.push_back(key);
  return *this;
}

std::string KeyBuilder::canonical_encoding() const {
  std::string out;
  out.reserve(64 + operation_.size() + args_.size() + inputs_.size() * OperationKey::kBytes);
  put_str(&out, kOpDomain);
  put_str(&out, operation_);
  util::put_fixed<uint64_t>(&out, arg_count_);
  out += args_;
  util::put_fixed<uint64_t>(&out, inputs_.size());
  for (const OperationKey& k : inputs_) {
    out.append(reinterpret_cast<const char*>(k.bytes().data()), OperationKey::kBytes);
  }
  return out;
}

OperationKey KeyBuilder::build() const {
  util::Sha256 sha;
  sha.update(canonical_encoding());
  return OperationKey(sha.finish());
}

OperationKey content_key(const Volume& volume) {
  std::string head;
  const bool v2 = volume.dimension() != 3;
  put_str(&head, v2 ? kContentDomainV2 : kContentDomain);
  head.push_back(static_cast<char>(volume.pixel_type()));
  util::put_fixed<uint32_t>(&head, volume.components());
  if (v2) util::put_fixed<uint32_t>(&head, volume.dimension());
  for (uint64_t s : volume.size()) util::put_fixed<uint64_t>(&head, s);
  if (v2) util::put_fixed<uint64_t>(&head, volume.frames());
  const Geometry& g = volume.geometry();
  for (double v : g.spacing) util::put_fixed<double>(&head, v);
  for (double v : g.origin) util::put_fixed<double>(&head, v);
  for (double v : g.direction) util::put_fixed<double>(&head, v);
  if (v2) {
    util::put_fixed<double>(&head, g.time_spacing);
    util::put_fixed<double>(&head, g.time_origin);
  }
  util::put_fixed<uint64_t>(&head, volume.byte_size());
  util::Sha256 sha;
  sha.update(head);
  sha.update(volume.data(), volume.byte_size());
  return OperationKey(sha.finish());
}

}  // namespace voxcache
