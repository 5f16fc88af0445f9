// The voxcache schema: the file's identity (application_id), its version
// (user_version) and the migrations from every older version
// (docs/format.md, section 1).

#ifndef VOXCACHE_STORE_SCHEMA_H_
#define VOXCACHE_STORE_SCHEMA_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/sqlite.h"
#include "voxcache/status.h"

namespace voxcache::store {

// PRAGMA user_version of the schema this build writes.
inline constexpr int kSchemaVersion = 8;
// PRAGMA application_id: "VXCA".
inline constexpr int32_t kApplicationId = 0x56584341;

// Creates or migrates the schema (unless read_only) and checks that the file
// is a voxcache database of a version this build can read. Also sets the
// connection's pragmas (WAL, synchronous=NORMAL).
Status prepare_schema(Database* db, bool read_only);

// The file's schema version (PRAGMA user_version).
Result<int64_t> schema_version(Database* db);

}  // namespace voxcache::store

#endif  // VOXCACHE_STORE_SCHEMA_H_
