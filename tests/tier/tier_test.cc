// What every tier shares (tier/tier.cc): copying an entry from one tier to
// another, chunks and row, lineage included.

#include "tier/tier.h"

#include <gtest/gtest.h>

#include "test_support.h"
#include "tier/local_tier.h"
#include "tier_fixture.h"

namespace voxcache::tier {
namespace {

TEST(CopyEntry, CopiesEveryChunkAndTheRowWithItsLineage) {
  testing::TempDir dir;
  auto a = open_catalog(dir.file("a.db"));
  auto b = open_catalog(dir.file("b.db"));
  LocalTier from(a.get()), to(b.get());
  Entry row = row_for(kA, 3);
  row.operation = "op";
  row.inputs = {kB};
  {
    auto sink = std::move(from.create(kA, false)).value();
    for (int i = 0; i < 3; ++i) ASSERT_OK(sink->add_chunk(i, "chunk" + std::to_string(i)));
    ASSERT_OK(sink->commit(row));
  }
  auto src = std::move(from.open_with_lineage(kA)).value();
  EXPECT_EQ(src->entry().inputs, std::vector<std::string>{kB}) << "lineage travels with the row";
  ASSERT_OK(copy_entry(src.get(), &to));
  EXPECT_TRUE(std::move(from.open(kA)).value()->entry().inputs.empty())
      << "a plain open (a get) skips the lineage query";
  auto copy = std::move(to.open_with_lineage(kA)).value();
  EXPECT_EQ(copy->entry().operation, "op");
  EXPECT_EQ(copy->entry().inputs, std::vector<std::string>{kB});
  ASSERT_OK(copy->seek(0, 3));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(*copy->next_chunk(), "chunk" + std::to_string(i));
  auto src2 = std::move(from.open(kA)).value();
  ASSERT_OK(copy_entry(src2.get(), &to));  // present: nothing to do
}

}  // namespace
}  // namespace voxcache::tier
