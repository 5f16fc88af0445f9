// Remote: the shared remote tier as the cache uses it. A RedisTier behind a
// circuit breaker (after an error the remote is left alone for
// remote_retry_after, so a dead server costs one timeout, not one per get),
// counters of hits, misses, errors and bytes, write-through pushes, claims
// in Redis for single flight across machines, and what `voxcache remote
// stats` shows. Thread-safe.

#ifndef VOXCACHE_CACHE_REMOTE_H_
#define VOXCACHE_CACHE_REMOTE_H_

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "cache/single_flight.h"
#include "cache/usage_recorder.h"
#include "tier/redis_client.h"
#include "tier/redis_tier.h"
#include "util/env.h"
#include "voxcache/options.h"
#include "voxcache/records.h"

namespace voxcache::cache {

class Remote {
 public:
  // The remote named by options.remote, else $VOXCACHE_REMOTE; nullptr when
  // neither names one. InvalidArgument for a malformed URL. A server that is
  // down or refuses the credentials does not fail this: status() says why
  // the remote is not in use, and the local cache works on.
  static Result<std::unique_ptr<Remote>> Open(const Options& options, util::Env* env,
                                              UsageRecorder* usage);

  // The tier to stack below the local one. Its calls fail fast with IOError
  // while the breaker is open; every failure is counted and opens it.
  tier::Tier* tier() { return guarded_.get(); }
  // Claims in Redis, or in `local` while Redis cannot be reached.
  ClaimTable* claims(ClaimTable* local);

  bool read_only() const { return read_only_; }
  // Pushes one locally stored entry (write-through). Errors are counted and
  // returned; the caller's put does not fail on them.
  Status push(tier::EntrySource* local_entry);

  // Called by the cache for a get the remote served.
  void count_hit(const std::string& data_type, uint64_t stored_bytes);
  void fill(CacheStats* stats) const;
  Result<RemoteStats> stats();

 private:
  // Runs `op` unless the breaker is open or the remote is disabled; counts
  // and remembers a failure, and disables the remote on a refused login.
  template <typename T, typename Op>
  Result<T> guard(Op op);
  Remote(tier::RedisAddress address, const Options& options, util::Env* env, UsageRecorder* usage);
  Status available();
  void failed(const Status& s);
  class GuardedTier;
  class GuardedSource;
  class GuardedClaims;
  class LayeredClaims;

  const tier::RedisAddress address_;
  util::Env* const env_;
  UsageRecorder* const usage_;
  const bool read_only_;
  const std::chrono::milliseconds retry_after_;
  const int64_t lease_ms_;  // claim lease, for renewals
  tier::RedisPool pool_;
  tier::RedisTier redis_;
  std::unique_ptr<tier::Tier> guarded_;
  std::unique_ptr<ClaimTable> redis_claims_, layered_claims_;

  mutable std::mutex mu_;
  Status last_error_;
  Status last_push_error_;  // the latest failed write-through push, kept for stats
  bool disabled_ = false;   // a refused login: no retry will help
  util::Env::SteadyTime down_until_{};
  std::atomic<uint64_t> hits_{0}, misses_{0}, errors_{0}, bytes_read_{0}, bytes_written_{0},
      push_failures_{0};
};

}  // namespace voxcache::cache

#endif  // VOXCACHE_CACHE_REMOTE_H_
