// RedisTier: entries in a Redis server shared by many machines
// (docs/format.md, "Remote tier"). Chunks are stored once under the XXH3-128
// of their stored bytes, so identical chunks of different entries share one
// key; an entry is a hash (the manifest) naming its row's columns and its
// chunks, written after every chunk it names. A manifest whose chunk Redis
// evicted is a miss, never Corruption and never a partial entry.

#ifndef VOXCACHE_TIER_REDIS_TIER_H_
#define VOXCACHE_TIER_REDIS_TIER_H_

#include <memory>
#include <string>

#include "tier/redis_client.h"
#include "tier/tier.h"

namespace voxcache::tier {

class RedisTier final : public Tier {
 public:
  explicit RedisTier(RedisPool* pool) : pool_(pool) {}

  const char* name() const override { return "redis"; }
  Result<std::unique_ptr<EntrySource>> open(std::string_view id) override;
  Result<std::unique_ptr<EntrySink>> create(std::string_view id, bool replace) override;
  Result<bool> contains(std::string_view id) override;
  // Removes the manifest; chunks other entries may share stay until Redis
  // evicts them.
  Result<bool> erase(std::string_view id) override;
  Result<std::vector<EntryRow>> list(std::string_view prefix, int limit) override;

  // Key names, docs/format.md.
  static std::string entry_key(std::string_view id);
  static std::string chunk_key(std::string_view hash_hex);
  static std::string claim_key(std::string_view id);
  // The hex XXH3-128 a chunk blob is stored under.
  static std::string chunk_hash(std::string_view blob);

 private:
  RedisPool* pool_;
};

}  // namespace voxcache::tier

#endif  // VOXCACHE_TIER_REDIS_TIER_H_
