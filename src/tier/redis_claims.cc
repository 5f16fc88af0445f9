#include "tier/redis_claims.h"

#include <cstdlib>
#include <string_view>

#include "tier/redis_tier.h"

namespace voxcache::tier {

namespace {

// Only the owner may renew or release a claim: check and act in one step.
constexpr const char* kRenewScript =
    "if redis.call('get', KEYS[1]) == ARGV[1] then "
    "return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";
constexpr const char* kReleaseScript =
    "if redis.call('get', KEYS[1]) == ARGV[1] then "
    "return redis.call('del', KEYS[1]) else return 0 end";

// INFO's "name:value" lines.
std::string info_field(std::string_view info, const std::string& name) {
  const size_t at = info.find(name + ":");
  if (at == std::string_view::npos) return "";
  const size_t from = at + name.size() + 1;
  return std::string(info.substr(from, info.find_first_of("\r\n", from) - from));
}

uint64_t to_u64(const std::string& s) { return std::strtoull(s.c_str(), nullptr, 10); }

}  // namespace

Result<bool> RedisClaims::try_claim(const std::string& id, const std::string& me, int64_t,
                                    int64_t lease_ms, std::string* holder) {
  Result<RedisPool::Lease> c = pool_->acquire();
  if (!c.ok()) return c.status();
  const std::string key = RedisTier::claim_key(id);
  Result<RedisReply> set = (*c)->command({"SET", key, me, "NX", "PX", std::to_string(lease_ms)});
  if (!set.ok()) return set.status();
  if (!set->is_nil()) {
    *holder = me;
    return true;
  }
  Result<RedisReply> get = (*c)->command({"GET", key});
  if (!get.ok()) return get.status();
  *holder = std::string(get->str());
  return *holder == me;
}

Result<bool> RedisClaims::renew_for(const std::string& id, const std::string& me,
                                    int64_t lease_ms) {
  return run(kRenewScript, id, me, std::to_string(lease_ms));
}

Result<bool> RedisClaims::release_owned(const std::string& id, const std::string& me) {
  return run(kReleaseScript, id, me, "");
}

Result<bool> RedisClaims::run(const char* script, const std::string& id, const std::string& me,
                              const std::string& arg) {
  Result<RedisPool::Lease> c = pool_->acquire();
  if (!c.ok()) return c.status();
  Result<RedisReply> r = (*c)->command({"EVAL", script, "1", RedisTier::claim_key(id), me, arg});
  if (!r.ok()) return r.status();
  return r->integer() > 0;
}

Result<RedisServerInfo> server_info(RedisPool* pool) {
  Result<RedisPool::Lease> c = pool->acquire();
  if (!c.ok()) return c.status();
  Result<RedisReply> r = (*c)->command({"INFO"});
  if (!r.ok()) return r.status();
  if (r->type() != RedisReply::Type::kString) {
    return Status::IOError("redis: INFO answered with something that is not text");
  }
  const std::string_view info = r->str();
  RedisServerInfo out;
  out.used_memory = to_u64(info_field(info, "used_memory"));
  out.max_memory = to_u64(info_field(info, "maxmemory"));
  out.evicted_keys = to_u64(info_field(info, "evicted_keys"));
  out.eviction_policy = info_field(info, "maxmemory_policy");
  return out;
}

}  // namespace voxcache::tier
