// Limits and eviction (cache/limits.cc): automatic limits after puts, least
// recently used first, pinned entries spared, gc with explicit limits. Time is
// a manual clock: no test sleeps.

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "test_support.h"
#include "voxcache/cache.h"

#include "cache/limits.h"
#include "cache/open.h"
#include "util/env.h"

namespace voxcache {
namespace {

using testing::make_volume;
using testing::TempDir;

class LimitsTest : public ::testing::Test {
 protected:
  std::unique_ptr<Cache> open(Options o = Options()) {
    Result<std::unique_ptr<Cache>> c = cache::OpenCache(path_, o, &env_);
    EXPECT_TRUE(c.ok()) << c.status().to_string();
    return c.ok() ? std::move(c).value() : nullptr;
  }
  static OperationKey k(int i) { return KeyBuilder("entry").arg("i", i).build(); }
  // Puts Value(i) under k(i) for i in [0, n), each a moment after the last.
  void put_in_turn(Cache* c, int n) {
    for (int i = 0; i < n; ++i) {
      env_.advance(3);
      ASSERT_OK(c->put(k(i), Value(i)));
    }
  }
  // ~100 KiB stored each: noise does not compress.
  static Volume noise(int seed) {
    return make_volume(PixelType::kUInt8, 1, {64, 40, 40}, seed, /*smooth=*/false);
  }
  util::ManualEnv env_;  // ages and access times move only when the test says
  TempDir dir_;
  std::string path_ = dir_.file("m.db");
};

TEST_F(LimitsTest, MaxBytesHoldsAcrossALoopOfPuts) {
  Options o;
  o.max_bytes = 1 << 20;  // about ten entries
  auto c = open(o);
  for (int i = 0; i < 40; ++i) {
    env_.advance(1);  // each put a little later than the one before
    ASSERT_OK(c->put(k(i), noise(i)));
    Result<StoredStats> s = c->admin().stored_stats();
    ASSERT_OK(s.status());
    ASSERT_LE(s->stored_bytes, o.max_bytes) << "after put " << i;
  }
  Result<StoredStats> s = c->admin().stored_stats();
  EXPECT_GT(s->counter("evictions"), 20u);
  EXPECT_GE(s->entries, 8u);
  // The newest entries survive, the oldest went first.
  EXPECT_TRUE(*c->contains(k(39)));
  EXPECT_FALSE(*c->contains(k(0)));
}

TEST_F(LimitsTest, EvictionIsLeastRecentlyUsedAndSparesPinnedEntries) {
  Options o;
  o.max_entries = 5;
  auto c = open(o);
  put_in_turn(c.get(), 5);
  ASSERT_OK(c->admin().pin(k(0)));
  ASSERT_OK(c->get(k(1)).status());  // 1 is now recently used
  env_.advance(3);
  ASSERT_OK(c->put(k(5), Value(5)));  // 6 > 5: evict down to 90% of 5, i.e. 4
  EXPECT_TRUE(*c->contains(k(0))) << "pinned";
  EXPECT_TRUE(*c->contains(k(1))) << "recently read";
  EXPECT_TRUE(*c->contains(k(5))) << "just written";
  EXPECT_FALSE(*c->contains(k(2))) << "least recently used";
  EXPECT_FALSE(*c->contains(k(3)));
  EXPECT_EQ(c->admin().stored_stats()->entries, 4u);
  EXPECT_TRUE(c->admin().pin(KeyBuilder("absent").build()).is_not_found());
}

TEST_F(LimitsTest, GcBringsTheCacheUnderExplicitLimits) {
  auto c = open();
  for (int i = 0; i < 10; ++i) ASSERT_OK(c->put(k(i), noise(i)));
  ASSERT_OK(c->admin().pin(k(0)));
  const uint64_t before = c->admin().stored_stats()->stored_bytes;
  Limits l;
  l.max_bytes = before / 2;
  Result<GcReport> r = c->admin().gc(l);
  ASSERT_OK(r.status());
  EXPECT_LE(r->bytes_left, l.max_bytes);
  EXPECT_EQ(r->bytes_left + r->freed_bytes, before);
  EXPECT_EQ(r->entries_left + r->removed.size(), 10u);
  EXPECT_TRUE(*c->contains(k(0)));
  for (const OperationKey& gone : r->removed) EXPECT_FALSE(*c->contains(gone));

  Limits age;
  age.max_age = std::chrono::seconds(1);
  env_.advance(1100);
  ASSERT_OK(c->put(k(100), Value(1)));
  r = c->admin().gc(age);
  ASSERT_OK(r.status());
  EXPECT_TRUE(*c->contains(k(100))) << "fresh";
  EXPECT_TRUE(*c->contains(k(0))) << "pinned";
  EXPECT_EQ(c->admin().stored_stats()->entries, 2u);
}

TEST(LimitKeeperTarget, NinetyPercentRoundedDownNeverZero) {
  EXPECT_EQ(cache::LimitKeeper::target(0), 0u) << "no limit stays no limit";
  EXPECT_EQ(cache::LimitKeeper::target(1), 1u);
  EXPECT_EQ(cache::LimitKeeper::target(5), 4u);
  EXPECT_EQ(cache::LimitKeeper::target(10), 9u);
  EXPECT_EQ(cache::LimitKeeper::target(1000), 900u);
}

TEST_F(LimitsTest, MaxAgeEvictsEntriesNotUsedForThatLongAfterTheNextPut) {
  Options o;
  o.max_age = std::chrono::seconds(3600);
  auto c = open(o);
  ASSERT_OK(c->put(k(1), Value(1)));
  ASSERT_OK(c->put(k(2), Value(2)));
  ASSERT_OK(c->admin().pin(k(2)));
  env_.advance(1800 * 1000);
  ASSERT_OK(c->put(k(3), Value(3)));
  EXPECT_TRUE(*c->contains(k(1))) << "half an hour old";
  env_.advance(1801 * 1000);  // k(1) is now older than an hour, k(3) is not
  ASSERT_OK(c->put(k(4), Value(4)));
  EXPECT_FALSE(*c->contains(k(1)));
  EXPECT_TRUE(*c->contains(k(2))) << "pinned";
  EXPECT_TRUE(*c->contains(k(3)));
  EXPECT_TRUE(*c->contains(k(4)));
}

TEST_F(LimitsTest, AFailedEvictionLosesNothingAndTheNextPutEvicts) {
  Options o;
  o.max_entries = 3;
  auto c = open(o);
  put_in_turn(c.get(), 3);
  env_.fail_commits("evict");
  Status s = c->put(k(3), Value(3));
  EXPECT_TRUE(s.is_io_error()) << s.to_string();
  EXPECT_NE(s.message().find("evicting"), std::string::npos) << s.message();
  EXPECT_TRUE(*c->contains(k(3))) << "the put itself committed";
  EXPECT_EQ(c->admin().stored_stats()->entries, 4u) << "nothing was evicted";
  env_.stop_failing();
  env_.advance(1);
  ASSERT_OK(c->put(k(4), Value(4)));
  EXPECT_LE(c->admin().stored_stats()->entries, 3u);
  EXPECT_TRUE(*c->contains(k(4)));
}

TEST_F(LimitsTest, GcSaysWhenPinnedEntriesAloneExceedTheLimit) {
  auto c = open();
  for (int i = 0; i < 4; ++i) ASSERT_OK(c->put(k(i), noise(i)));
  ASSERT_OK(c->admin().pin(k(0)));
  Limits l;
  l.max_bytes = c->info(k(0))->stored_bytes - 1;  // less than the pinned entry alone
  Result<GcReport> r = c->admin().gc(l);
  ASSERT_OK(r.status());
  EXPECT_FALSE(r->limits_met);
  EXPECT_EQ(r->removed.size(), 3u) << "everything that could go went";
  EXPECT_TRUE(*c->contains(k(0)));
  l.max_bytes = 1 << 30;
  EXPECT_TRUE(c->admin().gc(l)->limits_met);
}

TEST_F(LimitsTest, ClearRemovesEverythingOrEverythingUnpinned) {
  auto c = open();
  for (int i = 0; i < 5; ++i) ASSERT_OK(c->put(k(i), Value(i)));
  ASSERT_OK(c->admin().pin(k(2)));
  ASSERT_OK(c->get(k(1)).status());  // in the memory tier now
  Result<GcReport> r = c->admin().clear(/*keep_pinned=*/true);
  ASSERT_OK(r.status());
  EXPECT_EQ(r->removed.size(), 4u);
  EXPECT_EQ(r->entries_left, 1u);
  EXPECT_TRUE(*c->contains(k(2)));
  EXPECT_TRUE(c->get(k(1)).status().is_not_found()) << "the memory tier forgot it too";
  EXPECT_EQ(c->admin().stored_stats()->counter("evictions"), 4u);
  r = c->admin().clear(/*keep_pinned=*/false);
  ASSERT_OK(r.status());
  EXPECT_EQ(r->entries_left, 0u);
  EXPECT_EQ(c->admin().stored_stats()->entries, 0u);
  EXPECT_EQ(testing::query_int(path_, "SELECT count(*) FROM chunks"), 0);
}

}  // namespace
}  // namespace voxcache
