// Entry rows on one SQLite connection: the `results`, `chunks` and `inputs`
// tables (an entry, its chunks and its recipe's inputs), and what lists,
// touches, pins and evicts them. Knows SQL, not the entry encoding. The other
// tables have their own files: schema.h (creation and migrations), stats.h
// (totals and counters), claims.h, config.h.

#ifndef VOXCACHE_STORE_ENTRY_STORE_H_
#define VOXCACHE_STORE_ENTRY_STORE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/sqlite.h"
#include "voxcache/status.h"

namespace voxcache::store {

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
  std::string filter = "none";
  int level = 0;
  std::string checksum;
  std::optional<std::string> metadata;
  // Version 3: management and lineage.
  int64_t last_access_ms = 0;  // 0: created_at
  int64_t access_count = 0;
  bool pinned = false;
  std::optional<std::string> operation;  // recipe's operation name
  std::optional<std::string> recipe;     // KeyBuilder::canonical_encoding()
  std::optional<std::string> intensity;  // JSON, docs/format.md
  std::vector<std::string> inputs;       // input keys (hex) of the recipe
  // Version 7: a volume's chunk layout, as EntryHeader::layout_name(). Only
  // written: readers take it from the header, which is authoritative, so a
  // read-only open of an older file selects nothing it lacks.
  std::optional<std::string> layout;
};

Result<bool> entry_exists(Database* db, std::string_view operation_id);

// Inside the caller's write transaction: chunk rows first, then the results
// row, which is what makes the entry visible.
Status insert_chunk(Database* db, std::string_view operation_id, uint64_t index,
                    std::string_view blob);
Status insert_entry_row(Database* db, const EntryRow& row);

// Iterates chunks [first, end) of an entry in order, one row per next().
// Uses one cached statement of `db`: one ChunkCursor per connection at a time.
class ChunkCursor {
 public:
  static Result<ChunkCursor> Open(Database* db, std::string_view operation_id, uint64_t first,
                                  uint64_t end);
  ChunkCursor(ChunkCursor&& other) noexcept;
  ~ChunkCursor();
  // The next chunk's blob, valid until the next call; Corruption when a chunk
  // is missing or out of order, an empty view after chunk end-1.
  Result<std::string_view> next();

 private:
  ChunkCursor(Statement* st, uint64_t first, uint64_t end) : st_(st), expected_(first), end_(end) {}
  Statement* st_;
  uint64_t expected_;
  uint64_t end_;
};

// NotFound when absent.
Result<EntryRow> read_entry(Database* db, std::string_view operation_id);

// The number of chunk rows of an entry (a cross-check for readers of a whole entry).
Result<uint64_t> count_chunks(Database* db, std::string_view operation_id);

// Removes the entry and its chunks; returns whether it existed.
Result<bool> delete_entry(Database* db, std::string_view operation_id);

// Entries written with a recipe that names `input_id` as an input.
Result<std::vector<std::string>> dependents_of(Database* db, std::string_view input_id);

// Input keys (hex) of an entry's recipe, in order.
Result<std::vector<std::string>> inputs_of(Database* db, std::string_view operation_id);

// Unpinned entries, least recently used first, until `fn` returns false.
struct LruEntry {
  std::string operation_id, data_type;
  int64_t size_bytes = 0, last_access_ms = 0;
};
Status for_each_lru(Database* db, const std::function<bool(const LruEntry&)>& fn);

// Removes every entry (only the unpinned ones with `keep_pinned`) and
// returns what went.
Result<std::vector<LruEntry>> delete_all_entries(Database* db, bool keep_pinned);

// Oldest last access among unpinned entries; nullopt when there are none.
Result<std::optional<int64_t>> oldest_unpinned_access(Database* db);

// Records batched gets: last access becomes at least `at_ms`, count grows.
Status touch(Database* db, std::string_view operation_id, int64_t at_ms, int64_t count);
Status set_pinned(Database* db, std::string_view operation_id, bool pinned, bool* found);

// Every entry, newest first; `prefix` (lower-case hex) limits the listing.
Result<std::vector<EntryRow>> list_entries(Database* db, std::string_view prefix = {},
                                           int limit = -1);

}  // namespace voxcache::store

#endif  // VOXCACHE_STORE_ENTRY_STORE_H_
