// Streaming volumes in and out of a cache, slab by slab, so a pipeline can
// cache a volume it never holds whole. Peak memory is bounded by the chunk
// size times the thread count times a small constant, whatever the volume's
// size (docs/architecture.md, "Memory").

#ifndef VOXCACHE_STREAM_H_
#define VOXCACHE_STREAM_H_

#include <cstdint>

#include "voxcache/export.h"
#include "voxcache/status.h"
#include "voxcache/volume.h"

namespace voxcache {

// Receives a volume's voxels in order (x fastest, then y, then z), in pieces
// of any size: whole z-slices are the natural unit, but a piece may end
// anywhere. The entry appears, in one transaction, only when commit()
// succeeds; destroying an uncommitted writer stores nothing.
//
// A writer holds the database's write lock from its creation to commit() or
// destruction: other writers wait (up to Options::busy_timeout), readers do not.
// Not thread-safe: one writer is fed by one thread at a time.
class VOXCACHE_EXPORT VolumeWriter {
 public:
  virtual ~VolumeWriter();
  // InvalidArgument when more bytes arrive than the layout holds.
  virtual Status write(const void* data, uint64_t bytes) = 0;
  // InvalidArgument unless exactly layout.byte_size() bytes were written.
  virtual Status commit() = 0;
};

// Hands a stored volume out in order, one slab of whole z-slices at a time
// whenever a z-slice fits in a chunk (always, with the default chunk size, for
// slices up to 1 MiB); otherwise in pieces of whole rows or voxels.
// The reader sees one snapshot of the database for its whole life.
// Not thread-safe.
class VOXCACHE_EXPORT VolumeReader {
 public:
  struct Slab {
    uint64_t offset = 0;            // byte offset of data[0] in the whole volume
    uint64_t bytes = 0;             // 0 once the volume is exhausted
    const uint8_t* data = nullptr;  // valid until the next call of next()
  };
  virtual ~VolumeReader();
  virtual const VolumeLayout& layout() const = 0;
  // The next slab; Slab::bytes == 0 at the end. Corruption for a chunk that
  // fails its checks, before any of its bytes are handed out.
  virtual Result<Slab> next() = 0;
};

}  // namespace voxcache

#endif  // VOXCACHE_STREAM_H_
