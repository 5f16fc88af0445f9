// The chunk pipeline (cache/entry_writer.cc, cache/entry_reader.cc) through
// the public API: thread-count determinism, shuffle, streaming, region reads
// and the in-memory tier.

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstring>

#include "test_support.h"
#include "voxcache/cache.h"

namespace voxcache {
namespace {

using testing::make_ramp_volume;
using testing::make_volume;
using testing::TempDir;

std::unique_ptr<Cache> open_cache(const std::string& path, Options o = Options()) {
  Result<std::unique_ptr<Cache>> c = Cache::Open(path, o);
  EXPECT_TRUE(c.ok()) << c.status().to_string();
  return c.ok() ? std::move(c).value() : nullptr;
}

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

class StreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Options o;
    o.chunk_bytes = 4096;  // a slice is 37*23*2 = 1702 bytes: 2 slices a chunk
    o.threads = 2;
    o.memory_budget_bytes = 0;
    cache_ = open_cache(dir_.file("stream.db"), o);
  }
  TempDir dir_;
  std::unique_ptr<Cache> cache_;
  const Volume volume_ = make_ramp_volume(PixelType::kInt16, 1, {37, 23, 41});
};

TEST_F(StreamTest, StreamingPutThenFullGetEqualsTheVolume) {
  const OperationKey k = KeyBuilder("streamed").build();
  auto w = cache_->write_volume(k, volume_.layout(), R"({"via": "stream"})");
  ASSERT_OK(w.status());
  // Pieces of odd sizes, not aligned to slices, rows or chunks.
  uint64_t at = 0;
  for (uint64_t piece = 1; at < volume_.byte_size(); piece = piece * 3 + 7) {
    const uint64_t n = std::min(piece, volume_.byte_size() - at);
    ASSERT_OK((*w)->write(volume_.data() + at, n));
    at += n;
  }
  EXPECT_TRUE(cache_->get(k).status().is_not_found()) << "invisible before commit";
  ASSERT_OK((*w)->commit());
  Result<Value> v = cache_->get(k);
  ASSERT_OK(v.status());
  EXPECT_EQ(*v->as_volume(), volume_);
  EXPECT_EQ(cache_->info(k)->metadata, R"({"via":"stream"})");
  // Same stored entry as a plain put of the same volume.
  const OperationKey k2 = KeyBuilder("plain").build();
  ASSERT_OK(cache_->put(k2, volume_));
  EXPECT_EQ(cache_->info(k2)->stored_bytes, cache_->info(k)->stored_bytes);
  EXPECT_EQ(cache_->info(k2)->checksum, cache_->info(k)->checksum);
}

TEST_F(StreamTest, FullPutThenStreamingGetEqualsTheVolume) {
  const OperationKey k = KeyBuilder("full").build();
  ASSERT_OK(cache_->put(k, volume_));
  auto r = cache_->read_volume(k);
  ASSERT_OK(r.status());
  EXPECT_EQ((*r)->layout().size, volume_.size());
  std::string got;
  uint64_t slabs = 0;
  const uint64_t slice = 37 * 23 * 2;
  for (;;) {
    Result<VolumeReader::Slab> s = (*r)->next();
    ASSERT_OK(s.status());
    if (s->bytes == 0) break;
    EXPECT_EQ(s->offset, got.size());
    EXPECT_EQ(s->offset % slice, 0u) << "slabs start on whole z-slices";
    got.append(reinterpret_cast<const char*>(s->data), s->bytes);
    ++slabs;
  }
  EXPECT_GT(slabs, 2u);
  ASSERT_EQ(got.size(), volume_.byte_size());
  EXPECT_EQ(std::memcmp(got.data(), volume_.data(), got.size()), 0);
}

TEST_F(StreamTest, StreamingErrors) {
  const OperationKey k = KeyBuilder("short").build();
  {
    auto w = cache_->write_volume(k, volume_.layout());
    ASSERT_OK(w.status());
    ASSERT_OK((*w)->write(volume_.data(), 100));
    EXPECT_TRUE((*w)->commit().is_invalid_argument()) << "too few bytes";
  }
  EXPECT_TRUE(cache_->get(k).status().is_not_found()) << "nothing stored";
  {
    auto w = cache_->write_volume(k, volume_.layout());
    ASSERT_OK(w.status());
    ASSERT_OK((*w)->write(volume_.data(), volume_.byte_size()));
    EXPECT_TRUE((*w)->write(volume_.data(), 1).is_invalid_argument()) << "too many bytes";
    EXPECT_TRUE((*w)->commit().is_invalid_argument()) << "a failed writer stays failed";
  }
  {
    auto w = cache_->write_volume(k, volume_.layout());
    ASSERT_OK(w.status());
    ASSERT_OK((*w)->write(volume_.data(), 5000));
  }  // dropped without commit
  EXPECT_TRUE(cache_->get(k).status().is_not_found());
  VolumeLayout bad = volume_.layout();
  bad.geometry.spacing[0] = 0;
  EXPECT_TRUE(cache_->write_volume(k, bad).status().is_invalid_argument());
  EXPECT_TRUE(cache_->read_volume(k).status().is_not_found());
  ASSERT_OK(cache_->put(KeyBuilder("scalar").build(), Value(1.5)));
  EXPECT_TRUE(cache_->read_volume(KeyBuilder("scalar").build()).status().is_invalid_argument());

  // A present key: the writer takes the bytes and stores nothing new.
  ASSERT_OK(cache_->put(k, volume_));
  auto again = cache_->write_volume(k, volume_.layout());
  ASSERT_OK(again.status());
  ASSERT_OK((*again)->write(volume_.data(), volume_.byte_size()));
  ASSERT_OK((*again)->commit());
}

TEST_F(StreamTest, CorruptChunkStopsTheStreamWithCorruption) {
  const OperationKey k = KeyBuilder("c").build();
  ASSERT_OK(cache_->put(k, volume_));
  testing::flip_blob_byte(dir_.file("stream.db"), "chunks", "chunk_index = 5", 40);
  auto r = cache_->read_volume(k);
  ASSERT_OK(r.status());
  Status end = Status::OK();
  for (int i = 0; i < 100 && end.ok(); ++i) {
    Result<VolumeReader::Slab> s = (*r)->next();
    if (!s.ok())
      end = s.status();
    else if (s->bytes == 0)
      break;
    else
      EXPECT_LT(s->offset, 5u * 4096 - 4096 % 1702) << "the bad chunk is never handed out";
  }
  EXPECT_TRUE(end.is_corruption()) << end.to_string();
  EXPECT_NE(end.message().find("chunk 5"), std::string::npos) << end.message();
}

// A box cut from a full get, voxel by voxel: the reference for region reads.
Volume cut(const Volume& v, std::array<uint64_t, 3> start, std::array<uint64_t, 3> size) {
  VolumeLayout l = v.layout();
  l.size = size;
  Volume out = Volume::Create(l).value();
  const uint64_t vb = pixel_type_size(v.pixel_type()) * v.components();
  for (uint64_t z = 0; z < size[2]; ++z)
    for (uint64_t y = 0; y < size[1]; ++y) {
      const uint64_t src = ((start[2] + z) * v.size()[1] + start[1] + y) * v.size()[0] + start[0];
      std::memcpy(out.mutable_data() + ((z * size[1] + y) * size[0]) * vb, v.data() + src * vb,
                  size[0] * vb);
    }
  return out;
}

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

TEST_F(StreamTest, RegionsEqualTheSameBoxCutFromAFullGet) {
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

TEST_F(StreamTest, RegionsWhenChunksSplitRows) {
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

TEST_F(StreamTest, SlicesOnEveryAxis) {
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

TEST_F(StreamTest, BadRegionsAreInvalidArgument) {
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

TEST(MemoryTierInCache, SecondGetIsAMemoryHitSharingTheVolume) {
  TempDir dir;
  Options o;
  o.memory_budget_bytes = 1 << 20;
  auto c = open_cache(dir.file("tier.db"), o);
  const Volume small = make_volume(PixelType::kUInt8, 1, {64, 64, 64});  // 256 KiB
  const Volume big = make_volume(PixelType::kUInt8, 1, {128, 128, 80});  // 1.25 MiB: too big
  ASSERT_OK(c->put(KeyBuilder("small").build(), small));
  ASSERT_OK(c->put(KeyBuilder("big").build(), big));
  Result<Value> a = c->get(KeyBuilder("small").build());
  Result<Value> b = c->get(KeyBuilder("small").build());
  ASSERT_OK(a.status());
  ASSERT_OK(b.status());
  EXPECT_EQ(a->as_volume(), b->as_volume()) << "shared, not copied";
  ASSERT_OK(c->get(KeyBuilder("big").build()).status());
  ASSERT_OK(c->get(KeyBuilder("big").build()).status());
  EXPECT_TRUE(c->get(KeyBuilder("missing").build()).status().is_not_found());
  const CacheStats s = c->stats();
  EXPECT_EQ(s.disk_hits, 3u);  // small once, big twice (larger than the budget)
  EXPECT_EQ(s.memory_hits, 1u);
  EXPECT_EQ(s.misses, 1u);
  EXPECT_EQ(s.puts, 2u);
  EXPECT_EQ(s.memory_entries, 1u);
  EXPECT_EQ(s.memory_bytes, small.byte_size());
  ASSERT_OK(c->erase(KeyBuilder("small").build()));
  EXPECT_TRUE(c->get(KeyBuilder("small").build()).status().is_not_found()) << "erase drops it";
}

}  // namespace
}  // namespace voxcache
