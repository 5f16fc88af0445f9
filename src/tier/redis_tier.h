// RedisTier: entries in a Redis server shared by many machines
// (docs/format.md, "Remote tier"). Chunks are stored once under the XXH3-128
// of their stored bytes, so identical chunks of different entries share one
// key; an entry is a hash (the manifest) naming its description's fields (tier/entry.h) and its
// chunks, written after every chunk it names. A manifest whose chunk Redis
// evicted is a miss, never Corruption and never a partial entry.

#ifndef VOXCACHE_TIER_REDIS_TIER_H_
#define VOXCACHE_TIER_REDIS_TIER_H_

#include <atomic>
#include <memory>
#include <string>

#include "tier/redis_client.h"
#include "tier/tier.h"

namespace voxcache::tier {

// With a secret (Options::remote_secret, the same on every node), every
// manifest written is signed: the SHA-256 of each chunk blob, and an
// HMAC-SHA256 under the secret over the key, the data type, the header and
// both chunk lists (docs/format.md 2.8). A manifest without a signature, or
// with a wrong one, is then a miss (counted: rejected()), and a chunk whose
// SHA-256 differs is Corruption: a node without the secret cannot make the
// others serve what it wrote. Without a secret, nothing is signed or checked.
class RedisTier final : public Tier {
 public:
  explicit RedisTier(RedisPool* pool, std::string secret = "")
      : pool_(pool), secret_(std::move(secret)) {}

  const char* name() const override { return "redis"; }
  Result<std::unique_ptr<EntrySource>> open(std::string_view id) override;
  Result<std::unique_ptr<EntrySink>> create(std::string_view id, bool replace) override;
  Result<bool> contains(std::string_view id) override;
  // Removes the manifest; chunks other entries may share stay until Redis
  // evicts them.
  Result<bool> erase(std::string_view id) override;
  Result<std::vector<Entry>> list(std::string_view prefix, int limit) override;

  // Key names, docs/format.md.
  static std::string entry_key(std::string_view id);
  static std::string chunk_key(std::string_view hash_hex);
  static std::string claim_key(std::string_view id);
  // The hex XXH3-128 a chunk blob is stored under.
  static std::string chunk_hash(std::string_view blob);

  // Manifests refused for a missing or wrong signature (with a secret).
  uint64_t rejected() const { return rejected_; }

 private:
  RedisPool* pool_;
  const std::string secret_;
  std::atomic<uint64_t> rejected_{0};
};

}  // namespace voxcache::tier

#endif  // VOXCACHE_TIER_REDIS_TIER_H_
