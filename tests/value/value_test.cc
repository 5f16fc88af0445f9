#include "voxcache/value.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace voxcache {
namespace {

TEST(Value, KindsAndTags) {
  EXPECT_EQ(Value().type_tag(), "null");
  EXPECT_EQ(Value(true).type_tag(), "bool");
  EXPECT_EQ(Value(int64_t{3}).type_tag(), "int64");
  EXPECT_EQ(Value(3).kind(), Value::Kind::kInt64);
  EXPECT_EQ(Value(2.5).type_tag(), "float64");
  EXPECT_EQ(Value("s").type_tag(), "string");
  EXPECT_EQ(Value(testing::make_volume(PixelType::kUInt8, 1, {1, 1, 1})).type_tag(), "volume");
  EXPECT_EQ(Value::Custom("mesh", 5).type_tag(), "mesh");
  EXPECT_EQ(Value(7).as_double(), nullptr);
  EXPECT_EQ(*Value(7).as_int64(), 7);
}

TEST(Value, CopiesShareTheVolume) {
  Value a(testing::make_volume(PixelType::kUInt8, 1, {4, 4, 4}));
  Value b = a;
  EXPECT_EQ(a.as_volume(), b.as_volume());
  EXPECT_EQ(a, b);
}

TEST(Value, EqualityIsBitExactForDoubles) {
  EXPECT_EQ(Value(1.5), Value(1.5));
  EXPECT_NE(Value(0.0), Value(-0.0));
  EXPECT_NE(Value(1), Value(1.0));
}

TEST(TypeRegistry, ValidatesTags) {
  TypeRegistry r;
  auto enc = [](const std::any&) -> Result<std::string> { return std::string(); };
  auto dec = [](std::string_view) -> Result<std::any> { return std::any(0); };
  EXPECT_TRUE(r.add("volume", enc, dec).is_invalid_argument());
  EXPECT_TRUE(r.add("", enc, dec).is_invalid_argument());
  EXPECT_TRUE(r.add("Mesh", enc, dec).is_invalid_argument());
  EXPECT_TRUE(r.add(std::string(65, 'a'), enc, dec).is_invalid_argument());
  EXPECT_TRUE(r.add("nofn", nullptr, dec).is_invalid_argument());
  ASSERT_OK(r.add("my.mesh:v1", enc, dec));
  EXPECT_TRUE(r.add("my.mesh:v1", enc, dec).is_invalid_argument());
  EXPECT_NE(r.find("my.mesh:v1"), nullptr);
  EXPECT_EQ(r.find("other"), nullptr);
}

}  // namespace
}  // namespace voxcache
