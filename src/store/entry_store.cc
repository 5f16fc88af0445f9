#include "store/entry_store.h"

namespace voxcache::store {
namespace {

// Migrations, indexed by the version they start from. Each runs in the same
// write transaction as the user_version bump, so a crash leaves the old
// version or the new one. Never edit a released entry: append a new one.
constexpr const char* kMigrations[] = {
    // 0 -> 1: the first schema.
    R"sql(
CREATE TABLE results (
  operation_id TEXT PRIMARY KEY NOT NULL CHECK (length(operation_id) = 64),
  data         BLOB NOT NULL,
  data_type    TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  last_access  INTEGER NOT NULL,
  access_count INTEGER NOT NULL DEFAULT 0,
  size_bytes   INTEGER NOT NULL,
  raw_bytes    INTEGER NOT NULL,
  chunk_count  INTEGER NOT NULL,
  codec        TEXT NOT NULL,
  level        INTEGER NOT NULL,
  checksum     TEXT NOT NULL,
  metadata     TEXT
);
CREATE TABLE chunks (
  operation_id TEXT NOT NULL,
  chunk_index  INTEGER NOT NULL,
  data         BLOB NOT NULL,
  PRIMARY KEY (operation_id, chunk_index)
);
)sql",
    // 1 -> 2: the byte-shuffle filter chosen for each entry.
    R"sql(
ALTER TABLE results ADD COLUMN filter TEXT NOT NULL DEFAULT 'none';
)sql",
};
static_assert(std::size(kMigrations) == kSchemaVersion, "one migration per schema version");

Result<int64_t> pragma_int(Database* db, const char* name) {
  Result<Statement*> st = db->statement(std::string("PRAGMA ") + name);
  if (!st.ok()) return st.status();
  Result<bool> row = (*st)->step();
  if (!row.ok()) return row.status();
  const int64_t v = *row ? (*st)->column_int64(0) : 0;
  (*st)->reset();
  return v;
}

Status check_version(Database* db, int64_t version) {
  if (version > kSchemaVersion) {
    return Status::NotSupported("schema version " + std::to_string(version) +
                                " is newer than this voxcache understands (" +
                                std::to_string(kSchemaVersion) + "): " + db->path());
  }
  Result<int64_t> app = pragma_int(db, "application_id");
  if (!app.ok()) return app.status();
  if (*app != kApplicationId) {
    return Status::Corruption("not a voxcache database (application_id " + std::to_string(*app) +
                              "): " + db->path());
  }
  return Status::OK();
}

const char* kSelectColumns =
    "SELECT operation_id, data, data_type, created_at, size_bytes, raw_bytes, chunk_count, "
    "codec, level, checksum, metadata, filter FROM results ";

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
  return r;
}

}  // namespace

Status prepare_schema(Database* db, bool read_only) {
  // user_version is read before anything else touches the file, so that a
  // file that is not SQLite at all fails here with NOTADB (Corruption).
  Result<int64_t> version = pragma_int(db, "user_version");
  if (!version.ok()) return version.status();
  if (read_only) {
    if (*version == 0) return Status::Corruption("not a voxcache database: " + db->path());
    return check_version(db, *version);
  }
  // WAL must be chosen outside a transaction. It persists in the file;
  // synchronous is per connection. NORMAL in WAL mode never corrupts the
  // database; a power loss may drop the last commits, a process crash not.
  Status s = db->exec("PRAGMA journal_mode=WAL");
  if (!s.ok()) return s;
  s = db->exec("PRAGMA synchronous=NORMAL");
  if (!s.ok()) return s;
  if (*version == kSchemaVersion) return check_version(db, *version);

  Result<std::unique_ptr<Transaction>> txn = Transaction::Begin(db, Transaction::Mode::kWrite);
  if (!txn.ok()) return txn.status();
  version = pragma_int(db, "user_version");  // another process may have migrated meanwhile
  if (!version.ok()) return version.status();
  if (*version == 0) {
    Result<Statement*> st = db->statement("SELECT count(*) FROM sqlite_master");
    if (!st.ok()) return st.status();
    Result<bool> row = (*st)->step();
    if (!row.ok()) return row.status();
    const int64_t objects = (*st)->column_int64(0);
    (*st)->reset();
    if (objects != 0) {
      return Status::Corruption("not a voxcache database (it has tables of its own): " +
                                db->path());
    }
    s = db->exec(("PRAGMA application_id=" + std::to_string(kApplicationId)).c_str());
    if (!s.ok()) return s;
  } else {
    s = check_version(db, *version);
    if (!s.ok()) return s;
  }
  for (int64_t v = *version; v < kSchemaVersion; ++v) {
    s = db->exec(kMigrations[v]);
    if (!s.ok()) return s.with_context("migrating schema from version " + std::to_string(v));
    s = db->exec(("PRAGMA user_version=" + std::to_string(v + 1)).c_str());
    if (!s.ok()) return s;
  }
  return (*txn)->commit();
}

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
      "size_bytes, raw_bytes, chunk_count, codec, level, checksum, metadata, filter) "
      "VALUES (?1, ?2, ?3, ?4, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
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
  if (s.ok()) s = q->run();
  return s.with_context("writing entry row");
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
  Result<Statement*> st = db->statement("SELECT changes()");
  if (!st.ok()) return st.status();
  Result<bool> row = (*st)->step();
  if (!row.ok()) return row.status();
  const bool deleted = (*st)->column_int64(0) > 0;
  (*st)->reset();
  return deleted;
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

}  // namespace voxcache::store
