// Options::codec, `config codec` and recompress's codec (cache/pipeline.cc,
// entry_writer.cc, admin.cc): entries of every value kind written with LZ4
// read back exactly, through handles of either codec; the codec is recorded
// per entry, converted by recompress, and a damaged LZ4 chunk is Corruption.

#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "cache_fixture.h"
#include "test_support.h"

namespace voxcache {
namespace {

using testing::make_ramp_volume;
using testing::make_volume;

class CodecOptionTest : public CacheTest {
 protected:
  static Options lz4() {
    Options o;
    o.codec = Codec::kLz4;
    return o;
  }
  // Values of every kind, each large enough to be chunked and compressed.
  static std::vector<Value> values() {
    VolumeLayout image = make_volume(PixelType::kFloat32, 1, {64, 48, 1}).layout();
    image.dimension = 2;
    Result<Volume> flat = Volume::Copy(
        image, make_ramp_volume(PixelType::kFloat32, 1, {64, 48, 1}).data(), image.byte_size());
    EXPECT_TRUE(flat.ok()) << flat.status().to_string();
    return {Value(2.5),
            Value(std::string(70000, 'x')),
            Value(make_ramp_volume(PixelType::kUInt8, 1, {128, 96, 40})),
            Value(make_ramp_volume(PixelType::kFloat32, 1, {64, 64, 40})),
            Value(make_ramp_volume(PixelType::kInt16, 3, {32, 32, 16})),
            Value(std::move(flat).value()),
            Value::Tuple({Value(make_ramp_volume(PixelType::kInt16, 1, {64, 64, 20})), Value(1.5),
                          Value(std::string("label"))})};
  }
  static OperationKey k(int i) { return KeyBuilder("codec").arg("i", i).build(); }
};

TEST_F(CodecOptionTest, EveryValueKindRoundTripsWithLz4AndReadsThroughAZstdHandle) {
  const std::vector<Value> vs = values();
  {
    auto c = open(lz4());
    for (size_t i = 0; i < vs.size(); ++i) ASSERT_OK(c->put(k(i), vs[i]));
    for (size_t i = 0; i < vs.size(); ++i) {
      const EntryInfo info = *c->info(k(i));
      EXPECT_EQ(info.level, 1) << i << ": LZ4's one level";
      if (i > 0) EXPECT_EQ(info.codec, "lz4") << i;
    }
    EXPECT_EQ(c->info(k(3))->filter, "shuffle") << "float32 ramps shuffle with LZ4 too";
  }
  // A new handle on the defaults (zstd) reads them: each first get decodes
  // from the database (the handle's memory tier starts empty), the second
  // comes from its memory tier. It writes zstd beside them.
  auto c = open();
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t i = 0; i < vs.size(); ++i) {
      Result<Value> back = c->get(k(i));
      ASSERT_OK(back.status()) << i;
      EXPECT_TRUE(*back == vs[i]) << i << " pass " << pass;
    }
  }
  ASSERT_OK(c->put(k(100), vs[2]));
  EXPECT_EQ(c->info(k(100))->codec, "zstd");
  // Their format version is 6: a build before LZ4 says "newer format".
  EXPECT_EQ(query_int("SELECT count(*) FROM results WHERE substr(data, 5, 1) = X'06'"),
            static_cast<int64_t>(vs.size()));
}

TEST_F(CodecOptionTest, StreamedAndBrickedVolumesRoundTripWithLz4) {
  const Volume v = make_ramp_volume(PixelType::kInt16, 1, {96, 80, 60});
  Options o = lz4();
  o.chunk_bytes = 64 << 10;  // several chunks and batches
  auto c = open(o);
  auto w = c->write_volume(k(1), v.layout());
  ASSERT_OK(w.status());
  for (uint64_t at = 0; at < v.byte_size(); at += 10007) {
    ASSERT_OK((*w)->write(v.data() + at, std::min<uint64_t>(10007, v.byte_size() - at)));
  }
  ASSERT_OK((*w)->commit());
  PutOptions bricks;
  bricks.layout = ChunkLayout::Bricks(16, 16, 16);
  ASSERT_OK(c->put(k(2), v, bricks));
  auto r = open();  // a new handle on the defaults: its gets decode from the database
  for (int i : {1, 2}) {
    EXPECT_EQ(r->info(k(i))->codec, "lz4") << i;
    Result<Value> back = r->get(k(i));
    ASSERT_OK(back.status());
    EXPECT_TRUE(*back->as_volume() == v) << i;
  }
  Result<Volume> region = r->read_region(k(2), {5, 7, 9}, {30, 20, 10});
  ASSERT_OK(region.status());
  const Volume want = testing::cut(v, {5, 7, 9}, {30, 20, 10});  // its origin moves
  ASSERT_EQ(region->byte_size(), want.byte_size());
  EXPECT_EQ(std::memcmp(region->data(), want.data(), want.byte_size()), 0);
}

TEST_F(CodecOptionTest, LevelZeroStaysRawAndUnversioned) {
  Options o = lz4();
  o.compression_level = 0;
  auto c = open(o);
  ASSERT_OK(c->put(k(1), make_ramp_volume(PixelType::kUInt8, 1, {64, 64, 8})));
  EXPECT_EQ(c->info(k(1))->codec, "none");
  EXPECT_EQ(c->info(k(1))->level, 0);
  EXPECT_EQ(query_int("SELECT count(*) FROM results WHERE substr(data, 5, 1) = X'06'"), 0);
}

TEST_F(CodecOptionTest, TheConfiguredCodecIsEveryHandlesDefault) {
  {
    auto c = open();
    StoredConfig config = *c->admin().stored_config();
    config.codec = Codec::kLz4;
    ASSERT_OK(c->admin().set_stored_config(config));
    config.codec = Codec::kDefault;
    EXPECT_TRUE(c->admin().set_stored_config(config).is_invalid_argument());
  }
  auto c = open();
  EXPECT_EQ(*c->admin().stored_config()->codec, Codec::kLz4);
  ASSERT_OK(c->put(k(1), make_ramp_volume(PixelType::kUInt8, 1, {64, 64, 8})));
  EXPECT_EQ(c->info(k(1))->codec, "lz4");
  Options zstd;
  zstd.codec = Codec::kZstd;  // what a program asks for wins
  auto z = open(zstd);
  ASSERT_OK(z->put(k(2), make_ramp_volume(PixelType::kUInt8, 1, {64, 64, 8})));
  EXPECT_EQ(z->info(k(2))->codec, "zstd");
  // A damaged row is reported and left at its default, never an unopenable database.
  testing::raw_sql(path_, "UPDATE config SET value = 'brotli' WHERE name = 'codec'");
  auto d = open();
  const StoredConfig bad = *d->admin().stored_config();
  EXPECT_FALSE(bad.codec.has_value());
  ASSERT_EQ(bad.problems.size(), 1u);
  EXPECT_NE(bad.problems[0].find("neither zstd nor lz4"), std::string::npos);
  ASSERT_OK(d->put(k(3), make_ramp_volume(PixelType::kUInt8, 1, {64, 64, 8})));
  EXPECT_EQ(d->info(k(3))->codec, "zstd");
}

TEST_F(CodecOptionTest, RecompressConvertsBetweenCodecsAndKeepsEveryVoxel) {
  const Volume v = make_ramp_volume(PixelType::kFloat32, 1, {64, 64, 40});
  auto c = open();
  ASSERT_OK(c->put(k(1), v));
  const EntryInfo zstd = *c->info(k(1));
  ASSERT_EQ(zstd.codec, "zstd");
  RecompressOptions to_lz4;
  to_lz4.codec = Codec::kLz4;
  Result<RecompressReport> r = c->admin().recompress(k(1), to_lz4);
  ASSERT_OK(r.status());
  EXPECT_TRUE(r->changed);
  EXPECT_EQ(c->info(k(1))->codec, "lz4");
  EXPECT_EQ(c->info(k(1))->level, 1);
  EXPECT_EQ(c->info(k(1))->checksum, zstd.checksum) << "the same payload";
  EXPECT_FALSE(c->admin().recompress(k(1), to_lz4)->changed) << "LZ4 already";
  to_lz4.level = 9;  // LZ4 has one level: nothing to do either
  EXPECT_FALSE(c->admin().recompress(k(1), to_lz4)->changed);
  RecompressOptions to_zstd;
  to_zstd.codec = Codec::kZstd;
  ASSERT_OK(c->admin().recompress(k(1), to_zstd).status());
  const EntryInfo back = *c->info(k(1));
  EXPECT_EQ(back.codec, "zstd");
  EXPECT_EQ(back.level, zstd.level) << "the automatic level, not LZ4's 1";
  EXPECT_TRUE(*open()->get(k(1))->as_volume() == v) << "a new handle decodes it";
}

TEST_F(CodecOptionTest, ADamagedLz4ChunkIsCorruptionNeverWrongVoxels) {
  Options o = lz4();
  o.chunk_bytes = 64 << 10;
  {
    auto c = open(o);
    ASSERT_OK(c->put(k(1), make_ramp_volume(PixelType::kUInt8, 1, {128, 128, 16})));
    ASSERT_EQ(c->info(k(1))->codec, "lz4");
  }
  // A byte inside the LZ4 block of chunk 1 (past its 16-byte header).
  testing::flip_blob_byte(path_, "chunks", "chunk_index = 1", 40, 0x5a);
  Status s = open()->get(k(1)).status();  // a new handle decodes from the database
  EXPECT_TRUE(s.is_corruption()) << s.to_string();
  // The codec byte turned into LZ4's in a zstd entry: Corruption too.
  {
    auto c = open();
    ASSERT_OK(c->put(k(2), make_ramp_volume(PixelType::kUInt8, 1, {128, 128, 16})));
  }
  testing::raw_sql(path_,
                   "UPDATE chunks SET data = X'02' || substr(data, 2) WHERE operation_id = '" +
                       k(2).hex() + "' AND chunk_index = 0");
  s = open()->get(k(2)).status();
  EXPECT_TRUE(s.is_corruption()) << s.to_string();
  EXPECT_NE(s.message().find("before version 6"), std::string::npos) << s.to_string();
}

}  // namespace
}  // namespace voxcache
