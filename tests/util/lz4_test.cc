// LZ4 (util/lz4.h): a round trip, and a block that is malformed, cut short
// or decodes to another size is Corruption, never a short or overrun buffer.

#include "util/lz4.h"

#include <gtest/gtest.h>

#include <string>

#include "test_support.h"

namespace voxcache::util {
namespace {

TEST(Lz4, RoundTrips) {
  std::string data(200000, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>((i / 97) % 7);
  std::string packed = "prefix";  // appends
  ASSERT_OK(lz4_compress(data, &packed));
  EXPECT_EQ(packed.substr(0, 6), "prefix");
  EXPECT_LT(packed.size(), data.size() / 10);
  std::string back(data.size(), '\x55');
  ASSERT_OK(lz4_decompress(std::string_view(packed).substr(6), back.data(), back.size()));
  EXPECT_EQ(back, data);
  std::string empty;
  ASSERT_OK(lz4_compress("", &empty));
  ASSERT_OK(lz4_decompress(empty, back.data(), 0));
}

TEST(Lz4, GarbageTruncationAndWrongSizesAreCorruption) {
  std::string packed;
  ASSERT_OK(lz4_compress(std::string(1000, 'a') + std::string(1000, 'b'), &packed));
  std::string out(4000, '\0');
  EXPECT_TRUE(lz4_decompress(packed, out.data(), 1999).is_corruption()) << "2000 bytes into 1999";
  EXPECT_TRUE(lz4_decompress(packed, out.data(), 2001).is_corruption()) << "2000 expected 2001";
  for (size_t n = 0; n < packed.size(); ++n) {
    EXPECT_TRUE(lz4_decompress(packed.substr(0, n), out.data(), 2000).is_corruption()) << n;
  }
  // A block whose first match reaches back before its start.
  const std::string hostile("\x1f\x61\xff\xff\xff\x00", 6);
  EXPECT_TRUE(lz4_decompress(hostile, out.data(), 2000).is_corruption());
}

}  // namespace
}  // namespace voxcache::util
