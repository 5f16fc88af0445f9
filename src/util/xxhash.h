// XXH3 checksums; no xxHash type escapes this file.

#ifndef VOXCACHE_UTIL_XXHASH_H_
#define VOXCACHE_UTIL_XXHASH_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace voxcache::util {

uint64_t xxh3_64(const void* data, size_t n);
uint64_t xxh3_64(const void* data, size_t n, uint64_t seed);

// Streaming XXH3-128, for a checksum over a payload that arrives in chunks.
class Xxh3_128 {
 public:
  Xxh3_128();
  ~Xxh3_128();
  Xxh3_128(const Xxh3_128&) = delete;
  Xxh3_128& operator=(const Xxh3_128&) = delete;

  void update(const void* data, size_t n);
  void reset();
  // 16 bytes, big-endian (xxHash's canonical form), as printed in hex.
  std::array<uint8_t, 16> digest() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace voxcache::util

#endif  // VOXCACHE_UTIL_XXHASH_H_
