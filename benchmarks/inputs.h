// Benchmark inputs: the mricron volumes and deterministic synthetic ones.

#ifndef VOXCACHE_BENCHMARKS_INPUTS_H_
#define VOXCACHE_BENCHMARKS_INPUTS_H_

#include <chrono>
#include <cstdint>
#include <random>
#include <string>

#include "voxcache/volume.h"

namespace voxcache::bench {

inline const char* kTemplates = "/usr/share/mricron/templates/";

using Clock = std::chrono::steady_clock;
inline double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// One z-slice of a CT-like int16 phantom: air (-1000, exactly, as scanners
// clamp it), a body ellipse with soft tissue and a denser core, Gaussian
// noise. Deterministic in (n, z).
inline void ct_slice(uint64_t nx, uint64_t ny, uint64_t nz, uint64_t z, int16_t* out) {
  std::mt19937 rng(static_cast<uint32_t>(z * 7919 + 17));
  std::normal_distribution<float> noise(0.f, 20.f);
  const double cx = nx / 2.0, cy = ny / 2.0, cz = nz / 2.0;
  const double dz = (z - cz) / (0.48 * nz);
  for (uint64_t y = 0; y < ny; ++y) {
    for (uint64_t x = 0; x < nx; ++x) {
      const double dx = (x - cx) / (0.45 * nx), dy = (y - cy) / (0.35 * ny);
      const double r = dx * dx + dy * dy + dz * dz;
      int16_t v = -1000;
      if (r < 1.0) v = static_cast<int16_t>((r < 0.3 ? 300 : 40) + noise(rng));
      out[x + nx * y] = v;
    }
  }
}

inline Volume ct_phantom(uint64_t n) {
  VolumeLayout l;
  l.pixel_type = PixelType::kInt16;
  l.size = {n, n, n};
  Volume v = Volume::Create(l).value();
  for (uint64_t z = 0; z < n; ++z) ct_slice(n, n, n, z, v.mutable_pixels<int16_t>() + z * n * n);
  return v;
}

}  // namespace voxcache::bench

#endif  // VOXCACHE_BENCHMARKS_INPUTS_H_
