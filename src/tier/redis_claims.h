// The Redis side of single flight across machines (docs/format.md 2.8,
// `voxcache:claim:<key>`), and what the server says of itself: every Redis
// command voxcache sends beyond the entries (tier/redis_tier.h) lives here.

#ifndef VOXCACHE_TIER_REDIS_CLAIMS_H_
#define VOXCACHE_TIER_REDIS_CLAIMS_H_

#include <cstdint>
#include <string>

#include "tier/claims.h"
#include "tier/redis_client.h"
#include "voxcache/status.h"

namespace voxcache::tier {

// Claims as Redis keys: SET NX PX takes one, so one holder per key across
// every machine, expiring by itself when its holder stops renewing (Redis's
// clock decides, not ours). Only the owner renews or releases, each checked
// and done in one Lua step. IOError when Redis cannot be reached.
class RedisClaims {
 public:
  explicit RedisClaims(RedisPool* pool) : pool_(pool) {}
  // True when `me` holds the claim now; *holder receives the holder.
  Result<bool> try_claim(const std::string& id, const std::string& me, int64_t now_ms,
                         int64_t lease_ms, std::string* holder);
  // True when the claim was ours and now runs `lease_ms` from now.
  Result<bool> renew_for(const std::string& id, const std::string& me, int64_t lease_ms);
  // True when the claim was ours and is gone.
  Result<bool> release_owned(const std::string& id, const std::string& me);

 private:
  Result<bool> run(const char* script, const std::string& id, const std::string& me,
                   const std::string& arg);
  RedisPool* pool_;
};

// The server's memory and eviction, from INFO.
struct RedisServerInfo {
  uint64_t used_memory = 0, max_memory = 0, evicted_keys = 0;
  std::string eviction_policy;
};
Result<RedisServerInfo> server_info(RedisPool* pool);

}  // namespace voxcache::tier

#endif  // VOXCACHE_TIER_REDIS_CLAIMS_H_
