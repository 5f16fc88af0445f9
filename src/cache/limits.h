// LimitKeeper: the cache's size limits. Checks them after each put against
// totals that SQLite triggers keep (one row read), evicts the least recently
// used unpinned entries down to 90% of each limit, runs gc() with explicit
// limits, and keeps the write-ahead log bounded.

#ifndef VOXCACHE_CACHE_LIMITS_H_
#define VOXCACHE_CACHE_LIMITS_H_

#include <cstdint>
#include <functional>
#include <vector>

#include "cache/usage_recorder.h"
#include "store/catalog.h"
#include "store/entry_store.h"
#include "voxcache/options.h"
#include "voxcache/records.h"

namespace voxcache::cache {

class LimitKeeper {
 public:
  // `usage` is flushed before evicting (recent gets count as use);
  // `evicted` hears of every key that goes.
  LimitKeeper(store::Catalog* catalog, const Options& options, UsageRecorder* usage,
              std::function<void(const OperationKey&)> evicted)
      : catalog_(catalog), options_(options), usage_(usage), evicted_(std::move(evicted)) {}

  // After a put: bounds the WAL, then enforces the options' limits.
  Status after_put();

  // Evicts least recently used, unpinned entries until every limit holds,
  // in one write transaction.
  Result<GcReport> evict(const Limits& limits);

  // Removes every entry, or every unpinned one, counted as evictions.
  Result<GcReport> clear(bool keep_pinned);

  // The 90% a limit is evicted down to (never 0, which means "no limit").
  static uint64_t target(uint64_t limit);

 private:
  Status enforce();
  void bound_wal();
  // Deletes `victims` and records them in `report`, inside the caller's write.
  Status remove(store::Database* db, const std::vector<store::LruEntry>& victims, GcReport* report);
  Status record_eviction(store::Database* db, const store::LruEntry& e, GcReport* report);

  store::Catalog* const catalog_;
  const Options& options_;
  UsageRecorder* const usage_;
  const std::function<void(const OperationKey&)> evicted_;
};

}  // namespace voxcache::cache

#endif  // VOXCACHE_CACHE_LIMITS_H_
