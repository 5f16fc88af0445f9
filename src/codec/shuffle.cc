#include "codec/shuffle.h"

#include <cstring>

namespace voxcache::codec {
namespace {

// A compile-time element size lets the compiler unroll the inner loop; these
// are the sizes pixel types have.
template <size_t E, bool kForward>
void transpose(const uint8_t* in, size_t n, uint8_t* out) {
  for (size_t i = 0; i < n; ++i) {
    for (size_t b = 0; b < E; ++b) {
      if (kForward) {
        out[b * n + i] = in[i * E + b];
      } else {
        out[i * E + b] = in[b * n + i];
      }
    }
  }
}

template <bool kForward>
void run(const uint8_t* in, size_t bytes, size_t element, uint8_t* out) {
  const size_t n = element ? bytes / element : 0;
  switch (element) {
    case 2:
      transpose<2, kForward>(in, n, out);
      break;
    case 4:
      transpose<4, kForward>(in, n, out);
      break;
    case 8:
      transpose<8, kForward>(in, n, out);
      break;
    default:
      if (bytes) std::memcpy(out, in, bytes);  // memcpy of null pointers is UB even for 0 bytes
      return;
  }
  const size_t tail = n * element;
  if (bytes > tail) std::memcpy(out + tail, in + tail, bytes - tail);
}

}  // namespace

void shuffle(const uint8_t* in, size_t bytes, size_t element, uint8_t* out) {
  run<true>(in, bytes, element, out);
}

void unshuffle(const uint8_t* in, size_t bytes, size_t element, uint8_t* out) {
  run<false>(in, bytes, element, out);
}

}  // namespace voxcache::codec
