// The Env seam (util/env.cc): the system Env's clocks and names, and the
// manual Env tests use to move time and fail writes.

#include "util/env.h"

#include <gtest/gtest.h>

#include <chrono>

namespace voxcache::util {
namespace {

TEST(SystemEnv, ClocksMoveAndSleepWaits) {
  Env* env = Env::Default();
  const int64_t wall = env->now_ms();
  EXPECT_GT(wall, 1'600'000'000'000) << "Unix milliseconds";
  const auto t0 = env->steady_now();
  env->sleep_for(std::chrono::milliseconds(20));
  EXPECT_GE(env->steady_now() - t0, std::chrono::milliseconds(20));
  EXPECT_GE(env->now_ms(), wall);
  EXPECT_TRUE(env->before_commit("put").ok()) << "the system Env injects no faults";
}

TEST(SystemEnv, OwnerNamesDifferEvenInOneProcess) {
  Env* env = Env::Default();
  const std::string a = env->unique_owner_name(), b = env->unique_owner_name();
  EXPECT_NE(a, b);
  EXPECT_NE(a.find(":" + std::to_string(getpid()) + ":"), std::string::npos) << a;
}

TEST(ManualEnv, TimeMovesOnlyWhenToldAndSleepingTakesNoTime) {
  ManualEnv env(1000);
  const auto t0 = env.steady_now();
  EXPECT_EQ(env.now_ms(), 1000);
  EXPECT_EQ(env.now_ms(), 1000) << "still";
  const auto real0 = std::chrono::steady_clock::now();
  env.sleep_for(std::chrono::hours(1));
  EXPECT_LT(std::chrono::steady_clock::now() - real0, std::chrono::seconds(1));
  EXPECT_EQ(env.now_ms(), 1000 + 3'600'000);
  EXPECT_EQ(env.steady_now() - t0, std::chrono::hours(1));
  env.advance(5);
  EXPECT_EQ(env.now_ms(), 3'601'005);
  env.jump_wall_clock(-2000);  // the wall clock jumps back; the steady one does not
  EXPECT_EQ(env.now_ms(), 3'599'005);
  EXPECT_EQ(env.steady_now() - t0, std::chrono::hours(1) + std::chrono::milliseconds(5));
}

TEST(ManualEnv, FailsTheCommitsItIsToldToUntilStopped) {
  ManualEnv env;
  EXPECT_TRUE(env.before_commit("put").ok());
  env.fail_commits("claim");
  EXPECT_TRUE(env.before_commit("put").ok());
  Status s = env.before_commit("claim renewal");
  EXPECT_TRUE(s.is_io_error()) << s.to_string();
  EXPECT_NE(s.message().find("claim renewal"), std::string::npos);
  env.fail_commits("");
  EXPECT_TRUE(env.before_commit("put").is_io_error()) << "an empty prefix fails every commit";
  EXPECT_EQ(env.failed_commits(), 2);
  env.stop_failing();
  EXPECT_TRUE(env.before_commit("claim").ok());
}

}  // namespace
}  // namespace voxcache::util
