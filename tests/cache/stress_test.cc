// Many processes and threads on one database: mixed get_or_compute, put, get
// and erase on overlapping keys, a fixed number of operations each.
//
// VOXCACHE_STRESS_SCALE multiplies the operations (default 1; the heavy run in
// docs/reliability.md uses 10).

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <thread>

#include "test_support.h"
#include "voxcache/cache.h"

namespace voxcache {
namespace {

Volume value_of(int k) { return testing::make_volume(PixelType::kInt16, 1, {32, 32, 8}, 7 + k); }

// Runs in a child process; returns the number of errors seen.
int worker(const std::string& path, const std::string& log, int process, int ops) {
  auto c = Cache::Open(path);
  if (!c.ok()) return 1000;
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(process * 100 + t);
      std::ofstream out(log + "." + std::to_string(process) + "." + std::to_string(t));
      for (int i = 0; i < ops; ++i) {
        const int k = rng() % 12;
        switch (rng() % 4) {
          case 0: {  // memoized keys: computed exactly once in total
            const OperationKey key = KeyBuilder("memo").arg("k", k).build();
            Result<Value> v = (*c)->get_or_compute(key, [&]() -> Result<Value> {
              out << k << std::endl;
              std::this_thread::sleep_for(std::chrono::milliseconds(5));
              return Value(value_of(k));
            });
            if (!v.ok() || *v->as_volume() != value_of(k)) ++errors;
            break;
          }
          case 1: {  // plain keys: put, get, erase race each other
            if (!(*c)->put(KeyBuilder("plain").arg("k", k).build(), value_of(100 + k)).ok())
              ++errors;
            break;
          }
          case 2: {
            Result<Value> v = (*c)->get(KeyBuilder("plain").arg("k", k).build());
            if (v.ok() ? *v->as_volume() != value_of(100 + k) : !v.status().is_not_found())
              ++errors;
            break;
          }
          case 3: {
            Status s = (*c)->erase(KeyBuilder("plain").arg("k", k).build());
            if (!s.ok() && !s.is_not_found()) ++errors;
            break;
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  return errors;
}

TEST(Stress, ProcessesAndThreadsOnOneDatabase) {
  testing::TempDir dir;
  const std::string path = dir.file("stress.db");
  const std::string log = dir.file("computed");
  ASSERT_OK(Cache::Open(path).status());
  const char* env = std::getenv("VOXCACHE_STRESS_SCALE");
  const int ops = 60 * (env ? std::max(1, std::atoi(env)) : 1);
  std::vector<pid_t> kids;
  for (int p = 0; p < 3; ++p) {
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) _exit(std::min(worker(path, log, p, ops), 100));
    kids.push_back(pid);
  }
  for (pid_t pid : kids) {
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_TRUE(WIFEXITED(status));
    EXPECT_EQ(WEXITSTATUS(status), 0) << "errors in a worker process";
  }
  std::map<int, int> computed;
  for (const auto& f : std::filesystem::directory_iterator(dir.path())) {
    if (f.path().filename().string().rfind("computed.", 0) != 0) continue;
    std::ifstream in(f.path());
    for (int k; in >> k;) ++computed[k];
  }
  EXPECT_EQ(computed.size(), 12u) << "every memoized key was asked for";
  for (const auto& [k, n] : computed)
    EXPECT_EQ(n, 1) << "key " << k << " computed " << n << " times";
  auto c = Cache::Open(path);
  ASSERT_OK(c.status());
  Result<std::vector<EntryInfo>> all = (*c)->admin().list();
  ASSERT_OK(all.status());
  for (const EntryInfo& e : *all) EXPECT_OK((*c)->admin().verify(e.key));
}

}  // namespace
}  // namespace voxcache
