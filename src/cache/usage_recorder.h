// UsageRecorder: what the database records about use (last access and access
// count per entry, counters per data type), batched so that a get costs no
// write of its own. Thread-safe.
//
// Last access is kept to within kAccessResolution: a get of an entry whose
// recorded last access is that recent makes its row no older than LRU needs,
// so its record waits in memory (its count growing) instead of rewriting a
// random page of a large table per get. Records that are due (older, or of
// unknown age) and the counters go out every 256 due entries or 2 seconds of
// the Env's steady clock; everything goes out on flush(), at destruction, and
// when kMaxPendingKeys entries wait.

#ifndef VOXCACHE_CACHE_USAGE_RECORDER_H_
#define VOXCACHE_CACHE_USAGE_RECORDER_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <unordered_map>
#include <utility>

#include "store/catalog.h"
#include "voxcache/key.h"

namespace voxcache::cache {

class UsageRecorder {
 public:
  // Records nothing for a read-only catalog: reading must not write. With
  // `record_reads` false (Options::record_reads), gets and misses are not
  // recorded either; puts and evictions still are.
  UsageRecorder(store::Catalog* catalog, bool record_reads);
  ~UsageRecorder() { flush(); }

  // Adds `delta` to counter `name`, in total and for `data_type` (when not empty).
  void count(const std::string& name, const std::string& data_type, int64_t delta);
  // A lookup that found nothing (the "misses" counter).
  void note_miss() {
    if (record_reads_) count("misses", "", 1);
  }
  // A get served by `hit` ("hits_memory", "hits_disk") that read `bytes_read`.
  // `recorded_ms` is the entry's last access as the database holds it (0:
  // unknown).
  void note_access(const OperationKey& key, const std::string& data_type, const char* hit,
                   int64_t bytes_read, int64_t recorded_ms = 0);
  void note_put(const std::string& data_type, uint64_t stored_bytes);

  // Writes the due records and counters when a batch is due.
  void maybe_flush();
  // Best effort: records that cannot be written now (a busy database, a
  // failed write) are kept for the next flush; a failure never fails the
  // caller's operation.
  void flush();
  // Drops counters not yet written (zeroing the stored ones is the caller's).
  void forget_counters();

  // Batching thresholds.
  static constexpr size_t kMaxDueEntries = 256;
  static constexpr std::chrono::seconds kMaxDelay{2};
  static constexpr int64_t kAccessResolutionMs = 60'000;
  static constexpr size_t kMaxPendingKeys = 65'536;  // ~6 MiB

 private:
  struct Pending {
    int64_t at_ms = 0;
    int64_t count = 0;
    int64_t recorded_ms = 0;  // the database's last access, 0: unknown
    bool due() const { return recorded_ms == 0 || at_ms - recorded_ms >= kAccessResolutionMs; }
  };
  using Counters = std::map<std::pair<std::string, std::string>, int64_t>;
  using Accesses = std::unordered_map<OperationKey, Pending>;
  // Takes the records to write (all, or the due ones) out of the pending
  // ones; writes them; puts them back when the write fails.
  void flush_pending(bool all);
  Status write(const Accesses& access, const Counters& counters);

  store::Catalog* const catalog_;
  const bool enabled_;
  const bool record_reads_;
  std::mutex mu_;
  Accesses pending_access_;
  Counters pending_counters_;
  size_t due_ = 0;  // pending records that are due
  util::Env::SteadyTime last_flush_;
};

}  // namespace voxcache::cache

#endif  // VOXCACHE_CACHE_USAGE_RECORDER_H_
