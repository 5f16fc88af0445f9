#include "cache/limits.h"

#include <algorithm>
#include <climits>
#include <filesystem>
#include <vector>

#include "store/entry_store.h"
#include "store/replacements.h"
#include "store/stats.h"

namespace voxcache::cache {

uint64_t LimitKeeper::target(uint64_t limit) {
  // Rounded down, so the next puts do not each evict again; a limit of 1
  // stays 1.
  return limit ? std::max<uint64_t>(1, limit - (limit + 9) / 10) : 0;
}

Status LimitKeeper::after_put() {
  bound_wal();
  return enforce();
}

Status LimitKeeper::enforce() {
  if (!options_.max_bytes && !options_.max_entries && options_.max_age.count() == 0) {
    return Status::OK();
  }
  bool over = false;
  const int64_t now = catalog_->env()->now_ms();
  Status s = catalog_->read([&](store::Database* db) {
    Result<store::Totals> t = store::totals(db);
    if (!t.ok()) return t.status();
    over = (options_.max_bytes && static_cast<uint64_t>(t->stored_bytes) > options_.max_bytes) ||
           (options_.max_entries && static_cast<uint64_t>(t->entries) > options_.max_entries);
    if (over || options_.max_age.count() == 0) return Status::OK();
    Result<std::optional<int64_t>> oldest = store::oldest_unpinned_access(db);
    if (!oldest.ok()) return oldest.status();
    over = *oldest && **oldest < now - options_.max_age.count() * 1000;
    return Status::OK();
  });
  if (!s.ok() || !over) return s;
  const Limits to{target(options_.max_bytes), target(options_.max_entries), options_.max_age};
  Result<GcReport> r = evict(to);
  return r.ok() ? Status::OK() : r.status().with_context("evicting to the cache's limits");
}

Result<GcReport> LimitKeeper::evict(const Limits& limits) {
  usage_->flush();
  GcReport report;
  const int64_t cutoff = limits.max_age.count() > 0
                             ? catalog_->env()->now_ms() - limits.max_age.count() * 1000
                             : INT64_MIN;
  Status s = catalog_->write_freeing("evict", [&](store::Database* db) {
    Result<store::Totals> t = store::totals(db);
    if (!t.ok()) return t.status();
    uint64_t bytes = static_cast<uint64_t>(t->stored_bytes);
    uint64_t entries = static_cast<uint64_t>(t->entries);
    std::vector<store::LruEntry> victims;
    Status st = store::for_each_lru(db, [&](const store::LruEntry& e) {
      const bool over = (limits.max_bytes && bytes > limits.max_bytes) ||
                        (limits.max_entries && entries > limits.max_entries) ||
                        e.last_access_ms < cutoff;
      if (!over) return false;  // the rest are more recently used
      victims.push_back(e);
      // Sizes are a row's word: never below 0, never more than is counted.
      const uint64_t size = static_cast<uint64_t>(std::max<int64_t>(e.size_bytes, 0));
      bytes = --entries == 0 || bytes < size ? 0 : bytes - size;
      return true;
    });
    if (!st.ok()) return st;
    report = GcReport();
    st = remove(db, victims, &report);
    report.entries_left = entries;
    report.bytes_left = bytes;
    // Only pinned entries can be left over a size or count limit.
    report.limits_met = !(limits.max_bytes && bytes > limits.max_bytes) &&
                        !(limits.max_entries && entries > limits.max_entries);
    return st;
  });
  if (!s.ok()) return s;
  for (const OperationKey& k : report.removed) evicted_(k);
  return report;
}

Result<GcReport> LimitKeeper::clear(bool keep_pinned) {
  usage_->flush();
  GcReport report;
  Status s = catalog_->write_freeing("clear", [&](store::Database* db) {
    Result<std::vector<store::LruEntry>> gone = store::delete_all_entries(db, keep_pinned);
    if (!gone.ok()) return gone.status();
    if (!gone->empty()) {
      // Puts of other values may follow: no memory tier may keep these.
      Status st = store::note_replacement(db);
      if (!st.ok()) return st;
    }
    report = GcReport();
    for (const store::LruEntry& e : *gone) {
      Status st = record_eviction(db, e, &report);
      if (!st.ok()) return st;
    }
    Result<store::Totals> t = store::totals(db);
    if (!t.ok()) return t.status();
    report.entries_left = static_cast<uint64_t>(t->entries);
    report.bytes_left = static_cast<uint64_t>(t->stored_bytes);
    return Status::OK();
  });
  if (!s.ok()) return s;
  for (const OperationKey& k : report.removed) evicted_(k);
  return report;
}

Status LimitKeeper::remove(store::Database* db, const std::vector<store::LruEntry>& victims,
                           GcReport* report) {
  for (const store::LruEntry& e : victims) {
    Result<bool> gone = store::delete_entry(db, e.operation_id);
    Status st = gone.ok() ? record_eviction(db, e, report) : gone.status();
    if (!st.ok()) return st;
  }
  return Status::OK();
}

Status LimitKeeper::record_eviction(store::Database* db, const store::LruEntry& e,
                                    GcReport* report) {
  Status st = store::add_counter(db, "evictions", "", 1);
  if (st.ok()) st = store::add_counter(db, "evictions", e.data_type, 1);
  if (!st.ok()) return st;
  Result<OperationKey> k = OperationKey::FromHex(e.operation_id);
  if (k.ok()) report->removed.push_back(*k);
  report->freed_bytes += static_cast<uint64_t>(e.size_bytes);
  return Status::OK();
}

// SQLite checkpoints after commits on its own (PASSIVE, every 1000 pages),
// but a checkpoint cannot start the log over while a reader still uses its
// end, so under a continuous mix of readers and writers the file only grows.
// Past the limit, a RESTART checkpoint waits (busy handler, up to
// busy_timeout) for those readers to move on, then the log starts over and
// journal_size_limit truncates it. A reader that never ends (a VolumeReader
// kept open) still holds the log at its snapshot; that is documented.
void LimitKeeper::bound_wal() {
  if (options_.wal_limit_bytes == 0) return;
  std::error_code ec;
  const uint64_t wal = std::filesystem::file_size(catalog_->path() + "-wal", ec);
  if (ec || wal <= options_.wal_limit_bytes) return;
  (void)catalog_->checkpoint("RESTART");  // Busy: the next put retries
}

}  // namespace voxcache::cache
