// What a Cache reports, and the few settings its administration takes:
// an entry's record (EntryInfo), this process's and the database's
// statistics, the remote's, size limits, and what gc and recompress did.
// Plain values: copying them costs nothing the cache holds.

#ifndef VOXCACHE_RECORDS_H_
#define VOXCACHE_RECORDS_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "voxcache/export.h"
#include "voxcache/key.h"
#include "voxcache/options.h"
#include "voxcache/volume.h"

namespace voxcache {

// What is known about an entry without reading its payload.
struct VOXCACHE_EXPORT EntryInfo {
  OperationKey key;
  std::string data_type;      // Value::type_tag() of the stored value
  int64_t created_at_ms = 0;  // Unix time in milliseconds
  uint64_t raw_bytes = 0;     // serialized payload before compression
  uint64_t stored_bytes = 0;  // header plus every stored chunk, as on disk
  uint64_t chunk_count = 0;
  uint64_t chunk_bytes =
      0;                 // raw bytes per chunk (the last, or bricks at the edge, may be shorter)
  std::string codec;     // "zstd" when any chunk is compressed, else "none"
  std::string filter;    // "shuffle" when chunks were byte-shuffled before zstd, else "none"
  int level = 0;         // zstd level the entry was written with; 0: uncompressed
  std::string checksum;  // "xxh3-128:" + hex of the whole raw payload
  std::string metadata;  // JSON text, empty when none was given
  std::optional<VolumeLayout> volume;  // set for volume entries
  ChunkLayout layout;                  // volumes: how the voxels are chunked
  int64_t last_access_ms = 0;          // last put or get (gets are recorded in batches)
  uint64_t access_count = 0;           // gets recorded so far
  bool pinned = false;                 // kept through eviction
  // Lineage, when the entry was stored with a KeyBuilder: the recipe's
  // operation, the recipe as JSON ({"operation", "args": [{"name", "type",
  // "value"}], "inputs": [hex]}), its input keys, and the entries whose
  // recipes name this one as an input.
  std::string operation;
  std::string recipe_json;
  std::vector<OperationKey> inputs;
  std::vector<OperationKey> dependents;
  // Intensity statistics of a volume, computed while it was written: JSON
  // [{"min", "max", "mean", "histogram": [256 counts], "lo", "hi"}] per
  // component. Empty for other values.
  std::string intensity_json;
  // Set only by list(): why the entry's header does not decode (a damaged
  // entry, listed so that it can be seen, checked and removed rather than
  // hiding the others). Then only the row's own columns above are filled.
  std::string problem;

  // Compression ratio raw/stored (8.0 means 8x smaller); 0 when nothing is stored.
  double ratio() const {
    return stored_bytes ? static_cast<double>(raw_bytes) / static_cast<double>(stored_bytes) : 0.0;
  }

  // Every field above as one JSON object (the one `voxcache show --json`
  // prints and Python's Cache.info() returns; docs/cli.md): keys as hex,
  // metadata, recipe and intensity as the JSON they hold (a text that is not
  // JSON as a string), `volume` with pixel_type, components, size,
  // spacing, origin, direction, dimension, frames and the time axis (null
  // for other values), `problem` only when set. The one place an EntryInfo
  // is rendered.
  std::string ToJson() const;
};

// Counters of one Cache object since it was opened (not persistent).
struct VOXCACHE_EXPORT CacheStats {
  uint64_t memory_hits = 0;     // gets served by the in-memory tier: no decode
  uint64_t disk_hits = 0;       // gets decoded from the database
  uint64_t misses = 0;          // gets that found nothing
  uint64_t puts = 0;            // entries written (not counting no-op puts)
  uint64_t memory_bytes = 0;    // raw bytes held by the in-memory tier now
  uint64_t memory_entries = 0;  // values held by the in-memory tier now
  // The remote tier, when one is configured.
  uint64_t remote_hits = 0;           // gets served by the remote (then kept locally)
  uint64_t remote_misses = 0;         // local misses the remote did not have either
  uint64_t remote_errors = 0;         // remote calls that failed (down, slow, full, ...)
  uint64_t remote_bytes_read = 0;     // stored bytes fetched
  uint64_t remote_bytes_written = 0;  // stored bytes pushed
  uint64_t remote_push_failures = 0;  // write-through pushes that failed (kept locally)
  uint64_t remote_rejected = 0;       // remote entries ignored: unsigned or badly signed
  std::string remote_push_error;      // why the latest of them failed (a full Redis...)
  std::string remote;                 // the remote's URL, password hidden; empty: none
  // "ok", or why the remote is not in use now (after a failed push: why the
  // push failed, until remote_retry_after has passed; the two fields above
  // keep it after that).
  std::string remote_status;
};

// The remote tier seen from here (`voxcache remote stats`).
struct VOXCACHE_EXPORT RemoteStats {
  std::string url;     // the password replaced by ***
  std::string status;  // "ok", or why the remote is not in use now
  bool read_only = false;
  uint64_t entries = 0;       // voxcache entries (manifests) in the remote
  uint64_t stored_bytes = 0;  // their stored bytes (shared chunks counted per entry)
  // From the server's INFO.
  uint64_t used_memory = 0, max_memory = 0, evicted_keys = 0;
  std::string eviction_policy;
};

// Limits for gc(); 0 means no limit.
struct VOXCACHE_EXPORT Limits {
  uint64_t max_bytes = 0;
  uint64_t max_entries = 0;
  std::chrono::seconds max_age{0};
};

struct VOXCACHE_EXPORT GcReport {
  std::vector<OperationKey> removed;
  uint64_t freed_bytes = 0;
  uint64_t entries_left = 0;
  uint64_t bytes_left = 0;
  // false when the limits still do not hold after every unpinned entry
  // that could go went: pinned entries alone exceed them.
  bool limits_met = true;
};

// Settings kept in the database itself (`voxcache config`), so that every
// process that opens it honours them, whatever program it is. Read when a
// Cache is opened. An Options field the program set explicitly wins: a
// non-zero limit, a compression_level other than -1.
struct VOXCACHE_EXPORT StoredConfig {
  std::optional<uint64_t> max_bytes;            // for Options::max_bytes
  std::optional<uint64_t> max_entries;          // for Options::max_entries
  std::optional<std::chrono::seconds> max_age;  // for Options::max_age
  std::optional<int> compression_level;         // for Options::compression_level
  std::optional<Codec> codec;                   // for Options::codec: kZstd or kLz4
  // Stored settings that could not be read ("max_entries = '-1' is not a
  // count"): each is left unset, so its default applies, and writing the
  // configuration replaces it. Ignored by set_stored_config.
  std::vector<std::string> problems;
};

// What the database records about its use, across processes and runs.
struct VOXCACHE_EXPORT StoredStats {
  uint64_t entries = 0, stored_bytes = 0, raw_bytes = 0;
  struct ByType {
    std::string data_type;
    uint64_t entries = 0, stored_bytes = 0, raw_bytes = 0;
  };
  std::vector<ByType> by_type;
  // Counters by name ("hits_memory", "hits_disk", "misses", "puts",
  // "evictions", "bytes_read", "bytes_written") and data type ("" = total).
  struct Counter {
    std::string name, data_type;
    uint64_t value = 0;
  };
  std::vector<Counter> counters;
  uint64_t counter(const std::string& name, const std::string& data_type = "") const;
  // Hits from memory, disk and the remote, of one data type ("" = all).
  uint64_t hits(const std::string& data_type = "") const;
  // hits() over hits and misses; 0 before any lookup.
  double hit_rate() const;
  // Compression ratio raw/stored; 0 when nothing is stored.
  double ratio() const {
    return stored_bytes ? static_cast<double>(raw_bytes) / static_cast<double>(stored_bytes) : 0.0;
  }

  // As one JSON object, the one `voxcache stats --json` prints and Python's
  // Cache.stats() returns (docs/cli.md): entries, raw_bytes, stored_bytes,
  // ratio (raw/stored), hit_rate (hits over hits and misses), by_type,
  // counters per data type ("total" for all) with every counter present,
  // and runs (`voxcache run`'s hits and stored records). The one place
  // these statistics are rendered.
  std::string ToJson() const;
};

struct VOXCACHE_EXPORT RecompressReport {
  bool changed = false;  // false: already at that level
  uint64_t bytes_before = 0, bytes_after = 0;
};

}  // namespace voxcache

#endif  // VOXCACHE_RECORDS_H_
