#include "store/entry_store.h"

#include <algorithm>

namespace voxcache::store {
namespace {

const char* kSelectColumns =
    "SELECT operation_id, data, data_type, created_at, size_bytes, raw_bytes, chunk_count, "
    "codec, level, checksum, metadata, filter, last_access, access_count, pinned, operation, "
    "recipe, intensity FROM results ";

EntryRow row_from(const Statement& st) {
  EntryRow r;
  r.operation_id = st.column_text(0);
  r.data = st.column_blob(1);
  r.data_type = st.column_text(2);
  r.created_at_ms = st.column_int64(3);
  r.size_bytes = st.column_int64(4);
  r.raw_bytes = st.column_int64(5);
  r.chunk_count = st.column_int64(6);
  r.codec = st.column_text(7);
  r.level = static_cast<int>(st.column_int64(8));
  r.checksum = st.column_text(9);
  if (!st.column_is_null(10)) r.metadata = std::string(st.column_text(10));
  r.filter = st.column_text(11);
  r.last_access_ms = st.column_int64(12);
  r.access_count = st.column_int64(13);
  r.pinned = st.column_int64(14) != 0;
  if (!st.column_is_null(15)) r.operation = std::string(st.column_text(15));
  if (!st.column_is_null(16)) r.recipe = std::string(st.column_blob(16));
  if (!st.column_is_null(17)) r.intensity = std::string(st.column_text(17));
  return r;
}

}  // namespace

Result<bool> entry_exists(Database* db, std::string_view operation_id) {
  Result<Statement*> st = db->statement("SELECT 1 FROM results WHERE operation_id = ?1");
  if (!st.ok()) return st.status();
  Status s = (*st)->bind_text(1, operation_id);
  if (!s.ok()) return s;
  Result<bool> row = (*st)->step();
  (*st)->reset();
  return row;
}

Status insert_chunk(Database* db, std::string_view operation_id, uint64_t index,
                    std::string_view blob) {
  Result<Statement*> st =
      db->statement("INSERT INTO chunks (operation_id, chunk_index, data) VALUES (?1, ?2, ?3)");
  if (!st.ok()) return st.status();
  Status s = (*st)->bind_text(1, operation_id);
  if (s.ok()) s = (*st)->bind_int64(2, static_cast<int64_t>(index));
  if (s.ok()) s = (*st)->bind_blob(3, blob);
  if (s.ok()) s = (*st)->run();
  return s.with_context("writing chunk " + std::to_string(index));
}

Status insert_entry_row(Database* db, const EntryRow& row) {
  Result<Statement*> st = db->statement(
      "INSERT INTO results (operation_id, data, data_type, created_at, last_access, "
      "size_bytes, raw_bytes, chunk_count, codec, level, checksum, metadata, filter, "
      "access_count, pinned, operation, recipe, intensity, layout) "
      "VALUES (?1, ?2, ?3, ?4, max(?4, ?13), ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?14, ?15, ?16, "
      "?17, ?18, ?19)");
  if (!st.ok()) return st.status();
  Statement* q = *st;
  Status s = q->bind_text(1, row.operation_id);
  if (s.ok()) s = q->bind_blob(2, row.data);
  if (s.ok()) s = q->bind_text(3, row.data_type);
  if (s.ok()) s = q->bind_int64(4, row.created_at_ms);
  if (s.ok()) s = q->bind_int64(5, row.size_bytes);
  if (s.ok()) s = q->bind_int64(6, row.raw_bytes);
  if (s.ok()) s = q->bind_int64(7, row.chunk_count);
  if (s.ok()) s = q->bind_text(8, row.codec);
  if (s.ok()) s = q->bind_int64(9, row.level);
  if (s.ok()) s = q->bind_text(10, row.checksum);
  if (s.ok()) s = row.metadata ? q->bind_text(11, *row.metadata) : q->bind_null(11);
  if (s.ok()) s = q->bind_text(12, row.filter);
  if (s.ok()) s = q->bind_int64(13, row.last_access_ms);
  if (s.ok()) s = q->bind_int64(14, row.access_count);
  if (s.ok()) s = q->bind_int64(15, row.pinned ? 1 : 0);
  if (s.ok()) s = row.operation ? q->bind_text(16, *row.operation) : q->bind_null(16);
  if (s.ok()) s = row.recipe ? q->bind_blob(17, *row.recipe) : q->bind_null(17);
  if (s.ok()) s = row.intensity ? q->bind_text(18, *row.intensity) : q->bind_null(18);
  if (s.ok()) s = row.layout ? q->bind_text(19, *row.layout) : q->bind_null(19);
  if (s.ok()) s = q->run();
  if (!s.ok()) return s.with_context("writing entry row");
  for (size_t i = 0; i < row.inputs.size(); ++i) {
    Result<Statement*> in =
        db->statement("INSERT INTO inputs (operation_id, position, input_id) VALUES (?1, ?2, ?3)");
    if (!in.ok()) return in.status();
    s = (*in)->bind_text(1, row.operation_id);
    if (s.ok()) s = (*in)->bind_int64(2, static_cast<int64_t>(i));
    if (s.ok()) s = (*in)->bind_text(3, row.inputs[i]);
    if (s.ok()) s = (*in)->run();
    if (!s.ok()) return s.with_context("writing lineage");
  }
  return Status::OK();
}

namespace {
Result<std::vector<std::string>> strings(Database* db, const char* sql, std::string_view arg) {
  Result<Statement*> st = db->statement(sql);
  if (!st.ok()) return st.status();
  Status s = (*st)->bind_text(1, arg);
  if (!s.ok()) return s;
  std::vector<std::string> out;
  for (;;) {
    Result<bool> row = (*st)->step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    out.emplace_back((*st)->column_text(0));
  }
  (*st)->reset();
  return out;
}
}  // namespace

Result<std::vector<std::string>> dependents_of(Database* db, std::string_view input_id) {
  return strings(db,
                 "SELECT DISTINCT operation_id FROM inputs WHERE input_id = ?1 ORDER BY "
                 "operation_id",
                 input_id);
}

Result<std::vector<std::string>> inputs_of(Database* db, std::string_view operation_id) {
  return strings(db, "SELECT input_id FROM inputs WHERE operation_id = ?1 ORDER BY position",
                 operation_id);
}

Status for_each_lru(Database* db, const std::function<bool(const LruEntry&)>& fn) {
  Result<Statement*> st = db->statement(
      "SELECT operation_id, data_type, size_bytes, last_access FROM results WHERE pinned = 0 "
      "ORDER BY last_access, operation_id");
  if (!st.ok()) return st.status();
  for (;;) {
    Result<bool> row = (*st)->step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    LruEntry e{std::string((*st)->column_text(0)), std::string((*st)->column_text(1)),
               (*st)->column_int64(2), (*st)->column_int64(3)};
    if (!fn(e)) break;
  }
  (*st)->reset();
  return Status::OK();
}

Result<std::optional<int64_t>> oldest_unpinned_access(Database* db) {
  Result<Statement*> st = db->statement("SELECT min(last_access) FROM results WHERE pinned = 0");
  if (!st.ok()) return st.status();
  Result<bool> row = (*st)->step();
  if (!row.ok()) return row.status();
  std::optional<int64_t> v;
  if (*row && !(*st)->column_is_null(0)) v = (*st)->column_int64(0);
  (*st)->reset();
  return v;
}

Status touch(Database* db, std::string_view operation_id, int64_t at_ms, int64_t count) {
  Result<Statement*> st = db->statement(
      "UPDATE results SET last_access = max(last_access, ?2), access_count = access_count + ?3 "
      "WHERE operation_id = ?1");
  if (!st.ok()) return st.status();
  Status s = (*st)->bind_text(1, operation_id);
  if (s.ok()) s = (*st)->bind_int64(2, at_ms);
  if (s.ok()) s = (*st)->bind_int64(3, count);
  if (s.ok()) s = (*st)->run();
  return s;
}

Status set_pinned(Database* db, std::string_view operation_id, bool pinned, bool* found) {
  Result<Statement*> st = db->statement("UPDATE results SET pinned = ?2 WHERE operation_id = ?1");
  if (!st.ok()) return st.status();
  Status s = (*st)->bind_text(1, operation_id);
  if (s.ok()) s = (*st)->bind_int64(2, pinned ? 1 : 0);
  if (s.ok()) s = (*st)->run();
  if (!s.ok()) return s;
  *found = db->changes() > 0;
  return Status::OK();
}

Result<EntryRow> read_entry(Database* db, std::string_view operation_id) {
  Result<Statement*> st = db->statement(std::string(kSelectColumns) + "WHERE operation_id = ?1");
  if (!st.ok()) return st.status();
  Status s = (*st)->bind_text(1, operation_id);
  if (!s.ok()) return s;
  Result<bool> row = (*st)->step();
  if (!row.ok()) return row.status();
  if (!*row) return Status::NotFound("no entry " + std::string(operation_id));
  EntryRow r = row_from(**st);
  (*st)->reset();
  return r;
}

Result<ChunkCursor> ChunkCursor::Open(Database* db, std::string_view operation_id, uint64_t first,
                                      uint64_t end) {
  Result<Statement*> st = db->statement(
      "SELECT chunk_index, data FROM chunks WHERE operation_id = ?1 AND chunk_index >= ?2 "
      "AND chunk_index < ?3 ORDER BY chunk_index");
  if (!st.ok()) return st.status();
  Status s = (*st)->bind_text(1, operation_id);
  if (s.ok()) s = (*st)->bind_int64(2, static_cast<int64_t>(first));
  if (s.ok()) s = (*st)->bind_int64(3, static_cast<int64_t>(end));
  if (!s.ok()) return s;
  return ChunkCursor(*st, first, end);
}

ChunkCursor::ChunkCursor(ChunkCursor&& o) noexcept
    : st_(o.st_), expected_(o.expected_), end_(o.end_) {
  o.st_ = nullptr;
}

ChunkCursor::~ChunkCursor() {
  if (st_) st_->reset();  // the operation_id binding points into the caller's string
}

Result<std::string_view> ChunkCursor::next() {
  if (expected_ >= end_) return std::string_view();
  Result<bool> row = st_->step();
  if (!row.ok()) return row.status();
  if (!*row || st_->column_int64(0) != static_cast<int64_t>(expected_)) {
    return Status::Corruption("chunk " + std::to_string(expected_) + " is missing");
  }
  ++expected_;
  std::string_view blob = st_->column_blob(1);
  // A zero-length blob is never written (a chunk has a 16-byte header), so an
  // empty view can only mean the end.
  if (blob.empty())
    return Status::Corruption("chunk " + std::to_string(expected_ - 1) + " is empty");
  return blob;
}

Result<uint64_t> count_chunks(Database* db, std::string_view operation_id) {
  Result<Statement*> st = db->statement("SELECT count(*) FROM chunks WHERE operation_id = ?1");
  if (!st.ok()) return st.status();
  Status s = (*st)->bind_text(1, operation_id);
  if (!s.ok()) return s;
  Result<bool> row = (*st)->step();
  if (!row.ok()) return row.status();
  const uint64_t n = static_cast<uint64_t>((*st)->column_int64(0));
  (*st)->reset();
  return n;
}

Result<bool> delete_entry(Database* db, std::string_view operation_id) {
  for (const char* sql : {"DELETE FROM chunks WHERE operation_id = ?1",
                          "DELETE FROM results WHERE operation_id = ?1"}) {
    Result<Statement*> st = db->statement(sql);
    if (!st.ok()) return st.status();
    Status s = (*st)->bind_text(1, operation_id);
    if (s.ok()) s = (*st)->run();
    if (!s.ok()) return s;
  }
  return db->changes() > 0;  // of the results DELETE, the last statement
}

Result<std::vector<EntryRow>> list_entries(Database* db, std::string_view prefix, int limit) {
  // Hex digits sort below 'g', so [prefix, prefix + "g") is exactly the keys
  // that start with prefix, and the primary key index serves the range.
  Result<Statement*> st = db->statement(
      std::string(kSelectColumns) +
      "WHERE operation_id >= ?1 AND operation_id < ?2 ORDER BY created_at DESC, operation_id "
      "LIMIT ?3");
  if (!st.ok()) return st.status();
  const std::string upper = std::string(prefix) + "g";
  Status s = (*st)->bind_text(1, prefix);
  if (s.ok()) s = (*st)->bind_text(2, upper);
  if (s.ok()) s = (*st)->bind_int64(3, limit);
  if (!s.ok()) return s;
  std::vector<EntryRow> out;
  for (;;) {
    Result<bool> row = (*st)->step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    out.push_back(row_from(**st));
  }
  (*st)->reset();
  return out;
}

Result<std::vector<LruEntry>> delete_all_entries(Database* db, bool keep_pinned) {
  const std::string where = keep_pinned ? " WHERE pinned = 0" : "";
  Result<Statement*> st =
      db->statement("SELECT operation_id, data_type, size_bytes, last_access FROM results" + where);
  if (!st.ok()) return st.status();
  std::vector<LruEntry> gone;
  for (;;) {
    Result<bool> row = (*st)->step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    gone.push_back({std::string((*st)->column_text(0)), std::string((*st)->column_text(1)),
                    (*st)->column_int64(2), (*st)->column_int64(3)});
  }
  (*st)->reset();
  for (const std::string& sql :
       {"DELETE FROM chunks WHERE operation_id IN (SELECT operation_id FROM results" + where + ")",
        "DELETE FROM results" + where}) {
    Status s = db->exec(sql.c_str());
    if (!s.ok()) return s;
  }
  return gone;
}

}  // namespace voxcache::store
