// Single-flight get_or_compute across threads and processes (claims).

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "cache/open.h"
#include "test_support.h"
#include "util/env.h"
#include "voxcache/cache.h"

namespace voxcache {
namespace {

using Clock = std::chrono::steady_clock;

int64_t count_rows(const std::string& path, const std::string& table) {
  return testing::query_int(path, "SELECT count(*) FROM " + table);
}

class SingleFlightTest : public ::testing::Test {
 protected:
  std::unique_ptr<Cache> open_with(util::Env* env, Options o = Options()) {
    auto c = cache::OpenCache(path_, o, env);
    EXPECT_TRUE(c.ok()) << c.status().to_string();
    return std::move(c).value();
  }
  std::unique_ptr<Cache> open(Options o = Options()) {
    auto c = Cache::Open(path_, o);
    EXPECT_TRUE(c.ok()) << c.status().to_string();
    return std::move(c).value();
  }
  testing::TempDir dir_;
  std::string path_ = dir_.file("sf.db");
  const OperationKey key_ = KeyBuilder("slow").arg("n", 1).build();
};

TEST_F(SingleFlightTest, ThreadsOfOneProcessComputeOnce) {
  auto c = open();
  std::atomic<int> computed{0};
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      Result<Value> v = c->get_or_compute(key_, [&]() -> Result<Value> {
        ++computed;
        std::this_thread::sleep_for(std::chrono::milliseconds(150));
        return Value(int64_t{42});
      });
      if (!v.ok() || *v->as_int64() != 42) ++wrong;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(computed.load(), 1);
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(count_rows(path_, "claims"), 0) << "released";
}

TEST_F(SingleFlightTest, ProcessesComputeOnce) {
  const std::string log = dir_.file("computed.log");
  const int failed = testing::memoize_in_processes(
      4, [&](int) { return Cache::Open(path_); }, key_, log);
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(testing::count_lines(log), 1) << "exactly one process computed";
  EXPECT_EQ(count_rows(path_, "claims"), 0);
}

TEST_F(SingleFlightTest, AFailedComputationStoresNothingAndReleasesItsClaim) {
  auto c = open();
  int calls = 0;
  Result<Value> r = c->get_or_compute(key_, [&]() -> Result<Value> {
    ++calls;
    return Status::IOError("out of memory in the filter");
  });
  EXPECT_TRUE(r.status().is_io_error());
  EXPECT_EQ(count_rows(path_, "claims"), 0);
  EXPECT_THROW(c->get_or_compute(key_,
                                 [&]() -> Result<Value> {
                                   ++calls;
                                   throw std::runtime_error("user code threw");
                                 }),
               std::runtime_error);
  EXPECT_EQ(count_rows(path_, "claims"), 0) << "released on an exception too";
  Result<Value> ok = c->get_or_compute(key_, [&]() -> Result<Value> {
    ++calls;
    return Value(1.0);
  });
  ASSERT_OK(ok.status());
  EXPECT_EQ(calls, 3) << "no failure was cached";
}

// Lease expiry on the manual clock: a 30 s lease runs out in no real time.
TEST_F(SingleFlightTest, AClaimWhoseOwnerDiedIsTakenOverWhenItsLeaseRunsOut) {
  util::ManualEnv env;
  auto c = open_with(&env);  // the default 30 s lease
  const int64_t start = env.now_ms();
  testing::raw_sql(path_, "INSERT INTO claims VALUES ('" + key_.hex() + "', 'ghost:1:1', " +
                              std::to_string(start + 30000) + ")");
  const auto real0 = Clock::now();
  Result<Value> v = c->get_or_compute(key_, []() -> Result<Value> { return Value("mine"); });
  ASSERT_OK(v.status());
  EXPECT_EQ(*v->as_string(), "mine");
  EXPECT_GE(env.now_ms() - start, 30000) << "waited for the lease to run out";
  EXPECT_LT(env.now_ms() - start, 30000 + 1000) << "and not much longer";
  EXPECT_LT(Clock::now() - real0, std::chrono::seconds(5)) << "in manual time, not real time";
  EXPECT_EQ(count_rows(path_, "claims"), 0);
}

// The real thing: a worker SIGKILLed in the middle of its computation, its
// renewing thread dying with it. The next caller waits out one lease at most.
TEST_F(SingleFlightTest, AWorkerKilledWhileComputingBlocksOthersForOneLeaseAtMost) {
  Options o;
  o.claim_lease = std::chrono::milliseconds(400);
  open(o);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto c = Cache::Open(path_, o);
    (void)(*c)->get_or_compute(key_, []() -> Result<Value> {
      for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));  // never finishes
    });
    _exit(1);
  }
  // Wait until the worker holds its claim, then kill it.
  for (int i = 0; i < 200 && count_rows(path_, "claims") == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(count_rows(path_, "claims"), 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // it renews meanwhile
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  auto c = open(o);
  const auto t0 = Clock::now();
  Result<Value> v = c->get_or_compute(key_, []() -> Result<Value> { return Value("recovered"); });
  const auto waited = Clock::now() - t0;
  ASSERT_OK(v.status());
  EXPECT_EQ(*v->as_string(), "recovered");
  EXPECT_LE(waited, std::chrono::milliseconds(400 + 400)) << "one lease, plus polling slack";
  EXPECT_EQ(count_rows(path_, "claims"), 0);
}

TEST_F(SingleFlightTest, WaitingForALiveClaimTimesOutWithBusy) {
  util::ManualEnv env;
  Options o;
  o.compute_wait_timeout = std::chrono::minutes(10);
  auto c = open_with(&env, o);
  testing::raw_sql(path_, "INSERT INTO claims VALUES ('" + key_.hex() + "', 'worker:9:9', " +
                              std::to_string(env.now_ms() + 3600000) + ")");
  bool computed = false;
  const int64_t start = env.now_ms();
  Result<Value> v = c->get_or_compute(key_, [&]() -> Result<Value> {
    computed = true;
    return Value();
  });
  EXPECT_TRUE(v.status().is_busy()) << v.status().to_string();
  EXPECT_NE(v.status().message().find("worker:9:9"), std::string::npos) << v.status().message();
  EXPECT_FALSE(computed);
  EXPECT_GE(env.now_ms() - start, 10 * 60000 - 250) << "gave up at the timeout";
  EXPECT_LE(env.now_ms() - start, 10 * 60000);
}

// docs/reliability.md does not promise single flight across a clock jump: a
// wall clock that jumps past a lease lets a second caller take over a live
// claim. Both compute; both get the same value, and it is stored once.
TEST_F(SingleFlightTest, AClockJumpPastTheLeaseLetsASecondCallerComputeToo) {
  util::ManualEnv env;
  auto a = open_with(&env);
  auto b = open_with(&env);  // another handle: claims, not flights, decide
  std::atomic<int> computed{0};
  std::atomic<bool> a_started{false}, release_a{false};
  std::thread first([&] {
    Result<Value> v = a->get_or_compute(key_, [&]() -> Result<Value> {
      ++computed;
      a_started = true;
      while (!release_a) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      return Value(int64_t{5});
    });
    EXPECT_EQ(*v->as_int64(), 5);
  });
  while (!a_started) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  env.jump_wall_clock(31000);  // past A's 30 s lease, before its renewer runs
  Result<Value> v = b->get_or_compute(key_, [&]() -> Result<Value> {
    ++computed;
    return Value(int64_t{5});
  });
  release_a = true;
  first.join();
  ASSERT_OK(v.status());
  EXPECT_EQ(*v->as_int64(), 5);
  EXPECT_EQ(computed.load(), 2) << "the non-promise, as documented";
  EXPECT_EQ(count_rows(path_, "results"), 1);
  EXPECT_EQ(count_rows(path_, "claims"), 0);
}

TEST_F(SingleFlightTest, ALongComputationKeepsItsClaimAlive) {
  Options o;
  o.claim_lease = std::chrono::milliseconds(150);
  auto c = open(o);
  std::atomic<int> computed{0};
  std::thread first([&] {
    (void)c->get_or_compute(key_, [&]() -> Result<Value> {
      ++computed;
      std::this_thread::sleep_for(std::chrono::milliseconds(700));  // several leases
      return Value(int64_t{5});
    });
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  auto other = Cache::Open(path_, o);  // another handle: claims, not flights, decide
  ASSERT_OK(other.status());
  Result<Value> v = (*other)->get_or_compute(key_, [&]() -> Result<Value> {
    ++computed;
    return Value(int64_t{6});
  });
  first.join();
  ASSERT_OK(v.status());
  EXPECT_EQ(*v->as_int64(), 5) << "the renewed claim was not taken over";
  EXPECT_EQ(computed.load(), 1);
}

}  // namespace
}  // namespace voxcache
