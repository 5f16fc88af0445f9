#include "voxcache/key.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "test_support.h"
#include "util/coding.h"
#include "voxcache/volume.h"

namespace voxcache {
namespace {

// The vectors of docs/format.md ("Test vectors"), computed there from the
// specification by an independent script. A failure here means keys drifted:
// every existing cache would miss.
TEST(KeyVectors, MatchTheSpecification) {
  const OperationKey k1 = KeyBuilder("smooth").arg("sigma", 1.5).build();
  EXPECT_EQ(k1.hex(), "71186c1af9b119bd4ba9f31c7d0ec8135f86ac7e9248b5e05059e982e32df8ae");
  EXPECT_EQ(
      [] {
        const std::string e = KeyBuilder("smooth").arg("sigma", 1.5).canonical_encoding();
        return util::to_hex(e.data(), e.size());
      }(),
      "0e00000000000000766f7863616368652e6f702e76310600000000000000736d6f6f7468010000000000"
      "000005000000000000007369676d6102000000000000f83f0000000000000000");

  const OperationKey k2 = KeyBuilder("threshold")
                              .arg("method", "otsu")
                              .arg("bins", 128)
                              .arg("invert", false)
                              .arg("levels", std::vector<KeyArg>{1, 2.5, "x"})
                              .arg("blob", KeyArg::Bytes(std::string_view("\x00\x01", 2)))
                              .input(k1)
                              .build();
  EXPECT_EQ(k2.hex(), "40164c177a5fb7fe803957375875399b7f8011fe7c1ee6c689c63fb218ddca13");

  EXPECT_EQ(KeyBuilder("").build().hex(),
            "f2edac0698a499c3ea3990f0401f0825382bf5294993a4066fa6be9ec9459856");
  EXPECT_EQ(KeyBuilder("sum").input(k1).input(k2).build().hex(),
            "a06cfe2d40b591e5924f44ed2cc862dcb2e83bc2e159c5ccf9aaaeb8a0c0080a");

  VolumeLayout layout;
  layout.size = {2, 1, 1};
  const uint8_t voxels[] = {1, 2};
  Result<Volume> v = Volume::Copy(layout, voxels, 2);
  ASSERT_OK(v.status());
  EXPECT_EQ(content_key(*v).hex(),
            "fe9787cb53158d4592c20c7c8603c514fafdd5ce1fa474d6ee2e6fd772f21e49");
}

TEST(KeyBuilder, ArgumentOrderNameAndTypeChangeTheKey) {
  const OperationKey base = KeyBuilder("op").arg("a", 1).arg("b", 2).build();
  EXPECT_NE(base, KeyBuilder("op").arg("b", 2).arg("a", 1).build());
  EXPECT_NE(base, KeyBuilder("op").arg("a", 1).arg("c", 2).build());
  EXPECT_NE(base, KeyBuilder("op").arg("a", 1).arg("b", 2.0).build());
  EXPECT_NE(base, KeyBuilder("op").arg("a", 1).arg("b", "2").build());
  EXPECT_NE(base, KeyBuilder("op").arg("a", true).arg("b", 2).build());
  EXPECT_NE(base, KeyBuilder("op2").arg("a", 1).arg("b", 2).build());
  EXPECT_EQ(base, KeyBuilder("op").arg("a", 1).arg("b", 2).build());
  // Length prefixes keep concatenations apart.
  EXPECT_NE(KeyBuilder("op").arg("ab", "c").build(), KeyBuilder("op").arg("a", "bc").build());
  EXPECT_NE(KeyBuilder("op").arg("s", "x").build(),
            KeyBuilder("op").arg("s", KeyArg::Bytes("x")).build());
  EXPECT_NE(KeyBuilder("op").arg("l", std::vector<KeyArg>{1, 2}).build(),
            KeyBuilder("op").arg("l", std::vector<KeyArg>{std::vector<KeyArg>{1}, 2}).build());
}

TEST(KeyBuilder, InputKeysAndTheirOrderChangeTheKey) {
  const OperationKey a = KeyBuilder("a").build();
  const OperationKey b = KeyBuilder("b").build();
  const OperationKey ab = KeyBuilder("op").input(a).input(b).build();
  EXPECT_NE(ab, KeyBuilder("op").input(b).input(a).build());
  EXPECT_NE(ab, KeyBuilder("op").input(a).build());
  EXPECT_NE(ab, KeyBuilder("op").input(a).input(a).build());
  // Merkle property: a change deep in the recipe reaches the top.
  const OperationKey a2 = KeyBuilder("a").arg("v", 2).build();
  EXPECT_NE(KeyBuilder("top").input(KeyBuilder("mid").input(a).build()).build(),
            KeyBuilder("top").input(KeyBuilder("mid").input(a2).build()).build());
}

TEST(KeyBuilder, DoublesHashByBitsWithOneNaN) {
  EXPECT_NE(KeyBuilder("op").arg("x", 0.0).build(), KeyBuilder("op").arg("x", -0.0).build());
  const double nan1 = std::numeric_limits<double>::quiet_NaN();
  const double nan2 = -std::nan("7");
  EXPECT_EQ(KeyBuilder("op").arg("x", nan1).build(), KeyBuilder("op").arg("x", nan2).build());
  // Every integer type is an int64.
  EXPECT_EQ(KeyBuilder("op").arg("x", uint8_t{5}).build(),
            KeyBuilder("op").arg("x", int64_t{5}).build());
}

TEST(OperationKey, HexRoundTripAndErrors) {
  const OperationKey k = KeyBuilder("x").build();
  Result<OperationKey> back = OperationKey::FromHex(k.hex());
  ASSERT_OK(back.status());
  EXPECT_EQ(*back, k);
  std::string upper = k.hex();
  for (char& c : upper) c = static_cast<char>(std::toupper(c));
  ASSERT_OK(OperationKey::FromHex(upper).status());
  EXPECT_EQ(*OperationKey::FromHex(upper), k);

  Result<OperationKey> short_key = OperationKey::FromHex("abc");
  EXPECT_TRUE(short_key.status().is_invalid_argument());
  EXPECT_NE(short_key.status().message().find("64 hex digits"), std::string::npos);
  std::string bad = k.hex();
  bad[17] = 'g';
  Result<OperationKey> bad_key = OperationKey::FromHex(bad);
  EXPECT_TRUE(bad_key.status().is_invalid_argument());
  EXPECT_NE(bad_key.status().message().find("position 17"), std::string::npos);
  EXPECT_TRUE(OperationKey::FromHex("").status().is_invalid_argument());
}

TEST(ContentKey, CoversVoxelsAndEveryGeometryField) {
  const Volume base = testing::make_volume(PixelType::kInt16, 1, {4, 3, 2});
  const OperationKey k = content_key(base);
  EXPECT_EQ(k, content_key(Volume(base)));

  Volume voxel = base;
  voxel.mutable_data()[5] ^= 1;
  EXPECT_NE(k, content_key(voxel));
  for (int field = 0; field < 15; ++field) {
    Volume moved = base;
    Geometry g = moved.geometry();
    if (field < 3)
      g.spacing[field] *= 2;
    else if (field < 6)
      g.origin[field - 3] += 1;
    else
      g.direction[field - 6] += 0.5;
    moved.set_geometry(g);
    EXPECT_NE(k, content_key(moved)) << "geometry field " << field;
  }
  // Same bytes, other interpretation: pixel type and shape are in the key.
  VolumeLayout as_u8 = base.layout();
  as_u8.pixel_type = PixelType::kUInt8;
  as_u8.size = {8, 3, 2};
  Result<Volume> reinterpreted = Volume::Copy(as_u8, base.data(), base.byte_size());
  ASSERT_OK(reinterpreted.status());
  EXPECT_NE(k, content_key(*reinterpreted));
  // Operation keys live in another domain than content keys.
  EXPECT_NE(k, KeyBuilder("").build());
}

}  // namespace
}  // namespace voxcache
