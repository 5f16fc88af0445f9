#include "voxcache/volume.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "test_support.h"

namespace voxcache {
namespace {

VolumeLayout small_layout() {
  VolumeLayout l;
  l.pixel_type = PixelType::kFloat32;
  l.components = 2;
  l.size = {3, 4, 5};
  return l;
}

TEST(Volume, CreateIsZeroFilledWithTheRightSize) {
  Result<Volume> v = Volume::Create(small_layout());
  ASSERT_OK(v.status());
  EXPECT_EQ(v->byte_size(), 3u * 4 * 5 * 2 * 4);
  EXPECT_EQ(v->voxel_count(), 60u);
  for (uint64_t i = 0; i < v->byte_size(); ++i) ASSERT_EQ(v->data()[i], 0);
  EXPECT_NE(v->pixels<float>(), nullptr);
  EXPECT_EQ(v->pixels<double>(), nullptr);
}

TEST(Volume, CheckedConstructionRejectsBadLayouts) {
  auto expect_invalid = [](VolumeLayout l, const char* what) {
    Result<Volume> v = Volume::Create(l);
    EXPECT_TRUE(v.status().is_invalid_argument()) << what << ": " << v.status().to_string();
  };
  VolumeLayout l = small_layout();
  l.size = {1u << 31, 1u << 31, 1u << 31};
  expect_invalid(l, "overflowing size product");
  l = small_layout();
  l.size[1] = 0;
  expect_invalid(l, "zero size");
  l = small_layout();
  l.components = 0;
  expect_invalid(l, "zero components");
  l = small_layout();
  l.pixel_type = static_cast<PixelType>(42);
  expect_invalid(l, "unknown pixel type");
  l = small_layout();
  l.geometry.spacing[2] = 0.0;
  expect_invalid(l, "zero spacing");
  l = small_layout();
  l.geometry.spacing[0] = std::nan("");
  expect_invalid(l, "NaN spacing");
  l = small_layout();
  l.geometry.spacing[1] = std::numeric_limits<double>::infinity();
  expect_invalid(l, "infinite spacing");
  l = small_layout();
  l.geometry.origin[1] = std::nan("");
  expect_invalid(l, "NaN origin");
  l = small_layout();
  l.geometry.direction[4] = -std::numeric_limits<double>::infinity();
  expect_invalid(l, "non-finite direction");
}

TEST(Volume, BufferOfTheWrongLengthIsRejected) {
  std::vector<uint8_t> bytes(10);
  EXPECT_TRUE(
      Volume::Copy(small_layout(), bytes.data(), bytes.size()).status().is_invalid_argument());
  auto shared = std::shared_ptr<uint8_t>(new uint8_t[10], std::default_delete<uint8_t[]>());
  EXPECT_TRUE(Volume::Adopt(small_layout(), shared, 10).status().is_invalid_argument());
  EXPECT_TRUE(Volume::Adopt(small_layout(), nullptr, 480).status().is_invalid_argument());
}

TEST(Volume, CopyIsDeepAndEqualityIsBitExact) {
  Volume a = testing::make_volume(PixelType::kUInt16, 1, {5, 5, 5});
  Volume b = a;
  EXPECT_NE(a.data(), b.data());
  EXPECT_EQ(a, b);
  b.mutable_data()[7] ^= 0x10;
  EXPECT_NE(a, b);
  Volume c = a;
  Geometry g = c.geometry();
  g.origin[0] += 1e-12;
  c.set_geometry(g);
  EXPECT_NE(a, c);
  Volume zero = a;
  Geometry gz = zero.geometry();
  gz.origin = {0.0, 0.0, 0.0};
  zero.set_geometry(gz);
  Volume negzero = zero;
  Geometry gn = negzero.geometry();
  gn.origin[0] = -0.0;
  negzero.set_geometry(gn);
  EXPECT_NE(zero, negzero) << "0.0 and -0.0 are different bits";
}

TEST(Volume, AdoptSharesTheBuffer) {
  auto shared = std::shared_ptr<uint8_t>(new uint8_t[480](), std::default_delete<uint8_t[]>());
  Result<Volume> v = Volume::Adopt(small_layout(), shared, 480);
  ASSERT_OK(v.status());
  EXPECT_EQ(v->data(), shared.get());
}

TEST(PixelType, NamesRoundTrip) {
  for (int i = 1; i <= 10; ++i) {
    const auto t = static_cast<PixelType>(i);
    Result<PixelType> back = parse_pixel_type(pixel_type_name(t));
    ASSERT_OK(back.status());
    EXPECT_EQ(*back, t);
  }
  EXPECT_TRUE(parse_pixel_type("u7").status().is_invalid_argument());
  EXPECT_EQ(pixel_type_size(PixelType::kFloat64), 8u);
  EXPECT_EQ(pixel_type_size(static_cast<PixelType>(0)), 0u);
}

}  // namespace
}  // namespace voxcache
