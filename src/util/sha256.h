// SHA-256 through OpenSSL's EVP interface; no OpenSSL type escapes this file.

#ifndef VOXCACHE_UTIL_SHA256_H_
#define VOXCACHE_UTIL_SHA256_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

struct evp_md_ctx_st;  // OpenSSL's EVP_MD_CTX

namespace voxcache::util {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;

  void update(const void* data, size_t n);
  void update(std::string_view s) { update(s.data(), s.size()); }
  std::array<uint8_t, 32> finish();

 private:
  ::evp_md_ctx_st* ctx_;
};

}  // namespace voxcache::util

#endif  // VOXCACHE_UTIL_SHA256_H_
