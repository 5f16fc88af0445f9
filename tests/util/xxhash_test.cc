// XXH3 (util/xxhash.h): the wrapper gives xxHash's own values, seeds change
// them, and the streaming 128-bit digest is canonical (big-endian) and the
// same however the input arrives.

#include "util/xxhash.h"

#include <gtest/gtest.h>
#include <xxhash.h>

#include <algorithm>
#include <cstring>
#include <string>

namespace voxcache::util {
namespace {

TEST(Xxhash, SixtyFourBitsAreXxHashsAndSeedsMatter) {
  const std::string data = "voxcache chunk";
  EXPECT_EQ(xxh3_64(data.data(), data.size()), XXH3_64bits(data.data(), data.size()));
  EXPECT_EQ(xxh3_64(data.data(), data.size(), 7),
            XXH3_64bits_withSeed(data.data(), data.size(), 7));
  EXPECT_NE(xxh3_64(data.data(), data.size(), 1), xxh3_64(data.data(), data.size(), 2));
  EXPECT_EQ(xxh3_64(data.data(), data.size(), 0), xxh3_64(data.data(), data.size()));
}

TEST(Xxhash, OneHundredTwentyEightBitsAreCanonicalAndStreamed) {
  std::string data(100000, '\0');
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>(i * 31);
  XXH128_canonical_t want;
  XXH128_canonicalFromHash(&want, XXH3_128bits(data.data(), data.size()));
  Xxh3_128 whole, parts;
  whole.update(data.data(), data.size());
  for (size_t i = 0; i < data.size(); i += 4093) {
    parts.update(data.data() + i, std::min<size_t>(4093, data.size() - i));
  }
  const auto a = whole.digest(), b = parts.digest();
  EXPECT_EQ(0, std::memcmp(a.data(), want.digest, 16));
  EXPECT_EQ(a, b);
  whole.reset();
  whole.update("x", 1);
  EXPECT_NE(whole.digest(), a);
}

}  // namespace
}  // namespace voxcache::util
