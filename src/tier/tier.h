// Tier: a place that holds encoded entries (docs/format.md): an entry's
// description (tier/entry.h: its header blob and the facts listed without
// decoding it) and its chunk blobs. Tiers move
// stored bytes and never decode them; the chunk pipeline in src/cache
// encodes, decodes and checks every checksum, whichever tier the bytes came
// from. The Cache facade stacks tiers: it reads from the fastest down and
// writes to the tiers its options name (docs/architecture.md).
//
// Implementations: tier/local_tier (the SQLite database). The in-memory tier
// (tier/memory_tier) sits in front of the stack and holds decoded values
// instead, which is the decode it exists to save.

#ifndef VOXCACHE_TIER_TIER_H_
#define VOXCACHE_TIER_TIER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tier/entry.h"
#include "voxcache/status.h"

namespace voxcache::tier {

// One entry, read from one consistent snapshot of its tier.
class EntrySource {
 public:
  virtual ~EntrySource() = default;
  virtual const Entry& entry() const = 0;
  // Positions the source on chunks [first, end) of the entry.
  virtual Status seek(uint64_t first, uint64_t end) = 0;
  // The next chunk's stored blob, valid until the next call; Corruption when
  // a chunk is missing or out of order.
  virtual Result<std::string_view> next_chunk() = 0;
  // How many chunk blobs the tier holds for the entry: a whole read checks it
  // against the header, so an extra chunk is caught too.
  virtual Result<uint64_t> stored_chunks() = 0;
};

// One entry being written: nothing of it is visible until commit().
// Destroying an uncommitted sink discards what it was given.
class EntrySink {
 public:
  virtual ~EntrySink() = default;
  // The tier has the key already: content addressing makes writing it again
  // pointless, so add_chunk and commit need not be called. A sink may also
  // find it present later (another writer stored it meanwhile): then what it
  // was given is dropped and commit succeeds having written nothing.
  virtual bool present() const = 0;
  // Chunks come in index order.
  virtual Status add_chunk(uint64_t index, std::string_view blob) = 0;
  virtual Status commit(const Entry& entry) = 0;
};

class Tier {
 public:
  virtual ~Tier() = default;
  virtual const char* name() const = 0;

  // NotFound on a miss.
  virtual Result<std::unique_ptr<EntrySource>> open(std::string_view id) = 0;
  // With `replace`, an entry the tier has is swapped for the new one at
  // commit (recompress); without, a present key makes the sink present().
  virtual Result<std::unique_ptr<EntrySink>> create(std::string_view id, bool replace) = 0;
  virtual Result<bool> contains(std::string_view id) = 0;
  // Whether there was an entry to remove.
  virtual Result<bool> erase(std::string_view id) = 0;
  // Entries whose key starts with `prefix` (lower-case hex), newest first, at
  // most `limit` of them (-1: all).
  virtual Result<std::vector<Entry>> list(std::string_view prefix, int limit) = 0;
};

// Copies one entry, exactly as stored, from `from` into `to`. OK without
// writing when `to` has it.
Status copy_entry(EntrySource* from, Tier* to);

// Passes a source through to its reader while it writes every chunk it hands
// out into `to`: a hit of a slower tier lands in a faster one in the same
// transfer. finish(), called once the reader has checked the whole entry,
// commits the copy; a read that failed or skipped chunks leaves nothing.
class CopyingSource final : public EntrySource {
 public:
  CopyingSource(std::unique_ptr<EntrySource> from, std::unique_ptr<EntrySink> to)
      : from_(std::move(from)), to_(std::move(to)) {}
  const Entry& entry() const override { return from_->entry(); }
  Status seek(uint64_t first, uint64_t end) override;
  Result<std::string_view> next_chunk() override;
  Result<uint64_t> stored_chunks() override { return from_->stored_chunks(); }
  Status finish();

 private:
  std::unique_ptr<EntrySource> from_;
  std::unique_ptr<EntrySink> to_;
  uint64_t next_ = 0;
  bool copying_ = true;
};

}  // namespace voxcache::tier

#endif  // VOXCACHE_TIER_TIER_H_
