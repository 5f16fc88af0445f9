#include "tier/claims.h"

#include "store/claims.h"

namespace voxcache::tier {

Result<bool> LocalClaims::try_claim(const std::string& id, const std::string& me, int64_t now_ms,
                                    int64_t lease_ms, std::string* holder) {
  bool claimed = false;
  Status s = catalog_->write("claim", [&](store::Database* db) {
    Result<bool> r = store::try_claim(db, id, me, now_ms, lease_ms, holder);
    if (r.ok()) claimed = *r;
    return r.status();
  });
  if (!s.ok()) return s;
  return claimed;
}

Status LocalClaims::renew(const std::string& id, const std::string& me, int64_t expires_at_ms) {
  return catalog_->write("claim renewal", [&](store::Database* db) {
    return store::renew_claim(db, id, me, expires_at_ms).status();
  });
}

Status LocalClaims::release(const std::string& id, const std::string& me) {
  return catalog_->write("claim release",
                         [&](store::Database* db) { return store::release_claim(db, id, me); });
}

}  // namespace voxcache::tier
