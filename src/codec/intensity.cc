#include "codec/intensity.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

namespace voxcache::codec {
namespace {

int bin_of(double v, double lo, double hi) {
  if (!(hi > lo)) return 0;
  const double b = (v - lo) / (hi - lo) * Intensity::kBins;
  return std::clamp(static_cast<int>(b), 0, Intensity::kBins - 1);
}

// Sets a component's min, max, sum and histogram from counts of each
// distinct value: exact, and the same as counting voxel by voxel, because
// every value of a bin is binned by the same formula.
template <typename T, typename Count>
void from_value_counts(const Count* counts, size_t values, Intensity::Component* k) {
  using Index = std::make_unsigned_t<T>;
  auto value_of = [](size_t i) {
    return static_cast<double>(static_cast<T>(static_cast<Index>(i)));
  };
  bool any = false;
  for (size_t i = 0; i < values; ++i) {  // in value order: min first, max last
    if (counts[i] == 0) continue;
    const double v = value_of(i);
    if (!any || v < k->min) k->min = v;
    if (!any || v > k->max) k->max = v;
    any = true;
    k->sum += v * static_cast<double>(counts[i]);  // integers: exact below 2^53
    k->count += counts[i];
  }
  k->lo = k->min;
  k->hi = k->max;
  for (size_t i = 0; i < values; ++i) {
    if (counts[i]) k->bins[bin_of(value_of(i), k->lo, k->hi)] += counts[i];
  }
}

// 8- and 16-bit pixels: count each value in a table, then bin the table.
// Four tables for bytes, so runs of one value (label maps, air) do not
// serialise on one counter.
template <typename T>
void accumulate_by_table(const uint8_t* data, uint64_t n, uint64_t comps, uint64_t c,
                         Intensity::Component* k) {
  using Index = std::make_unsigned_t<T>;
  constexpr size_t kValues = size_t{1} << (8 * sizeof(T));
  constexpr size_t kTables = sizeof(T) == 1 ? 4 : 1;
  thread_local std::vector<uint32_t> table;  // a chunk has fewer than 2^32 voxels
  table.assign(kValues * kTables, 0);
  uint32_t* t = table.data();
  auto at = [&](uint64_t i) {
    Index v;
    std::memcpy(&v, data + i * sizeof(T), sizeof(T));
    return v;
  };
  uint64_t i = c;
  if (kTables == 4) {
    for (; i + 3 * comps < n; i += 4 * comps) {
      ++t[at(i)];
      ++t[kValues + at(i + comps)];
      ++t[2 * kValues + at(i + 2 * comps)];
      ++t[3 * kValues + at(i + 3 * comps)];
    }
  }
  for (; i < n; i += comps) ++t[at(i)];
  for (size_t j = 1; j < kTables; ++j) {
    for (size_t v = 0; v < kValues; ++v) t[v] += t[j * kValues + v];
  }
  from_value_counts<T>(t, kValues, k);
}

template <typename T>
void accumulate_each(const uint8_t* data, uint64_t n, uint64_t comps, uint64_t c,
                     Intensity::Component* k) {
  auto value = [&](uint64_t i) {
    T v;
    std::memcpy(&v, data + i * sizeof(T), sizeof(T));
    return v;
  };
  // Pass 1: range and sum. Pass 2: histogram over that range. The chunk is
  // in cache for the second pass. Four lanes in each, so neither the sum's
  // additions nor runs of one bin (a zero background) form one long chain.
  constexpr int kLanes = 4;
  std::array<double, kLanes> mn, mx, sum{};
  mn.fill(std::numeric_limits<double>::infinity());
  mx.fill(-std::numeric_limits<double>::infinity());
  std::array<uint64_t, kLanes> count{};
  uint64_t non_finite = 0;
  auto see = [&](int lane, uint64_t i) {
    const T t = value(i);
    if constexpr (std::is_floating_point_v<T>) {
      if (!std::isfinite(t)) {
        ++non_finite;
        return;
      }
    }
    const double v = static_cast<double>(t);
    mn[lane] = std::min(mn[lane], v);
    mx[lane] = std::max(mx[lane], v);
    sum[lane] += v;
    ++count[lane];
  };
  uint64_t i = c;
  for (; i + 3 * comps < n; i += kLanes * comps) {
    for (int lane = 0; lane < kLanes; ++lane) see(lane, i + lane * comps);
  }
  for (; i < n; i += comps) see(0, i);
  k->non_finite += non_finite;
  for (int lane = 0; lane < kLanes; ++lane) {
    if (count[lane] == 0) continue;
    if (k->count == 0 || mn[lane] < k->min) k->min = mn[lane];
    if (k->count == 0 || mx[lane] > k->max) k->max = mx[lane];
    k->sum += sum[lane];
    k->count += count[lane];
  }
  k->lo = k->min;
  k->hi = k->max;
  if (!(k->hi > k->lo)) {
    k->bins[0] += k->count;
    return;
  }
  std::array<std::array<uint64_t, Intensity::kBins>, kLanes> bins{};
  auto bin = [&](int lane, uint64_t i) {
    const T t = value(i);
    if constexpr (std::is_floating_point_v<T>) {
      if (!std::isfinite(t)) return;
    }
    ++bins[lane][bin_of(static_cast<double>(t), k->lo, k->hi)];
  };
  for (i = c; i + 3 * comps < n; i += kLanes * comps) {
    for (int lane = 0; lane < kLanes; ++lane) bin(lane, i + lane * comps);
  }
  for (; i < n; i += comps) bin(0, i);
  for (int lane = 0; lane < kLanes; ++lane) {
    for (int b = 0; b < Intensity::kBins; ++b) k->bins[b] += bins[lane][b];
  }
}

template <typename T>
void accumulate(const uint8_t* data, uint64_t bytes, std::vector<Intensity::Component>* cs) {
  const uint64_t comps = cs->size();
  const uint64_t n = bytes / sizeof(T);
  // A table pays for itself once a component has as many voxels as values.
  constexpr bool kTableable = std::is_integral_v<T> && sizeof(T) <= 2;
  for (uint64_t c = 0; c < comps; ++c) {
    if constexpr (kTableable) {
      if (n / comps >= (uint64_t{1} << (8 * sizeof(T)))) {
        accumulate_by_table<T>(data, n, comps, c, &(*cs)[c]);
        continue;
      }
    }
    accumulate_each<T>(data, n, comps, c, &(*cs)[c]);
  }
}

// Moves `k`'s counts onto the range [lo, hi] by their bin centres.
void rebin(Intensity::Component* k, double lo, double hi) {
  if (k->lo == lo && k->hi == hi) return;
  std::array<uint64_t, Intensity::kBins> out{};
  const double w = (k->hi - k->lo) / Intensity::kBins;
  for (int b = 0; b < Intensity::kBins; ++b) {
    if (k->bins[b] == 0) continue;
    const double centre = k->hi > k->lo ? k->lo + (b + 0.5) * w : k->lo;
    out[bin_of(centre, lo, hi)] += k->bins[b];
  }
  k->bins = out;
  k->lo = lo;
  k->hi = hi;
}

}  // namespace

Intensity::Intensity(PixelType, uint32_t components) : c_(components) {}

Intensity Intensity::Of(PixelType type, uint32_t components, const uint8_t* data, uint64_t bytes) {
  Intensity r(type, components);
  visit_pixel_type(type, [&](auto t) {
    // A mask's bytes are 0 and 1 (checked before any statistics): its
    // statistics are those of those bytes.
    using T = std::conditional_t<std::is_same_v<decltype(t), bool>, uint8_t, decltype(t)>;
    accumulate<T>(data, bytes, &r.c_);
  });
  return r;
}

void Intensity::merge(const Intensity& o) {
  if (c_.empty()) {
    *this = o;
    return;
  }
  for (size_t i = 0; i < c_.size() && i < o.c_.size(); ++i) {
    Component& a = c_[i];
    Component b = o.c_[i];
    a.non_finite += b.non_finite;
    if (b.count == 0) continue;
    if (a.count == 0) {
      b.non_finite = a.non_finite;
      a = b;
      continue;
    }
    const double lo = std::min(a.lo, b.lo), hi = std::max(a.hi, b.hi);
    rebin(&a, lo, hi);
    rebin(&b, lo, hi);
    for (int k = 0; k < kBins; ++k) a.bins[k] += b.bins[k];
    a.min = std::min(a.min, b.min);
    a.max = std::max(a.max, b.max);
    a.sum += b.sum;
    a.count += b.count;
  }
}

std::string Intensity::to_json() const {
  nlohmann::json out = nlohmann::json::array();
  for (const Component& k : c_) {
    nlohmann::json j;
    j["count"] = k.count;
    j["non_finite"] = k.non_finite;
    j["min"] = k.count ? nlohmann::json(k.min) : nlohmann::json(nullptr);
    j["max"] = k.count ? nlohmann::json(k.max) : nlohmann::json(nullptr);
    j["mean"] =
        k.count ? nlohmann::json(k.sum / static_cast<double>(k.count)) : nlohmann::json(nullptr);
    j["lo"] = k.lo;
    j["hi"] = k.hi;
    j["histogram"] = k.bins;
    out.push_back(std::move(j));
  }
  return out.dump();
}

}  // namespace voxcache::codec
