#include "store/entry_store.h"

#include <algorithm>
#include <limits>

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
    // 2 -> 3: pinning, lineage, intensity statistics, counters, and totals
    // kept by triggers so limits are checked without a scan.
    R"sql(
ALTER TABLE results ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0;
ALTER TABLE results ADD COLUMN operation TEXT;
ALTER TABLE results ADD COLUMN recipe BLOB;
ALTER TABLE results ADD COLUMN intensity TEXT;
CREATE INDEX results_by_access ON results (last_access);
CREATE INDEX results_by_operation ON results (operation);
CREATE TABLE inputs (
  operation_id TEXT NOT NULL,
  position     INTEGER NOT NULL,
  input_id     TEXT NOT NULL,
  PRIMARY KEY (operation_id, position)
);
CREATE INDEX inputs_by_input ON inputs (input_id);
CREATE TABLE counters (
  name      TEXT NOT NULL,
  data_type TEXT NOT NULL,
  value     INTEGER NOT NULL,
  PRIMARY KEY (name, data_type)
) WITHOUT ROWID;
CREATE TABLE totals (
  id           INTEGER PRIMARY KEY CHECK (id = 1),
  entries      INTEGER NOT NULL,
  stored_bytes INTEGER NOT NULL,
  raw_bytes    INTEGER NOT NULL
);
INSERT INTO totals SELECT 1, count(*), coalesce(sum(size_bytes), 0), coalesce(sum(raw_bytes), 0)
  FROM results;
CREATE TRIGGER totals_after_insert AFTER INSERT ON results BEGIN
  UPDATE totals SET entries = entries + 1, stored_bytes = stored_bytes + NEW.size_bytes,
                    raw_bytes = raw_bytes + NEW.raw_bytes;
END;
CREATE TRIGGER totals_after_delete AFTER DELETE ON results BEGIN
  UPDATE totals SET entries = entries - 1, stored_bytes = stored_bytes - OLD.size_bytes,
                    raw_bytes = raw_bytes - OLD.raw_bytes;
  DELETE FROM inputs WHERE operation_id = OLD.operation_id;
END;
CREATE TRIGGER totals_after_update AFTER UPDATE OF size_bytes, raw_bytes ON results BEGIN
  UPDATE totals SET stored_bytes = stored_bytes - OLD.size_bytes + NEW.size_bytes,
                    raw_bytes = raw_bytes - OLD.raw_bytes + NEW.raw_bytes;
END;
)sql",
    // 3 -> 4: single-flight claims of keys being computed.
    R"sql(
CREATE TABLE claims (
  operation_id TEXT PRIMARY KEY NOT NULL,
  owner        TEXT NOT NULL,
  expires_at   INTEGER NOT NULL
);
)sql",
    // 4 -> 5: settings every process that opens the database honours.
    R"sql(
CREATE TABLE config (
  name  TEXT PRIMARY KEY NOT NULL,
  value TEXT NOT NULL
) WITHOUT ROWID;
)sql",
    // 5 -> 6: entries without a recipe (most puts) no longer write a page of
    // an index that holds only their NULL operation.
    R"sql(
DROP INDEX results_by_operation;
CREATE INDEX results_by_operation ON results (operation) WHERE operation IS NOT NULL;
)sql",
    // 6 -> 7: volumes may be stored in 3D bricks; every volume before was
    // stored in z-slabs.
    R"sql(
ALTER TABLE results ADD COLUMN layout TEXT;
UPDATE results SET layout = 'z-slabs' WHERE data_type = 'volume';
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
  Result<Statement*> wal = db->statement("PRAGMA journal_mode=WAL");
  if (!wal.ok()) return wal.status();
  Result<bool> has_mode = (*wal)->step();
  if (!has_mode.ok()) return has_mode.status();
  const std::string mode = *has_mode ? std::string((*wal)->column_text(0)) : "";
  (*wal)->reset();
  if (mode != "wal") {
    return Status::IOError("cannot put " + db->path() + " in WAL mode (journal mode '" + mode +
                           "')");
  }
  Status s = db->exec("PRAGMA synchronous=NORMAL");
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

Result<bool> try_claim(Database* db, std::string_view operation_id, std::string_view me,
                       int64_t now_ms, int64_t lease_ms, std::string* owner) {
  Result<Statement*> sel =
      db->statement("SELECT owner, expires_at FROM claims WHERE operation_id = ?1");
  if (!sel.ok()) return sel.status();
  Status s = (*sel)->bind_text(1, operation_id);
  if (!s.ok()) return s;
  Result<bool> row = (*sel)->step();
  if (!row.ok()) return row.status();
  if (*row && (*sel)->column_int64(1) >= now_ms && (*sel)->column_text(0) != me) {
    *owner = std::string((*sel)->column_text(0));
    (*sel)->reset();
    return false;  // held, and alive
  }
  (*sel)->reset();
  Result<Statement*> put = db->statement(
      "INSERT INTO claims (operation_id, owner, expires_at) VALUES (?1, ?2, ?3) "
      "ON CONFLICT (operation_id) DO UPDATE SET owner = excluded.owner, "
      "expires_at = excluded.expires_at");
  if (!put.ok()) return put.status();
  s = (*put)->bind_text(1, operation_id);
  if (s.ok()) s = (*put)->bind_text(2, me);
  if (s.ok()) s = (*put)->bind_int64(3, now_ms + lease_ms);
  if (s.ok()) s = (*put)->run();
  if (!s.ok()) return s;
  *owner = std::string(me);
  return true;
}

Result<bool> renew_claim(Database* db, std::string_view operation_id, std::string_view me,
                         int64_t expires_at_ms) {
  Result<Statement*> st =
      db->statement("UPDATE claims SET expires_at = ?3 WHERE operation_id = ?1 AND owner = ?2");
  if (!st.ok()) return st.status();
  Status s = (*st)->bind_text(1, operation_id);
  if (s.ok()) s = (*st)->bind_text(2, me);
  if (s.ok()) s = (*st)->bind_int64(3, expires_at_ms);
  if (s.ok()) s = (*st)->run();
  if (!s.ok()) return s;
  return db->changes() > 0;
}

Status release_claim(Database* db, std::string_view operation_id, std::string_view me) {
  Result<Statement*> st =
      db->statement("DELETE FROM claims WHERE operation_id = ?1 AND owner = ?2");
  if (!st.ok()) return st.status();
  Status s = (*st)->bind_text(1, operation_id);
  if (s.ok()) s = (*st)->bind_text(2, me);
  if (s.ok()) s = (*st)->run();
  return s;
}

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

namespace {
int64_t clamped(double v) {
  return v <= 0 ? 0 : v >= 9.2e18 ? std::numeric_limits<int64_t>::max() : static_cast<int64_t>(v);
}
}  // namespace

Result<std::vector<TypeTotals>> totals_by_type(Database* db) {
  Result<Statement*> st = db->statement(
      // Rows are untrusted: negative sizes count as 0, and total() (a double)
      // cannot overflow where sum() of crafted sizes would fail the query.
      "SELECT data_type, count(*), total(max(size_bytes, 0)), total(max(raw_bytes, 0)) FROM "
      "results GROUP BY data_type ORDER BY data_type");
  if (!st.ok()) return st.status();
  std::vector<TypeTotals> out;
  for (;;) {
    Result<bool> row = (*st)->step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    out.push_back({std::string((*st)->column_text(0)), (*st)->column_int64(1),
                   clamped((*st)->column_double(2)), clamped((*st)->column_double(3))});
  }
  (*st)->reset();
  return out;
}

Result<Totals> totals(Database* db) {
  Result<Statement*> st =
      db->statement("SELECT entries, stored_bytes, raw_bytes FROM totals WHERE id = 1");
  if (!st.ok()) return st.status();
  Result<bool> row = (*st)->step();
  if (!row.ok()) return row.status();
  Totals t;
  // A damaged or crafted row reads as 0, never as a negative size; with no
  // entry left, what crafted sizes left in the running sums is nothing.
  if (*row && (*st)->column_int64(0) > 0) {
    t.entries = (*st)->column_int64(0);
    t.stored_bytes = std::max<int64_t>((*st)->column_int64(1), 0);
    t.raw_bytes = std::max<int64_t>((*st)->column_int64(2), 0);
  }
  (*st)->reset();
  return t;
}

Status add_counter(Database* db, std::string_view name, std::string_view data_type, int64_t delta) {
  Result<Statement*> st = db->statement(
      "INSERT INTO counters (name, data_type, value) VALUES (?1, ?2, ?3) "
      "ON CONFLICT (name, data_type) DO UPDATE SET value = value + excluded.value");
  if (!st.ok()) return st.status();
  Status s = (*st)->bind_text(1, name);
  if (s.ok()) s = (*st)->bind_text(2, data_type);
  if (s.ok()) s = (*st)->bind_int64(3, delta);
  if (s.ok()) s = (*st)->run();
  return s;
}

Result<std::vector<Counter>> counters(Database* db) {
  Result<Statement*> st =
      db->statement("SELECT name, data_type, value FROM counters ORDER BY name, data_type");
  if (!st.ok()) return st.status();
  std::vector<Counter> out;
  for (;;) {
    Result<bool> row = (*st)->step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    out.push_back({std::string((*st)->column_text(0)), std::string((*st)->column_text(1)),
                   (*st)->column_int64(2)});
  }
  (*st)->reset();
  return out;
}

Status zero_counters(Database* db) { return db->exec("DELETE FROM counters"); }

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

Result<std::vector<std::pair<std::string, std::string>>> read_config(Database* db) {
  std::vector<std::pair<std::string, std::string>> out;
  Result<int64_t> version = pragma_int(db, "user_version");
  if (!version.ok()) return version.status();
  if (*version < 5) return out;  // a read-only open of an older file: nothing configured
  Result<Statement*> st = db->statement("SELECT name, value FROM config ORDER BY name");
  if (!st.ok()) return st.status();
  for (;;) {
    Result<bool> row = (*st)->step();
    if (!row.ok()) return row.status();
    if (!*row) break;
    out.emplace_back(std::string((*st)->column_text(0)), std::string((*st)->column_text(1)));
  }
  (*st)->reset();
  return out;
}

Status write_config(Database* db, std::string_view name, const std::optional<std::string>& value) {
  Result<Statement*> st =
      db->statement(value ? "INSERT INTO config (name, value) VALUES (?1, ?2) "
                            "ON CONFLICT (name) DO UPDATE SET value = excluded.value"
                          : "DELETE FROM config WHERE name = ?1");
  if (!st.ok()) return st.status();
  Status s = (*st)->bind_text(1, name);
  if (s.ok() && value) s = (*st)->bind_text(2, *value);
  if (s.ok()) s = (*st)->run();
  return s;
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
