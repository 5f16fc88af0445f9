// UsageRecorder: what the database records about use (last access and access
// count per entry, counters per data type), batched so that a get costs no
// write of its own. Records go out every 256 gets or 2 seconds of the Env's
// steady clock, on flush(), and at destruction. Thread-safe.

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
  // Records nothing for a read-only catalog: reading must not write.
  explicit UsageRecorder(store::Catalog* catalog);
  ~UsageRecorder() { flush(); }

  // Adds `delta` to counter `name`, in total and for `data_type` (when not empty).
  void count(const std::string& name, const std::string& data_type, int64_t delta);
  // A get served by `hit` ("hits_memory", "hits_disk") that read `bytes_read`.
  void note_access(const OperationKey& key, const std::string& data_type, const char* hit,
                   int64_t bytes_read);
  void note_put(const std::string& data_type, uint64_t stored_bytes);

  // Writes pending records when a batch is due.
  void maybe_flush();
  // Best effort: records that cannot be written now (a busy database, a
  // failed write) are kept for the next flush; a failure never fails the
  // caller's operation.
  void flush();
  // Drops counters not yet written (zeroing the stored ones is the caller's).
  void forget_counters();

  // Batching thresholds.
  static constexpr size_t kMaxPendingEntries = 256;
  static constexpr std::chrono::seconds kMaxDelay{2};

 private:
  struct Pending {
    int64_t at_ms = 0;
    int64_t count = 0;
  };
  using Counters = std::map<std::pair<std::string, std::string>, int64_t>;
  using Accesses = std::unordered_map<OperationKey, Pending>;
  Status write(const Accesses& access, const Counters& counters);

  store::Catalog* const catalog_;
  const bool enabled_;
  std::mutex mu_;
  Accesses pending_access_;
  Counters pending_counters_;
  util::Env::SteadyTime last_flush_;
};

}  // namespace voxcache::cache

#endif  // VOXCACHE_CACHE_USAGE_RECORDER_H_
