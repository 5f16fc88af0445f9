// zstd compression with per-thread reusable contexts; no zstd type escapes.

#ifndef VOXCACHE_UTIL_ZSTD_H_
#define VOXCACHE_UTIL_ZSTD_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "voxcache/status.h"

namespace voxcache::util {

// Appends the zstd frame of `in` at `level` to `out`.
Status zstd_compress(std::string_view in, int level, std::string* out);

// Decompresses one frame into exactly `out_size` bytes at `out`. Corruption
// when the frame is malformed or does not decode to exactly that size.
Status zstd_decompress(std::string_view in, void* out, size_t out_size);

int zstd_max_level();

}  // namespace voxcache::util

#endif  // VOXCACHE_UTIL_ZSTD_H_
