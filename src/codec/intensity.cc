#include "codec/intensity.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>

namespace voxcache::codec {
namespace {

int bin_of(double v, double lo, double hi) {
  if (!(hi > lo)) return 0;
  const double b = (v - lo) / (hi - lo) * Intensity::kBins;
  return std::clamp(static_cast<int>(b), 0, Intensity::kBins - 1);
}

template <typename T>
void accumulate(const uint8_t* data, uint64_t bytes, std::vector<Intensity::Component>* cs) {
  const uint64_t comps = cs->size();
  const uint64_t n = bytes / sizeof(T);
  auto value = [&](uint64_t i) {
    T v;
    std::memcpy(&v, data + i * sizeof(T), sizeof(T));
    return static_cast<double>(v);
  };
  // Pass 1: range and sum. Pass 2: histogram over that range. The chunk is
  // in cache for the second pass.
  for (uint64_t c = 0; c < comps; ++c) {
    Intensity::Component& k = (*cs)[c];
    for (uint64_t i = c; i < n; i += comps) {
      const double v = value(i);
      if (!std::isfinite(v)) {
        ++k.non_finite;
        continue;
      }
      if (k.count == 0 || v < k.min) k.min = v;
      if (k.count == 0 || v > k.max) k.max = v;
      k.sum += v;
      ++k.count;
    }
    k.lo = k.min;
    k.hi = k.max;
    for (uint64_t i = c; i < n; i += comps) {
      const double v = value(i);
      if (std::isfinite(v)) ++k.bins[bin_of(v, k.lo, k.hi)];
    }
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
  visit_pixel_type(type, [&](auto t) { accumulate<decltype(t)>(data, bytes, &r.c_); });
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
