// A fixed pool of worker threads for chunk compression and decompression.
// One per Cache: no thread is created per call.

#ifndef VOXCACHE_UTIL_THREAD_POOL_H_
#define VOXCACHE_UTIL_THREAD_POOL_H_

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace voxcache::util {

class ThreadPool {
 public:
  // `threads` is the total parallelism including the calling thread, so 1
  // starts no worker and runs everything inline.
  explicit ThreadPool(unsigned threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  unsigned size() const { return static_cast<unsigned>(workers_.size()) + 1; }

  // Calls fn(i) for i in [0, n), spread over the workers and the caller, and
  // returns when all calls have returned. Safe to call from several threads
  // at once; the calls then share the workers.
  void parallel_for(size_t n, const std::function<void(size_t)>& fn);

 private:
  struct Job;
  void work();
  static bool run_one(Job* job);

  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<Job*> jobs_;  // jobs with indices left to hand out
  bool stop_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace voxcache::util

#endif  // VOXCACHE_UTIL_THREAD_POOL_H_
