// SingleFlight: one computation per missing key. Threads of a process wait on
// an in-process flight; processes (and, through another ClaimTable, machines)
// take a claim whose lease a thread renews while the computation runs. A
// claim not renewed for a lease is taken over; a waiter gives up with Busy
// after the wait timeout (docs/reliability.md).
//
// It knows neither tiers nor values' encoding: the facade hands it the
// lookup and the compute-and-store steps.

#ifndef VOXCACHE_CACHE_SINGLE_FLIGHT_H_
#define VOXCACHE_CACHE_SINGLE_FLIGHT_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "store/catalog.h"
#include "util/env.h"
#include "voxcache/key.h"
#include "voxcache/value.h"

namespace voxcache::cache {

// Where claims live. Times are the Env's wall clock, in ms.
class ClaimTable {
 public:
  virtual ~ClaimTable() = default;
  // Takes the claim on `id` when nobody holds it or its lease ran out; true
  // when `me` holds it now. *holder receives the holder's name either way.
  virtual Result<bool> try_claim(const std::string& id, const std::string& me, int64_t now_ms,
                                 int64_t lease_ms, std::string* holder) = 0;
  // Extends our claim; OK also when it is no longer ours.
  virtual Status renew(const std::string& id, const std::string& me, int64_t expires_at_ms) = 0;
  virtual Status release(const std::string& id, const std::string& me) = 0;
};

// Claims in the local database's `claims` table (docs/format.md).
class LocalClaims final : public ClaimTable {
 public:
  explicit LocalClaims(store::Catalog* catalog) : catalog_(catalog) {}
  Result<bool> try_claim(const std::string& id, const std::string& me, int64_t now_ms,
                         int64_t lease_ms, std::string* holder) override;
  Status renew(const std::string& id, const std::string& me, int64_t expires_at_ms) override;
  Status release(const std::string& id, const std::string& me) override;

 private:
  store::Catalog* catalog_;
};

class SingleFlight {
 public:
  SingleFlight(ClaimTable* claims, util::Env* env, std::chrono::milliseconds lease,
               std::chrono::milliseconds wait_timeout)
      : claims_(claims),
        env_(env),
        lease_(lease),
        wait_timeout_(wait_timeout),
        owner_(env->unique_owner_name()) {}

  using Step = std::function<Result<Value>()>;
  // Returns what `lookup` finds (anything but NotFound ends the call);
  // otherwise, holding the key's flight and claim, looks up once more (the
  // previous holder may just have stored it) and runs `compute_and_store`.
  Result<Value> run(const OperationKey& key, const Step& lookup, const Step& compute_and_store);

  // This process's name in claims.
  const std::string& owner() const { return owner_; }

 private:
  struct Flight;
  class FlightGuard;
  class ClaimGuard;

  ClaimTable* const claims_;
  util::Env* const env_;
  const std::chrono::milliseconds lease_;
  const std::chrono::milliseconds wait_timeout_;
  const std::string owner_;
  std::mutex mu_;
  std::unordered_map<OperationKey, std::shared_ptr<Flight>> flights_;
};

}  // namespace voxcache::cache

#endif  // VOXCACHE_CACHE_SINGLE_FLIGHT_H_
