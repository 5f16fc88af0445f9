// Pictures of cached volumes: a maximum-intensity projection along z, or one
// slice, windowed to 8 bits and written through ITK (PNG by extension).

#ifndef VOXCACHE_CLI_THUMBNAIL_H_
#define VOXCACHE_CLI_THUMBNAIL_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "voxcache/cache.h"

namespace voxcache::cli {

// `slice`: (axis, index) for one slice; nullopt for the projection, which
// streams the volume so memory stays bounded. The first component is shown;
// the window runs from the 0.5th to the 99.5th percentile of what is shown.
// Returns the picture's width and height.
Result<std::pair<uint64_t, uint64_t>> write_thumbnail(
    Cache* cache, const OperationKey& key, const std::string& file,
    std::optional<std::pair<int, uint64_t>> slice);

}  // namespace voxcache::cli

#endif  // VOXCACHE_CLI_THUMBNAIL_H_
