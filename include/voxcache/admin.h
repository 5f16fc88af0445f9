// Admin: the calls for people looking after a cache rather than for a
// pipeline: eviction, verification, re-encoding, listing, pinning, the
// database's stored configuration and statistics, and the remote's push and
// pull. Reach it through Cache::admin():
//
//   voxcache::Admin& admin = cache->admin();
//   Result<GcReport> report = admin.gc(Limits{10ull << 30, 0, {}});
//
// The handle belongs to its Cache and lives as long as it; it is as safe to
// use from many threads as the Cache is. Keeping these calls out of Cache
// keeps the data path, the calls a pipeline makes, one screen long
// (leveldb's DB has ten).

#ifndef VOXCACHE_ADMIN_H_
#define VOXCACHE_ADMIN_H_

#include <string_view>
#include <vector>

#include "voxcache/export.h"
#include "voxcache/key.h"
#include "voxcache/options.h"
#include "voxcache/records.h"
#include "voxcache/status.h"

namespace voxcache {

class VOXCACHE_EXPORT Admin {
 public:
  Admin(const Admin&) = delete;
  Admin& operator=(const Admin&) = delete;
  virtual ~Admin();

  // --- eviction ---------------------------------------------------------------

  // Pinned entries are never evicted (gc and automatic limits skip them).
  // NotFound for a key that is not stored.
  virtual Status pin(const OperationKey& key) = 0;
  virtual Status unpin(const OperationKey& key) = 0;

  // Evicts least recently used, unpinned entries until every limit holds
  // (or until only pinned entries are left: see GcReport::limits_met).
  virtual Result<GcReport> gc(const Limits& limits) = 0;

  // Removes every entry, or every unpinned one with `keep_pinned`.
  virtual Result<GcReport> clear(bool keep_pinned) = 0;

  // --- checking and re-encoding -------------------------------------------------

  // Reads every chunk of the entry and checks every checksum, whatever
  // Options::verify_checksums says. OK, NotFound, or Corruption naming the chunk.
  virtual Status verify(const OperationKey& key) = 0;

  // Re-encodes the entry as `options` say (an entry already at that level
  // and in that layout is left alone). The old and the new form swap in one
  // transaction: a crash leaves one or the other. Lineage, pinning, metadata,
  // times and statistics are kept. Holds the decoded value in memory.
  virtual Result<RecompressReport> recompress(const OperationKey& key,
                                              const RecompressOptions& options) = 0;

  // Checkpoints the WAL into the database file, truncates it, and rebuilds
  // the file to give freed pages back to the file system.
  virtual Status vacuum() = 0;

  // --- finding entries ----------------------------------------------------------

  // Every entry, newest first. An entry whose header is damaged is listed
  // too, with EntryInfo::problem saying why: one bad entry never hides the
  // others (verify and erase it by its key).
  virtual Result<std::vector<EntryInfo>> list() = 0;

  // The one key starting with `hex_prefix` (at least 8 hex digits).
  // NotFound when none does, InvalidArgument when several do or the prefix is
  // malformed.
  virtual Result<OperationKey> resolve_prefix(std::string_view hex_prefix) = 0;

  // --- the database's own records -----------------------------------------------

  // The stored configuration; set_stored_config replaces all of it (an unset
  // field is removed). Caches opened afterwards honour it.
  virtual Result<StoredConfig> stored_config() = 0;
  virtual Status set_stored_config(const StoredConfig& config) = 0;

  // Totals, per-type breakdown and the persistent counters, this process's
  // recent use included.
  virtual Result<StoredStats> stored_stats() = 0;
  virtual Status zero_stats() = 0;

  // --- the remote tier (Options::remote) ----------------------------------------

  // Copies the local entry to the remote (seeding a cluster's cache), or the
  // remote entry into the local database (warming a node). NotFound when the
  // side copied from lacks it or no remote is configured; IOError when the
  // remote cannot be reached.
  virtual Status push(const OperationKey& key) = 0;
  virtual Status pull(const OperationKey& key) = 0;
  // NotFound when no remote is configured.
  virtual Result<RemoteStats> remote_stats() = 0;

 protected:
  Admin() = default;
};

}  // namespace voxcache

#endif  // VOXCACHE_ADMIN_H_
