// The local SQLite tier (tier/local_tier.cc) through the Tier interface, and
// the entry copy between tiers.

#include "tier/local_tier.h"

#include <gtest/gtest.h>

#include <chrono>

#include "test_support.h"
#include "tier_fixture.h"

namespace voxcache::tier {
namespace {

TEST(LocalTier, WhatASinkWritesIsInvisibleUntilCommitThenReadInOrder) {
  testing::TempDir dir;
  auto catalog = open_catalog(dir.file("t.db"));
  LocalTier tier(catalog.get());
  EXPECT_STREQ(tier.name(), "local");
  {
    Result<std::unique_ptr<EntrySink>> sink = tier.create(kA, false);
    ASSERT_OK(sink.status());
    EXPECT_FALSE((*sink)->present());
    ASSERT_OK((*sink)->add_chunk(0, "zero"));
    ASSERT_OK((*sink)->add_chunk(1, "one"));
    EXPECT_FALSE(*tier.contains(kA)) << "not before commit";
    ASSERT_OK((*sink)->commit(row_for(kA, 2)));
  }
  EXPECT_TRUE(*tier.contains(kA));
  Result<std::unique_ptr<EntrySource>> src = tier.open(kA);
  ASSERT_OK(src.status());
  EXPECT_EQ((*src)->entry().data, "header");
  EXPECT_EQ(*(*src)->stored_chunks(), 2u);
  ASSERT_OK((*src)->seek(1, 2));
  EXPECT_EQ(*(*src)->next_chunk(), "one");
  EXPECT_EQ(*(*src)->next_chunk(), "") << "end of the range";
  EXPECT_TRUE(tier.open(kB).status().is_not_found());
}

// A sink takes the write lock only at its first chunk, so two writers of one
// key can both start; the second to lock finds the first's entry and writes
// nothing, and says so.
TEST(LocalTier, ASinkThatFindsItsKeyStoredMeanwhileWritesNothing) {
  testing::TempDir dir;
  auto catalog = open_catalog(dir.file("t.db"));
  LocalTier tier(catalog.get());
  Result<std::unique_ptr<EntrySink>> late = tier.create(kA, false);
  Result<std::unique_ptr<EntrySink>> early = tier.create(kA, false);
  ASSERT_OK(late.status());
  ASSERT_OK(early.status());
  EXPECT_FALSE((*late)->present());
  ASSERT_OK((*early)->add_chunk(0, "first"));
  ASSERT_OK((*early)->commit(row_for(kA, 1)));
  ASSERT_OK((*late)->add_chunk(0, "second"));
  EXPECT_TRUE((*late)->present()) << "found stored at its first lock";
  ASSERT_OK((*late)->commit(row_for(kA, 1)));
  Result<std::unique_ptr<EntrySource>> src = tier.open(kA);
  ASSERT_OK(src.status());
  ASSERT_OK((*src)->seek(0, 1));
  EXPECT_EQ(*(*src)->next_chunk(), "first");
}

// While another writer holds the lock, a sink keeps its chunks (up to a
// bound) instead of waiting: this test, on one thread, would otherwise hang
// in the second sink's first add_chunk.
TEST(LocalTier, ASinkKeepsItsChunksWhileAnotherWriterHoldsTheLockThenWaitsPastItsBound) {
  testing::TempDir dir;
  store::Database::OpenOptions o;
  o.busy_timeout = std::chrono::milliseconds(300);
  auto catalog = store::Catalog::Open(dir.file("t.db"), o, util::Env::Default()).value();
  LocalTier tier(catalog.get());
  Result<std::unique_ptr<EntrySink>> first = tier.create(kA, false);
  Result<std::unique_ptr<EntrySink>> second = tier.create(kB, false);
  ASSERT_OK(first.status());
  ASSERT_OK(second.status());
  ASSERT_OK((*first)->add_chunk(0, "a0"));  // takes the lock
  ASSERT_OK((*second)->add_chunk(0, "b0"));
  ASSERT_OK((*second)->add_chunk(1, "b1"));
  ASSERT_OK((*first)->commit(row_for(kA, 1)));
  ASSERT_OK((*second)->commit(row_for(kB, 2)));  // the lock is free: inserts what waited
  Result<std::unique_ptr<EntrySource>> src = tier.open(kB);
  ASSERT_OK(src.status());
  ASSERT_OK((*src)->seek(0, 2));
  EXPECT_EQ(*(*src)->next_chunk(), "b0");
  EXPECT_EQ(*(*src)->next_chunk(), "b1");

  const std::string kC(64, 'c'), kD(64, 'd');
  Result<std::unique_ptr<EntrySink>> holder = tier.create(kC, false);
  Result<std::unique_ptr<EntrySink>> big = tier.create(kD, false);
  ASSERT_OK((*holder)->add_chunk(0, "c0"));
  const std::string mib(1 << 20, 'x');
  Status s;
  uint64_t index = 0;
  for (; index < 40 && s.ok(); ++index) s = (*big)->add_chunk(index, mib);
  EXPECT_TRUE(s.is_busy()) << s.to_string();
  EXPECT_GT(index, 32u) << "32 MiB are kept before it waits";
}

TEST(LocalTier, AnAbandonedSinkLeavesNothingAndAPresentKeyIsNotRewritten) {
  testing::TempDir dir;
  auto catalog = open_catalog(dir.file("t.db"));
  LocalTier tier(catalog.get());
  {
    Result<std::unique_ptr<EntrySink>> sink = tier.create(kA, false);
    ASSERT_OK((*sink)->add_chunk(0, "lost"));
  }  // dropped
  EXPECT_FALSE(*tier.contains(kA));
  EXPECT_EQ(testing::query_int(dir.file("t.db"), "SELECT count(*) FROM chunks"), 0);
  {
    auto sink = std::move(tier.create(kA, false)).value();
    ASSERT_OK(sink->add_chunk(0, "kept"));
    ASSERT_OK(sink->commit(row_for(kA, 1)));
  }
  Result<std::unique_ptr<EntrySink>> again = tier.create(kA, false);
  ASSERT_OK(again.status());
  EXPECT_TRUE((*again)->present());
  again->reset();  // a present sink holds no lock: the replace below must not wait
  auto replace = std::move(tier.create(kA, /*replace=*/true)).value();
  EXPECT_FALSE(replace->present());
  ASSERT_OK(replace->add_chunk(0, "new"));
  ASSERT_OK(replace->commit(row_for(kA, 1)));
  auto src = std::move(tier.open(kA)).value();
  ASSERT_OK(src->seek(0, 1));
  EXPECT_EQ(*src->next_chunk(), "new");
}

TEST(LocalTier, EraseAndListByPrefix) {
  testing::TempDir dir;
  auto catalog = open_catalog(dir.file("t.db"));
  LocalTier tier(catalog.get());
  for (const std::string& id : {kA, kB}) {
    auto sink = std::move(tier.create(id, false)).value();
    ASSERT_OK(sink->commit(row_for(id, 0)));
  }
  EXPECT_EQ(tier.list("", -1)->size(), 2u);
  ASSERT_EQ(tier.list("aaaa", -1)->size(), 1u);
  EXPECT_EQ((*tier.list("aaaa", -1))[0].id, kA);
  EXPECT_EQ(tier.list("", 1)->size(), 1u);
  EXPECT_TRUE(*tier.erase(kA));
  EXPECT_FALSE(*tier.erase(kA)) << "gone already";
  EXPECT_FALSE(*tier.contains(kA));
}

TEST(LocalTier, ReadOnlyRefusesSinksAndErases) {
  testing::TempDir dir;
  open_catalog(dir.file("t.db"));
  store::Database::OpenOptions o;
  o.read_only = true;
  auto catalog = std::move(store::Catalog::Open(dir.file("t.db"), o, util::Env::Default())).value();
  LocalTier tier(catalog.get());
  EXPECT_TRUE(tier.create(kA, false).status().is_invalid_argument());
  EXPECT_TRUE(tier.erase(kA).status().is_invalid_argument());
}

}  // namespace
}  // namespace voxcache::tier
