// Volumes in bricks (cache/brick_io.cc, the brick side of region.cc,
// streams.cc and recompress): every region and slice of every layout equals
// the same cut from a full get; streams in and out in volume order; a
// corrupted brick is Corruption naming it; old entries stay readable.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <cstring>

#include "test_support.h"
#include "voxcache/cache.h"
#include "voxcache/stream.h"

namespace voxcache {
namespace {

using testing::cut;
using testing::open_cache;
using testing::TempDir;
using Box = std::array<uint64_t, 3>;

std::string box_name(Box start, Box size) {
  return std::to_string(start[0]) + "," + std::to_string(start[1]) + "," +
         std::to_string(start[2]) + "+" + std::to_string(size[0]) + "," + std::to_string(size[1]) +
         "," + std::to_string(size[2]);
}

// The regions every layout is checked on: all of it, corners, single
// voxels, planes of each axis, boxes across brick borders and at far edges.
std::vector<std::pair<Box, Box>> regions(const Box& d) {
  std::vector<std::pair<Box, Box>> out = {
      {{0, 0, 0}, d},
      {{0, 0, 0}, {1, 1, 1}},
      {{d[0] - 1, d[1] - 1, d[2] - 1}, {1, 1, 1}},
      {{d[0] / 3, d[1] / 4, d[2] / 5}, {(d[0] + 1) / 2, (d[1] + 1) / 2, (d[2] + 1) / 2}},
      {{d[0] - std::min<uint64_t>(3, d[0]), d[1] - std::min<uint64_t>(2, d[1]), 0},
       {std::min<uint64_t>(3, d[0]), std::min<uint64_t>(2, d[1]), d[2]}},
  };
  for (int axis = 0; axis < 3; ++axis) {
    for (uint64_t at : {uint64_t{0}, d[axis] / 2, d[axis] - 1}) {
      Box start{0, 0, 0}, size = d;
      start[axis] = at;
      size[axis] = 1;
      out.push_back({start, size});
    }
  }
  return out;
}

void expect_regions(Cache* c, const OperationKey& k, const Volume& v) {
  for (auto [start, size] : regions(v.size())) {
    SCOPED_TRACE(box_name(start, size));
    Result<Volume> got = c->read_region(k, start, size);
    ASSERT_OK(got.status());
    const Volume want = cut(v, start, size);
    ASSERT_EQ(got->size(), size);
    EXPECT_EQ(std::memcmp(got->data(), want.data(), want.byte_size()), 0);
    EXPECT_EQ(got->geometry().spacing, v.geometry().spacing);
    EXPECT_EQ(got->geometry().direction, v.geometry().direction);
  }
  for (int axis = 0; axis < 3; ++axis) {
    for (uint64_t at = 0; at < v.size()[axis]; at += 7) {  // brick borders fall between
      Result<Volume> got = c->read_slice(k, axis, at);
      ASSERT_OK(got.status());
      Box start{0, 0, 0}, size = v.size();
      start[axis] = at;
      size[axis] = 1;
      const Volume want = cut(v, start, size);
      EXPECT_EQ(std::memcmp(got->data(), want.data(), want.byte_size()), 0)
          << "axis " << axis << " at " << at;
    }
  }
}

// Intensity statistics of two layouts agree: exactly in count, range and
// extremes, to rounding in the mean. The histogram's bins are approximate
// when the first chunk does not hold the full range (docs/format.md 2.7),
// and chunks differ between layouts; its counts still sum to `count`.
void expect_same_intensity(const std::string& a_text, const std::string& b_text) {
  const nlohmann::json a = nlohmann::json::parse(a_text), b = nlohmann::json::parse(b_text);
  ASSERT_EQ(a.size(), b.size());
  for (size_t c = 0; c < a.size(); ++c) {
    for (const char* field : {"count", "non_finite", "min", "max", "lo", "hi"}) {
      EXPECT_EQ(a[c][field], b[c][field]) << field;
    }
    EXPECT_NEAR(a[c]["mean"].get<double>(), b[c]["mean"].get<double>(),
                1e-9 * std::abs(a[c]["mean"].get<double>()) + 1e-12);
    uint64_t sum = 0;
    for (const auto& n : b[c]["histogram"]) sum += n.get<uint64_t>();
    EXPECT_EQ(sum, b[c]["count"].get<uint64_t>());
  }
}

class BrickTest : public ::testing::Test {
 protected:
  std::unique_ptr<Cache> open(const std::string& name, uint64_t chunk_bytes = 4096) {
    Options o;
    o.chunk_bytes = chunk_bytes;
    o.threads = 2;
    o.memory_budget_bytes = 0;  // every get decodes from the database
    return open_cache(dir_.file(name), o);
  }
  TempDir dir_;
};

TEST_F(BrickTest, EveryRegionOfEveryLayoutEqualsTheCutOfAFullGet) {
  auto c = open("layouts.db");
  struct Case {
    PixelType type;
    uint32_t components;
    Box size;
  };
  for (const Case& k : {Case{PixelType::kInt16, 1, {37, 23, 41}},
                        Case{PixelType::kFloat32, 3, {19, 17, 13}},  // multi-component
                        Case{PixelType::kUInt8, 1, {5, 4, 3}},       // smaller than a brick
                        Case{PixelType::kFloat64, 1, {1, 1, 9}},     // size 1 on two axes
                        Case{PixelType::kUInt16, 2, {33, 1, 17}}}) {
    const Volume v = testing::make_ramp_volume(k.type, k.components, k.size);
    for (const ChunkLayout& layout :
         {ChunkLayout::ZSlabs(), ChunkLayout::Bricks(), ChunkLayout::Bricks(16, 8, 16),
          ChunkLayout::Bricks(5, 7, 3), ChunkLayout::Bricks(1, 1, 1),
          ChunkLayout::Bricks(64, 64, 64)}) {
      SCOPED_TRACE(std::string(pixel_type_name(k.type)) + "x" + std::to_string(k.components) + " " +
                   box_name({0, 0, 0}, k.size) + " in " + layout.ToString());
      const OperationKey key = KeyBuilder("layout")
                                   .arg("layout", layout.ToString())
                                   .arg("type", std::string(pixel_type_name(k.type)))
                                   .arg("n", static_cast<int64_t>(k.size[0]))
                                   .build();
      ASSERT_OK(c->put(key, v, PutOptions{{}, layout}));
      Result<EntryInfo> info = c->info(key);
      ASSERT_OK(info.status());
      EXPECT_EQ(info->layout.kind, layout.kind);
      if (layout.kind == ChunkLayout::Kind::kBricks && layout.brick[0] != 0) {
        for (int a = 0; a < 3; ++a) {  // clipped to the volume
          EXPECT_EQ(info->layout.brick[a], std::min<uint64_t>(layout.brick[a], k.size[a]));
        }
      }
      Result<Value> got = c->get(key);
      ASSERT_OK(got.status());
      ASSERT_EQ(*got->as_volume(), v);
      expect_regions(c.get(), key, v);
      EXPECT_OK(c->admin().verify(key));
    }
  }
}

TEST_F(BrickTest, OptionsLayoutIsTheDefaultAndTheColumnRecordsIt) {
  Options o;
  o.layout = ChunkLayout::Bricks(8, 8, 8);
  auto c = open_cache(dir_.file("default.db"), o);
  const Volume v = testing::make_ramp_volume(PixelType::kInt16, 1, {20, 20, 20});
  const OperationKey k = KeyBuilder("default").build();
  ASSERT_OK(c->put(k, v));
  EXPECT_EQ(c->info(k)->layout, ChunkLayout::Bricks(8, 8, 8));
  EXPECT_EQ(c->info(k)->chunk_count, 27u);
  EXPECT_EQ(c->info(k)->chunk_bytes, 8u * 8 * 8 * 2);
  const OperationKey slabs = KeyBuilder("slabs").build();
  ASSERT_OK(c->put(slabs, v, PutOptions{{}, ChunkLayout::ZSlabs()}));
  EXPECT_EQ(c->info(slabs)->layout, ChunkLayout::ZSlabs());
  c.reset();
  EXPECT_EQ(testing::query_int(dir_.file("default.db"),
                               "SELECT count(*) FROM results WHERE layout = 'bricks 8x8x8'"),
            1);
  EXPECT_EQ(testing::query_int(dir_.file("default.db"),
                               "SELECT count(*) FROM results WHERE layout = 'z-slabs'"),
            1);
}

TEST_F(BrickTest, AllLayoutsGiveTheSameIntensityStatistics) {
  auto c = open("intensity.db");
  const Volume v = testing::make_volume(PixelType::kInt16, 1, {30, 20, 10}, 7, /*smooth=*/false);
  const OperationKey a = KeyBuilder("a").build(), b = KeyBuilder("b").build();
  ASSERT_OK(c->put(a, v, PutOptions{{}, ChunkLayout::ZSlabs()}));
  ASSERT_OK(c->put(b, v, PutOptions{{}, ChunkLayout::Bricks(7, 6, 5)}));
  EXPECT_FALSE(c->info(a)->intensity_json.empty());
  expect_same_intensity(c->info(a)->intensity_json, c->info(b)->intensity_json);
}

TEST_F(BrickTest, AShapeTooLargeIsInvalidArgumentAndStoresNothing) {
  auto c = open("large.db", 4096);
  Options o;
  o.max_sqlite_value_bytes = 1 << 16;
  auto small = open_cache(dir_.file("small-values.db"), o);
  const Volume v = testing::make_ramp_volume(PixelType::kInt16, 1, {64, 64, 64});
  const OperationKey k = KeyBuilder("large").build();
  Status s = small->put(k, v, PutOptions{{}, ChunkLayout::Bricks(64, 64, 64)});  // 512 KiB bricks
  EXPECT_TRUE(s.is_invalid_argument()) << s.to_string();
  EXPECT_FALSE(*small->contains(k));
  // Automatic bricks fit whatever the limit.
  ASSERT_OK(small->put(k, v, PutOptions{{}, ChunkLayout::Bricks()}));
  EXPECT_EQ(*small->get(k)->as_volume(), v);
}

TEST_F(BrickTest, StreamsInAndOutInVolumeOrder) {
  auto c = open("stream.db");
  const Volume v = testing::make_ramp_volume(PixelType::kInt16, 1, {37, 23, 41});
  const OperationKey k = KeyBuilder("stream").build();
  Result<std::unique_ptr<VolumeWriter>> w =
      c->write_volume(k, v.layout(), PutOptions{{}, ChunkLayout::Bricks(16, 8, 6)});
  ASSERT_OK(w.status());
  for (uint64_t at = 0; at < v.byte_size(); at += 999) {  // pieces that split rows and slices
    ASSERT_OK((*w)->write(v.data() + at, std::min<uint64_t>(999, v.byte_size() - at)));
  }
  ASSERT_OK((*w)->commit());
  EXPECT_EQ(c->info(k)->layout, ChunkLayout::Bricks(16, 8, 6));
  EXPECT_EQ(*c->get(k)->as_volume(), v);

  Result<std::unique_ptr<VolumeReader>> r = c->read_volume(k);
  ASSERT_OK(r.status());
  std::string all;
  const uint64_t slice = 37 * 23 * 2;
  for (;;) {
    Result<VolumeReader::Slab> s = (*r)->next();
    ASSERT_OK(s.status());
    if (s->bytes == 0) break;
    EXPECT_EQ(s->offset, all.size());
    EXPECT_EQ(s->offset % slice, 0u);  // whole slices
    EXPECT_LE(s->bytes, 6 * slice);    // one row of bricks at a time
    all.append(reinterpret_cast<const char*>(s->data), s->bytes);
  }
  ASSERT_EQ(all.size(), v.byte_size());
  EXPECT_EQ(std::memcmp(all.data(), v.data(), all.size()), 0);
}

// A stream whose first slices are all air says nothing about the filter:
// the choice is made again until samples do (here: shuffle, which the noisy
// 16-bit body below the air needs).
TEST_F(BrickTest, AStreamStartingInAirStillChoosesItsFilterFromTheBody) {
  auto c = open("air.db", 1 << 20);
  VolumeLayout l;
  l.pixel_type = PixelType::kInt16;
  l.size = {64, 64, 128};
  std::vector<int16_t> slice(64 * 64);
  uint32_t seed = 7;
  for (const ChunkLayout& layout : {ChunkLayout::ZSlabs(), ChunkLayout::Bricks(16, 16, 16)}) {
    const OperationKey k = KeyBuilder("air").arg("layout", layout.ToString()).build();
    auto w = c->write_volume(k, l, PutOptions{{}, layout});
    ASSERT_OK(w.status());
    for (uint64_t z = 0; z < 128; ++z) {
      for (int16_t& v : slice) {
        seed = seed * 1664525u + 1013904223u;
        v = z < 64 ? int16_t{-1000} : static_cast<int16_t>(40 + (seed >> 26));
      }
      ASSERT_OK((*w)->write(slice.data(), slice.size() * 2));
    }
    ASSERT_OK((*w)->commit());
    EXPECT_EQ(c->info(k)->filter, "shuffle") << layout.ToString();
    EXPECT_OK(c->admin().verify(k));
  }
}

TEST_F(BrickTest, AStreamThatIsShortOrLongStoresNothing) {
  auto c = open("short.db");
  const Volume v = testing::make_ramp_volume(PixelType::kUInt8, 1, {10, 10, 10});
  const OperationKey k = KeyBuilder("short").build();
  {
    auto w = c->write_volume(k, v.layout(), PutOptions{{}, ChunkLayout::Bricks(4, 4, 4)});
    ASSERT_OK(w.status());
    ASSERT_OK((*w)->write(v.data(), 999));
    EXPECT_TRUE((*w)->commit().is_invalid_argument());
  }
  {
    auto w = c->write_volume(k, v.layout(), PutOptions{{}, ChunkLayout::Bricks(4, 4, 4)});
    ASSERT_OK(w.status());
    ASSERT_OK((*w)->write(v.data(), 1000));
    EXPECT_TRUE((*w)->write(v.data(), 1).is_invalid_argument());
    EXPECT_FALSE((*w)->commit().ok());
  }
  EXPECT_FALSE(*c->contains(k));
}

TEST_F(BrickTest, ACorruptedBrickIsCorruptionNamingItAndOtherBricksStillRead) {
  auto c = open("corrupt.db");
  const Volume v = testing::make_ramp_volume(PixelType::kInt16, 1, {37, 23, 41});
  const OperationKey k = KeyBuilder("corrupt").build();
  ASSERT_OK(c->put(k, v, PutOptions{{}, ChunkLayout::Bricks(16, 8, 16)}));  // 3 x 3 x 3 bricks
  c.reset();
  // Brick 5 is (x 2, y 1, z 0): voxels x 32..36, y 8..15, z 0..15.
  testing::flip_blob_byte(dir_.file("corrupt.db"), "chunks", "chunk_index = 5", 40);
  c = open("corrupt.db");
  for (Status s :
       {c->get(k).status(), c->admin().verify(k), c->read_region(k, {33, 9, 1}, {2, 2, 2}).status(),
        c->read_slice(k, 0, 35).status()}) {
    EXPECT_TRUE(s.is_corruption()) << s.to_string();
    EXPECT_NE(s.message().find("brick 5 at voxel (32, 8, 0)"), std::string::npos) << s.to_string();
  }
  // A region away from it never reads it.
  Result<Volume> away = c->read_region(k, {0, 0, 20}, {37, 23, 21});
  ASSERT_OK(away.status());
  const Volume want = cut(v, {0, 0, 20}, {37, 23, 21});
  EXPECT_EQ(std::memcmp(away->data(), want.data(), want.byte_size()), 0);
  // A stream hands out the rows before it, then fails.
  auto r = c->read_volume(k);
  ASSERT_OK(r.status());
  Status last;
  for (;;) {
    Result<VolumeReader::Slab> s = (*r)->next();
    if (!s.ok() || s->bytes == 0) {
      last = s.status();
      break;
    }
  }
  EXPECT_TRUE(last.is_corruption()) << last.to_string();
}

TEST_F(BrickTest, AMissingBrickRowIsCorruption) {
  auto c = open("missing.db");
  const Volume v = testing::make_ramp_volume(PixelType::kInt16, 1, {37, 23, 41});
  const OperationKey k = KeyBuilder("missing").build();
  ASSERT_OK(c->put(k, v, PutOptions{{}, ChunkLayout::Bricks(16, 8, 16)}));
  c.reset();
  testing::raw_sql(dir_.file("missing.db"), "DELETE FROM chunks WHERE chunk_index = 13");
  c = open("missing.db");
  EXPECT_TRUE(c->get(k).status().is_corruption());
  EXPECT_TRUE(c->read_slice(k, 2, 20).status().is_corruption());
  EXPECT_TRUE(c->admin().verify(k).is_corruption());
}

TEST_F(BrickTest, RecompressConvertsBetweenLayoutsKeepingEverythingElse) {
  auto c = open("convert.db");
  const Volume v = testing::make_ramp_volume(PixelType::kInt16, 1, {37, 23, 41});
  const KeyBuilder recipe = KeyBuilder("smooth").arg("sigma", 1.5);
  const OperationKey k = recipe.build();
  ASSERT_OK(c->put(recipe, Value(v), PutOptions{R"({"note":"kept"})"}));
  ASSERT_OK(c->admin().pin(k));
  const EntryInfo before = *c->info(k);
  EXPECT_EQ(before.layout, ChunkLayout::ZSlabs());

  Result<RecompressReport> r = c->admin().recompress(k, {-1, ChunkLayout::Bricks(8, 8, 8)});
  ASSERT_OK(r.status());
  EXPECT_TRUE(r->changed);
  const EntryInfo after = *c->info(k);
  EXPECT_EQ(after.layout, ChunkLayout::Bricks(8, 8, 8));
  EXPECT_EQ(after.level, before.level);
  EXPECT_EQ(after.metadata, before.metadata);
  EXPECT_EQ(after.recipe_json, before.recipe_json);
  EXPECT_EQ(after.created_at_ms, before.created_at_ms);
  EXPECT_TRUE(after.pinned);
  expect_same_intensity(before.intensity_json, after.intensity_json);
  EXPECT_EQ(*c->get(k)->as_volume(), v);
  expect_regions(c.get(), k, v);

  // The same layout again: nothing to do.
  r = c->admin().recompress(k, {-1, ChunkLayout::Bricks(8, 8, 8)});
  ASSERT_OK(r.status());
  EXPECT_FALSE(r->changed);
  // A level change alone keeps the bricks.
  r = c->admin().recompress(k, {1, std::nullopt});
  ASSERT_OK(r.status());
  EXPECT_TRUE(r->changed);
  EXPECT_EQ(c->info(k)->layout, ChunkLayout::Bricks(8, 8, 8));
  // And back to slabs.
  ASSERT_OK(c->admin().recompress(k, {-1, ChunkLayout::ZSlabs()}).status());
  EXPECT_EQ(c->info(k)->layout, ChunkLayout::ZSlabs());
  EXPECT_EQ(*c->get(k)->as_volume(), v);
  EXPECT_EQ(
      testing::query_int(dir_.file("convert.db"),
                         "SELECT count(*) FROM chunks WHERE operation_id = '" + k.hex() + "'"),
      static_cast<int64_t>(c->info(k)->chunk_count));

  const OperationKey text = KeyBuilder("text").build();
  ASSERT_OK(c->put(text, Value(std::string(5000, 'x'))));
  EXPECT_TRUE(
      c->admin().recompress(text, {-1, ChunkLayout::Bricks()}).status().is_invalid_argument());
  EXPECT_OK(c->admin().recompress(text, {1, std::nullopt}).status());
}

// A database of schema 6 (before bricks): its volumes open as z-slabs and
// its layout column is filled by the migration.
TEST_F(BrickTest, MigratesSchemaSixEntriesAsZSlabs) {
  const Volume v = testing::make_ramp_volume(PixelType::kInt16, 1, {37, 23, 41});
  const OperationKey k = KeyBuilder("old").build(), s = KeyBuilder("scalar").build();
  {
    auto c = open("v6.db");
    ASSERT_OK(c->put(k, v));
    ASSERT_OK(c->put(s, Value(int64_t{7})));
  }
  testing::raw_sql(
      dir_.file("v6.db"),
      "ALTER TABLE results DROP COLUMN layout; ALTER TABLE totals DROP COLUMN replaced;"
      " PRAGMA user_version = 6;");
  {
    // Read-only, the file cannot migrate: it is read as it is.
    Options ro;
    ro.read_only = true;
    auto old = open_cache(dir_.file("v6.db"), ro);
    ASSERT_NE(old, nullptr);
    EXPECT_EQ(*old->get(k)->as_volume(), v);
    EXPECT_EQ(*old->get(k)->as_volume(), v);
    // No replacement count to look at (store/replacements.h): nothing is
    // served from memory, since another process could replace an entry.
    EXPECT_EQ(old->stats().memory_hits, 0u);
    EXPECT_EQ(old->stats().disk_hits, 2u);
    EXPECT_EQ(old->info(k)->layout, ChunkLayout::ZSlabs());
    EXPECT_EQ(old->admin().list()->size(), 2u);
  }
  EXPECT_EQ(testing::query_int(dir_.file("v6.db"), "PRAGMA user_version"), 6);
  auto c = open("v6.db");
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(testing::query_int(dir_.file("v6.db"), "PRAGMA user_version"), 8);
  EXPECT_EQ(testing::query_int(dir_.file("v6.db"),
                               "SELECT count(*) FROM results WHERE layout = 'z-slabs'"),
            1);
  EXPECT_EQ(
      testing::query_int(dir_.file("v6.db"), "SELECT count(*) FROM results WHERE layout IS NULL"),
      1);  // the scalar
  EXPECT_EQ(c->info(k)->layout, ChunkLayout::ZSlabs());
  EXPECT_EQ(*c->get(k)->as_volume(), v);
  expect_regions(c.get(), k, v);
}

}  // namespace
}  // namespace voxcache
