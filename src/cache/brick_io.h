// The brick layout's side of the pipeline (docs/format.md, "Chunk
// layouts"). Volumes come and go in volume order (x fastest, then y, then
// z), as ITK, NIfTI and NumPy hold them; a bricked entry stores them brick by
// brick. These move voxels between the two orders, on the pool, a row of
// bricks (bricks sharing one z range) at a time, so streaming stays bounded.

#ifndef VOXCACHE_CACHE_BRICK_IO_H_
#define VOXCACHE_CACHE_BRICK_IO_H_

#include <cstdint>
#include <string>
#include <vector>

#include "cache/entry_reader.h"
#include "cache/entry_writer.h"
#include "codec/brick_grid.h"
#include "util/thread_pool.h"

namespace voxcache::cache {

// Feeds a bricked entry's writer from voxels in volume order. Holds at most
// one row of bricks as it arrives (none when append() is given whole rows)
// and one gathered into brick order: 2 x 64 MiB for 1024x1024 int16 slices
// in 32-voxel bricks, and never more than 2 x codec::kMaxBrickRowBytes.
class BrickWriter {
 public:
  BrickWriter(EntryWriter* w, util::ThreadPool* pool);
  Status append(const uint8_t* data, uint64_t bytes);
  // Commits the entry; InvalidArgument (from the writer) when bytes are missing.
  Status commit();

  // Sample bricks for the filter and level trial, from `slices`, a buffer
  // of whole slices [z0, z0 + nz): the bricks around its centre and at
  // quarter points. Not its first bricks: those are corners of the field of
  // view, mostly air, and would say shuffling and level 3 do not pay.
  static std::vector<std::string> samples(const codec::BrickGrid& grid, const uint8_t* slices,
                                          uint64_t z0, uint64_t nz);

 private:
  uint64_t row_bytes(uint64_t row) const;
  Status emit(const uint8_t* slices);

  EntryWriter* w_;
  util::ThreadPool* pool_;
  const codec::BrickGrid& grid_;
  uint64_t slice_bytes_;
  uint64_t row_ = 0;      // the next row of bricks to emit
  std::string pending_;   // the start of that row, as it arrived
  std::string gathered_;  // a row in brick order
  Status failed_;
};

// Decodes every brick of `r`'s entry into `volume`, a buffer of the whole
// volume in volume order, placing each brick on a pool thread.
Status read_all_bricks(EntryReader* r, uint8_t* volume);

// Starts reading row `row` of bricks into `slab` (its slices, in volume
// order); the caller then drains r->next().
Status start_brick_row(EntryReader* r, uint64_t row, uint8_t* slab);

}  // namespace voxcache::cache

#endif  // VOXCACHE_CACHE_BRICK_IO_H_
