#include "codec/brick_grid.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "codec/entry_format.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace voxcache {

std::string ChunkLayout::ToString() const {
  if (kind == Kind::kZSlabs) return "z-slabs";
  if (brick == codec::BrickShape{0, 0, 0}) return "bricks";
  return "bricks " + std::to_string(brick[0]) + "x" + std::to_string(brick[1]) + "x" +
         std::to_string(brick[2]);
}

Result<ChunkLayout> ChunkLayout::Parse(std::string_view text) {
  auto bad = [&] {
    return Status::InvalidArgument("chunk layout '" + std::string(text) +
                                   "': expected z-slabs, bricks, bricks N or bricks XxYxZ");
  };
  if (text == "z-slabs") return ZSlabs();
  if (text.substr(0, 6) != "bricks") return bad();
  std::string_view rest = text.substr(6);
  if (rest.empty()) return Bricks();
  if (rest[0] != ' ' && rest[0] != '=' && rest[0] != ':') return bad();
  rest.remove_prefix(1);
  std::vector<uint32_t> sides;
  while (!rest.empty()) {
    size_t n = 0;
    uint64_t v = 0;
    while (n < rest.size() && rest[n] >= '0' && rest[n] <= '9' && v < (uint64_t{1} << 32)) {
      v = v * 10 + static_cast<uint64_t>(rest[n++] - '0');
    }
    if (n == 0 || v == 0 || v >= (uint64_t{1} << 31)) return bad();
    sides.push_back(static_cast<uint32_t>(v));
    rest.remove_prefix(n);
    if (rest.empty()) break;
    if (rest[0] != 'x' || sides.size() == 3) return bad();
    rest.remove_prefix(1);
    if (rest.empty()) return bad();
  }
  if (sides.size() == 1) return Bricks(sides[0], sides[0], sides[0]);
  if (sides.size() == 3) return Bricks(sides[0], sides[1], sides[2]);
  return bad();
}

}  // namespace voxcache

namespace voxcache::codec {

BrickGrid::BrickGrid(const Box3& size, const BrickShape& brick, uint64_t voxel_bytes)
    : size_(size), brick_(brick), voxel_(voxel_bytes) {
  for (int a = 0; a < 3; ++a) bricks_[a] = brick[a] ? (size[a] + brick[a] - 1) / brick[a] : 0;
}

uint64_t BrickGrid::full_brick_bytes() const {
  return uint64_t{brick_[0]} * brick_[1] * brick_[2] * voxel_;
}

void BrickGrid::box(uint64_t i, Box3* start, Box3* size) const {
  const uint64_t at[3] = {i % bricks_[0], i / bricks_[0] % bricks_[1], i / row_count()};
  for (int a = 0; a < 3; ++a) {
    (*start)[a] = at[a] * brick_[a];
    (*size)[a] = std::min<uint64_t>(brick_[a], size_[a] - (*start)[a]);
  }
}

void BrickGrid::row_box(uint64_t row, Box3* start, Box3* size) const {
  const uint64_t z0 = row * brick_[2];
  *start = {0, 0, z0};
  *size = {size_[0], size_[1], std::min<uint64_t>(brick_[2], size_[2] - z0)};
}

uint64_t BrickGrid::brick_bytes(uint64_t i) const {
  Box3 start, size;
  box(i, &start, &size);
  return size[0] * size[1] * size[2] * voxel_;
}

std::string BrickGrid::name(uint64_t i) const {
  Box3 start, size;
  box(i, &start, &size);
  return "brick " + std::to_string(i) + " at voxel (" + std::to_string(start[0]) + ", " +
         std::to_string(start[1]) + ", " + std::to_string(start[2]) + ")";
}

std::vector<std::pair<uint64_t, uint64_t>> BrickGrid::runs(const Box3& start,
                                                           const Box3& size) const {
  Box3 lo, hi;  // brick coordinates, inclusive
  for (int a = 0; a < 3; ++a) {
    lo[a] = start[a] / brick_[a];
    hi[a] = (start[a] + size[a] - 1) / brick_[a];
  }
  std::vector<std::pair<uint64_t, uint64_t>> out;
  for (uint64_t z = lo[2]; z <= hi[2]; ++z) {
    // Whole rows of bricks are contiguous: one run for all of them.
    if (lo[0] == 0 && hi[0] + 1 == bricks_[0]) {
      const uint64_t first = (z * bricks_[1] + lo[1]) * bricks_[0];
      const uint64_t end = (z * bricks_[1] + hi[1] + 1) * bricks_[0];
      if (!out.empty() && out.back().second == first) {
        out.back().second = end;
      } else {
        out.emplace_back(first, end);
      }
      continue;
    }
    for (uint64_t y = lo[1]; y <= hi[1]; ++y) {
      const uint64_t row = (z * bricks_[1] + y) * bricks_[0];
      out.emplace_back(row + lo[0], row + hi[0] + 1);
    }
  }
  return out;
}

Box3 stacked_size(const VolumeLayout& l) { return {l.size[0], l.size[1], l.size[2] * l.frames}; }

VolumeLayout stacked_layout(const VolumeLayout& l) {
  VolumeLayout s;
  s.pixel_type = l.pixel_type;
  s.components = l.components;
  s.size = stacked_size(l);
  return s;
}

Result<BrickShape> choose_brick(const VolumeLayout& layout, const BrickShape& asked,
                                uint64_t target_bytes, uint64_t max_chunk_bytes) {
  const VolumeLayout v = stacked_layout(layout);
  const uint64_t voxel = pixel_type_size(v.pixel_type) * v.components;
  const bool automatic = asked == BrickShape{0, 0, 0};
  BrickShape b = asked;
  if (!automatic && (asked[0] == 0 || asked[1] == 0 || asked[2] == 0)) {
    return Status::InvalidArgument("a brick shape needs three sides, or none for automatic");
  }
  auto brick_bytes = [&] { return uint64_t{b[0]} * b[1] * b[2] * voxel; };
  auto row_bytes = [&] {
    return v.size[0] * v.size[1] * std::min<uint64_t>(b[2], v.size[2]) * voxel;
  };
  if (automatic) {
    b = {kAutoBrickSide, kAutoBrickSide, kAutoBrickSide};
    const uint64_t limit = std::max<uint64_t>(1, std::min(target_bytes, max_chunk_bytes));
    for (int a = 2; brick_bytes() > limit && (b[0] > 1 || b[1] > 1 || b[2] > 1); a = (a + 2) % 3) {
      if (b[a] > 1) b[a] /= 2;
    }
    // Thinner rows for very large slices: only z shrinks, so the brick keeps
    // its footprint in the slice.
    while (row_bytes() > kMaxBrickRowBytes && b[2] > 1) b[2] /= 2;
  }
  for (int a = 0; a < 3; ++a) b[a] = static_cast<uint32_t>(std::min<uint64_t>(b[a], v.size[a]));
  if (brick_bytes() > max_chunk_bytes || row_bytes() > kMaxBrickRowBytes) {
    return Status::InvalidArgument("brick " + std::to_string(b[0]) + "x" + std::to_string(b[1]) +
                                   "x" + std::to_string(b[2]) + " of " + std::to_string(voxel) +
                                   "-byte voxels is too large: a brick may hold " +
                                   std::to_string(max_chunk_bytes) + " bytes and a row of bricks " +
                                   std::to_string(kMaxBrickRowBytes));
  }
  return b;
}

bool intersect(const Box3& a_start, const Box3& a_size, const Box3& b_start, const Box3& b_size,
               Box3* start, Box3* size) {
  for (int i = 0; i < 3; ++i) {
    const uint64_t lo = std::max(a_start[i], b_start[i]);
    const uint64_t hi = std::min(a_start[i] + a_size[i], b_start[i] + b_size[i]);
    if (lo >= hi) return false;
    (*start)[i] = lo;
    (*size)[i] = hi - lo;
  }
  return true;
}

namespace {

// The rows of a box copy. A brick row is short (64 bytes for 32 int16
// voxels) and a full get copies millions of them: a copy of a size known at
// compile time is a few vector moves instead of a call to memcpy, which made
// the scatter of a bricked get cost a fifth of it.
template <uint64_t kRun>
void copy_rows_fixed(const uint8_t* src, uint64_t src_pitch, uint8_t* dst, uint64_t dst_pitch,
                     uint64_t rows, uint64_t planes, uint64_t src_plane, uint64_t dst_plane) {
#if defined(__SSE2__)
  // Rows of whole aligned cache lines go around the cache: the destination
  // (a whole volume) is far larger than it, and a normal store would first
  // read each line it scatters into.
  const bool stream =
      (reinterpret_cast<uintptr_t>(dst) | dst_pitch | dst_plane) % 64 == 0 && kRun % 64 == 0;
  if (stream) {
    for (uint64_t z = 0; z < planes; ++z) {
      for (uint64_t y = 0; y < rows; ++y) {
        const auto* s = reinterpret_cast<const __m128i*>(src + z * src_plane + y * src_pitch);
        auto* d = reinterpret_cast<__m128i*>(dst + z * dst_plane + y * dst_pitch);
        for (uint64_t i = 0; i < kRun / 16; ++i) _mm_stream_si128(d + i, _mm_loadu_si128(s + i));
      }
    }
    _mm_sfence();
    return;
  }
#endif
  for (uint64_t z = 0; z < planes; ++z) {
    const uint8_t* s = src + z * src_plane;
    uint8_t* d = dst + z * dst_plane;
    for (uint64_t y = 0; y < rows; ++y) std::memcpy(d + y * dst_pitch, s + y * src_pitch, kRun);
  }
}

}  // namespace

void copy_box(const BoxBuffer& src, uint8_t* dst, const Box3& dst_start, const Box3& dst_size,
              const Box3& region_start, const Box3& region_size, uint64_t voxel) {
  const uint64_t run = region_size[0] * voxel;
  const uint64_t src_pitch = src.size[0] * voxel, dst_pitch = dst_size[0] * voxel;
  const uint64_t src_plane = src_pitch * src.size[1], dst_plane = dst_pitch * dst_size[1];
  const uint8_t* s = src.data + (region_start[2] - src.start[2]) * src_plane +
                     (region_start[1] - src.start[1]) * src_pitch +
                     (region_start[0] - src.start[0]) * voxel;
  uint8_t* d = dst + (region_start[2] - dst_start[2]) * dst_plane +
               (region_start[1] - dst_start[1]) * dst_pitch +
               (region_start[0] - dst_start[0]) * voxel;
  const uint64_t rows = region_size[1], planes = region_size[2];
  switch (run) {
    case 32:
      return copy_rows_fixed<32>(s, src_pitch, d, dst_pitch, rows, planes, src_plane, dst_plane);
    case 64:
      return copy_rows_fixed<64>(s, src_pitch, d, dst_pitch, rows, planes, src_plane, dst_plane);
    case 128:
      return copy_rows_fixed<128>(s, src_pitch, d, dst_pitch, rows, planes, src_plane, dst_plane);
    case 256:
      return copy_rows_fixed<256>(s, src_pitch, d, dst_pitch, rows, planes, src_plane, dst_plane);
    default:
      break;
  }
  for (uint64_t z = 0; z < planes; ++z) {
    for (uint64_t y = 0; y < rows; ++y) {
      std::memcpy(d + z * dst_plane + y * dst_pitch, s + z * src_plane + y * src_pitch, run);
    }
  }
}

}  // namespace voxcache::codec
