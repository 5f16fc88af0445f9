// LZ4 block compression (Debian's liblz4); no LZ4 type escapes.

#ifndef VOXCACHE_UTIL_LZ4_H_
#define VOXCACHE_UTIL_LZ4_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "voxcache/status.h"

namespace voxcache::util {

// Appends the LZ4 block of `in` (LZ4_compress_default: the fast level) to
// `out`. InvalidArgument for an input LZ4 cannot take (over 2 GB).
Status lz4_compress(std::string_view in, std::string* out);

// Decompresses one block into exactly `out_size` bytes at `out`, never
// writing past them. Corruption when the block is malformed or does not
// decode to exactly that size.
Status lz4_decompress(std::string_view in, void* out, size_t out_size);

}  // namespace voxcache::util

#endif  // VOXCACHE_UTIL_LZ4_H_
