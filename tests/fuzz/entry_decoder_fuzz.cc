// libFuzzer target: the entry decoder, fed what a corrupted or hostile
// database could hold in results.data (a header, inline chunks) and in a
// chunk row. Any input must give a clean Status, never a crash or an
// out-of-bounds read (AddressSanitizer), and never a value whose checksums
// do not hold. Headers of format 2 (bricks) are decoded and placed too, and
// of format 4 (2D images, 4D series, masks; seeds v4_*), 5 (lists and
// tuples; seeds v5_*) and 6 (LZ4 chunks; seeds v6_*, chunk_lz4), and the
// input is decoded as a list's items too.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "codec/entry_format.h"
#include "codec/value_codec.h"
#include "util/xxhash.h"

using namespace voxcache;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  // As results.data: header, then inline chunks.
  size_t header_len = 0;
  Result<codec::EntryHeader> h = codec::decode_header(in, &header_len);
  if (h.ok() && h->payload_bytes <= (16u << 20)) {
    Result<codec::ValueBuilder> b = codec::ValueBuilder::Create(*h, "volume", nullptr);
    for (const char* type : {"string", "list", "tuple"}) {
      if (!b.ok()) b = codec::ValueBuilder::Create(*h, type, nullptr);
    }
    if (b.ok() && h->inline_chunks()) {
      Result<std::vector<std::string_view>> chunks =
          codec::split_inline_chunks(in.substr(header_len), h->chunk_count);
      bool good = chunks.ok();
      util::Xxh3_128 whole;
      std::vector<uint8_t> brick;
      for (uint64_t i = 0; good && i < h->chunk_count; ++i) {
        // Bricks (format 2) decode apart and are placed into the volume,
        // as cache/brick_io.cc does; byte-range chunks decode in place.
        const uint64_t raw = h->chunk_raw_size(i);
        if (h->bricked()) brick.resize(raw);
        uint8_t* out = h->bricked() ? brick.data() : b->buffer() + i * h->chunk_bytes;
        good = codec::decode_chunk((*chunks)[i], raw, true, out, codec::chunk_seed(*h, i), h->lz4)
                   .ok();
        if (good) whole.update(out, raw);
        if (good && h->bricked()) {
          const codec::BrickGrid& g = h->grid();
          codec::Box3 start, bsize;
          g.box(i, &start, &bsize);
          codec::copy_box({out, start, bsize}, b->buffer(), {0, 0, 0}, g.size(), start, bsize,
                          g.voxel_bytes());
        }
      }
      // A mask's bytes are 0 or 1 before it is a value, as the cache's
      // reader checks (cache/entry_reader.cc).
      Result<VolumeLayout> layout = codec::decode_layout(h->kind_header);
      if (good && h->kind == Value::Kind::kVolume && layout.ok() &&
          layout->pixel_type == PixelType::kBool) {
        good = codec::check_bool_voxels(b->buffer(), h->payload_bytes, 0).ok();
      }
      if (good && whole.digest() == h->payload_xxh3_128) (void)std::move(b).value().finish();
    }
  }
  // As a list's payload (docs/format.md 2.1), which the payload checksum
  // guards in a real entry: the item grammar must hold on its own.
  {
    codec::EntryHeader list;
    list.kind = Value::Kind::kList;
    list.payload_bytes = in.size();
    Result<codec::ValueBuilder> b = codec::ValueBuilder::Create(list, "list", nullptr);
    if (b.ok()) {
      if (!in.empty()) std::memcpy(b->buffer(), in.data(), in.size());
      (void)std::move(b).value().finish();
    }
  }
  // As a chunk row on its own, of an entry with and without LZ4 chunks.
  std::vector<uint8_t> out(4096);
  for (uint64_t raw : {uint64_t{0}, uint64_t{1}, uint64_t{100}, uint64_t{4096}}) {
    for (bool lz4 : {false, true}) (void)codec::decode_chunk(in, raw, true, out.data(), 0, lz4);
  }
  (void)codec::decode_layout(in);
  return 0;
}
