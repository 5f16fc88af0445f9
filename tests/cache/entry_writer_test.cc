// The entry writer (cache/entry_writer.cc) through the public API: stored
// bytes independent of the thread count, and the byte-shuffle filter.

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstring>
#include <random>

#include "test_support.h"
#include "voxcache/cache.h"

namespace voxcache {
namespace {

using testing::make_ramp_volume;
using testing::make_volume;
using testing::open_cache;
using testing::TempDir;

// Every stored byte of every entry, in key and chunk order.
std::string dump_entries(const std::string& path) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  std::string out;
  for (const char* sql :
       {"SELECT operation_id || ':' || hex(substr(data, 1, 70)) || filter || codec FROM results "
        "ORDER BY operation_id",
        "SELECT operation_id || ':' || chunk_index || ':' || hex(data) FROM chunks ORDER BY "
        "operation_id, chunk_index"}) {
    sqlite3_stmt* st = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql, -1, &st, nullptr), SQLITE_OK);
    while (sqlite3_step(st) == SQLITE_ROW) {
      out += reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
      out += '\n';
    }
    sqlite3_finalize(st);
  }
  sqlite3_close(db);
  return out;
}

TEST(ChunkPipeline, StoredBytesAreIdenticalForOneTwoAndEightThreads) {
  TempDir dir;
  const Volume a = make_ramp_volume(PixelType::kInt16, 1, {64, 48, 40});
  const Volume b = make_volume(PixelType::kFloat32, 2, {33, 17, 29}, 5, false);
  std::string reference;
  for (unsigned threads : {1u, 2u, 8u}) {
    Options o;
    o.threads = threads;
    o.chunk_bytes = 16 * 1024;  // many chunks, many batches
    const std::string path = dir.file("t" + std::to_string(threads) + ".db");
    auto c = open_cache(path, o);
    ASSERT_OK(c->put(KeyBuilder("a").build(), a));
    ASSERT_OK(c->put(KeyBuilder("b").build(), b));
    ASSERT_GT(c->info(KeyBuilder("a").build())->chunk_count, 8u);
    // Header bytes hold no time; created_at is a column, not compared here.
    const std::string dump = dump_entries(path);
    if (reference.empty()) reference = dump;
    EXPECT_EQ(dump, reference) << threads << " threads";
    EXPECT_EQ(*c->get(KeyBuilder("a").build())->as_volume(), a);
  }
}

TEST(ChunkPipeline, ShuffleOnAndOffRoundTripEveryMultiBytePixelType) {
  TempDir dir;
  for (ShuffleMode mode : {ShuffleMode::kAlways, ShuffleMode::kNever, ShuffleMode::kAuto}) {
    Options o;
    o.shuffle = mode;
    o.chunk_bytes = 8 * 1024;
    o.memory_budget_bytes = 0;  // read from disk every time
    auto c = open_cache(dir.file("s" + std::to_string(static_cast<int>(mode)) + ".db"), o);
    for (int t = 3; t <= 10; ++t) {
      const auto type = static_cast<PixelType>(t);
      for (uint32_t comps : {1u, 3u}) {
        const Volume v = make_ramp_volume(type, comps, {31, 19, 11});
        const OperationKey k = content_key(v);
        ASSERT_OK(c->put(k, v));
        Result<Value> back = c->get(k);
        ASSERT_OK(back.status());
        ASSERT_EQ(*back->as_volume(), v) << pixel_type_name(type) << " x" << comps;
        const std::string filter = c->info(k)->filter;
        if (mode == ShuffleMode::kAlways) EXPECT_EQ(filter, "shuffle");
        if (mode == ShuffleMode::kNever) EXPECT_EQ(filter, "none");
      }
    }
    // One-byte pixels are never shuffled: there is nothing to regroup.
    const Volume u8 = make_ramp_volume(PixelType::kUInt8, 1, {31, 19, 11});
    ASSERT_OK(c->put(content_key(u8), u8));
    EXPECT_EQ(c->info(content_key(u8))->filter, "none");
  }
}

TEST(ChunkPipeline, AutoShuffleKeepsTheSmallerEncoding) {
  TempDir dir;
  // A smooth float field: shuffled exponent and high mantissa bytes repeat.
  VolumeLayout l;
  l.pixel_type = PixelType::kFloat32;
  l.size = {96, 96, 64};
  Volume smooth = Volume::Create(l).value();
  float* p = smooth.mutable_pixels<float>();
  for (uint64_t i = 0; i < smooth.voxel_count(); ++i) p[i] = 100.0f + 0.001f * (i % 9973);
  uint64_t sizes[2];
  for (ShuffleMode mode : {ShuffleMode::kNever, ShuffleMode::kAlways}) {
    Options o;
    o.shuffle = mode;
    auto c = open_cache(dir.file(mode == ShuffleMode::kNever ? "never.db" : "always.db"), o);
    ASSERT_OK(c->put(KeyBuilder("f").build(), smooth));
    sizes[mode == ShuffleMode::kAlways] = c->info(KeyBuilder("f").build())->stored_bytes;
  }
  auto c = open_cache(dir.file("auto.db"));
  ASSERT_OK(c->put(KeyBuilder("f").build(), smooth));
  const EntryInfo info = *c->info(KeyBuilder("f").build());
  EXPECT_EQ(info.stored_bytes, std::min(sizes[0], sizes[1]));
  EXPECT_EQ(info.filter, sizes[1] < sizes[0] ? "shuffle" : "none");
}

// Without a level from the program or the database, an entry whose samples
// compress less than 2.5-fold at level 1 (mostly noise) is written at level
// 2, others at 3; a level that was asked for is used as it is.
TEST(ChunkPipeline, TheAutomaticLevelIsTwoForNoiseLikeDataAndThreeOtherwise) {
  TempDir dir;
  VolumeLayout l;
  l.size = {128, 128, 64};
  Volume noisy = Volume::Create(l).value();
  std::mt19937 rng(5);
  for (uint64_t i = 0; i < noisy.byte_size(); ++i) noisy.mutable_data()[i] = rng() % 24;
  const Volume smooth = make_ramp_volume(PixelType::kUInt8, 1, {128, 128, 64});
  auto c = open_cache(dir.file("auto.db"));
  ASSERT_OK(c->put(KeyBuilder("noisy").build(), noisy));
  ASSERT_OK(c->put(KeyBuilder("smooth").build(), smooth));
  const EntryInfo n = *c->info(KeyBuilder("noisy").build());
  EXPECT_EQ(n.level, 2);
  EXPECT_LT(static_cast<double>(n.raw_bytes) / n.stored_bytes, 2.5);
  EXPECT_GT(n.raw_bytes, n.stored_bytes) << "it does compress";
  EXPECT_EQ(c->info(KeyBuilder("smooth").build())->level, 3);
  EXPECT_EQ(*c->get(KeyBuilder("noisy").build())->as_volume(), noisy);

  Options three;
  three.compression_level = 3;
  auto asked = open_cache(dir.file("three.db"), three);
  ASSERT_OK(asked->put(KeyBuilder("noisy").build(), noisy));
  EXPECT_EQ(asked->info(KeyBuilder("noisy").build())->level, 3);
}

}  // namespace
}  // namespace voxcache
