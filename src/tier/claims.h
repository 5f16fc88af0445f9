// Claims of single-flight get_or_compute (docs/reliability.md): who computes
// a missing key, beside the tiers that keep entries. Claims live in the
// local database's `claims` table (LocalClaims) and, for a cluster, in
// Redis (tier/redis_claims.h).

#ifndef VOXCACHE_TIER_CLAIMS_H_
#define VOXCACHE_TIER_CLAIMS_H_

#include <cstdint>
#include <string>

#include "store/catalog.h"
#include "voxcache/status.h"

namespace voxcache::tier {

// Where claims live. Times are the Env's wall clock, in ms.
class ClaimTable {
 public:
  virtual ~ClaimTable() = default;
  // Takes the claim on `id` when nobody holds it or its lease ran out; true
  // when `me` holds it now. *holder receives the holder's name either way.
  virtual Result<bool> try_claim(const std::string& id, const std::string& me, int64_t now_ms,
                                 int64_t lease_ms, std::string* holder) = 0;
  // Extends our claim; OK also when it is no longer ours.
  virtual Status renew(const std::string& id, const std::string& me, int64_t expires_at_ms) = 0;
  virtual Status release(const std::string& id, const std::string& me) = 0;
};

// Claims in the local database's `claims` table (docs/format.md).
class LocalClaims final : public ClaimTable {
 public:
  explicit LocalClaims(store::Catalog* catalog) : catalog_(catalog) {}
  Result<bool> try_claim(const std::string& id, const std::string& me, int64_t now_ms,
                         int64_t lease_ms, std::string* holder) override;
  Status renew(const std::string& id, const std::string& me, int64_t expires_at_ms) override;
  Status release(const std::string& id, const std::string& me) override;

 private:
  store::Catalog* catalog_;
};

}  // namespace voxcache::tier

#endif  // VOXCACHE_TIER_CLAIMS_H_
