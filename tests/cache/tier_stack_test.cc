// A Cache over a stack of two tiers (cache/tier_stack.cc): a miss in the
// local database is read through from the tier below, checked, and copied up.

#include "cache/tier_stack.h"

#include <gtest/gtest.h>

#include "cache/open.h"
#include "test_support.h"
#include "tier/local_tier.h"
#include "tier/tier_fixture.h"

namespace voxcache::tier {
namespace {

// A Cache whose local database is backed by a second, slower tier: a miss
// locally is read through from below, checked, and copied up.
// With the memory tier on (the default) and, the twin, off: off, every get
// goes down the stack, which is what this tests; on, the first does.
TEST(TierStack, AHitBelowIsServedCheckedAndCopiedUp) {
  for (const bool memory : {true, false}) {
    SCOPED_TRACE(memory ? "memory tier on" : "memory tier off");
    testing::TempDir dir;
    const Volume v = testing::make_ramp_volume(PixelType::kInt16, 1, {40, 30, 20});
    const OperationKey key = KeyBuilder("smooth").arg("sigma", 1.5).build();
    {
      auto lower = testing::open_cache(dir.file("lower.db"));
      ASSERT_OK(lower->put(key, v, PutOptions{R"({"from": "lower"})"}));
    }
    auto lower_catalog = open_catalog(dir.file("lower.db"));
    std::vector<std::unique_ptr<Tier>> below;
    below.push_back(std::make_unique<LocalTier>(lower_catalog.get()));
    Options o;
    if (!memory) o.memory_budget_bytes = 0;
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
    ASSERT_OK(c->admin().verify(key));

    // A corrupt entry below is Corruption, and is not copied up.
    const OperationKey bad = KeyBuilder("bad").build();
    {
      auto lower = testing::open_cache(dir.file("lower.db"));
      ASSERT_OK(
          lower->put(bad, testing::make_volume(PixelType::kUInt8, 1, {64, 64, 64}, 3, false)));
    }
    testing::flip_blob_byte(dir.file("lower.db"), "chunks", "operation_id = '" + bad.hex() + "'",
                            40);
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
}

}  // namespace
}  // namespace voxcache::tier
