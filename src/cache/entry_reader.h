// Reads one entry from a tier's EntrySource (one snapshot): the header, then
// chunks in order, a batch at a time, decoded and checked in parallel on the
// thread pool. Serves full gets (decoding in place), streaming reads and
// region reads alike, whichever tier the bytes come from.

#ifndef VOXCACHE_CACHE_ENTRY_READER_H_
#define VOXCACHE_CACHE_ENTRY_READER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codec/entry_format.h"
#include "store/entry_store.h"
#include "tier/tier.h"
#include "util/thread_pool.h"
#include "util/xxhash.h"

namespace voxcache::cache {

class EntryReader {
 public:
  // NotFound on a miss; Corruption for a header that fails its checks.
  static Result<std::unique_ptr<EntryReader>> Open(std::unique_ptr<tier::EntrySource> source,
                                                   util::ThreadPool* pool, bool verify);
  ~EntryReader();

  const codec::EntryHeader& header() const { return header_; }
  // The volume header, decoded and checked at Open; nullopt for other values.
  const std::optional<VolumeLayout>& layout() const { return layout_; }
  const tier::Entry& entry() const { return source_->entry(); }

  // Starts reading chunks [first, end). With `dst`, chunk i decodes to
  // dst + i * chunk_bytes (the whole payload's buffer; byte-range chunks
  // only); without, batches decode into an internal buffer.
  Status start(uint64_t first, uint64_t end, uint8_t* dst);

  // Called on a pool thread for each chunk once it is decoded and checked,
  // with its raw bytes; calls for different chunks run at the same time.
  // Batches of such a read have no data, and it checks no payload checksum
  // (every chunk's own is checked: a brick's is seeded with its index).
  using ChunkFn = std::function<void(uint64_t index, const uint8_t* data, uint64_t bytes)>;
  // Starts reading the chunks of `runs` ([first, end) each, ascending and
  // disjoint) into the internal buffer, handing each to `fn` (may be null).
  Status start(std::vector<std::pair<uint64_t, uint64_t>> runs, ChunkFn fn);

  struct Batch {
    uint64_t first_chunk = 0;
    uint64_t chunks = 0;            // 0: done
    const uint8_t* data = nullptr;  // the batch's raw bytes, contiguous
    uint64_t bytes = 0;
  };
  // Corruption unless the tier stores exactly the header's chunk count,
  // naming the first missing chunk. A read of the whole entry calls it
  // before anything is sized from the header: a crafted header claiming a
  // terabyte in chunks that are not there must be Corruption, not an
  // allocation of a terabyte (with the count right, no buffer exceeds
  // chunk_count chunks of at most kMaxChunkBytes, each read and checked).
  // A partial read need not: its buffers are sized by the box it reads.
  Status check_chunk_count();

  // The next decoded batch, in order. After the last chunk of a read of
  // every chunk in order from chunk 0 (over one start or several), also
  // checks (when verifying) the whole payload's checksum.
  Result<Batch> next();

 private:
  EntryReader(std::unique_ptr<tier::EntrySource> source, util::ThreadPool* pool, bool verify)
      : source_(std::move(source)), pool_(pool), verify_(verify) {}
  // `seek_end`: the end of the run chunk `index` starts, else 0.
  Result<std::string_view> next_blob(uint64_t index, uint64_t seek_end);

  std::unique_ptr<tier::EntrySource> source_;
  util::ThreadPool* pool_;
  bool verify_;
  codec::EntryHeader header_;
  // A volume's layout, decoded once at Open; a mask's (bool) decoded bytes
  // are each checked to be 0 or 1.
  std::optional<VolumeLayout> layout_;
  std::vector<std::string_view> inline_blobs_;
  std::vector<std::pair<uint64_t, uint64_t>> runs_;
  size_t run_ = 0;     // the run being read
  uint64_t next_ = 0;  // the next chunk of it
  // The next chunk of a read of every chunk in order from chunk 0, or
  // kNoWholeRead once the chunks read are not that.
  static constexpr uint64_t kNoWholeRead = ~uint64_t{0};
  uint64_t whole_next_ = kNoWholeRead;
  uint8_t* dst_ = nullptr;
  ChunkFn fn_;
  std::vector<uint64_t> batch_;  // a batch's chunk indices
  std::vector<uint64_t> seeks_;  // chunk k of the batch starts a run ending here; else 0
  std::vector<uint64_t> offsets_;
  std::vector<std::string> blobs_;  // a batch's stored chunks, copied out of SQLite
  std::vector<std::string_view> views_;
  std::vector<Status> statuses_;
  std::string buffer_;  // a batch's raw bytes when there is no dst
  util::Xxh3_128 whole_;
};

}  // namespace voxcache::cache

#endif  // VOXCACHE_CACHE_ENTRY_READER_H_
