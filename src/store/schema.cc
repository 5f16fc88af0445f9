#include "store/schema.h"

#include <iterator>
#include <memory>
#include <string>

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
    // 7 -> 8: how often a key's entry was replaced or erased, so that a
    // memory tier of another handle drops what it read before
    // (store/replacements.h).
    R"sql(
ALTER TABLE totals ADD COLUMN replaced INTEGER NOT NULL DEFAULT 0;
)sql",
};
static_assert(std::size(kMigrations) == kSchemaVersion, "one migration per schema version");

Result<int64_t> pragma_int_of(Database* db, const char* name) {
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
  Result<int64_t> app = pragma_int_of(db, "application_id");
  if (!app.ok()) return app.status();
  if (*app != kApplicationId) {
    return Status::InvalidArgument("not a voxcache database (application_id " +
                                   std::to_string(*app) + "): " + db->path());
  }
  return Status::OK();
}

}  // namespace

Result<int64_t> schema_version(Database* db) { return pragma_int_of(db, "user_version"); }

Status prepare_schema(Database* db, bool read_only) {
  // user_version is read before anything else touches the file, so that a
  // file that is not SQLite at all fails here with NOTADB (Corruption).
  Result<int64_t> version = pragma_int_of(db, "user_version");
  if (!version.ok()) return version.status();
  if (read_only) {
    if (*version == 0) return Status::InvalidArgument("not a voxcache database: " + db->path());
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
  version = pragma_int_of(db, "user_version");  // another process may have migrated meanwhile
  if (!version.ok()) return version.status();
  if (*version == 0) {
    Result<Statement*> st = db->statement("SELECT count(*) FROM sqlite_master");
    if (!st.ok()) return st.status();
    Result<bool> row = (*st)->step();
    if (!row.ok()) return row.status();
    const int64_t objects = (*st)->column_int64(0);
    (*st)->reset();
    if (objects != 0) {
      return Status::InvalidArgument("not a voxcache database (it has tables of its own): " +
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

}  // namespace voxcache::store
