#include "util/thread_pool.h"

#include <algorithm>
#include <atomic>

namespace voxcache::util {

struct ThreadPool::Job {
  const std::function<void(size_t)>* fn;
  size_t n;
  std::atomic<size_t> next{0};
  std::atomic<size_t> done{0};
  // Workers holding a pointer to this job. The caller's Job lives on its
  // stack, so it may return only when no worker can still touch it.
  std::atomic<int> users{0};
  std::mutex mu;
  std::condition_variable finished;
};

ThreadPool::ThreadPool(unsigned threads) {
  for (unsigned i = 1; i < std::max(1u, threads); ++i) workers_.emplace_back([this] { work(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : workers_) t.join();
}

// Runs one index of `job`; false when none is left to hand out.
bool ThreadPool::run_one(Job* job) {
  const size_t i = job->next.fetch_add(1);
  if (i >= job->n) return false;
  (*job->fn)(i);
  if (job->done.fetch_add(1) + 1 == job->n) {
    std::lock_guard<std::mutex> lock(job->mu);
    job->finished.notify_all();
  }
  return true;
}

void ThreadPool::work() {
  for (;;) {
    Job* job = nullptr;
    {
      std::unique_lock<std::mutex> lock(mu_);
      for (;;) {
        if (stop_) return;
        while (!jobs_.empty() && jobs_.front()->next.load() >= jobs_.front()->n) {
          jobs_.erase(jobs_.begin());  // all handed out; its caller waits for the rest
        }
        if (!jobs_.empty()) break;
        cv_.wait(lock);
      }
      job = jobs_.front();
      ++job->users;  // under mu_: the caller unqueues the job under mu_ before it waits
    }
    while (run_one(job)) {
    }
    std::lock_guard<std::mutex> lock(job->mu);
    --job->users;
    job->finished.notify_all();
  }
}

void ThreadPool::parallel_for(size_t n, const std::function<void(size_t)>& fn) {
  if (n == 0) return;
  if (workers_.empty() || n == 1) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  Job job;
  job.fn = &fn;
  job.n = n;
  {
    std::lock_guard<std::mutex> lock(mu_);
    jobs_.push_back(&job);
  }
  cv_.notify_all();
  while (run_one(&job)) {
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    jobs_.erase(std::remove(jobs_.begin(), jobs_.end(), &job), jobs_.end());
  }
  std::unique_lock<std::mutex> lock(job.mu);
  job.finished.wait(lock, [&] { return job.done.load() == job.n && job.users.load() == 0; });
}

}  // namespace voxcache::util
