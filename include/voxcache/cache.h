// Cache: a persistent memo table from OperationKey to Value.
//
//   auto cache = voxcache::Cache::Open(voxcache::Cache::DefaultPath().value());
//   if (!cache.ok()) ...
//   OperationKey k = KeyBuilder("otsu").arg("bins", 128).input(input_key).build();
//   Result<Value> mask = (*cache)->get_or_compute(k, [&]() -> Result<Value> { ... });
//
// Entries live in one SQLite database in WAL mode, as zstd-compressed chunks
// with XXH3 checksums (docs/format.md). Entries are immutable: putting a key
// that is present is a no-op that succeeds, because a key names its content.
//
// Thread safety: a Cache is safe for concurrent use from many threads without
// external synchronization. Several processes may open the same file; SQLite's
// locking serializes their writes, readers never block writers.

#ifndef VOXCACHE_CACHE_H_
#define VOXCACHE_CACHE_H_

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "voxcache/export.h"
#include "voxcache/key.h"
#include "voxcache/options.h"
#include "voxcache/records.h"
#include "voxcache/status.h"
#include "voxcache/stream.h"
#include "voxcache/value.h"
#include "voxcache/volume.h"

namespace voxcache {

class VOXCACHE_EXPORT Cache {
 public:
  // $VOXCACHE_DIR/cache.db, else $XDG_CACHE_HOME/voxcache/cache.db, else
  // $HOME/.cache/voxcache/cache.db. InvalidArgument when none is set.
  static Result<std::string> DefaultPath();

  // Opens (and with create_if_missing, creates) the database at `path`.
  // Corruption for a file that is not a voxcache database, NotSupported for
  // one written by a newer schema version, IOError when it cannot be opened.
  static Result<std::unique_ptr<Cache>> Open(const std::string& path,
                                             const Options& options = Options());

  Cache(const Cache&) = delete;
  Cache& operator=(const Cache&) = delete;
  virtual ~Cache();

  // Stores `value` under `key` in one transaction, with optional JSON
  // metadata (InvalidArgument if it does not parse). OK without writing when
  // the key is present already.
  virtual Status put(const OperationKey& key, const Value& value,
                     std::string_view metadata_json = {}) = 0;
  // The same for a volume, read from the caller's buffer: without this
  // overload a Volume lvalue would be copied into a Value first.
  virtual Status put(const OperationKey& key, const Volume& volume,
                     std::string_view metadata_json = {}) = 0;
  // The same in the chunk layout `layout` instead of Options::layout.
  // InvalidArgument for a brick shape that is too large (ChunkLayout).
  virtual Status put(const OperationKey& key, const Volume& volume, const ChunkLayout& layout,
                     std::string_view metadata_json = {}) = 0;

  // The stored value; NotFound on a miss. Corruption when any check fails.
  virtual Result<Value> get(const OperationKey& key) = 0;

  virtual Result<bool> contains(const OperationKey& key) = 0;

  // Removes the entry; NotFound when there was none.
  virtual Status erase(const OperationKey& key) = 0;

  // The same, recording the recipe as the entry's lineage (EntryInfo).
  virtual Status put(const KeyBuilder& recipe, const Value& value,
                     std::string_view metadata_json = {}) = 0;

  // Memoization: returns the stored value, or on a miss calls `compute`,
  // stores what it returns and returns it. A failed computation is returned
  // as is and nothing is stored. A stored entry that fails its checks is
  // reported as Corruption, not recomputed silently.
  // A computed value is returned even when storing it fails (a full disk, a
  // read-only cache): the work is not thrown away. The store's outcome goes to
  // `*store_status` when given (OK also on a hit), so the failure stays visible.
  virtual Result<Value> get_or_compute(const OperationKey& key,
                                       const std::function<Result<Value>()>& compute,
                                       std::string_view metadata_json = {},
                                       Status* store_status = nullptr) = 0;

  // get_or_compute under recipe.build(), recording the recipe as lineage.
  virtual Result<Value> get_or_compute(const KeyBuilder& recipe,
                                       const std::function<Result<Value>()>& compute,
                                       std::string_view metadata_json = {},
                                       Status* store_status = nullptr) = 0;

  // Type, sizes, creation time, metadata and volume layout; NotFound on a miss.
  virtual Result<EntryInfo> info(const OperationKey& key) = 0;

  // A box of a stored volume: voxels [start, start + size) on each axis.
  // Decompresses only the chunks the box intersects. The result's origin is
  // the physical point of its first voxel; spacing and direction are kept.
  // InvalidArgument when the box is empty or leaves the volume, or the entry
  // is not a volume.
  // On a 4D series the box is read in every frame: the result is a series.
  virtual Result<Volume> read_region(const OperationKey& key, const std::array<uint64_t, 3>& start,
                                     const std::array<uint64_t, 3>& size) = 0;
  // The box in frames [first_frame, first_frame + frame_count) of a 4D
  // series, decoding only the chunks those frames' boxes meet: one volume of
  // a series is read_region(key, {0, 0, 0}, size, t, 1), one voxel's time
  // course read_region(key, {x, y, z}, {1, 1, 1}, 0, frames). The result is
  // a series of frame_count frames, its time origin that of its first frame.
  // InvalidArgument for frames outside the series (an image that is not a
  // series has one frame, 0).
  virtual Result<Volume> read_region(const OperationKey& key, const std::array<uint64_t, 3>& start,
                                     const std::array<uint64_t, 3>& size, uint64_t first_frame,
                                     uint64_t frame_count) = 0;
  // One slice: axis 0 (x, sagittal), 1 (y, coronal) or 2 (z, axial) at `index`.
  virtual Result<Volume> read_slice(const OperationKey& key, int axis, uint64_t index) = 0;

  // Streams a volume in (see voxcache/stream.h). InvalidArgument for a bad
  // layout or metadata; for a key already present the writer accepts and
  // discards the voxels and commit() succeeds, as put() does.
  virtual Result<std::unique_ptr<VolumeWriter>> write_volume(
      const OperationKey& key, const VolumeLayout& layout, std::string_view metadata_json = {}) = 0;
  // The same in the chunk layout `chunks`. Voxels still arrive in volume
  // order; bricks are gathered a row of them at a time (ChunkLayout).
  virtual Result<std::unique_ptr<VolumeWriter>> write_volume(
      const OperationKey& key, const VolumeLayout& layout, const ChunkLayout& chunks,
      std::string_view metadata_json = {}) = 0;
  // Streams a stored volume out; NotFound on a miss.
  virtual Result<std::unique_ptr<VolumeReader>> read_volume(const OperationKey& key) = 0;

  virtual CacheStats stats() const = 0;

  // --- the remote tier (Options::remote) ---------------------------------------

  // Copies the local entry to the remote (seeding a cluster's cache), or the
  // remote entry into the local database (warming a node). NotFound when the
  // side copied from lacks it or no remote is configured; IOError when the
  // remote cannot be reached.
  virtual Status push(const OperationKey& key) = 0;
  virtual Status pull(const OperationKey& key) = 0;
  // NotFound when no remote is configured.
  virtual Result<RemoteStats> remote_stats() = 0;

  // --- management -------------------------------------------------------------

  // Pinned entries are never evicted (gc and automatic limits skip them).
  virtual Status pin(const OperationKey& key, bool pinned = true) = 0;

  // Evicts least recently used, unpinned entries until every limit holds
  // (or until only pinned entries are left: see GcReport::limits_met).
  virtual Result<GcReport> gc(const Limits& limits) = 0;

  // Removes every entry, or every unpinned one with `keep_pinned`.
  virtual Result<GcReport> clear(bool keep_pinned) = 0;

  // The database's stored configuration; set_stored_config replaces all of
  // it (an unset field is removed). Caches opened afterwards honour it.
  virtual Result<StoredConfig> stored_config() = 0;
  virtual Status set_stored_config(const StoredConfig& config) = 0;

  // Totals, per-type breakdown and the persistent counters.
  virtual Result<StoredStats> stored_stats() = 0;
  virtual Status zero_stats() = 0;

  // Reads every chunk of the entry and checks every checksum, whatever
  // Options::verify_checksums says. OK, NotFound, or Corruption naming the chunk.
  virtual Status verify(const OperationKey& key) = 0;

  // Re-encodes the entry at zstd `level` (0: uncompressed) unless it is
  // stored at that level already. The old and the new form swap in one
  // transaction: a crash leaves one or the other. Lineage, pinning, metadata,
  // times and statistics are kept. Holds the decoded value in memory.
  virtual Result<RecompressReport> recompress(const OperationKey& key, int level) = 0;
  // The same, also converting a volume to chunk layout `layout` (a volume
  // already in it, at `level`, is left alone). `level` -1 keeps the entry's
  // level. InvalidArgument for a layout given for an entry that is not a
  // volume.
  virtual Result<RecompressReport> recompress(const OperationKey& key, int level,
                                              const ChunkLayout& layout) = 0;

  // Checkpoints the WAL into the database file, truncates it, and rebuilds
  // the file to give freed pages back to the file system.
  virtual Status vacuum() = 0;

  // Every entry, newest first. An entry whose header is damaged is listed
  // too, with EntryInfo::problem saying why: one bad entry never hides the
  // others (verify and erase it by its key).
  virtual Result<std::vector<EntryInfo>> list() = 0;

  // The one key starting with `hex_prefix` (at least 8 hex digits).
  // NotFound when none does, InvalidArgument when several do or the prefix is
  // malformed.
  virtual Result<OperationKey> resolve_prefix(std::string_view hex_prefix) = 0;

  virtual const std::string& path() const = 0;

 protected:
  Cache() = default;
};

}  // namespace voxcache

#endif  // VOXCACHE_CACHE_H_
