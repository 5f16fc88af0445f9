// Little-endian fixed-width encoding, the byte order of every voxcache format.

#ifndef VOXCACHE_UTIL_CODING_H_
#define VOXCACHE_UTIL_CODING_H_

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace voxcache::util {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "voxcache stores voxels in host order, which must be little-endian");

template <typename T>
inline void put_fixed(std::string* out, T v) {
  char buf[sizeof(T)];
  std::memcpy(buf, &v, sizeof(T));
  out->append(buf, sizeof(T));
}

// Reads fixed-width values from a byte range, failing (not crashing) past its
// end: every get_* returns false once the input is exhausted.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}

  template <typename T>
  bool get(T* v) {
    if (in_.size() < sizeof(T)) return fail();
    std::memcpy(v, in_.data(), sizeof(T));
    in_.remove_prefix(sizeof(T));
    return true;
  }
  bool get_bytes(size_t n, std::string_view* v) {
    if (in_.size() < n) return fail();
    *v = in_.substr(0, n);
    in_.remove_prefix(n);
    return true;
  }
  size_t remaining() const { return in_.size(); }
  std::string_view rest() const { return in_; }
  bool failed() const { return failed_; }

 private:
  bool fail() {
    failed_ = true;
    return false;
  }
  std::string_view in_;
  bool failed_ = false;
};

std::string to_hex(const void* data, size_t n);

}  // namespace voxcache::util

#endif  // VOXCACHE_UTIL_CODING_H_
