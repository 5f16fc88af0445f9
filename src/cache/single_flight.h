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
#include "tier/claims.h"
#include "util/env.h"
#include "voxcache/key.h"
#include "voxcache/value.h"

namespace voxcache::cache {

using tier::ClaimTable;
using tier::LocalClaims;

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
