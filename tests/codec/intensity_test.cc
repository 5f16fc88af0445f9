#include "codec/intensity.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <type_traits>
#include <vector>

namespace voxcache::codec {
namespace {

// The definition in docs/format.md section 2.7, voxel by voxel, for one
// chunk: what every fast path must reproduce exactly.
template <typename T>
std::vector<Intensity::Component> reference(const std::vector<T>& v, uint32_t comps) {
  std::vector<Intensity::Component> out(comps);
  for (uint32_t c = 0; c < comps; ++c) {
    Intensity::Component& k = out[c];
    for (size_t i = c; i < v.size(); i += comps) {
      const double x = static_cast<double>(v[i]);
      if (!std::isfinite(x)) {
        ++k.non_finite;
        continue;
      }
      if (k.count == 0 || x < k.min) k.min = x;
      if (k.count == 0 || x > k.max) k.max = x;
      k.sum += x;
      ++k.count;
    }
    k.lo = k.min;
    k.hi = k.max;
    for (size_t i = c; i < v.size(); i += comps) {
      const double x = static_cast<double>(v[i]);
      if (!std::isfinite(x)) continue;
      int b = 0;
      if (k.hi > k.lo) {
        b = std::clamp(static_cast<int>((x - k.lo) / (k.hi - k.lo) * Intensity::kBins), 0,
                       Intensity::kBins - 1);
      }
      ++k.bins[b];
    }
  }
  return out;
}

template <typename T>
void expect_same(PixelType type, const std::vector<T>& v, uint32_t comps) {
  const Intensity got =
      Intensity::Of(type, comps, reinterpret_cast<const uint8_t*>(v.data()), v.size() * sizeof(T));
  const auto want = reference(v, comps);
  ASSERT_EQ(got.components().size(), want.size());
  for (uint32_t c = 0; c < comps; ++c) {
    const Intensity::Component& g = got.components()[c];
    const Intensity::Component& w = want[c];
    EXPECT_EQ(g.count, w.count) << "component " << c;
    EXPECT_EQ(g.non_finite, w.non_finite) << "component " << c;
    EXPECT_EQ(g.min, w.min) << "component " << c;
    EXPECT_EQ(g.max, w.max) << "component " << c;
    // Integer sums below 2^53 are exact in any order; others may differ in
    // the last bits, as the order of additions is not part of the definition.
    if (std::is_integral_v<T> && std::abs(w.sum) < 9007199254740992.0) {
      EXPECT_EQ(g.sum, w.sum) << "component " << c;
    } else {
      EXPECT_NEAR(g.sum, w.sum, 1e-12 * std::abs(w.sum) + 1e-9) << "component " << c;
    }
    EXPECT_EQ(g.lo, w.lo) << "component " << c;
    EXPECT_EQ(g.hi, w.hi) << "component " << c;
    EXPECT_EQ(g.bins, w.bins) << "component " << c;
  }
}

template <typename T>
std::vector<T> random_values(size_t n, double lo, double hi, uint32_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> d(lo, hi);
  std::vector<T> v(n);
  for (T& x : v) x = static_cast<T>(d(rng));
  return v;
}

// Sizes on both sides of where the value-table path takes over (a component
// with as many voxels as the type has values), and one and three components.
TEST(IntensityTest, EightAndSixteenBitTablesMatchTheDefinitionExactly) {
  for (uint32_t comps : {1u, 3u}) {
    for (size_t n : {size_t{1}, size_t{255}, size_t{300} * comps, size_t{70000} * comps}) {
      SCOPED_TRACE(testing::Message() << "n " << n << " comps " << comps);
      expect_same(PixelType::kUInt8, random_values<uint8_t>(n, 0, 255, 1), comps);
      expect_same(PixelType::kInt8, random_values<int8_t>(n, -128, 127, 2), comps);
      expect_same(PixelType::kUInt16, random_values<uint16_t>(n, 0, 65535, 3), comps);
      expect_same(PixelType::kInt16, random_values<int16_t>(n, -32768, 32767, 4), comps);
      expect_same(PixelType::kInt16, random_values<int16_t>(n, -1000, 1200, 5), comps);
    }
  }
}

TEST(IntensityTest, ALabelMapOfMostlyOneValueIsCountedExactly) {
  std::vector<uint8_t> labels(1 << 20, 0);
  for (size_t i = 0; i < labels.size(); i += 97) labels[i] = static_cast<uint8_t>(i % 48);
  expect_same(PixelType::kUInt8, labels, 1);
  std::vector<int16_t> constant(1 << 17, -1000);
  expect_same(PixelType::kInt16, constant, 1);
}

TEST(IntensityTest, WideAndFloatingTypesMatchTheDefinition) {
  expect_same(PixelType::kInt32, random_values<int32_t>(100000, -2e9, 2e9, 6), 1);
  expect_same(PixelType::kUInt64, random_values<uint64_t>(1000, 0, 1.8e19, 7), 2);
  std::vector<float> f = random_values<float>(100000, -5, 5, 8);
  f[10] = std::numeric_limits<float>::quiet_NaN();
  f[20] = std::numeric_limits<float>::infinity();
  f[30] = -std::numeric_limits<float>::infinity();
  expect_same(PixelType::kFloat32, f, 1);
  expect_same(PixelType::kFloat64, random_values<double>(9999, -1e300, 1e300, 9), 3);
}

}  // namespace
}  // namespace voxcache::codec
