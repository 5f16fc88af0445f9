#include "util/sha256.h"

#include <openssl/evp.h>

#include <cstdlib>

namespace voxcache::util {

// The EVP calls fail only on allocation failure or a broken OpenSSL build;
// a key computed from a half-updated digest would silently be wrong, so abort.
static void check(int rc) {
  if (rc != 1) std::abort();
}

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (!ctx_) std::abort();
  check(EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr));
}

Sha256::~Sha256() { EVP_MD_CTX_free(ctx_); }

void Sha256::update(const void* data, size_t n) {
  if (n) check(EVP_DigestUpdate(ctx_, data, n));
}

std::array<uint8_t, 32> Sha256::finish() {
  std::array<uint8_t, 32> out{};
  unsigned int len = 0;
  check(EVP_DigestFinal_ex(ctx_, out.data(), &len));
  if (len != out.size()) std::abort();
  return out;
}

}  // namespace voxcache::util
