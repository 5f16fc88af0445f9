// Region reads: a box of a stored volume, decoding only the chunks the box
// intersects (z-slabs, or bricks) and copying only the voxels it holds.

#ifndef VOXCACHE_CACHE_REGION_H_
#define VOXCACHE_CACHE_REGION_H_

#include <array>
#include <cstdint>
#include <optional>
#include <utility>

#include "cache/entry_reader.h"
#include "voxcache/volume.h"

namespace voxcache::cache {

using Box = std::array<uint64_t, 3>;

// The layout of a volume entry; InvalidArgument for other kinds, Corruption
// when the row's data_type contradicts the header.
Result<VolumeLayout> volume_layout(const EntryReader& r);

// Voxels [start, start + size) of the entry `r` reads, in the frames
// {first, count} of a series (every frame without). The result's origin is
// the physical point of its first voxel, as ITK computes it, and its time
// origin its first frame's; spacing and direction are kept. InvalidArgument
// when the box or the frames are empty or leave the volume.
Result<Volume> read_box(EntryReader* r, const Box& start, const Box& size,
                        std::optional<std::pair<uint64_t, uint64_t>> frames = std::nullopt);

// The box of slice `index` on `axis` (0 x, 1 y, 2 z); InvalidArgument for
// another axis.
Result<std::pair<Box, Box>> slice_box(const VolumeLayout& layout, int axis, uint64_t index);

}  // namespace voxcache::cache

#endif  // VOXCACHE_CACHE_REGION_H_
