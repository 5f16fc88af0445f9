#include "tier/memory_tier.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace voxcache::tier {
namespace {

OperationKey key(int i) { return KeyBuilder("k").arg("i", i).build(); }

TEST(MemoryTier, EvictsLeastRecentlyUsedWithinTheBudget) {
  MemoryTier tier(300);
  tier.put(key(1), Value(1), 100);
  tier.put(key(2), Value(2), 100);
  tier.put(key(3), Value(3), 100);
  ASSERT_TRUE(tier.get(key(1)));  // 1 is now the most recent; 2 the least
  tier.put(key(4), Value(4), 100);
  EXPECT_FALSE(tier.get(key(2))) << "least recently used goes first";
  EXPECT_TRUE(tier.get(key(1)));
  EXPECT_TRUE(tier.get(key(3)));
  EXPECT_TRUE(tier.get(key(4)));
  EXPECT_EQ(tier.bytes(), 300u);
  EXPECT_EQ(tier.entries(), 3u);
}

TEST(MemoryTier, AValueLargerThanTheBudgetIsNotKept) {
  MemoryTier tier(1000);
  tier.put(key(1), Value(1), 10);
  tier.put(key(2), Value(2), 1001);
  EXPECT_FALSE(tier.get(key(2)));
  EXPECT_TRUE(tier.get(key(1))) << "nothing was evicted for a value that cannot fit";
  MemoryTier off(0);
  off.put(key(3), Value(3), 1);
  EXPECT_FALSE(off.get(key(3)));
}

TEST(MemoryTier, ValuesAreSharedNotCopied) {
  MemoryTier tier(1 << 20);
  Value v(testing::make_volume(PixelType::kUInt8, 1, {16, 16, 16}));
  tier.put(key(1), v, 4096);
  std::optional<Value> a = tier.get(key(1));
  std::optional<Value> b = tier.get(key(1));
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->as_volume(), v.as_volume());
  EXPECT_EQ(b->as_volume(), v.as_volume());
  tier.erase(key(1));
  EXPECT_FALSE(tier.get(key(1)));
  EXPECT_EQ(tier.bytes(), 0u);
}

}  // namespace
}  // namespace voxcache::tier
