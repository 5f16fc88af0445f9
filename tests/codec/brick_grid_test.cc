// The brick geometry (codec/brick_grid.cc): shapes, clipping, runs, the
// layout names, and the box copy everything else is built on.

#include "codec/brick_grid.h"
#include "codec/entry_format.h"

#include <gtest/gtest.h>

#include <numeric>
#include <set>

#include "test_support.h"

namespace voxcache::codec {
namespace {

TEST(ChunkLayout, NamesParseBack) {
  for (const ChunkLayout& l : {ChunkLayout::ZSlabs(), ChunkLayout::Bricks(),
                               ChunkLayout::Bricks(32, 32, 32), ChunkLayout::Bricks(7, 1, 300)}) {
    Result<ChunkLayout> back = ChunkLayout::Parse(l.ToString());
    ASSERT_OK(back.status()) << l.ToString();
    EXPECT_EQ(*back, l) << l.ToString();
  }
  EXPECT_EQ(*ChunkLayout::Parse("bricks 16"), ChunkLayout::Bricks(16, 16, 16));
  EXPECT_EQ(*ChunkLayout::Parse("bricks=8x4x2"), ChunkLayout::Bricks(8, 4, 2));
  for (const char* bad : {"", "slabs", "bricks 0", "bricks 4x4", "bricks 4x4x4x4", "bricks x4",
                          "bricks 4x", "bricks -4", "bricks 99999999999", "bricksy"}) {
    EXPECT_TRUE(ChunkLayout::Parse(bad).status().is_invalid_argument()) << bad;
  }
}

TEST(BrickGrid, BricksAreClippedAtTheFarEdgesAndCoverEveryVoxelOnce) {
  const BrickGrid g({37, 23, 41}, {16, 8, 16}, 2);
  EXPECT_EQ(g.bricks(), (Box3{3, 3, 3}));
  EXPECT_EQ(g.count(), 27u);
  EXPECT_EQ(g.full_brick_bytes(), 16u * 8 * 16 * 2);
  uint64_t total = 0;
  std::vector<int> seen(37 * 23 * 41, 0);
  for (uint64_t i = 0; i < g.count(); ++i) {
    Box3 start, size;
    g.box(i, &start, &size);
    EXPECT_EQ(g.brick_bytes(i), size[0] * size[1] * size[2] * 2);
    total += g.brick_bytes(i);
    for (uint64_t z = start[2]; z < start[2] + size[2]; ++z)
      for (uint64_t y = start[1]; y < start[1] + size[1]; ++y)
        for (uint64_t x = start[0]; x < start[0] + size[0]; ++x) ++seen[(z * 23 + y) * 37 + x];
  }
  EXPECT_EQ(total, 37u * 23 * 41 * 2);
  EXPECT_EQ(std::count(seen.begin(), seen.end(), 1), static_cast<long>(seen.size()));
  Box3 start, size;
  g.box(26, &start, &size);  // the last brick: clipped on every axis
  EXPECT_EQ(start, (Box3{32, 16, 32}));
  EXPECT_EQ(size, (Box3{5, 7, 9}));
  EXPECT_EQ(g.name(26), "brick 26 at voxel (32, 16, 32)");
}

TEST(BrickGrid, RunsHoldExactlyTheBricksABoxMeets) {
  const BrickGrid g({37, 23, 41}, {16, 8, 16}, 1);
  auto bricks_of = [&](Box3 start, Box3 size) {
    std::set<uint64_t> out;
    uint64_t last = 0;
    bool first = true;
    for (auto [a, b] : g.runs(start, size)) {
      EXPECT_LT(a, b);
      if (!first) EXPECT_GT(a, last);  // ascending and disjoint
      for (uint64_t i = a; i < b; ++i) out.insert(i);
      last = b - 1;
      first = false;
    }
    return out;
  };
  auto brute = [&](Box3 start, Box3 size) {
    std::set<uint64_t> out;
    for (uint64_t i = 0; i < g.count(); ++i) {
      Box3 bs, bz, is, iz;
      g.box(i, &bs, &bz);
      if (intersect(bs, bz, start, size, &is, &iz)) out.insert(i);
    }
    return out;
  };
  for (auto [start, size] : std::vector<std::pair<Box3, Box3>>{{{0, 0, 0}, {37, 23, 41}},
                                                               {{0, 0, 0}, {1, 1, 1}},
                                                               {{15, 7, 15}, {2, 2, 2}},
                                                               {{20, 0, 0}, {1, 23, 41}},
                                                               {{0, 9, 0}, {37, 1, 41}},
                                                               {{0, 0, 40}, {37, 23, 1}},
                                                               {{36, 22, 40}, {1, 1, 1}}}) {
    EXPECT_EQ(bricks_of(start, size), brute(start, size));
  }
  EXPECT_EQ(g.runs({0, 0, 0}, {37, 23, 41}).size(), 1u);  // whole rows merge into one run
}

TEST(ChooseBrick, AutomaticIsA32CubeShrunkToTheChunkBudgetAndClipped) {
  VolumeLayout v;
  v.pixel_type = PixelType::kInt16;
  v.size = {512, 512, 512};
  EXPECT_EQ(*choose_brick(v, {0, 0, 0}, 1 << 20, kMaxChunkBytes), (BrickShape{32, 32, 32}));
  EXPECT_EQ(*choose_brick(v, {0, 0, 0}, 16 << 10, kMaxChunkBytes), (BrickShape{32, 16, 16}));
  v.size = {181, 217, 20};
  EXPECT_EQ(*choose_brick(v, {0, 0, 0}, 1 << 20, kMaxChunkBytes), (BrickShape{32, 32, 20}));
  v.size = {4096, 4096, 64};  // 32 MiB slices: a row of 32 would be 1 GiB
  EXPECT_EQ(*choose_brick(v, {0, 0, 0}, 1 << 20, kMaxChunkBytes), (BrickShape{32, 32, 4}));
}

TEST(ChooseBrick, AShapeGivenIsCheckedAndClipped) {
  VolumeLayout v;
  v.pixel_type = PixelType::kFloat32;
  v.size = {10, 300, 300};
  EXPECT_EQ(*choose_brick(v, {64, 64, 8}, 1 << 20, kMaxChunkBytes), (BrickShape{10, 64, 8}));
  EXPECT_TRUE(choose_brick(v, {64, 0, 8}, 1 << 20, kMaxChunkBytes).status().is_invalid_argument());
  EXPECT_TRUE(choose_brick(v, {300, 300, 300}, 1 << 20, 1 << 20).status().is_invalid_argument());
  v.size = {8192, 8192, 8};  // 256 MiB slices
  EXPECT_TRUE(choose_brick(v, {1, 1, 1}, 1 << 20, kMaxChunkBytes).status().is_invalid_argument());
}

TEST(CopyBox, CopiesARegionBetweenTwoBoxBuffers) {
  // src holds box (2,3,4)+(5,4,3) of a 1-byte volume whose voxel (x,y,z) is x+10y+100z.
  const Box3 ss{2, 3, 4}, sz{5, 4, 3};
  std::vector<uint8_t> src(5 * 4 * 3);
  auto value = [](uint64_t x, uint64_t y, uint64_t z) {
    return static_cast<uint8_t>((x + 10 * y + 100 * z) % 251);
  };
  for (uint64_t z = 0; z < 3; ++z)
    for (uint64_t y = 0; y < 4; ++y)
      for (uint64_t x = 0; x < 5; ++x) src[(z * 4 + y) * 5 + x] = value(x + 2, y + 3, z + 4);
  const Box3 ds{3, 2, 5}, dz{6, 6, 2};
  std::vector<uint8_t> dst(6 * 6 * 2, 0xEE);
  Box3 rs, rz;
  ASSERT_TRUE(intersect(ss, sz, ds, dz, &rs, &rz));
  EXPECT_EQ(rs, (Box3{3, 3, 5}));
  EXPECT_EQ(rz, (Box3{4, 4, 2}));
  copy_box({src.data(), ss, sz}, dst.data(), ds, dz, rs, rz, 1);
  for (uint64_t z = 0; z < 2; ++z)
    for (uint64_t y = 0; y < 6; ++y)
      for (uint64_t x = 0; x < 6; ++x) {
        const uint64_t gx = x + 3, gy = y + 2, gz = z + 5;
        const bool inside = gx >= 3 && gx < 7 && gy >= 3 && gy < 7;
        EXPECT_EQ(dst[(z * 6 + y) * 6 + x], inside ? value(gx, gy, gz) : 0xEE);
      }
  Box3 is, iz;
  EXPECT_FALSE(intersect({0, 0, 0}, {2, 2, 2}, {2, 0, 0}, {2, 2, 2}, &is, &iz));
}

}  // namespace
}  // namespace voxcache::codec
