// Pipeline: the Options' side of the chunk pipeline. Plans chunks, picks the
// filter from sample chunks, and runs EntryWriter and EntryReader over any
// tier's sinks and sources with the cache's thread pool.

#ifndef VOXCACHE_CACHE_PIPELINE_H_
#define VOXCACHE_CACHE_PIPELINE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cache/entry_reader.h"
#include "cache/entry_writer.h"
#include "codec/value_codec.h"
#include "tier/tier.h"
#include "util/env.h"
#include "util/thread_pool.h"
#include "voxcache/key.h"
#include "voxcache/options.h"

namespace voxcache::cache {

class Pipeline {
 public:
  // `max_value_bytes`: the largest blob the local store takes.
  Pipeline(const Options& options, util::ThreadPool* threads, util::Env* env,
           uint64_t max_value_bytes);

  // What an entry starts with besides its payload.
  struct NewEntry {
    std::string id;
    std::optional<std::string> metadata;  // normalized JSON
    tier::Entry carry;                    // lineage; on a rewrite, what the entry had
    int level = kAutoLevel;
    // Volumes: the chunk layout; unset, Options::layout.
    std::optional<ChunkLayout> layout;
    // The chunks' codec; unset, Options::codec (as the database resolved it).
    std::optional<Codec> codec = std::nullopt;
  };
  // A writer of `payload_bytes` bytes described by `payload` into `sink`.
  Result<std::unique_ptr<EntryWriter>> writer(std::unique_ptr<tier::EntrySink> sink,
                                              const codec::Payload& payload, uint64_t payload_bytes,
                                              NewEntry entry) const;
  // Writes the whole of `payload` into `sink`, choosing the filter from
  // sample chunks first; volumes in bricks are gathered row by row. Returns the stored bytes, 0
  // when the sink's tier had the key already.
  Result<uint64_t> write(std::unique_ptr<tier::EntrySink> sink, const codec::Payload& payload,
                         NewEntry entry) const;

  Result<std::unique_ptr<EntryReader>> reader(std::unique_ptr<tier::EntrySource> source,
                                              bool verify) const;
  // The brick shape a new entry of `volume` in `layout` gets; {0,0,0} for
  // z-slabs. InvalidArgument for a shape too large (codec::choose_brick).
  Result<codec::BrickShape> brick_shape(const VolumeLayout& volume,
                                        const ChunkLayout& layout) const;

  // A writer's input in volume order: bricked entries need a BrickWriter
  // between the two. Streams and puts use this.
  static bool bricked(const EntryWriter& w) { return w.plan().bricked(); }

  // Decodes every chunk of `r`'s entry into a Value.
  Result<Value> read_value(EntryReader* r) const;
  // Reads every chunk and checks every checksum; decodes nothing into a Value.
  Status check_all(EntryReader* r) const;

  const TypeRegistry* types() const { return options_.types.get(); }

 private:
  uint64_t plan(const codec::Payload& payload, uint64_t payload_bytes) const;

  const Options& options_;
  util::ThreadPool* const threads_;
  util::Env* const env_;
  uint64_t max_chunk_;
  uint64_t max_inline_;
};

// The lineage columns an entry stored through `recipe` starts with (none
// for nullptr).
tier::Entry lineage_of(const PutOptions& options);

// Empty stays empty; anything else must be JSON and is stored re-serialized.
Result<std::optional<std::string>> normalize_metadata(std::string_view text);

}  // namespace voxcache::cache

#endif  // VOXCACHE_CACHE_PIPELINE_H_
