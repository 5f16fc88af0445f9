#include "cache/region.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "codec/entry_format.h"

namespace voxcache::cache {

namespace {

// Only the bricks the box meets are read, in runs along x, and each is
// copied into place on the pool thread that decoded it.
Result<Volume> read_bricks(EntryReader* r, const Box& start, const Box& size, Volume out) {
  const codec::BrickGrid& g = r->header().grid();
  uint8_t* dst = out.mutable_data();
  Status s = r->start(g.runs(start, size), [&](uint64_t i, const uint8_t* data, uint64_t) {
    Box bs, bz, is, iz;
    g.box(i, &bs, &bz);
    if (codec::intersect(bs, bz, start, size, &is, &iz)) {
      codec::copy_box({data, bs, bz}, dst, start, size, is, iz, g.voxel_bytes());
    }
  });
  while (s.ok()) {
    Result<EntryReader::Batch> b = r->next();
    if (!b.ok()) return b.status();
    if (b->chunks == 0) return out;
  }
  return s;
}

}  // namespace

Result<VolumeLayout> volume_layout(const EntryReader& r) {
  if (r.header().kind != Value::Kind::kVolume) {
    return Status::InvalidArgument("entry " + r.row().operation_id + " holds a " +
                                   r.row().data_type + ", not a volume");
  }
  if (r.row().data_type != "volume") {
    return Status::Corruption("data_type '" + r.row().data_type + "' contradicts the entry header");
  }
  return codec::decode_layout(r.header().kind_header);
}

Result<std::pair<Box, Box>> slice_box(const VolumeLayout& layout, int axis, uint64_t index) {
  if (axis < 0 || axis > 2) {
    return Status::InvalidArgument("slice axis must be 0 (x), 1 (y) or 2 (z), got " +
                                   std::to_string(axis));
  }
  Box start{0, 0, 0};
  Box size = layout.size;
  start[axis] = index;
  size[axis] = 1;
  return std::pair{start, size};
}

Result<Volume> read_box(EntryReader* r, const Box& start, const Box& size) {
  Result<VolumeLayout> layout = volume_layout(*r);
  if (!layout.ok()) return layout.status();
  const auto& dims = layout->size;
  for (int i = 0; i < 3; ++i) {
    if (size[i] == 0 || start[i] >= dims[i] || size[i] > dims[i] - start[i]) {
      return Status::InvalidArgument(
          "region [" + std::to_string(start[0]) + "," + std::to_string(start[1]) + "," +
          std::to_string(start[2]) + "]+[" + std::to_string(size[0]) + "," +
          std::to_string(size[1]) + "," + std::to_string(size[2]) + "] is empty or leaves the " +
          std::to_string(dims[0]) + "x" + std::to_string(dims[1]) + "x" + std::to_string(dims[2]) +
          " volume");
    }
  }
  VolumeLayout out_layout = *layout;
  out_layout.size = size;
  const Geometry& g = layout->geometry;
  for (int i = 0; i < 3; ++i) {  // origin of the box's first voxel, as ITK computes it
    double p = g.origin[i];
    for (int j = 0; j < 3; ++j) p += g.direction[3 * i + j] * g.spacing[j] * start[j];
    out_layout.geometry.origin[i] = p;
  }
  Result<Volume> out = Volume::Create(out_layout);
  if (!out.ok()) return out.status();

  if (r->header().bricked()) return read_bricks(r, start, size, std::move(out).value());
  const uint64_t voxel = pixel_type_size(layout->pixel_type) * layout->components;
  const uint64_t row_bytes = voxel * dims[0];
  const uint64_t cb = r->header().chunk_bytes;
  auto row_offset = [&](uint64_t y, uint64_t z) { return (z * dims[1] + y) * row_bytes; };
  const uint64_t first_byte = row_offset(start[1], start[2]) + start[0] * voxel;
  const uint64_t last_byte =
      row_offset(start[1] + size[1] - 1, start[2] + size[2] - 1) + (start[0] + size[0]) * voxel - 1;
  Status s = r->start(first_byte / cb, last_byte / cb + 1, nullptr);
  if (!s.ok()) return s;
  const uint64_t out_row = size[0] * voxel;
  uint8_t* dst = out->mutable_data();
  for (;;) {
    Result<EntryReader::Batch> b = r->next();
    if (!b.ok()) return b.status();
    if (b->chunks == 0) break;
    const uint64_t lo = b->first_chunk * cb;
    const uint64_t hi = lo + b->bytes;
    // Only the volume rows this batch holds, not every row of the box.
    for (uint64_t row = lo / row_bytes; row * row_bytes < hi; ++row) {
      const uint64_t y = row % dims[1], z = row / dims[1];
      if (y < start[1] || y >= start[1] + size[1] || z < start[2] || z >= start[2] + size[2]) {
        continue;
      }
      const uint64_t a = row * row_bytes + start[0] * voxel;  // the box's part of this row
      const uint64_t from = std::max(a, lo), to = std::min(a + out_row, hi);
      if (from >= to) continue;
      const uint64_t out_at = ((z - start[2]) * size[1] + (y - start[1])) * out_row + (from - a);
      std::memcpy(dst + out_at, b->data + (from - lo), to - from);
    }
  }
  return out;
}

}  // namespace voxcache::cache
