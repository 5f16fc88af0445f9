// Intensity statistics of a volume, accumulated chunk by chunk while it is
// written: per component, min, max, mean and a 256-bin histogram.
//
// The histogram's range is the values seen so far; when a later chunk widens
// it, the counts gathered so far are re-spread over the new bins by their bin
// centres. Counts always sum to the number of finite values, but bin edges
// are exact only for the first chunk's range (docs/format.md, "Intensity").
// NaN and infinities are counted apart and left out of everything else.

#ifndef VOXCACHE_CODEC_INTENSITY_H_
#define VOXCACHE_CODEC_INTENSITY_H_

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "voxcache/volume.h"

namespace voxcache::codec {

class Intensity {
 public:
  static constexpr int kBins = 256;

  Intensity() = default;
  Intensity(PixelType type, uint32_t components);

  // Statistics of `bytes` bytes of whole voxels.
  static Intensity Of(PixelType type, uint32_t components, const uint8_t* data, uint64_t bytes);
  // Adds `other` (a later chunk) into this.
  void merge(const Intensity& other);

  // JSON array, one object per component.
  std::string to_json() const;

  struct Component {
    double min = 0, max = 0, sum = 0;
    uint64_t count = 0, non_finite = 0;
    double lo = 0, hi = 0;  // histogram range
    std::array<uint64_t, kBins> bins{};
  };
  const std::vector<Component>& components() const { return c_; }

 private:
  std::vector<Component> c_;
};

}  // namespace voxcache::codec

#endif  // VOXCACHE_CODEC_INTENSITY_H_
