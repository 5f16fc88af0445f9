// 2D images, 4D series and masks (issue 24): each round-trips voxel for
// voxel with its dimension, frames and time axis, through the memory tier
// and from disk, in z-slabs and in bricks; region reads over time equal the
// same box cut from a full get; a mask holds only 0 and 1, on every put and
// every read; and 3D volumes are stored exactly as before.

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstring>
#include <limits>

#include "codec/entry_format.h"
#include "test_support.h"
#include "util/xxhash.h"
#include "voxcache/cache.h"
#include "voxcache/key.h"

namespace voxcache {
namespace {

using testing::open_cache;
using testing::TempDir;

// A series of `frames` frames of make_ramp_volume's voxels, each frame
// different, with a time axis that is not the default.
Volume make_series(PixelType type, uint32_t components, std::array<uint64_t, 3> size,
                   uint64_t frames) {
  VolumeLayout l;
  l.pixel_type = type;
  l.components = components;
  l.size = size;
  l.geometry = testing::odd_geometry();
  l.dimension = 4;
  l.frames = frames;
  l.geometry.time_spacing = 2.2;
  l.geometry.time_origin = -0.7;
  Volume v = Volume::Create(l).value();
  for (uint64_t i = 0; i < v.byte_size(); ++i) {
    v.mutable_data()[i] = static_cast<uint8_t>((i * 13 + i / 251) % 97);
  }
  return v;
}

Volume make_image(PixelType type, uint32_t components, uint64_t x, uint64_t y) {
  const Volume ramp = testing::make_ramp_volume(type, components, {x, y, 1});
  VolumeLayout l = ramp.layout();
  l.dimension = 2;
  return Volume::Copy(l, ramp.data(), ramp.byte_size()).value();
}

Volume make_mask(std::array<uint64_t, 3> size) {
  VolumeLayout l;
  l.pixel_type = PixelType::kBool;
  l.size = size;
  l.geometry = testing::odd_geometry();
  Volume v = Volume::Create(l).value();
  for (uint64_t i = 0; i < v.byte_size(); ++i) v.mutable_data()[i] = (i / 7) % 3 == 0;
  return v;
}

// The frames [t0, t0 + tn) of the box [start, start + size) of `v`, cut
// voxel row by row: what region reads over time are compared with.
Volume cut4(const Volume& v, std::array<uint64_t, 3> start, std::array<uint64_t, 3> size,
            uint64_t t0, uint64_t tn) {
  VolumeLayout l = v.layout();
  l.size = size;
  l.frames = tn;
  Volume out = Volume::Create(l).value();
  const uint64_t vb = pixel_type_size(v.pixel_type()) * v.components();
  const auto& d = v.size();
  for (uint64_t t = 0; t < tn; ++t)
    for (uint64_t z = 0; z < size[2]; ++z)
      for (uint64_t y = 0; y < size[1]; ++y) {
        const uint64_t src =
            (((t0 + t) * d[2] + start[2] + z) * d[1] + start[1] + y) * d[0] + start[0];
        const uint64_t dst = ((t * size[2] + z) * size[1] + y) * size[0];
        std::memcpy(out.mutable_data() + dst * vb, v.data() + src * vb, size[0] * vb);
      }
  return out;
}

// Entry format version of the stored entry `k` (bytes 4-5 of its header).
int stored_version(const std::string& db, const OperationKey& k) {
  return static_cast<int>(testing::query_int(
      db, "SELECT unicode(substr(CAST(data AS TEXT), 5, 1)) FROM results WHERE operation_id = '" +
              k.hex() + "'"));
}

class DimensionsTest : public ::testing::TestWithParam<ChunkLayout> {
 protected:
  // Default options (the memory tier on) with chunks small enough that a
  // series spans many of them.
  Options options() const {
    Options o;
    o.chunk_bytes = 4096;
    o.layout = GetParam();
    return o;
  }
  // Put, then get from the memory tier and again from disk after reopening.
  void expect_round_trip(const Volume& v, const std::string& name) {
    SCOPED_TRACE(name);
    const std::string db = dir_.file(name + ".db");
    const OperationKey k = KeyBuilder(name).build();
    {
      auto c = open_cache(db, options());
      ASSERT_OK(c->put(k, v));
      for (int i = 0; i < 2; ++i) {
        Result<Value> got = c->get(k);
        ASSERT_OK(got.status());
        ASSERT_NE(got->as_volume(), nullptr);
        EXPECT_TRUE(*got->as_volume() == v) << "memory tier, get " << i;
      }
    }
    auto c = open_cache(db, options());
    Result<Value> got = c->get(k);
    ASSERT_OK(got.status());
    const Volume& back = *got->as_volume();
    EXPECT_TRUE(back == v);  // voxels, size, dimension, frames and geometry bit for bit
    EXPECT_EQ(back.dimension(), v.dimension());
    EXPECT_EQ(back.frames(), v.frames());
    EXPECT_TRUE(back.geometry().bit_equal(v.geometry()));
    Result<EntryInfo> info = c->info(k);
    ASSERT_OK(info.status());
    ASSERT_TRUE(info->volume);
    EXPECT_EQ(info->volume->dimension, v.dimension());
    EXPECT_EQ(info->volume->frames, v.frames());
    EXPECT_OK(c->admin().verify(k));
    // Streamed out, a series is its frames in order.
    Result<std::unique_ptr<VolumeReader>> r = c->read_volume(k);
    ASSERT_OK(r.status());
    EXPECT_EQ((*r)->layout().frames, v.frames());
    std::string streamed;
    for (;;) {
      Result<VolumeReader::Slab> s = (*r)->next();
      ASSERT_OK(s.status());
      if (s->bytes == 0) break;
      EXPECT_EQ(s->offset, streamed.size());
      streamed.append(reinterpret_cast<const char*>(s->data), s->bytes);
    }
    ASSERT_EQ(streamed.size(), v.byte_size());
    EXPECT_EQ(std::memcmp(streamed.data(), v.data(), v.byte_size()), 0);
    // New kinds of layout are entry format 4; nothing else changes version.
    EXPECT_EQ(stored_version(db, k), 4);
  }
  TempDir dir_;
};

TEST_P(DimensionsTest, SeriesImagesAndMasksRoundTripExactly) {
  expect_round_trip(make_series(PixelType::kInt16, 1, {13, 11, 7}, 9), "series-i16");
  expect_round_trip(make_series(PixelType::kFloat32, 3, {5, 4, 3}, 6), "series-f32x3");
  expect_round_trip(make_series(PixelType::kUInt8, 1, {9, 8, 5}, 1), "series-one-frame");
  expect_round_trip(make_image(PixelType::kUInt8, 3, 41, 29), "rgb-image");
  expect_round_trip(make_image(PixelType::kFloat64, 1, 17, 70), "f64-image");
  expect_round_trip(make_mask({23, 19, 11}), "mask");
  Volume mask_series = make_series(PixelType::kUInt8, 1, {6, 5, 4}, 3);
  VolumeLayout ml = mask_series.layout();
  ml.pixel_type = PixelType::kBool;
  for (uint64_t i = 0; i < mask_series.byte_size(); ++i) mask_series.mutable_data()[i] &= 1;
  expect_round_trip(Volume::Copy(ml, mask_series.data(), ml.byte_size()).value(), "mask-series");
}

TEST_P(DimensionsTest, RegionsOverTimeEqualTheBoxCutFromAFullGet) {
  const Volume v = make_series(PixelType::kInt16, 2, {13, 11, 7}, 9);
  auto c = open_cache(dir_.file("regions.db"), options());
  const OperationKey k = KeyBuilder("bold").build();
  ASSERT_OK(c->put(k, v));
  struct Case {
    std::array<uint64_t, 3> start, size;
    uint64_t t0, tn;
  };
  const Case cases[] = {
      {{0, 0, 0}, {13, 11, 7}, 0, 9},  // everything
      {{0, 0, 0}, {13, 11, 7}, 4, 1},  // one volume of the series
      {{6, 5, 3}, {1, 1, 1}, 0, 9},    // one voxel's time course
      {{12, 10, 6}, {1, 1, 1}, 8, 1},  // the last voxel
      {{2, 3, 1}, {5, 4, 5}, 2, 5},    // a box over some frames
      {{0, 0, 6}, {13, 11, 1}, 1, 7},  // the top slice, where frames meet
  };
  for (const Case& t : cases) {
    SCOPED_TRACE("t0 " + std::to_string(t.t0) + " tn " + std::to_string(t.tn));
    Result<Volume> got = c->read_region(k, t.start, t.size, t.t0, t.tn);
    ASSERT_OK(got.status());
    const Volume want = cut4(v, t.start, t.size, t.t0, t.tn);
    EXPECT_EQ(got->size(), t.size);
    EXPECT_EQ(got->frames(), t.tn);
    EXPECT_EQ(got->dimension(), 4u);
    ASSERT_EQ(got->byte_size(), want.byte_size());
    EXPECT_EQ(std::memcmp(got->data(), want.data(), want.byte_size()), 0);
    EXPECT_EQ(got->geometry().time_origin, v.geometry().time_origin + 2.2 * t.t0);
    EXPECT_EQ(got->geometry().time_spacing, 2.2);
  }
  // The three-argument form reads every frame.
  Result<Volume> course = c->read_region(k, {6, 5, 3}, {1, 1, 1});
  ASSERT_OK(course.status());
  EXPECT_EQ(course->frames(), 9u);
  const Volume want = cut4(v, {6, 5, 3}, {1, 1, 1}, 0, 9);
  EXPECT_EQ(std::memcmp(course->data(), want.data(), want.byte_size()), 0);
  // A slice of a series is that slice in every frame.
  Result<Volume> slice = c->read_slice(k, 0, 4);
  ASSERT_OK(slice.status());
  const Volume want_slice = cut4(v, {4, 0, 0}, {1, 11, 7}, 0, 9);
  EXPECT_EQ(std::memcmp(slice->data(), want_slice.data(), want_slice.byte_size()), 0);
  // Frames outside the series, and frames of a volume that is not one.
  EXPECT_TRUE(c->read_region(k, {0, 0, 0}, {1, 1, 1}, 9, 1).status().is_invalid_argument());
  EXPECT_TRUE(c->read_region(k, {0, 0, 0}, {1, 1, 1}, 3, 7).status().is_invalid_argument());
  EXPECT_TRUE(c->read_region(k, {0, 0, 0}, {1, 1, 1}, 0, 0).status().is_invalid_argument());
  const OperationKey k3 = KeyBuilder("volume").build();
  ASSERT_OK(c->put(k3, testing::make_ramp_volume(PixelType::kInt16, 1, {4, 4, 4})));
  EXPECT_OK(c->read_region(k3, {0, 0, 0}, {4, 4, 4}, 0, 1).status());
  EXPECT_TRUE(c->read_region(k3, {0, 0, 0}, {4, 4, 4}, 1, 1).status().is_invalid_argument());
}

TEST_P(DimensionsTest, AMaskHoldsOnlyZeroAndOne) {
  auto c = open_cache(dir_.file("masks.db"), options());
  Volume bad = make_mask({8, 8, 8});
  bad.mutable_data()[300] = 2;
  const OperationKey k = KeyBuilder("mask").build();
  Status s = c->put(k, bad);
  EXPECT_TRUE(s.is_invalid_argument()) << s.to_string();
  EXPECT_NE(s.message().find("bool voxel 300 holds 2"), std::string::npos) << s.to_string();
  EXPECT_FALSE(*c->contains(k));
  // Streamed in too, and nothing is stored.
  Result<std::unique_ptr<VolumeWriter>> w = c->write_volume(k, bad.layout());
  ASSERT_OK(w.status());
  s = (*w)->write(bad.data(), bad.byte_size());
  EXPECT_TRUE(s.is_invalid_argument()) << s.to_string();
  w->reset();
  EXPECT_FALSE(*c->contains(k));
}

// A stored mask with a byte that is not 0 or 1 is Corruption on every read
// path: with checksums verified (the checksum catches it first) and, the
// twin, with them off, where the mask's own check must: it is not a checksum.
TEST_P(DimensionsTest, AStoredMaskByteThatIsNotABoolIsCorruption) {
  for (bool verify : {true, false}) {
    SCOPED_TRACE(verify ? "checksums verified" : "checksums off");
    const std::string db = dir_.file(std::string("bad-mask-") + (verify ? "1" : "0") + ".db");
    Options o = options();
    o.compression_level = 0;  // raw chunks, so the test can change a byte
    const OperationKey k = KeyBuilder("mask").build();
    {
      auto c = open_cache(db, o);
      ASSERT_OK(c->put(k, make_mask({32, 32, 32})));  // 8 chunks: none inline
    }
    // Chunk 0's first raw byte (offset 16 of its blob, after the chunk
    // header) becomes 3.
    sqlite3* h = nullptr;
    ASSERT_EQ(sqlite3_open(db.c_str(), &h), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(h,
                           "UPDATE chunks SET data = substr(data, 1, 16) || x'03' || "
                           "substr(data, 18) WHERE chunk_index = 0",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    ASSERT_EQ(sqlite3_changes(h), 1);
    sqlite3_close(h);
    o.verify_checksums = verify;
    auto c = open_cache(db, o);
    Status got = c->get(k).status();
    EXPECT_TRUE(got.is_corruption()) << got.to_string();
    if (!verify) EXPECT_NE(got.message().find("mask"), std::string::npos) << got.to_string();
    got = c->read_region(k, {0, 0, 0}, {2, 2, 2}).status();
    EXPECT_TRUE(got.is_corruption()) << got.to_string();
  }
}

INSTANTIATE_TEST_SUITE_P(Layouts, DimensionsTest,
                         ::testing::Values(ChunkLayout::ZSlabs(), ChunkLayout::Bricks(4, 3, 5)),
                         [](const auto& info) {
                           return info.param.kind == ChunkLayout::Kind::kBricks ? "Bricks"
                                                                                : "ZSlabs";
                         });

TEST(Dimensions, AVolumeIsStoredAsBeforeAndKeyedAsBefore) {
  TempDir dir;
  const std::string db = dir.file("v3.db");
  auto c = open_cache(db);
  const Volume v = testing::make_ramp_volume(PixelType::kInt16, 1, {8, 8, 8});
  const OperationKey k = KeyBuilder("v").build();
  ASSERT_OK(c->put(k, v));
  EXPECT_EQ(stored_version(db, k), 3);  // readable by every build since format 3
  EXPECT_EQ(testing::query_int(db, "SELECT length(data) > 0 FROM results"), 1);
  EXPECT_EQ(codec::encode_layout(v.layout()).size(), 152u);
}

TEST(Dimensions, ContentKeysTellDimensionsApart) {
  // The same bytes as a 3D volume, a 2D image and a series of one frame:
  // three values, three keys.
  const Volume v3 = testing::make_ramp_volume(PixelType::kUInt8, 1, {4, 3, 1});
  VolumeLayout l2 = v3.layout();
  l2.dimension = 2;
  VolumeLayout l4 = v3.layout();
  l4.dimension = 4;
  const Volume v2 = Volume::Copy(l2, v3.data(), v3.byte_size()).value();
  const Volume v4 = Volume::Copy(l4, v3.data(), v3.byte_size()).value();
  EXPECT_NE(content_key(v3), content_key(v2));
  EXPECT_NE(content_key(v3), content_key(v4));
  EXPECT_NE(content_key(v2), content_key(v4));
  // The time axis is part of a series' key.
  VolumeLayout l4b = l4;
  l4b.geometry.time_spacing = 2.0;
  EXPECT_NE(content_key(v4), content_key(Volume::Copy(l4b, v3.data(), v3.byte_size()).value()));
  // A mask and a u8 volume of the same bytes differ.
  VolumeLayout lb = v3.layout();
  lb.pixel_type = PixelType::kBool;
  std::vector<uint8_t> bits(v3.byte_size(), 1);
  const Volume mask = Volume::Copy(lb, bits.data(), bits.size()).value();
  VolumeLayout lu = lb;
  lu.pixel_type = PixelType::kUInt8;
  EXPECT_NE(content_key(mask), content_key(Volume::Copy(lu, bits.data(), bits.size()).value()));
}

TEST(Dimensions, ContentKeyTestVectorsFromTheSpecification) {
  // docs/format.md 3.3: computed by an independent script from the text.
  VolumeLayout l;
  l.pixel_type = PixelType::kUInt8;
  l.size = {2, 1, 1};
  l.dimension = 2;
  const uint8_t two[] = {1, 2};
  EXPECT_EQ(content_key(Volume::Copy(l, two, 2).value()).hex(),
            "b04025491e80ba15e590252ee060998d750b57333282e01fc9feb7056fe5cf06");
  l.size = {1, 1, 1};
  l.dimension = 4;
  l.frames = 2;
  l.geometry.time_spacing = 2.5;
  EXPECT_EQ(content_key(Volume::Copy(l, two, 2).value()).hex(),
            "3ce833bdce323361e8bbcf24a80c1ae83819b0cc8ce8b2b86f0bc2ba653fd904");
}

TEST(Dimensions, LayoutsThatSayTwoThingsAreRefused) {
  VolumeLayout l;
  l.size = {4, 4, 2};
  l.dimension = 2;  // a 2D image of two slices
  EXPECT_TRUE(l.validate().is_invalid_argument());
  l.size = {4, 4, 1};
  l.dimension = 5;
  EXPECT_TRUE(l.validate().is_invalid_argument());
  l.dimension = 3;
  l.frames = 2;  // frames of a volume
  EXPECT_TRUE(l.validate().is_invalid_argument());
  l.frames = 1;
  l.geometry.time_spacing = 2.0;  // a time axis of a volume
  EXPECT_TRUE(l.validate().is_invalid_argument());
  l.geometry.time_spacing = 1.0;
  l.geometry.time_origin = -0.0;  // even a hidden one
  EXPECT_TRUE(l.validate().is_invalid_argument());
  l.geometry.time_origin = 0.0;
  EXPECT_OK(l.validate());
  l.dimension = 4;
  l.frames = 0;
  EXPECT_TRUE(l.validate().is_invalid_argument());
  l.frames = 3;
  l.geometry.time_spacing = std::numeric_limits<double>::quiet_NaN();
  EXPECT_TRUE(l.validate().is_invalid_argument());
  l.geometry.time_spacing = 0.0;  // NIfTI's "not known" is kept
  EXPECT_OK(l.validate());
}

// A header whose version byte is `version`, its checksum made right again:
// what no writer makes, read as a reader meets it.
std::string with_version(const codec::EntryHeader& h, char version) {
  std::string blob = codec::encode_header(h);
  blob[4] = version;
  blob.resize(blob.size() - 8);
  const uint64_t sum = util::xxh3_64(blob.data(), blob.size());
  blob.append(reinterpret_cast<const char*>(&sum), 8);  // little-endian, as the format says
  return blob;
}

TEST(Dimensions, AVolumeHeaderOfTheOtherVersionIsCorruption) {
  codec::EntryHeader h;
  h.kind = Value::Kind::kVolume;
  h.key.emplace();
  h.payload_bytes = 2;
  h.chunk_bytes = 2;
  h.chunk_count = 1;
  VolumeLayout l;
  l.size = {2, 1, 1};
  l.dimension = 2;
  h.kind_header = codec::encode_layout(l);
  ASSERT_EQ(h.kind_header.size(), 184u);
  size_t len = 0;
  ASSERT_EQ(codec::encode_header(h)[4], 4);
  EXPECT_OK(codec::decode_header(with_version(h, 4), &len).status());
  Status s = codec::decode_header(with_version(h, 3), &len).status();
  EXPECT_TRUE(s.is_corruption()) << s.to_string();  // a build of version 3 reads 152 bytes
  l.dimension = 3;
  h.kind_header = codec::encode_layout(l);
  ASSERT_EQ(h.kind_header.size(), 152u);
  ASSERT_EQ(codec::encode_header(h)[4], 3);
  s = codec::decode_header(with_version(h, 4), &len).status();
  EXPECT_TRUE(s.is_corruption()) << s.to_string();
  // Version 5 is for lists and tuples; version 6 (LZ4 chunks) takes either
  // volume header; a newer version is NotSupported.
  EXPECT_TRUE(codec::decode_header(with_version(h, 5), &len).status().is_corruption());
  EXPECT_TRUE(codec::decode_header(with_version(h, 6), &len)->lz4);
  EXPECT_TRUE(codec::decode_header(with_version(h, 7), &len).status().is_not_supported());
  // The long form of a layout the short one says is not canonical, and the
  // short form of a mask is refused.
  EXPECT_TRUE(codec::decode_layout(codec::encode_layout(l) + std::string(32, '\0'))
                  .status()
                  .is_corruption());
  VolumeLayout mask = l;
  mask.pixel_type = PixelType::kBool;
  const std::string long_mask = codec::encode_layout(mask);
  ASSERT_EQ(long_mask.size(), 184u);
  EXPECT_OK(codec::decode_layout(long_mask).status());
  EXPECT_TRUE(codec::decode_layout(long_mask.substr(0, 152)).status().is_corruption());
}

}  // namespace
}  // namespace voxcache
