// Writes one entry into a tier's EntrySink: cuts the payload into chunks,
// compresses batches of them on the thread pool, and hands them to the sink in
// order; the entry appears at commit. Memory is bounded by two batches of
// chunks, whatever the payload's size.

#ifndef VOXCACHE_CACHE_ENTRY_WRITER_H_
#define VOXCACHE_CACHE_ENTRY_WRITER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "codec/entry_format.h"
#include "codec/intensity.h"
#include "store/entry_store.h"
#include "tier/tier.h"
#include "util/env.h"
#include "util/thread_pool.h"
#include "util/xxhash.h"
#include "voxcache/options.h"
#include "voxcache/status.h"
#include "voxcache/value.h"

namespace voxcache::cache {

struct EntrySpec {
  std::string id;  // key hex
  Value::Kind kind = Value::Kind::kNull;
  std::string data_type;
  std::string kind_header;
  uint64_t payload_bytes = 0;
  uint64_t chunk_bytes = 0;          // planned by codec::plan_chunk_bytes, or a whole brick
  codec::BrickShape brick{0, 0, 0};  // volumes in bricks: the payload comes brick by brick
  size_t shuffle_element = 0;        // pixel size for volumes (and lists of them), else 0
  std::optional<std::string> metadata;
  // Volumes: intensity statistics are gathered chunk by chunk.
  std::optional<VolumeLayout> volume;
  // Columns the entry starts with: lineage (operation, recipe, inputs) and,
  // when an entry is rewritten, what it had (times, count, pinning).
  tier::Entry carry;
  // Rewrite an entry that exists (recompress) instead of keeping it.
  bool replace = false;
};

// WriterConfig::level when nobody chose one: level 3, or level 2 for an
// entry whose samples compress less than kLowRatio-fold at level 1. Such
// data (scanner noise, as in T1 MRI backgrounds) gives a deeper match search
// almost nothing: ch2 is 1.4% smaller at level 3 than at 2, for half the
// compression speed. docs/format.md, "Compression level".
inline constexpr int kAutoLevel = -1;
inline constexpr double kLowRatio = 2.5;
inline constexpr uint64_t kUninformativeRatio = 64;

struct WriterConfig {
  int level = kAutoLevel;
  // kZstd or kLz4. With kLz4 every level above 0 is LZ4's one (recorded as
  // 1), and the entry is written as format version 6.
  codec::ChunkCodec codec = codec::ChunkCodec::kZstd;
  ShuffleMode shuffle = ShuffleMode::kAuto;
  uint64_t max_inline_bytes = codec::kMaxInlineChunkBytes;
  util::ThreadPool* pool = nullptr;
  util::Env* env = nullptr;  // the creation time
};

class EntryWriter {
 public:
  // When the sink is present() (the tier has the key), so is the writer, and
  // append() and commit() only count bytes.
  static Result<std::unique_ptr<EntryWriter>> Begin(std::unique_ptr<tier::EntrySink> sink,
                                                    EntrySpec spec, const WriterConfig& config);
  ~EntryWriter();

  bool present() const { return present_; }
  // Raw bytes per chunk, as the spec planned them.
  uint64_t chunk_bytes() const { return spec_.chunk_bytes; }
  // The entry's chunk geometry (a header without checksums yet).
  const codec::EntryHeader& plan() const { return plan_; }
  // The volume's layout, for a volume entry.
  const std::optional<VolumeLayout>& volume() const { return spec_.volume; }
  // Stored bytes of the committed entry (header and chunks); 0 before.
  uint64_t stored_bytes() const { return committed_bytes_; }
  // Decides the filter (and an automatic level) from these sample chunks
  // instead of the first batch. Until samples say something (Trial::
  // informative) each batch decides again from its own chunks.
  void choose_filter(const std::vector<std::string_view>& samples);
  bool decided() const { return decided_; }
  // InvalidArgument past payload_bytes. After any failure every call
  // returns that failure and nothing is stored.
  Status append(const uint8_t* data, uint64_t bytes);
  Status commit();

 private:
  EntryWriter(std::unique_ptr<tier::EntrySink> sink, EntrySpec spec, const WriterConfig& config);
  Status process(const uint8_t* data, uint64_t bytes);
  Status fail(Status s);
  // Raw bytes of the next batch: up to chunks_per_batch_ whole chunks.
  uint64_t next_batch_bytes() const;

  std::unique_ptr<tier::EntrySink> sink_;  // reset on failure: nothing of the entry stays
  EntrySpec spec_;
  WriterConfig config_;
  codec::EntryHeader plan_;
  uint64_t chunks_per_batch_ = 1;
  bool present_ = false;
  bool committed_ = false;
  Status failed_;
  std::optional<bool> shuffle_;  // decided from samples unless chosen
  std::optional<int> level_;     // the same, for kAutoLevel
  bool shuffle_given_ = false, level_given_ = false;
  bool decided_ = false;  // by the options, or by samples that said something
  uint64_t written_ = 0;
  uint64_t next_chunk_ = 0;
  uint64_t stored_ = 0;
  uint64_t committed_bytes_ = 0;
  codec::ChunkCodec any_compressed_ = codec::ChunkCodec::kNone;  // the codec of a chunk it shrank
  bool any_shuffled_ = false;
  std::string pending_;             // bytes short of a full batch
  std::vector<std::string> blobs_;  // one batch of encoded chunks, reused
  std::vector<Status> statuses_;
  std::optional<std::string> single_chunk_;  // a one-chunk entry's blob, maybe inlined
  util::Xxh3_128 whole_;
  codec::Intensity intensity_;
  std::vector<codec::Intensity> chunk_intensity_;
};

// Chunks handed to the pool at once, by the writer and the reader alike:
// four per thread keep every thread busy and give inserting time to overlap
// compressing; small chunks (bricks of 64 KiB) come kBatchBytes at a time,
// else waking the pool for every 8 of them cost 40% of a full get. Memory
// stays bounded by a batch or two of raw bytes.
inline constexpr uint64_t kBatchBytes = 4 << 20;
uint64_t chunks_per_batch(uint64_t chunk_bytes, unsigned threads);

// The trial behind the automatic choices: each sample compressed at zstd
// level 1 (a cheap stand-in for the real level), or with LZ4 for an LZ4
// entry, as is and, when `element` > 1, byte-shuffled, in parallel on `pool`.
struct Trial {
  uint64_t raw = 0, plain = 0, shuffled = 0;
  bool shuffle_helps() const { return shuffled > 0 && shuffled < plain; }
  // Whether the samples say anything: not when they shrink more than
  // kUninformativeRatio-fold (nearly one value, as air is).
  bool informative() const;
  double ratio(bool shuffle) const;  // raw / the encoding the entry uses
};
Trial trial(const std::vector<std::string_view>& samples, size_t element, util::ThreadPool* pool,
            codec::ChunkCodec codec = codec::ChunkCodec::kZstd);

}  // namespace voxcache::cache

#endif  // VOXCACHE_CACHE_ENTRY_WRITER_H_
