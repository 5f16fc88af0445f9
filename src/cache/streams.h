// The streaming interfaces of voxcache/stream.h over the chunk pipeline.

#ifndef VOXCACHE_CACHE_STREAMS_H_
#define VOXCACHE_CACHE_STREAMS_H_

#include <functional>
#include <memory>

#include "cache/brick_io.h"
#include "cache/entry_reader.h"
#include "cache/entry_writer.h"
#include "voxcache/stream.h"

namespace voxcache::cache {

class StreamWriter final : public VolumeWriter {
 public:
  // `committed(stored_bytes)` runs once, after a commit that wrote the entry.
  // `pool` runs a bricked entry's gathering.
  StreamWriter(std::unique_ptr<EntryWriter> w, util::ThreadPool* pool,
               std::function<Status(uint64_t)> committed);
  Status write(const void* data, uint64_t bytes) override;
  Status commit() override;

 private:
  std::unique_ptr<EntryWriter> w_;
  std::unique_ptr<BrickWriter> bricks_;  // between the caller and a bricked entry's writer
  std::function<Status(uint64_t)> committed_;
  bool mask_ = false;     // a bool volume: each byte written must be 0 or 1
  uint64_t written_ = 0;  // bytes written so far, to name a bad voxel
};

class StreamReader final : public VolumeReader {
 public:
  // Hands out the chunks of z-slabs as they are; a bricked entry a row of
  // bricks at a time, placed into slices.
  static Result<std::unique_ptr<StreamReader>> Open(std::unique_ptr<EntryReader> r,
                                                    VolumeLayout layout);
  const VolumeLayout& layout() const override { return layout_; }
  Result<Slab> next() override;

 private:
  StreamReader(std::unique_ptr<EntryReader> r, VolumeLayout layout)
      : r_(std::move(r)), layout_(layout) {}
  std::unique_ptr<EntryReader> r_;
  VolumeLayout layout_;
  uint64_t row_ = 0;  // bricks: the next row
  std::string slab_;  // bricks: the slices of one row
};

}  // namespace voxcache::cache

#endif  // VOXCACHE_CACHE_STREAMS_H_
