// zstd (util/zstd.h): a round trip at every level, and input that is not a
// frame, or decodes to another size, is an error, never a short buffer.

#include "util/zstd.h"

#include <gtest/gtest.h>

#include <string>

#include "test_support.h"

namespace voxcache::util {
namespace {

TEST(Zstd, RoundTripsAtEveryLevel) {
  std::string data(200000, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>((i / 97) % 7);
  for (int level = 1; level <= zstd_max_level(); level += 6) {
    std::string packed;
    ASSERT_OK(zstd_compress(data, level, &packed));
    EXPECT_LT(packed.size(), data.size() / 10) << level;
    std::string back(data.size(), '\x55');
    ASSERT_OK(zstd_decompress(packed, back.data(), back.size()));
    EXPECT_EQ(back, data) << level;
  }
}

TEST(Zstd, GarbageAndWrongSizesAreErrors) {
  std::string out(64, '\0');
  EXPECT_FALSE(zstd_decompress("not a zstd frame", out.data(), out.size()).ok());
  std::string packed;
  ASSERT_OK(zstd_compress(std::string(100, 'a'), 3, &packed));
  EXPECT_FALSE(zstd_decompress(packed, out.data(), 64).ok()) << "100 bytes into 64";
  std::string big(200, '\0');
  EXPECT_FALSE(zstd_decompress(packed, big.data(), big.size()).ok()) << "100 bytes, 200 expected";
  EXPECT_FALSE(zstd_decompress(packed.substr(0, packed.size() - 2), big.data(), 100).ok());
}

}  // namespace
}  // namespace voxcache::util
