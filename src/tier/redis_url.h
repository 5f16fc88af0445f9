// RedisAddress: where a Redis server is, parsed from the URL of
// Options::remote, and the URL as logs may show it.

#ifndef VOXCACHE_TIER_REDIS_URL_H_
#define VOXCACHE_TIER_REDIS_URL_H_

#include <string>
#include <string_view>

#include "voxcache/status.h"

namespace voxcache::tier {

// redis://[user:password@]host[:port][/db] or unix:///path/to.sock[?db=N]
// (a password alone: redis://:password@host).
struct RedisAddress {
  bool unix_socket = false;
  std::string host;  // or the socket's path
  int port = 6379;
  std::string user, password;
  int db = 0;
  // The URL with the password replaced by "***": what logs and stats show.
  std::string redacted() const;
};
Result<RedisAddress> parse_redis_url(std::string_view url);

}  // namespace voxcache::tier

#endif  // VOXCACHE_TIER_REDIS_URL_H_
