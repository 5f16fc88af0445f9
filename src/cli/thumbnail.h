// Pictures of cached volumes: a maximum-intensity projection along z, or one
// slice, windowed to 8 bits and written through ITK (PNG by extension); and
// the windowing export applies to slices bound for 8-bit formats.

#ifndef VOXCACHE_CLI_THUMBNAIL_H_
#define VOXCACHE_CLI_THUMBNAIL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "voxcache/cache.h"

namespace voxcache::cli {

// Values lo..hi drawn as 0..255.
struct Window {
  double lo, hi;
};
// The 0.5th to the 99.5th percentile of the finite values (0..1 when there
// are none): a few hot voxels do not wash the picture out.
Window auto_window(std::vector<double> values);
// `v` as u8 (every component), `window` or the automatic one mapped to 0..255
// and clamped, NaN to 0, +inf to 255; the same layout and geometry otherwise.
// `used` receives the window.
Result<Volume> windowed(const Volume& v, const std::optional<Window>& window, Window* used);

// `slice`: (axis, index) for one slice; nullopt for the projection, which
// streams the volume so memory stays bounded. The first component is shown;
// the window runs from the 0.5th to the 99.5th percentile of what is shown.
// Returns the picture's width and height.
Result<std::pair<uint64_t, uint64_t>> write_thumbnail(
    Cache* cache, const OperationKey& key, const std::string& file,
    std::optional<std::pair<int, uint64_t>> slice);

}  // namespace voxcache::cli

#endif  // VOXCACHE_CLI_THUMBNAIL_H_
