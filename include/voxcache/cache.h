// Cache: a persistent memo table from OperationKey to Value.
//
//   auto cache = voxcache::Cache::Open(voxcache::Cache::DefaultPath().value());
//   if (!cache.ok()) ...
//   OperationKey k = KeyBuilder("otsu").arg("bins", 128).input(input_key).build();
//   Result<Value> mask = (*cache)->get_or_compute(k, [&]() -> Result<Value> { ... });
//
// A Cache is the data path, the calls a pipeline makes; its admin() handle
// (voxcache/admin.h) is for looking after the cache.
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

#include "voxcache/admin.h"
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
  // Corruption for a file that is not SQLite (a damaged database),
  // InvalidArgument for another application's SQLite database ("not a
  // voxcache database": the wrong file, not a damaged one), NotSupported for
  // one written by a newer schema version, IOError when it cannot be opened.
  static Result<std::unique_ptr<Cache>> Open(const std::string& path,
                                             const Options& options = Options());

  Cache(const Cache&) = delete;
  Cache& operator=(const Cache&) = delete;
  virtual ~Cache();

  // --- the data path: what a pipeline calls ------------------------------------
  //
  // Each call that stores takes a PutOptions (metadata, chunk layout,
  // lineage); the overloads without one store the value alone.

  // Stores `value` under `key` in one transaction. OK without writing when
  // the key is present already.
  virtual Status put(const OperationKey& key, const Value& value, const PutOptions& options) = 0;
  // The same for a volume, read from the caller's buffer: without this
  // overload a Volume lvalue would be copied into a Value first.
  virtual Status put(const OperationKey& key, const Volume& volume, const PutOptions& options) = 0;
  Status put(const OperationKey& key, const Value& value) { return put(key, value, PutOptions()); }
  Status put(const OperationKey& key, const Volume& volume) {
    return put(key, volume, PutOptions());
  }
  // Under recipe.build(), recording the recipe as the entry's lineage.
  Status put(const KeyBuilder& recipe, const Value& value, PutOptions options = PutOptions()) {
    options.recipe = &recipe;
    return put(recipe.build(), value, options);
  }

  // The stored value; NotFound on a miss. Corruption when any check fails.
  virtual Result<Value> get(const OperationKey& key) = 0;

  virtual Result<bool> contains(const OperationKey& key) = 0;

  // Removes the entry; NotFound when there was none.
  virtual Status erase(const OperationKey& key) = 0;

  // Memoization: returns the stored value, or on a miss calls `compute`,
  // stores what it returns (with `options`) and returns it. A failed
  // computation is returned as is and nothing is stored. A stored entry that
  // fails its checks is reported as Corruption, not recomputed silently.
  // A computed value is returned even when storing it fails (a full disk, a
  // read-only cache): the work is not thrown away. The store's outcome goes to
  // `*store_status` when given (OK also on a hit), so the failure stays visible.
  virtual Result<Value> get_or_compute(const OperationKey& key,
                                       const std::function<Result<Value>()>& compute,
                                       const PutOptions& options, Status* store_status) = 0;
  Result<Value> get_or_compute(const OperationKey& key,
                               const std::function<Result<Value>()>& compute) {
    return get_or_compute(key, compute, PutOptions(), nullptr);
  }
  Result<Value> get_or_compute(const OperationKey& key,
                               const std::function<Result<Value>()>& compute,
                               const PutOptions& options) {
    return get_or_compute(key, compute, options, nullptr);
  }
  // get_or_compute under recipe.build(), recording the recipe as lineage.
  Result<Value> get_or_compute(const KeyBuilder& recipe,
                               const std::function<Result<Value>()>& compute,
                               PutOptions options = PutOptions(), Status* store_status = nullptr) {
    options.recipe = &recipe;
    return get_or_compute(recipe.build(), compute, options, store_status);
  }

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
  // layout or options; for a key already present the writer accepts and
  // discards the voxels and commit() succeeds, as put() does. In bricks,
  // voxels still arrive in volume order; bricks are gathered a row of them at
  // a time (ChunkLayout).
  virtual Result<std::unique_ptr<VolumeWriter>> write_volume(const OperationKey& key,
                                                             const VolumeLayout& layout,
                                                             const PutOptions& options) = 0;
  Result<std::unique_ptr<VolumeWriter>> write_volume(const OperationKey& key,
                                                     const VolumeLayout& layout) {
    return write_volume(key, layout, PutOptions());
  }
  // Streams a stored volume out; NotFound on a miss.
  virtual Result<std::unique_ptr<VolumeReader>> read_volume(const OperationKey& key) = 0;

  // This handle's hits, misses and memory tier since it was opened.
  virtual CacheStats stats() const = 0;

  virtual const std::string& path() const = 0;

  // --- looking after the cache ------------------------------------------------

  // gc, clear, verify, recompress, vacuum, listing, pinning, stored config
  // and statistics, and the remote's push and pull (voxcache/admin.h). Valid
  // as long as this Cache; as safe to share between threads as the Cache.
  virtual Admin& admin() = 0;

  // --- deprecated: the calls of voxcache 0.1, kept for one release ------------
  //
  // Each forwards to its replacement, which its message names.

  [[deprecated("use put(key, value, PutOptions{metadata})")]] Status put(
      const OperationKey& key, const Value& value, std::string_view metadata_json) {
    return put(key, value, with_metadata(metadata_json));
  }
  [[deprecated("use put(key, volume, PutOptions{metadata})")]] Status put(
      const OperationKey& key, const Volume& volume, std::string_view metadata_json) {
    return put(key, volume, with_metadata(metadata_json));
  }
  [[deprecated("use put(key, volume, PutOptions{metadata, layout})")]] Status put(
      const OperationKey& key, const Volume& volume, const ChunkLayout& layout,
      std::string_view metadata_json = {}) {
    PutOptions o = with_metadata(metadata_json);
    o.layout = layout;
    return put(key, volume, o);
  }
  [[deprecated("use put(recipe, value, PutOptions{metadata})")]] Status put(
      const KeyBuilder& recipe, const Value& value, std::string_view metadata_json) {
    return put(recipe, value, with_metadata(metadata_json));
  }
  [[deprecated(
      "use get_or_compute(key, compute, PutOptions{metadata}, store_status)")]] Result<Value>
  get_or_compute(const OperationKey& key, const std::function<Result<Value>()>& compute,
                 std::string_view metadata_json, Status* store_status = nullptr) {
    return get_or_compute(key, compute, with_metadata(metadata_json), store_status);
  }
  [[deprecated(
      "use get_or_compute(recipe, compute, PutOptions{metadata}, store_status)")]] Result<Value>
  get_or_compute(const KeyBuilder& recipe, const std::function<Result<Value>()>& compute,
                 std::string_view metadata_json, Status* store_status = nullptr) {
    return get_or_compute(recipe, compute, with_metadata(metadata_json), store_status);
  }
  [[deprecated(
      "use write_volume(key, layout, PutOptions{metadata})")]] Result<std::unique_ptr<VolumeWriter>>
  write_volume(const OperationKey& key, const VolumeLayout& layout,
               std::string_view metadata_json) {
    return write_volume(key, layout, with_metadata(metadata_json));
  }
  [[deprecated("use write_volume(key, layout, PutOptions{metadata, chunks})")]] Result<
      std::unique_ptr<VolumeWriter>>
  write_volume(const OperationKey& key, const VolumeLayout& layout, const ChunkLayout& chunks,
               std::string_view metadata_json = {}) {
    PutOptions o = with_metadata(metadata_json);
    o.layout = chunks;
    return write_volume(key, layout, o);
  }
  [[deprecated("use admin().push(key)")]] Status push(const OperationKey& key) {
    return admin().push(key);
  }
  [[deprecated("use admin().pull(key)")]] Status pull(const OperationKey& key) {
    return admin().pull(key);
  }
  [[deprecated("use admin().remote_stats()")]] Result<RemoteStats> remote_stats() {
    return admin().remote_stats();
  }
  [[deprecated("use admin().pin(key) or admin().unpin(key)")]] Status pin(const OperationKey& key,
                                                                          bool pinned = true) {
    return pinned ? admin().pin(key) : admin().unpin(key);
  }
  [[deprecated("use admin().gc(limits)")]] Result<GcReport> gc(const Limits& limits) {
    return admin().gc(limits);
  }
  [[deprecated("use admin().clear(keep_pinned)")]] Result<GcReport> clear(bool keep_pinned) {
    return admin().clear(keep_pinned);
  }
  [[deprecated("use admin().stored_config()")]] Result<StoredConfig> stored_config() {
    return admin().stored_config();
  }
  [[deprecated("use admin().set_stored_config(config)")]] Status set_stored_config(
      const StoredConfig& config) {
    return admin().set_stored_config(config);
  }
  [[deprecated("use admin().stored_stats()")]] Result<StoredStats> stored_stats() {
    return admin().stored_stats();
  }
  [[deprecated("use admin().zero_stats()")]] Status zero_stats() { return admin().zero_stats(); }
  [[deprecated("use admin().verify(key)")]] Status verify(const OperationKey& key) {
    return admin().verify(key);
  }
  [[deprecated("use admin().recompress(key, RecompressOptions{level})")]] Result<RecompressReport>
  recompress(const OperationKey& key, int level) {
    return admin().recompress(key, RecompressOptions{level, std::nullopt});
  }
  [[deprecated(
      "use admin().recompress(key, RecompressOptions{level, layout})")]] Result<RecompressReport>
  recompress(const OperationKey& key, int level, const ChunkLayout& layout) {
    return admin().recompress(key, RecompressOptions{level, layout});
  }
  [[deprecated("use admin().vacuum()")]] Status vacuum() { return admin().vacuum(); }
  [[deprecated("use admin().list()")]] Result<std::vector<EntryInfo>> list() {
    return admin().list();
  }
  [[deprecated("use admin().resolve_prefix(hex_prefix)")]] Result<OperationKey> resolve_prefix(
      std::string_view hex_prefix) {
    return admin().resolve_prefix(hex_prefix);
  }

 protected:
  Cache() = default;

 private:
  static PutOptions with_metadata(std::string_view metadata_json) {
    PutOptions o;
    o.metadata_json = std::string(metadata_json);
    return o;
  }
};

}  // namespace voxcache

#endif  // VOXCACHE_CACHE_H_
