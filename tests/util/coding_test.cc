// Fixed-width little-endian encoding and its bounded reader (util/coding.h).

#include "util/coding.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace voxcache::util {
namespace {

TEST(Coding, FixedWidthValuesRoundTripLittleEndian) {
  std::string out;
  put_fixed<uint16_t>(&out, 0x0102);
  put_fixed<uint64_t>(&out, 0x0807060504030201ull);
  put_fixed<double>(&out, -0.0);
  EXPECT_EQ(out.substr(0, 2), std::string("\x02\x01", 2));
  EXPECT_EQ(out.substr(2, 8), std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
  Reader r(out);
  uint16_t a = 0;
  uint64_t b = 0;
  double c = 1.0;
  ASSERT_TRUE(r.get(&a) && r.get(&b) && r.get(&c));
  EXPECT_EQ(a, 0x0102);
  EXPECT_EQ(b, 0x0807060504030201ull);
  EXPECT_TRUE(std::signbit(c));
  EXPECT_EQ(r.remaining(), 0u);
  EXPECT_FALSE(r.failed());
}

TEST(Coding, ReadingPastTheEndFailsAndSticks) {
  Reader r(std::string_view("\x01\x02\x03", 3));
  uint32_t v = 7;
  EXPECT_FALSE(r.get(&v));
  EXPECT_EQ(v, 7u) << "untouched";
  EXPECT_TRUE(r.failed());
  std::string_view bytes;
  EXPECT_TRUE(r.get_bytes(3, &bytes));
  EXPECT_FALSE(r.get_bytes(1, &bytes));
}

TEST(Coding, HexIsLowerCaseTwoDigitsAByte) {
  const uint8_t bytes[] = {0x00, 0x0f, 0xa0, 0xff};
  EXPECT_EQ(to_hex(bytes, sizeof(bytes)), "000fa0ff");
  EXPECT_EQ(to_hex(bytes, 0), "");
}

}  // namespace
}  // namespace voxcache::util
