#include "codec/shuffle.h"

#include <gtest/gtest.h>

#include <numeric>
#include <vector>

namespace voxcache::codec {
namespace {

TEST(Shuffle, GroupsBytesByPositionAndInverts) {
  const std::vector<uint8_t> in = {1, 2, 3, 4, 5, 6, 7, 8, 9};  // two 4-byte elements + a tail
  std::vector<uint8_t> out(in.size()), back(in.size());
  shuffle(in.data(), in.size(), 4, out.data());
  EXPECT_EQ(out, (std::vector<uint8_t>{1, 5, 2, 6, 3, 7, 4, 8, 9}));
  unshuffle(out.data(), out.size(), 4, back.data());
  EXPECT_EQ(back, in);
}

TEST(Shuffle, RoundTripsEveryElementSizeAndLength) {
  for (size_t element : {1, 2, 4, 8, 3}) {
    for (size_t n : {0, 1, 7, 8, 64, 1001}) {
      std::vector<uint8_t> in(n), out(n), back(n);
      std::iota(in.begin(), in.end(), 0);
      shuffle(in.data(), n, element, out.data());
      unshuffle(out.data(), n, element, back.data());
      ASSERT_EQ(back, in) << element << "/" << n;
    }
  }
}

}  // namespace
}  // namespace voxcache::codec
