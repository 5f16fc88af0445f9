// The streaming interfaces of voxcache/stream.h over the chunk pipeline.

#ifndef VOXCACHE_CACHE_STREAMS_H_
#define VOXCACHE_CACHE_STREAMS_H_

#include <functional>
#include <memory>

#include "cache/entry_reader.h"
#include "cache/entry_writer.h"
#include "voxcache/stream.h"

namespace voxcache::cache {

class StreamWriter final : public VolumeWriter {
 public:
  // `committed(stored_bytes)` runs once, after a commit that wrote the entry.
  StreamWriter(std::unique_ptr<EntryWriter> w, std::function<Status(uint64_t)> committed)
      : w_(std::move(w)), committed_(std::move(committed)) {}
  Status write(const void* data, uint64_t bytes) override;
  Status commit() override;

 private:
  std::unique_ptr<EntryWriter> w_;
  std::function<Status(uint64_t)> committed_;
};

class StreamReader final : public VolumeReader {
 public:
  StreamReader(std::unique_ptr<EntryReader> r, VolumeLayout layout)
      : r_(std::move(r)), layout_(layout) {}
  const VolumeLayout& layout() const override { return layout_; }
  Result<Slab> next() override;

 private:
  std::unique_ptr<EntryReader> r_;
  VolumeLayout layout_;
};

}  // namespace voxcache::cache

#endif  // VOXCACHE_CACHE_STREAMS_H_
