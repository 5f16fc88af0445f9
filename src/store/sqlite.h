// Thin RAII wrappers over SQLite: a connection with a statement cache, a
// statement, and a transaction that rolls back unless committed. Every SQLite
// result code becomes a Status here; no sqlite3 type escapes store/.

#ifndef VOXCACHE_STORE_SQLITE_H_
#define VOXCACHE_STORE_SQLITE_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "voxcache/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace voxcache::store {

// What a status of a full disk (SQLITE_FULL, or ENOSPC under any SQLite
// error) says; Catalog recognises such statuses by it (disk_full).
inline constexpr std::string_view kDiskFull = "the disk is full";
inline bool disk_full(const Status& s) {
  return !s.ok() && s.message().find(kDiskFull) != std::string::npos;
}

class Database;

class Statement {
 public:
  Statement(Database* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Parameters are 1-based, as in SQLite. Text and blobs are bound without a
  // copy: they must outlive the next step().
  Status bind_text(int i, std::string_view v);
  Status bind_blob(int i, std::string_view v);
  Status bind_int64(int i, int64_t v);
  Status bind_null(int i);

  // true: a row is ready; false: done.
  Result<bool> step();
  // step() that expects no row (INSERT, UPDATE, DELETE).
  Status run();
  void reset();

  // Columns are 0-based. Blob and text views stay valid until the next step()
  // or reset().
  int64_t column_int64(int i) const;
  double column_double(int i) const;
  std::string_view column_blob(int i) const;
  std::string_view column_text(int i) const;
  bool column_is_null(int i) const;

 private:
  Database* db_;
  sqlite3_stmt* stmt_;
};

class Database {
 public:
  struct OpenOptions {
    bool read_only = false;
    bool create = true;
    std::chrono::milliseconds busy_timeout{10000};
    int64_t max_value_bytes = 0;      // 0: SQLite's default SQLITE_LIMIT_LENGTH
    uint64_t max_database_bytes = 0;  // 0: no cap (PRAGMA max_page_count)
    uint64_t wal_limit_bytes = 0;     // PRAGMA journal_size_limit; 0: SQLite's default
  };
  static Result<std::unique_ptr<Database>> Open(const std::string& path, const OpenOptions& o);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  Status exec(const char* sql);
  // A prepared statement kept for the life of the connection, reset and with
  // its bindings cleared. The pointer stays valid until the Database dies.
  Result<Statement*> statement(const std::string& sql);
  // Rows changed by the last INSERT, UPDATE or DELETE (triggers' not counted).
  int64_t changes() const;
  // SQLITE_LIMIT_LENGTH in force: the largest string or blob a row may hold.
  int64_t max_value_bytes() const;
  const std::string& path() const { return path_; }

  // Calls `fn` with the WAL's size in pages after each commit, instead of
  // SQLite's automatic checkpoint (store/checkpointer.h).
  void on_wal_commit(std::function<void(int pages)> fn);

  // Maps a SQLite result code to a Status that names `what` and the database.
  Status error(int rc, std::string_view what) const;

 private:
  friend class Transaction;
  Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  static int on_busy(void* self, int tries);
  sqlite3* db_;
  int64_t busy_timeout_ms_ = 0;
  bool wait_when_busy_ = true;  // false: a busy lock fails at once (kTryWrite)
  std::string path_;
  std::map<std::string, std::unique_ptr<Statement>, std::less<>> statements_;
  std::function<void(int)> on_wal_commit_;
};

// BEGIN on construction (IMMEDIATE takes the write lock at once, so a writer
// never fails half-way on a lock upgrade); ROLLBACK on destruction unless
// commit() succeeded.
class Transaction {
 public:
  // kTryWrite is kWrite that returns Busy at once, without waiting, when
  // another connection holds the write lock.
  enum class Mode { kRead, kWrite, kTryWrite };
  static Result<std::unique_ptr<Transaction>> Begin(Database* db, Mode mode);
  ~Transaction();
  Status commit();

 private:
  explicit Transaction(Database* db) : db_(db) {}
  Database* db_;
  bool done_ = false;
};

}  // namespace voxcache::store

#endif  // VOXCACHE_STORE_SQLITE_H_
