// Byte shuffle: groups the i-th byte of every element together, so the slowly
// varying high bytes of multi-byte voxels form long runs zstd compresses well.
// (Chunk filter 1 in docs/format.md.)

#ifndef VOXCACHE_CODEC_SHUFFLE_H_
#define VOXCACHE_CODEC_SHUFFLE_H_

#include <cstddef>
#include <cstdint>

namespace voxcache::codec {

// out[b * n + i] = in[i * element + b] for the n = bytes / element whole
// elements; trailing bytes (bytes % element) are copied as they are.
void shuffle(const uint8_t* in, size_t bytes, size_t element, uint8_t* out);
// The inverse of shuffle().
void unshuffle(const uint8_t* in, size_t bytes, size_t element, uint8_t* out);

}  // namespace voxcache::codec

#endif  // VOXCACHE_CODEC_SHUFFLE_H_
