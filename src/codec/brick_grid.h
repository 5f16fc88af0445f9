// The brick chunk layout (docs/format.md, "Chunk layouts"): a volume cut
// into bricks of a fixed shape, clipped at its far edges, numbered x
// fastest, then y, then z. Each brick's voxels are stored x fastest within
// the brick. This file knows the geometry; the pipeline in src/cache moves
// the bytes.

#ifndef VOXCACHE_CODEC_BRICK_GRID_H_
#define VOXCACHE_CODEC_BRICK_GRID_H_

#include <array>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "voxcache/options.h"
#include "voxcache/status.h"
#include "voxcache/volume.h"

namespace voxcache::codec {

using Box3 = std::array<uint64_t, 3>;

// How chunks see a volume: a series is stored as its frames stacked along z,
// (x, y, z * frames), so that z-slabs, bricks and streaming need no fourth
// axis; region reads map a box over time onto it (cache/region.cc).
Box3 stacked_size(const VolumeLayout& layout);
// The 3D layout of that stack (default geometry): what chunking is computed from.
VolumeLayout stacked_layout(const VolumeLayout& layout);

using BrickShape = std::array<uint32_t, 3>;

// The automatic brick's side: a slice of a 512^3 volume then decodes 1/16
// of it, and 32^3 bricks compress as well as 1 MiB z-slabs (64 KiB of int16;
// 16^3 bricks cost 5% more bytes and 60% more decoding time, measured in
// docs/benchmarks.md).
inline constexpr uint32_t kAutoBrickSide = 32;
// A streaming put holds one row of bricks (brick z-size whole slices) as it
// arrives and once more in brick order; a shape whose row is larger than
// this is refused. 1024x1024 int16 slices with 32-voxel bricks: 64 MiB.
inline constexpr uint64_t kMaxBrickRowBytes = uint64_t{128} << 20;

class BrickGrid {
 public:
  BrickGrid() = default;
  BrickGrid(const Box3& size, const BrickShape& brick, uint64_t voxel_bytes);

  uint64_t count() const { return bricks_[0] * bricks_[1] * bricks_[2]; }
  const Box3& bricks() const { return bricks_; }  // per axis
  const BrickShape& shape() const { return brick_; }
  const Box3& size() const { return size_; }
  uint64_t voxel_bytes() const { return voxel_; }
  // Bricks that share one z range: the unit of streaming.
  uint64_t row_count() const { return bricks_[0] * bricks_[1]; }
  // Bytes of a whole (unclipped) brick, and of brick i as clipped.
  uint64_t full_brick_bytes() const;
  uint64_t brick_bytes(uint64_t i) const;
  // The voxels brick i covers.
  void box(uint64_t i, Box3* start, Box3* size) const;
  // The whole slices row `row` of bricks covers.
  void row_box(uint64_t row, Box3* start, Box3* size) const;
  // "brick 5 at voxel (64, 32, 0)": how errors name a brick.
  std::string name(uint64_t i) const;
  // Runs [first, end) of brick indices, ascending, covering every brick that
  // meets the box [start, start + size).
  std::vector<std::pair<uint64_t, uint64_t>> runs(const Box3& start, const Box3& size) const;

 private:
  Box3 size_{}, bricks_{};
  BrickShape brick_{};
  uint64_t voxel_ = 0;
};

// The brick shape of a new entry of volume `v` asked as `asked` ({0,0,0}:
// automatic). Automatic: kAutoBrickSide^3, each side halved in turn (z
// first) while a brick is over `target_bytes`, then z halved while a row of
// bricks is over kMaxBrickRowBytes, then clipped to the volume. A shape given is clipped to
// the volume too; InvalidArgument when it mixes zero and non-zero sides, or
// its brick is over `max_chunk_bytes` or its row over kMaxBrickRowBytes.
Result<BrickShape> choose_brick(const VolumeLayout& v, const BrickShape& asked,
                                uint64_t target_bytes, uint64_t max_chunk_bytes);

// Copies the voxels of box `region` (volume coordinates) from `src`, a
// buffer holding box (src_start, src_size) x fastest, into `dst`, one
// holding box (dst_start, dst_size). Both boxes must contain `region`.
struct BoxBuffer {
  const uint8_t* data;
  Box3 start, size;
};
void copy_box(const BoxBuffer& src, uint8_t* dst, const Box3& dst_start, const Box3& dst_size,
              const Box3& region_start, const Box3& region_size, uint64_t voxel_bytes);

// The intersection of two boxes; false when it is empty.
bool intersect(const Box3& a_start, const Box3& a_size, const Box3& b_start, const Box3& b_size,
               Box3* start, Box3* size);

}  // namespace voxcache::codec

#endif  // VOXCACHE_CODEC_BRICK_GRID_H_
