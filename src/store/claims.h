// The `claims` table of single-flight get_or_compute (schema 4).

#ifndef VOXCACHE_STORE_CLAIMS_H_
#define VOXCACHE_STORE_CLAIMS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/sqlite.h"
#include "voxcache/status.h"

namespace voxcache::store {

// Single-flight claims (docs/reliability.md): who computes a missing key.
// Takes the claim when there is none or it expired; *owner receives the
// holder's name either way. Call inside a write transaction.
Result<bool> try_claim(Database* db, std::string_view operation_id, std::string_view me,
                       int64_t now_ms, int64_t lease_ms, std::string* owner);
// Extends our claim; false when it is no longer ours (it expired and was taken).
Result<bool> renew_claim(Database* db, std::string_view operation_id, std::string_view me,
                         int64_t expires_at_ms);
Status release_claim(Database* db, std::string_view operation_id, std::string_view me);

}  // namespace voxcache::store

#endif  // VOXCACHE_STORE_CLAIMS_H_
