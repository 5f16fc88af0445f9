#include "util/xxhash.h"

#include <xxhash.h>

#include <cstdlib>
#include <cstring>

namespace voxcache::util {

uint64_t xxh3_64(const void* data, size_t n) { return XXH3_64bits(data, n); }

uint64_t xxh3_64(const void* data, size_t n, uint64_t seed) {
  return XXH3_64bits_withSeed(data, n, seed);
}

struct Xxh3_128::State {
  XXH3_state_t* s = XXH3_createState();
  ~State() { XXH3_freeState(s); }
};

Xxh3_128::Xxh3_128() : state_(std::make_unique<State>()) {
  if (!state_->s) std::abort();
  reset();
}

void Xxh3_128::reset() {
  if (XXH3_128bits_reset(state_->s) != XXH_OK) std::abort();
}

Xxh3_128::~Xxh3_128() = default;

void Xxh3_128::update(const void* data, size_t n) {
  if (XXH3_128bits_update(state_->s, data, n) != XXH_OK) std::abort();
}

std::array<uint8_t, 16> Xxh3_128::digest() const {
  XXH128_canonical_t c;
  XXH128_canonicalFromHash(&c, XXH3_128bits_digest(state_->s));
  std::array<uint8_t, 16> out;
  std::memcpy(out.data(), c.digest, out.size());
  return out;
}

}  // namespace voxcache::util
