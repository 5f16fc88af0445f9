// Usage records (cache/usage_recorder.cc): counters and access times that
// persist across processes, written in batches rather than one write a get.

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "cache/open.h"
#include "cache/usage_recorder.h"
#include "test_support.h"
#include "util/env.h"
#include "voxcache/cache.h"

namespace voxcache {
namespace {

using testing::make_volume;
using testing::TempDir;

OperationKey k(int i) { return KeyBuilder("entry").arg("i", i).build(); }

TEST(UsageRecorder, CountersPersistAndZero) {
  TempDir dir;
  auto open = [&] { return testing::open_cache(dir.file("u.db")); };
  {
    auto c = open();
    ASSERT_OK(c->put(k(1), make_volume(PixelType::kInt16, 1, {20, 20, 20})));
    ASSERT_OK(c->put(k(2), Value(2.5)));
    ASSERT_OK(c->get(k(1)).status());  // disk
    ASSERT_OK(c->get(k(1)).status());  // memory
    EXPECT_TRUE(c->get(k(3)).status().is_not_found());
  }  // closing flushes
  auto c = open();
  Result<StoredStats> s = c->admin().stored_stats();
  ASSERT_OK(s.status());
  EXPECT_EQ(s->counter("puts"), 2u);
  EXPECT_EQ(s->counter("puts", "volume"), 1u);
  EXPECT_EQ(s->counter("puts", "float64"), 1u);
  EXPECT_EQ(s->counter("hits_disk"), 1u);
  EXPECT_EQ(s->counter("hits_memory"), 1u);
  EXPECT_EQ(s->counter("misses"), 1u);
  EXPECT_GT(s->counter("bytes_read", "volume"), 0u);
  EXPECT_GT(s->counter("bytes_written"), s->counter("bytes_read"));
  ASSERT_EQ(s->by_type.size(), 2u);
  EXPECT_EQ(s->entries, 2u);
  Result<EntryInfo> info = c->info(k(1));
  EXPECT_EQ(info->access_count, 2u);
  EXPECT_GE(info->last_access_ms, info->created_at_ms);
  ASSERT_OK(c->admin().zero_stats());
  EXPECT_EQ(c->admin().stored_stats()->counter("puts"), 0u);
  EXPECT_EQ(c->admin().stored_stats()->entries, 2u) << "zeroing counters keeps entries";
}

// A cache on the manual clock (memory tier off, so every get reads the
// database) holding 300 small entries, and the access count it recorded.
class UsageBatchingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Options o;
    o.memory_budget_bytes = 0;
    c_ = std::move(cache::OpenCache(path_, o, &env_)).value();
    for (int i = 0; i < 300; ++i) ASSERT_OK(c_->put(key(i), Value(i)));
  }
  static OperationKey key(int i) { return KeyBuilder("v").arg("i", i).build(); }
  int64_t recorded() const {
    return testing::query_int(path_, "SELECT coalesce(sum(access_count), 0) FROM results");
  }
  TempDir dir_;
  const std::string path_ = dir_.file("u.db");
  util::ManualEnv env_;
  std::unique_ptr<Cache> c_;
};

// Gets are written in batches: not one write a get, but within 2 s or 256
// entries. The manual clock shows both thresholds without sleeping.
TEST_F(UsageBatchingTest, GetsAreWrittenAfterTwoSecondsOrTwoHundredFiftySixEntries) {
  env_.advance(cache::UsageRecorder::kAccessResolutionMs);  // every last access is due
  ASSERT_OK(c_->info(key(299)).status());                   // a flush: the 2 s start now
  ASSERT_OK(c_->get(key(0)).status());
  EXPECT_EQ(recorded(), 0) << "one get writes nothing yet";
  env_.advance(2001);
  ASSERT_OK(c_->get(key(1)).status());
  EXPECT_EQ(recorded(), 2) << "two seconds later the batch goes out";
  for (int i = 2; i < 257; ++i) ASSERT_OK(c_->get(key(i)).status());
  EXPECT_EQ(recorded(), 2) << "255 entries pending";
  ASSERT_OK(c_->get(key(257)).status());
  EXPECT_EQ(recorded(), 258) << "the 256th pending entry sends the batch";
}

// An entry whose recorded last access is under a minute old needs no new
// one yet: its gets are counted in memory and written when it falls due,
// when anything reads the records, or when the process closes the cache.
// Random gets over a large cache then write no page each.
TEST_F(UsageBatchingTest, GetsOfRecentlyUsedEntriesWaitInMemory) {
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 300; ++i) ASSERT_OK(c_->get(key(i)).status());
  }
  env_.advance(2001);
  ASSERT_OK(c_->get(key(0)).status());
  EXPECT_EQ(recorded(), 0) << "601 gets of recent entries: no row written";
  EXPECT_EQ(testing::query_int(path_,
                               "SELECT value FROM counters WHERE name = 'hits_disk' AND "
                               "data_type = ''"),
            601)
      << "the counters still go out every 2 s";

  env_.advance(cache::UsageRecorder::kAccessResolutionMs);
  ASSERT_OK(c_->get(key(1)).status());  // now a minute past its recorded access: due
  env_.advance(2001);
  ASSERT_OK(c_->get(key(2)).status());
  EXPECT_EQ(recorded(), 6) << "the due entries (with all their gets) went out";
  EXPECT_EQ(testing::query_int(path_, "SELECT last_access FROM results WHERE operation_id = '" +
                                          key(1).hex() + "'"),
            env_.now_ms() - 2001);

  EXPECT_EQ(c_->info(key(7))->access_count, 2u) << "a reader of the records sees every get";
  EXPECT_EQ(recorded(), 603);
}

TEST(UsageRecorderBatching, ClosingWritesWhatWaits) {
  TempDir dir;
  const std::string path = dir.file("u.db");
  util::ManualEnv env;
  {
    Options o;
    o.memory_budget_bytes = 0;
    auto c = std::move(cache::OpenCache(path, o, &env)).value();
    for (int i = 0; i < 5; ++i) ASSERT_OK(c->put(KeyBuilder("v").arg("i", i).build(), Value(i)));
    for (int i = 0; i < 5; ++i) ASSERT_OK(c->get(KeyBuilder("v").arg("i", i).build()).status());
    EXPECT_EQ(testing::query_int(path, "SELECT sum(access_count) FROM results"), 0);
  }
  EXPECT_EQ(testing::query_int(path, "SELECT sum(access_count) FROM results"), 5);
}

TEST(UsageRecorderBatching, RecordsThatCannotBeWrittenAreKeptForTheNextFlush) {
  TempDir dir;
  const std::string path = dir.file("u.db");
  util::ManualEnv env;
  auto c = std::move(cache::OpenCache(path, Options(), &env)).value();
  const OperationKey k = KeyBuilder("v").build();
  ASSERT_OK(c->put(k, Value(1.5)));
  env.fail_commits("usage");
  for (int i = 0; i < 3; ++i) ASSERT_OK(c->get(k).status());  // a failed record fails no get
  env.advance(2001);
  ASSERT_OK(c->get(k).status());
  EXPECT_GE(env.failed_commits(), 1);
  EXPECT_EQ(testing::query_int(path, "SELECT access_count FROM results"), 0);
  env.stop_failing();
  EXPECT_EQ(c->info(k)->access_count, 4u) << "kept, then written by the next flush";
  EXPECT_EQ(c->admin().stored_stats()->counter("hits_memory") +
                c->admin().stored_stats()->counter("hits_disk"),
            4u);
}

TEST(UsageRecorderBatching, AReadOnlyCacheRecordsNothing) {
  TempDir dir;
  const std::string path = dir.file("u.db");
  const OperationKey k = KeyBuilder("v").build();
  ASSERT_OK(testing::open_cache(path)->put(k, Value(1.5)));
  Options o;
  o.read_only = true;
  {
    auto c = testing::open_cache(path, o);
    for (int i = 0; i < 300; ++i) ASSERT_OK(c->get(k).status());
  }
  EXPECT_EQ(testing::query_int(path, "SELECT access_count FROM results"), 0);
  EXPECT_EQ(testing::query_int(path, "SELECT count(*) FROM counters WHERE name LIKE 'hits%'"), 0);
}

// Options::record_reads off (an inspector): gets, misses and access times
// are not recorded, puts still are; the same gets on the defaults are.
TEST(UsageRecorderBatching, AnInspectorsReadsAreNotRecorded) {
  TempDir dir;
  const std::string path = dir.file("u.db");
  const OperationKey k = KeyBuilder("v").build();
  Options o;
  o.record_reads = false;
  {
    auto c = testing::open_cache(path, o);
    ASSERT_OK(c->put(k, Value(1.5)));
    for (int i = 0; i < 300; ++i) ASSERT_OK(c->get(k).status());
    EXPECT_TRUE(c->get(KeyBuilder("absent").build()).status().is_not_found());
  }
  EXPECT_EQ(testing::query_int(path, "SELECT access_count FROM results"), 0);
  EXPECT_EQ(testing::query_int(path,
                               "SELECT count(*) FROM counters WHERE name LIKE 'hits%' "
                               "OR name = 'misses'"),
            0);
  EXPECT_EQ(testing::query_int(path,
                               "SELECT value FROM counters WHERE name = 'puts' AND "
                               "data_type = ''"),
            1);
  {
    auto c = testing::open_cache(path);  // the defaults: recorded
    for (int i = 0; i < 3; ++i) ASSERT_OK(c->get(k).status());
  }
  EXPECT_EQ(testing::query_int(path, "SELECT access_count FROM results"), 3);
}

// One get_or_compute that computes is one miss, though it looks twice (before
// and after taking its claim); one that finds the value is one hit.
TEST(UsageRecorder, AGetOrComputeIsOneLookupOneMissOrOneHit) {
  TempDir dir;
  auto c = testing::open_cache(dir.file("u.db"));
  const OperationKey key = KeyBuilder("otsu").build();
  auto compute = []() -> Result<Value> { return Value(int64_t{1}); };
  ASSERT_OK(c->get_or_compute(key, compute).status());
  EXPECT_EQ(c->stats().misses, 1u);
  ASSERT_OK(c->get_or_compute(key, compute).status());
  ASSERT_OK(c->get_or_compute(KeyBuilder("blur").build(), compute).status());
  const CacheStats s = c->stats();
  EXPECT_EQ(s.misses, 2u);
  EXPECT_EQ(s.memory_hits + s.disk_hits, 1u);
  Result<StoredStats> stored = c->admin().stored_stats();
  EXPECT_EQ(stored->counter("misses"), 2u);
  EXPECT_EQ(stored->counter("hits_memory") + stored->counter("hits_disk"), 1u);
}

}  // namespace
}  // namespace voxcache
