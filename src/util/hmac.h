// HMAC-SHA256 through OpenSSL; no OpenSSL type escapes this file.

#ifndef VOXCACHE_UTIL_HMAC_H_
#define VOXCACHE_UTIL_HMAC_H_

#include <array>
#include <cstdint>
#include <string_view>

namespace voxcache::util {

// HMAC-SHA256 of `message` under `key`.
std::array<uint8_t, 32> hmac_sha256(std::string_view key, std::string_view message);

// Compares in time that does not depend on where the inputs differ.
bool equal_in_constant_time(std::string_view a, std::string_view b);

}  // namespace voxcache::util

#endif  // VOXCACHE_UTIL_HMAC_H_
