// The local SQLite tier (tier/local_tier.cc) through the Tier interface, the
// entry copy between tiers, and a Cache over a stack of two tiers.

#include "tier/local_tier.h"

#include <gtest/gtest.h>

#include <chrono>

#include "cache/open.h"
#include "test_support.h"

namespace voxcache::tier {
namespace {

std::unique_ptr<store::Catalog> open_catalog(const std::string& path) {
  store::Database::OpenOptions o;
  Result<std::unique_ptr<store::Catalog>> c = store::Catalog::Open(path, o, util::Env::Default());
  EXPECT_TRUE(c.ok()) << c.status().to_string();
  return std::move(c).value();
}

EntryRow row_for(const std::string& id, int64_t chunks) {
  EntryRow row;
  row.operation_id = id;
  row.data = "header";
  row.data_type = "bytes";
  row.created_at_ms = 1;
  row.chunk_count = chunks;
  row.codec = "none";
  row.checksum = "xxh3-128:0";
  return row;
}

const std::string kA(64, 'a'), kB(64, 'b');

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
  EXPECT_EQ((*src)->row().data, "header");
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
  EXPECT_EQ((*tier.list("aaaa", -1))[0].operation_id, kA);
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

TEST(CopyEntry, CopiesEveryChunkAndTheRowWithItsLineage) {
  testing::TempDir dir;
  auto a = open_catalog(dir.file("a.db"));
  auto b = open_catalog(dir.file("b.db"));
  LocalTier from(a.get()), to(b.get());
  EntryRow row = row_for(kA, 3);
  row.operation = "op";
  row.inputs = {kB};
  {
    auto sink = std::move(from.create(kA, false)).value();
    for (int i = 0; i < 3; ++i) ASSERT_OK(sink->add_chunk(i, "chunk" + std::to_string(i)));
    ASSERT_OK(sink->commit(row));
  }
  auto src = std::move(from.open_with_lineage(kA)).value();
  EXPECT_EQ(src->row().inputs, std::vector<std::string>{kB}) << "lineage travels with the row";
  ASSERT_OK(copy_entry(src.get(), &to));
  EXPECT_TRUE(std::move(from.open(kA)).value()->row().inputs.empty())
      << "a plain open (a get) skips the lineage query";
  auto copy = std::move(to.open_with_lineage(kA)).value();
  EXPECT_EQ(copy->row().operation, "op");
  EXPECT_EQ(copy->row().inputs, std::vector<std::string>{kB});
  ASSERT_OK(copy->seek(0, 3));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(*copy->next_chunk(), "chunk" + std::to_string(i));
  auto src2 = std::move(from.open(kA)).value();
  ASSERT_OK(copy_entry(src2.get(), &to));  // present: nothing to do
}

// A Cache whose local database is backed by a second, slower tier: a miss
// locally is read through from below, checked, and copied up.
TEST(TierStack, AHitBelowIsServedCheckedAndCopiedUp) {
  testing::TempDir dir;
  const Volume v = testing::make_ramp_volume(PixelType::kInt16, 1, {40, 30, 20});
  const OperationKey key = KeyBuilder("smooth").arg("sigma", 1.5).build();
  {
    auto lower = testing::open_cache(dir.file("lower.db"));
    ASSERT_OK(lower->put(key, v, R"({"from": "lower"})"));
  }
  auto lower_catalog = open_catalog(dir.file("lower.db"));
  std::vector<std::unique_ptr<Tier>> below;
  below.push_back(std::make_unique<LocalTier>(lower_catalog.get()));
  Options o;
  o.memory_budget_bytes = 0;
  auto c =
      std::move(cache::OpenCache(dir.file("upper.db"), o, util::Env::Default(), std::move(below)))
          .value();
  EXPECT_TRUE(*c->contains(key)) << "contains looks down the stack";
  Result<Value> got = c->get(key);
  ASSERT_OK(got.status());
  EXPECT_EQ(*got->as_volume(), v);
  EXPECT_EQ(testing::query_int(dir.file("upper.db"), "SELECT count(*) FROM results"), 1)
      << "copied into the local tier";
  EXPECT_EQ(c->info(key)->metadata, R"({"from":"lower"})");
  ASSERT_OK(c->verify(key));

  // A corrupt entry below is Corruption, and is not copied up.
  const OperationKey bad = KeyBuilder("bad").build();
  {
    auto lower = testing::open_cache(dir.file("lower.db"));
    ASSERT_OK(lower->put(bad, testing::make_volume(PixelType::kUInt8, 1, {64, 64, 64}, 3, false)));
  }
  testing::flip_blob_byte(dir.file("lower.db"), "chunks", "operation_id = '" + bad.hex() + "'", 40);
  EXPECT_TRUE(c->get(bad).status().is_corruption());
  EXPECT_EQ(
      testing::query_int(dir.file("upper.db"),
                         "SELECT count(*) FROM results WHERE operation_id = '" + bad.hex() + "'"),
      0);

  // Erase removes the key from every tier: no get finds it afterwards.
  ASSERT_OK(c->erase(key));
  EXPECT_TRUE(c->get(key).status().is_not_found());
  EXPECT_TRUE(c->erase(key).is_not_found());
}

}  // namespace
}  // namespace voxcache::tier
