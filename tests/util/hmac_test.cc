// HMAC-SHA256 over OpenSSL (util/hmac.h): RFC 4231's test vectors, and a
// comparison that tells equal from unequal at every position.

#include "util/hmac.h"

#include <gtest/gtest.h>

#include <string>

#include "util/coding.h"

namespace voxcache::util {
namespace {

std::string hex(const std::array<uint8_t, 32>& d) { return to_hex(d.data(), d.size()); }

TEST(Hmac, Rfc4231Vectors) {
  EXPECT_EQ(hex(hmac_sha256(std::string(20, '\x0b'), "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  EXPECT_EQ(hex(hmac_sha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // A key longer than the block is hashed first (test case 6).
  EXPECT_EQ(hex(hmac_sha256(std::string(131, '\xaa'),
                            "Test Using Larger Than Block-Size Key - Hash Key First")),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(Hmac, ConstantTimeComparison) {
  const std::string a(32, 'x');
  EXPECT_TRUE(equal_in_constant_time(a, a));
  for (size_t i = 0; i < a.size(); ++i) {
    std::string b = a;
    b[i] = 'y';
    EXPECT_FALSE(equal_in_constant_time(a, b)) << i;
  }
  EXPECT_FALSE(equal_in_constant_time(a, a.substr(1)));
  EXPECT_TRUE(equal_in_constant_time("", ""));
}

}  // namespace
}  // namespace voxcache::util
