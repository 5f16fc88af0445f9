// The voxcache schema on one SQLite connection: creating and migrating it,
// and reading and writing entry rows. Knows SQL, not the entry encoding.

#ifndef VOXCACHE_STORE_ENTRY_STORE_H_
#define VOXCACHE_STORE_ENTRY_STORE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/sqlite.h"
#include "voxcache/status.h"

namespace voxcache::store {

// PRAGMA user_version of the schema this build writes.
inline constexpr int kSchemaVersion = 1;
// PRAGMA application_id: "VXCA".
inline constexpr int32_t kApplicationId = 0x56584341;

// Creates or migrates the schema (unless read_only) and checks that the file
// is a voxcache database of a version this build can read. Also sets the
// connection's pragmas (WAL, synchronous=NORMAL).
Status prepare_schema(Database* db, bool read_only);

// One row of `results`, without the header blob's meaning.
struct EntryRow {
  std::string operation_id;  // 64 lower-case hex digits
  std::string data;          // entry header, plus inline chunks
  std::string data_type;
  int64_t created_at_ms = 0;
  int64_t size_bytes = 0;
  int64_t raw_bytes = 0;
  int64_t chunk_count = 0;
  std::string codec;
  int level = 0;
  std::string checksum;
  std::optional<std::string> metadata;
};

Result<bool> entry_exists(Database* db, std::string_view operation_id);

// Inserts the entry and its out-of-line chunks (chunk i is chunks[i]) inside
// the caller's write transaction.
Status insert_entry(Database* db, const EntryRow& row, const std::vector<std::string>& chunks);

// NotFound when absent.
Result<EntryRow> read_entry(Database* db, std::string_view operation_id);

// Calls `fn(index, blob)` for chunks 0..count-1 in order; Corruption naming
// the chunk when one is missing or an extra one is found. Blob views are only
// valid during the call.
Status for_each_chunk(Database* db, std::string_view operation_id, uint64_t count,
                      const std::function<Status(uint64_t, std::string_view)>& fn);

// Removes the entry and its chunks; returns whether it existed.
Result<bool> delete_entry(Database* db, std::string_view operation_id);

// Every entry, newest first; `prefix` (lower-case hex) limits the listing.
Result<std::vector<EntryRow>> list_entries(Database* db, std::string_view prefix = {},
                                           int limit = -1);

}  // namespace voxcache::store

#endif  // VOXCACHE_STORE_ENTRY_STORE_H_
