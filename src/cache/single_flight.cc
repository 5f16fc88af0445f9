#include "cache/single_flight.h"

#include <algorithm>
#include <thread>

#include "store/entry_store.h"

namespace voxcache::cache {

// One computation of a key in this process; its followers wait on it.
struct SingleFlight::Flight {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
};

// Ends a Flight: forgets it and wakes its followers, whatever happened.
class SingleFlight::FlightGuard {
 public:
  FlightGuard(SingleFlight* sf, const OperationKey& key, std::shared_ptr<Flight> f)
      : sf_(sf), key_(key), f_(std::move(f)) {}
  ~FlightGuard() {
    {
      std::lock_guard<std::mutex> lock(sf_->mu_);
      sf_->flights_.erase(key_);
    }
    std::lock_guard<std::mutex> lock(f_->mu);
    f_->done = true;
    f_->cv.notify_all();
  }

 private:
  SingleFlight* sf_;
  OperationKey key_;
  std::shared_ptr<Flight> f_;
};

// Holds a claim: renews its lease from a thread every lease / 3 while the
// computation runs, and releases it at the end, also when the computation
// fails or throws. Renewal runs on real time: a lease is a promise to other
// processes, whose clocks the Env does not move.
class SingleFlight::ClaimGuard {
 public:
  ClaimGuard(SingleFlight* sf, std::string id) : sf_(sf), id_(std::move(id)) {
    renewer_ = std::thread([this] {
      std::unique_lock<std::mutex> lock(mu_);
      const auto every = std::max(std::chrono::milliseconds(1), sf_->lease_ / 3);
      while (!cv_.wait_for(lock, every, [this] { return stop_; })) {
        lock.unlock();
        (void)sf_->claims_->renew(id_, sf_->owner_, sf_->env_->now_ms() + sf_->lease_.count());
        lock.lock();
      }
    });
  }
  ~ClaimGuard() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    renewer_.join();
    // If this fails the lease runs out and another process takes over.
    (void)sf_->claims_->release(id_, sf_->owner_);
  }

 private:
  SingleFlight* sf_;
  std::string id_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread renewer_;
};

Result<Value> SingleFlight::run(const OperationKey& key, const Step& lookup,
                                const Step& compute_and_store) {
  const auto deadline = env_->steady_now() + wait_timeout_;
  auto waited_too_long = [&](const std::string& holder) {
    return Status::Busy("gave up after " + std::to_string(wait_timeout_.count()) +
                        " ms waiting for " + holder + " to compute " + key.hex());
  };
  std::chrono::milliseconds backoff{5};
  for (;;) {
    Result<Value> cached = lookup();
    if (cached.ok() || !cached.status().is_not_found()) return cached;

    std::shared_ptr<Flight> flight;
    bool leader = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      std::shared_ptr<Flight>& f = flights_[key];
      if (!f) {
        f = std::make_shared<Flight>();
        leader = true;
      }
      flight = f;
    }
    if (!leader) {  // another thread of ours computes or waits for it: wait for that thread
      std::unique_lock<std::mutex> lock(flight->mu);
      // In slices, so that the deadline is the Env's.
      while (!flight->done) {
        if (env_->steady_now() >= deadline) return waited_too_long("another thread");
        flight->cv.wait_for(lock, std::chrono::milliseconds(50));
      }
      continue;
    }
    FlightGuard flight_guard(this, key, flight);
    std::string holder;
    Result<bool> claimed =
        claims_->try_claim(key.hex(), owner_, env_->now_ms(), lease_.count(), &holder);
    if (!claimed.ok()) return claimed.status().with_context("claiming " + key.hex());
    if (!*claimed) {  // another process computes it: poll, backing off
      if (env_->steady_now() + backoff > deadline) return waited_too_long(holder);
      env_->sleep_for(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds(250));
      continue;
    }
    ClaimGuard claim_guard(this, key.hex());
    Result<Value> again = lookup();
    if (again.ok() || !again.status().is_not_found()) return again;
    return compute_and_store();
  }
}

}  // namespace voxcache::cache
