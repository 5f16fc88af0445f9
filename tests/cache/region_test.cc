// Region and slice reads (cache/region.cc): every box equals the same box cut
// from a full get, voxel for voxel, with its origin moved as ITK moves it.

#include <gtest/gtest.h>

#include <cstring>

#include "test_support.h"
#include "voxcache/cache.h"

namespace voxcache {
namespace {

using testing::cut;
using testing::open_cache;
using testing::TempDir;

class RegionTest : public testing::SmallChunkCacheTest {};

void expect_region(Cache* c, const OperationKey& k, const Volume& full,
                   std::array<uint64_t, 3> start, std::array<uint64_t, 3> size) {
  SCOPED_TRACE("start " + std::to_string(start[0]) + "," + std::to_string(start[1]) + "," +
               std::to_string(start[2]) + " size " + std::to_string(size[0]) + "," +
               std::to_string(size[1]) + "," + std::to_string(size[2]));
  Result<Volume> got = c->read_region(k, start, size);
  ASSERT_OK(got.status());
  const Volume want = cut(full, start, size);
  EXPECT_EQ(got->size(), size);
  EXPECT_EQ(std::memcmp(got->data(), want.data(), want.byte_size()), 0);
  const Geometry& g = full.geometry();
  for (int i = 0; i < 3; ++i) {
    double p = g.origin[i];
    for (int j = 0; j < 3; ++j) p += g.direction[3 * i + j] * g.spacing[j] * start[j];
    EXPECT_EQ(got->geometry().origin[i], p);
    EXPECT_EQ(got->geometry().spacing[i], g.spacing[i]);
  }
  EXPECT_EQ(got->geometry().direction, g.direction);
}

TEST_F(RegionTest, RegionsEqualTheSameBoxCutFromAFullGet) {
  const OperationKey k = KeyBuilder("region").build();
  ASSERT_OK(cache_->put(k, volume_));
  const Volume full = *cache_->get(k)->as_volume();
  expect_region(cache_.get(), k, full, {0, 0, 0}, {37, 23, 41});  // everything
  expect_region(cache_.get(), k, full, {0, 0, 0}, {1, 1, 1});     // first voxel
  expect_region(cache_.get(), k, full, {36, 22, 40}, {1, 1, 1});  // last voxel
  expect_region(cache_.get(), k, full, {5, 3, 0}, {10, 7, 2});    // inside chunk 0
  expect_region(cache_.get(), k, full, {5, 3, 1}, {10, 7, 2});    // across chunks 0 and 1
  expect_region(cache_.get(), k, full, {0, 0, 39}, {37, 23, 2});  // the short last chunk
  expect_region(cache_.get(), k, full, {20, 0, 0}, {1, 23, 41});  // a sagittal plane
  expect_region(cache_.get(), k, full, {30, 20, 7}, {7, 3, 30});  // at the far edges
}

TEST_F(RegionTest, RegionsWhenChunksSplitRows) {
  // Chunks smaller than a row: boundaries fall inside rows.
  Options o;
  o.chunk_bytes = 30;  // rows are 74 bytes
  o.memory_budget_bytes = 0;
  auto c = open_cache(dir_.file("tiny-chunks.db"), o);
  const OperationKey k = KeyBuilder("split").build();
  ASSERT_OK(c->put(k, volume_));
  ASSERT_EQ(c->info(k)->chunk_bytes, 30u);
  const Volume full = *c->get(k)->as_volume();
  ASSERT_EQ(full, volume_);
  expect_region(c.get(), k, full, {3, 4, 5}, {20, 6, 3});
  expect_region(c.get(), k, full, {36, 0, 0}, {1, 23, 41});
}

TEST_F(RegionTest, SlicesOnEveryAxis) {
  const OperationKey k = KeyBuilder("slices").build();
  ASSERT_OK(cache_->put(k, volume_));
  for (int axis = 0; axis < 3; ++axis) {
    for (uint64_t index : {uint64_t{0}, volume_.size()[axis] / 2, volume_.size()[axis] - 1}) {
      Result<Volume> s = cache_->read_slice(k, axis, index);
      ASSERT_OK(s.status());
      std::array<uint64_t, 3> start{0, 0, 0}, size = volume_.size();
      start[axis] = index;
      size[axis] = 1;
      EXPECT_EQ(*s, *cache_->read_region(k, start, size)) << axis << "/" << index;
      EXPECT_EQ(s->size()[axis], 1u);
    }
  }
}

TEST_F(RegionTest, BadRegionsAreInvalidArgument) {
  const OperationKey k = KeyBuilder("bad").build();
  ASSERT_OK(cache_->put(k, volume_));
  EXPECT_TRUE(cache_->read_region(k, {0, 0, 0}, {38, 1, 1}).status().is_invalid_argument());
  EXPECT_TRUE(cache_->read_region(k, {37, 0, 0}, {1, 1, 1}).status().is_invalid_argument());
  EXPECT_TRUE(cache_->read_region(k, {0, 0, 0}, {0, 1, 1}).status().is_invalid_argument());
  EXPECT_TRUE(
      cache_->read_region(k, {0, 0, ~uint64_t{0}}, {1, 1, 2}).status().is_invalid_argument());
  EXPECT_TRUE(cache_->read_slice(k, 3, 0).status().is_invalid_argument());
  EXPECT_TRUE(cache_->read_slice(k, 2, 41).status().is_invalid_argument());
  EXPECT_TRUE(cache_->read_slice(KeyBuilder("none").build(), 2, 0).status().is_not_found());
  ASSERT_OK(cache_->put(KeyBuilder("text").build(), Value("not a volume")));
  EXPECT_TRUE(cache_->read_slice(KeyBuilder("text").build(), 2, 0).status().is_invalid_argument());
}

}  // namespace
}  // namespace voxcache
