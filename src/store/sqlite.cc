#include "store/sqlite.h"

#include <cerrno>

#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <thread>

namespace voxcache::store {

Status Database::error(int rc, std::string_view what) const {
  std::string msg = "sqlite: " + std::string(what) + ": ";
  msg += db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  msg += " (" + path_ + ")";
  if ((rc & 0xff) == SQLITE_FULL || (db_ && sqlite3_system_errno(db_) == ENOSPC)) {
    msg +=
        ": the disk is full; 'voxcache rm' and 'voxcache gc' free space even so "
        "(docs/reliability.md, \"A full disk\")";
  }
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::Busy(msg);
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Status::Corruption(msg);
    case SQLITE_TOOBIG:
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE:
      return Status::InvalidArgument(msg);
    default:  // IOERR, FULL, CANTOPEN, PERM, READONLY, NOMEM, PROTOCOL, ...
      return Status::IOError(msg);
  }
}

namespace {

// "file:" URI of a path: '%', '?' and '#' would otherwise end or escape it.
std::string file_uri(const std::string& path) {
  std::string uri = "file:";
  for (char c : path) {
    if (c == '%' || c == '?' || c == '#') {
      static const char kHex[] = "0123456789ABCDEF";
      uri += '%';
      uri += kHex[(c >> 4) & 0xf];
      uri += kHex[c & 0xf];
    } else {
      uri += c;
    }
  }
  return uri;
}

bool is_nonempty_file(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && st.st_size > 0;
}

}  // namespace

Result<std::unique_ptr<Database>> Database::Open(const std::string& path, const OpenOptions& o) {
  // NOMUTEX: each connection is used by one thread at a time (the Cache's
  // pool hands it out), so SQLite's own per-connection mutex is pure cost.
  int flags = SQLITE_OPEN_NOMUTEX;
  flags |= o.read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
  if (!o.read_only && o.create) flags |= SQLITE_OPEN_CREATE;
  std::string name = path;
  if (o.read_only) {
    // A reader of a WAL database needs its -shm file, which SQLite creates
    // beside it: impossible in a directory the reader cannot write (a shared
    // archive). With no -wal to merge, the database file alone is the whole
    // database, and SQLite can read it as immutable, without -shm or locks.
    const std::string dir = std::filesystem::path(path).parent_path().string();
    const bool dir_writable = ::access(dir.empty() ? "." : dir.c_str(), W_OK) == 0;
    const bool have_shm = ::access((path + "-shm").c_str(), R_OK) == 0;
    if (!dir_writable && !have_shm) {
      if (is_nonempty_file(path + "-wal")) {
        return Status::IOError("cannot read " + path +
                               " read-only: its -wal file holds changes "
                               "not yet merged and " +
                               (dir.empty() ? "." : dir) +
                               " is not writable; a user who can write it should run "
                               "'voxcache vacuum' once");
      }
      name = file_uri(path) + "?immutable=1";
      flags |= SQLITE_OPEN_URI;
    }
  }
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(name.c_str(), &raw, flags, nullptr);
  std::unique_ptr<Database> db(new Database(raw, path));
  if (rc != SQLITE_OK) return db->error(rc, "open");
  sqlite3_extended_result_codes(raw, 1);
  db->busy_timeout_ms_ = o.busy_timeout.count();
  sqlite3_busy_handler(raw, &Database::on_busy, db.get());
  if (o.max_value_bytes > 0) {
    sqlite3_limit(raw, SQLITE_LIMIT_LENGTH, static_cast<int>(o.max_value_bytes));
  }
  if (o.wal_limit_bytes > 0) {
    Status s = db->exec(("PRAGMA journal_size_limit=" + std::to_string(o.wal_limit_bytes)).c_str());
    if (!s.ok()) return s;
  }
  if (o.max_database_bytes > 0) {
    // max_page_count is per connection, so every connection sets it.
    sqlite3_stmt* st = nullptr;
    int64_t page = 4096;
    if (sqlite3_prepare_v2(raw, "PRAGMA page_size", -1, &st, nullptr) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
      page = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    const uint64_t pages =
        std::max<uint64_t>(1, o.max_database_bytes / static_cast<uint64_t>(page));
    Status s = db->exec(("PRAGMA max_page_count=" + std::to_string(pages)).c_str());
    if (!s.ok()) return s;
  }
  return db;
}

Database::~Database() {
  statements_.clear();  // finalize before close, or close fails with BUSY
  sqlite3_close(db_);
}

Status Database::exec(const char* sql) {
  char* err = nullptr;
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  sqlite3_free(err);
  return rc == SQLITE_OK ? Status::OK() : error(rc, sql);
}

Result<Statement*> Database::statement(const std::string& sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) return error(rc, "prepare");
    it = statements_.emplace(sql, std::make_unique<Statement>(this, stmt)).first;
  }
  it->second->reset();
  return it->second.get();
}

// SQLite's own busy handler sleeps 1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50
// and then 100 ms between tries: a writer released after 3 ms is noticed
// after up to 25 ms more, and writers of several processes then take turns
// far slower than one alone. This one sleeps 100 us, doubling to 2 ms, until
// the same total timeout.
int Database::on_busy(void* self, int tries) {
  auto* db = static_cast<Database*>(self);
  if (!db->wait_when_busy_) return 0;
  auto pause_us = [](int i) { return std::min<int64_t>(2000, int64_t{100} << std::min(i, 5)); };
  const int64_t waited_us =
      tries <= 5 ? 100 * ((int64_t{1} << tries) - 1) : 3100 + int64_t{tries - 5} * 2000;
  if (waited_us >= db->busy_timeout_ms_ * 1000) return 0;
  std::this_thread::sleep_for(std::chrono::microseconds(pause_us(tries)));
  return 1;
}

void Database::on_wal_commit(std::function<void(int pages)> fn) {
  on_wal_commit_ = std::move(fn);
  sqlite3_wal_hook(
      db_,
      [](void* self, sqlite3*, const char*, int pages) {
        static_cast<Database*>(self)->on_wal_commit_(pages);
        return SQLITE_OK;
      },
      this);
}

int64_t Database::changes() const { return sqlite3_changes64(db_); }

int64_t Database::max_value_bytes() const { return sqlite3_limit(db_, SQLITE_LIMIT_LENGTH, -1); }

Statement::~Statement() { sqlite3_finalize(stmt_); }

static Status bind_result(Database* db, int rc) {
  return rc == SQLITE_OK ? Status::OK() : db->error(rc, "bind");
}

// An empty view may carry a null pointer, which SQLite binds as NULL rather
// than as an empty value: point it somewhere valid instead.
static const char* non_null(std::string_view v) {
  static const char kEmpty = 0;
  return v.data() ? v.data() : &kEmpty;
}

Status Statement::bind_text(int i, std::string_view v) {
  return bind_result(
      db_, sqlite3_bind_text64(stmt_, i, non_null(v), v.size(), SQLITE_STATIC, SQLITE_UTF8));
}
Status Statement::bind_blob(int i, std::string_view v) {
  return bind_result(db_, sqlite3_bind_blob64(stmt_, i, non_null(v), v.size(), SQLITE_STATIC));
}
Status Statement::bind_int64(int i, int64_t v) {
  return bind_result(db_, sqlite3_bind_int64(stmt_, i, v));
}
Status Statement::bind_null(int i) { return bind_result(db_, sqlite3_bind_null(stmt_, i)); }

Result<bool> Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  Status s = db_->error(rc, "step");
  reset();
  return s;
}

Status Statement::run() {
  Result<bool> r = step();
  reset();
  return r.ok() ? Status::OK() : r.status();
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int64_t Statement::column_int64(int i) const { return sqlite3_column_int64(stmt_, i); }
double Statement::column_double(int i) const { return sqlite3_column_double(stmt_, i); }

std::string_view Statement::column_blob(int i) const {
  const void* p = sqlite3_column_blob(stmt_, i);
  const int n = sqlite3_column_bytes(stmt_, i);
  return p ? std::string_view(static_cast<const char*>(p), n) : std::string_view();
}

std::string_view Statement::column_text(int i) const {
  const unsigned char* p = sqlite3_column_text(stmt_, i);
  const int n = sqlite3_column_bytes(stmt_, i);
  return p ? std::string_view(reinterpret_cast<const char*>(p), n) : std::string_view();
}

bool Statement::column_is_null(int i) const { return sqlite3_column_type(stmt_, i) == SQLITE_NULL; }

Result<std::unique_ptr<Transaction>> Transaction::Begin(Database* db, Mode mode) {
  db->wait_when_busy_ = mode != Mode::kTryWrite;
  Status s = db->exec(mode == Mode::kRead ? "BEGIN" : "BEGIN IMMEDIATE");
  db->wait_when_busy_ = true;
  if (!s.ok()) return s;
  return std::unique_ptr<Transaction>(new Transaction(db));
}

Transaction::~Transaction() {
  if (!done_) (void)db_->exec("ROLLBACK");
}

Status Transaction::commit() {
  Status s = db_->exec("COMMIT");
  if (s.ok()) done_ = true;
  return s;
}

}  // namespace voxcache::store
