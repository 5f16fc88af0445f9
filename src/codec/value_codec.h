// Turns a Value into the payload bytes an entry stores, and back.

#ifndef VOXCACHE_CODEC_VALUE_CODEC_H_
#define VOXCACHE_CODEC_VALUE_CODEC_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codec/entry_format.h"
#include "voxcache/status.h"
#include "voxcache/value.h"
#include "voxcache/volume.h"

namespace voxcache::codec {

struct Payload {
  Value::Kind kind = Value::Kind::kNull;
  std::string data_type;      // Value::type_tag()
  std::string kind_header;    // see EntryHeader::kind_header
  std::string owned;          // the payload, unless it is a volume's voxels
  std::string_view external;  // a volume's voxels (not owned)
  bool is_external = false;
  // Derived on each call: a view stored alongside `owned` would dangle once
  // the Payload moved (short strings live inside the object).
  std::string_view bytes() const { return is_external ? external : std::string_view(owned); }
  // Chunks are whole multiples of the coarsest of these that fits (z-slice,
  // row, voxel bytes for volumes; 1 for everything else).
  uint64_t slice_bytes = 1, row_bytes = 1, voxel_bytes = 1;
  // Bytes of one pixel component: the shuffle filter's element (volumes, and
  // lists and tuples: their largest volume's).
  uint64_t element_bytes = 1;
  std::optional<VolumeLayout> layout;  // volumes only
};

// A volume's payload description (kind header, chunking units) without its
// bytes; serialize() and streaming writers share it.
Payload describe_volume(const VolumeLayout& layout);

// The payload of a volume: its voxel buffer, not a copy; `volume` must
// outlive the result. InvalidArgument for an invalid layout.
Result<Payload> serialize_volume(const Volume& volume);

// The payload of `value`. A volume's payload is its voxel buffer, not a copy:
// `value` must outlive the result.
Result<Payload> serialize(const Value& value, const TypeRegistry* types);

// Raw bytes per chunk for `payload`: the largest multiple of its slice (else
// row, else voxel) size not above `target`, and never above kMaxChunkBytes.
uint64_t plan_chunk_bytes(const Payload& payload, uint64_t target);

// Receives a payload being decoded and turns it into a Value. For a volume the
// buffer is the volume's own, so chunks decode in place with no extra copy.
class ValueBuilder {
 public:
  // NotSupported for a custom tag no decoder is registered for; Corruption for
  // a header whose kind and sizes disagree.
  static Result<ValueBuilder> Create(const EntryHeader& header, const std::string& data_type,
                                     const TypeRegistry* types);

  uint8_t* buffer();
  Result<Value> finish() &&;

 private:
  ValueBuilder() = default;
  // The list or tuple whose payload is the `n` bytes at `at`, inside the
  // buffer `owner` holds: volume items view it in place (docs/format.md 2.1).
  // `depth`: how deep in lists and tuples it is (1: the entry's own).
  static Result<Value> decode_list(Value::Kind kind, const std::shared_ptr<uint8_t>& owner,
                                   const uint8_t* at, size_t n, const TypeRegistry* types,
                                   int depth);
  static Result<Value> view_volume(const EntryHeader& item, const std::shared_ptr<uint8_t>& owner,
                                   const uint8_t* voxels);

  Value::Kind kind_ = Value::Kind::kNull;
  const TypeRegistry* types_ = nullptr;
  // A list's or tuple's payload, shared with the volumes among its items.
  std::shared_ptr<uint8_t> items_;
  size_t items_bytes_ = 0;
  std::string tag_;
  const TypeRegistry::Codec* custom_ = nullptr;
  std::optional<Volume> volume_;
  std::string bytes_;
};

}  // namespace voxcache::codec

#endif  // VOXCACHE_CODEC_VALUE_CODEC_H_
