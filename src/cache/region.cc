#include "cache/region.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "codec/entry_format.h"

namespace voxcache::cache {

namespace {

// The frames [t0, t0 + tn) of a box, each a box of the stacked volume
// (codec::stacked_size): frame t's box starts at z = t * Z + start.z.
struct FrameBoxes {
  Box start, size;
  uint64_t z_extent, t0, tn;
  Box frame_start(uint64_t t) const { return {start[0], start[1], t * z_extent + start[2]}; }
};

// Only the bricks the box meets are read, in runs along x, and each is
// copied into place on the pool thread that decoded it.
Result<Volume> read_bricks(EntryReader* r, const FrameBoxes& f, Volume out) {
  const codec::BrickGrid& g = r->header().grid();
  std::vector<std::pair<uint64_t, uint64_t>> runs;
  for (uint64_t t = f.t0; t < f.t0 + f.tn; ++t) {
    for (const auto& run : g.runs(f.frame_start(t), f.size)) runs.push_back(run);
  }
  // A brick may hold the ends of two frames: make the runs disjoint again.
  std::sort(runs.begin(), runs.end());
  std::vector<std::pair<uint64_t, uint64_t>> merged;
  for (const auto& run : runs) {
    if (!merged.empty() && run.first <= merged.back().second) {
      merged.back().second = std::max(merged.back().second, run.second);
    } else {
      merged.push_back(run);
    }
  }
  uint8_t* dst = out.mutable_data();
  const uint64_t frame_bytes = f.size[0] * f.size[1] * f.size[2] * g.voxel_bytes();
  Status s = r->start(std::move(merged), [&](uint64_t i, const uint8_t* data, uint64_t) {
    Box bs, bz, is, iz;
    g.box(i, &bs, &bz);
    const uint64_t first = std::max(f.t0, bs[2] / f.z_extent);
    const uint64_t last = std::min(f.t0 + f.tn - 1, (bs[2] + bz[2] - 1) / f.z_extent);
    for (uint64_t t = first; t <= last; ++t) {
      const Box fs = f.frame_start(t);
      if (codec::intersect(bs, bz, fs, f.size, &is, &iz)) {
        codec::copy_box({data, bs, bz}, dst + (t - f.t0) * frame_bytes, fs, f.size, is, iz,
                        g.voxel_bytes());
      }
    }
  });
  while (s.ok()) {
    Result<EntryReader::Batch> b = r->next();
    if (!b.ok()) return b.status();
    if (b->chunks == 0) return out;
  }
  return s;
}

// Z-slabs: the chunks from the box's first byte to its last, and of each the
// rows the box holds.
Result<Volume> read_slabs(EntryReader* r, const FrameBoxes& f, const VolumeLayout& layout,
                          Volume out) {
  const auto& dims = layout.size;
  const Box& start = f.start;
  const Box& size = f.size;
  const uint64_t voxel = pixel_type_size(layout.pixel_type) * layout.components;
  const uint64_t row_bytes = voxel * dims[0];
  const uint64_t cb = r->header().chunk_bytes;
  // Rows of the stacked volume: row = (t * Z + z) * Y + y.
  auto row_offset = [&](uint64_t y, uint64_t z, uint64_t t) {
    return ((t * dims[2] + z) * dims[1] + y) * row_bytes;
  };
  const uint64_t first_byte = row_offset(start[1], start[2], f.t0) + start[0] * voxel;
  const uint64_t last_byte =
      row_offset(start[1] + size[1] - 1, start[2] + size[2] - 1, f.t0 + f.tn - 1) +
      (start[0] + size[0]) * voxel - 1;
  Status s = r->start(first_byte / cb, last_byte / cb + 1, nullptr);
  if (!s.ok()) return s;
  const uint64_t out_row = size[0] * voxel;
  uint8_t* dst = out.mutable_data();
  for (;;) {
    Result<EntryReader::Batch> b = r->next();
    if (!b.ok()) return b.status();
    if (b->chunks == 0) break;
    const uint64_t lo = b->first_chunk * cb;
    const uint64_t hi = lo + b->bytes;
    // Only the volume rows this batch holds, not every row of the box.
    for (uint64_t row = lo / row_bytes; row * row_bytes < hi; ++row) {
      const uint64_t y = row % dims[1], zs = row / dims[1];
      const uint64_t z = zs % dims[2], t = zs / dims[2];
      if (y < start[1] || y >= start[1] + size[1] || z < start[2] || z >= start[2] + size[2] ||
          t < f.t0 || t >= f.t0 + f.tn) {
        continue;
      }
      const uint64_t a = row * row_bytes + start[0] * voxel;  // the box's part of this row
      const uint64_t from = std::max(a, lo), to = std::min(a + out_row, hi);
      if (from >= to) continue;
      const uint64_t out_at =
          (((t - f.t0) * size[2] + (z - start[2])) * size[1] + (y - start[1])) * out_row +
          (from - a);
      std::memcpy(dst + out_at, b->data + (from - lo), to - from);
    }
  }
  return out;
}

std::string box_text(const Box& start, const Box& size) {
  return "[" + std::to_string(start[0]) + "," + std::to_string(start[1]) + "," +
         std::to_string(start[2]) + "]+[" + std::to_string(size[0]) + "," +
         std::to_string(size[1]) + "," + std::to_string(size[2]) + "]";
}

}  // namespace

Result<VolumeLayout> volume_layout(const EntryReader& r) {
  if (r.header().kind != Value::Kind::kVolume) {
    return Status::InvalidArgument("entry " + r.entry().id + " holds a " + r.entry().data_type +
                                   ", not a volume");
  }
  if (r.entry().data_type != "volume") {
    return Status::Corruption("data_type '" + r.entry().data_type +
                              "' contradicts the entry header");
  }
  return *r.layout();  // decoded when the entry was opened
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

Result<Volume> read_box(EntryReader* r, const Box& start, const Box& size,
                        std::optional<std::pair<uint64_t, uint64_t>> frames) {
  Result<VolumeLayout> layout = volume_layout(*r);
  if (!layout.ok()) return layout.status();
  const auto& dims = layout->size;
  for (int i = 0; i < 3; ++i) {
    if (size[i] == 0 || start[i] >= dims[i] || size[i] > dims[i] - start[i]) {
      return Status::InvalidArgument(
          "region " + box_text(start, size) + " is empty or leaves the " + std::to_string(dims[0]) +
          "x" + std::to_string(dims[1]) + "x" + std::to_string(dims[2]) + " volume");
    }
  }
  const uint64_t t0 = frames ? frames->first : 0;
  const uint64_t tn = frames ? frames->second : layout->frames;
  if (tn == 0 || t0 >= layout->frames || tn > layout->frames - t0) {
    return Status::InvalidArgument(
        "frames [" + std::to_string(t0) + ", " + std::to_string(t0) + "+" + std::to_string(tn) +
        ") are empty or leave the " + std::to_string(layout->frames) + " frames of " +
        (layout->dimension == 4 ? "the series" : "an image that is not a series"));
  }
  VolumeLayout out_layout = *layout;
  out_layout.size = size;
  out_layout.frames = tn;
  const Geometry& g = layout->geometry;
  for (int i = 0; i < 3; ++i) {  // origin of the box's first voxel, as ITK computes it
    double p = g.origin[i];
    for (int j = 0; j < 3; ++j) p += g.direction[3 * i + j] * g.spacing[j] * start[j];
    out_layout.geometry.origin[i] = p;
  }
  if (t0 > 0) out_layout.geometry.time_origin = g.time_origin + g.time_spacing * t0;
  Result<Volume> out = Volume::Create(out_layout);
  if (!out.ok()) return out.status();
  const FrameBoxes f{start, size, dims[2], t0, tn};
  if (r->header().bricked()) return read_bricks(r, f, std::move(out).value());
  return read_slabs(r, f, *layout, std::move(out).value());
}

}  // namespace voxcache::cache
