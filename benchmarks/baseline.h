// The pickle-style baseline every voxcache benchmark compares against: raw
// voxels plus a small header as one uncompressed BLOB, INSERT OR REPLACE into
// the seed schema, WAL mode, synchronous=NORMAL, read back with SELECT data
// and copied out (as unpickling copies). One definition, so every benchmark
// measures the same thing.

#ifndef VOXCACHE_BENCHMARKS_BASELINE_H_
#define VOXCACHE_BENCHMARKS_BASELINE_H_

#include <sqlite3.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "voxcache/status.h"
#include "voxcache/volume.h"

namespace voxcache::bench {

class PickleBaseline {
 public:
  explicit PickleBaseline(const std::string& path) : path_(path) { open(); }
  ~PickleBaseline() { close(); }
  PickleBaseline(const PickleBaseline&) = delete;
  PickleBaseline& operator=(const PickleBaseline&) = delete;

  // Drops the connection and its page cache, as a new process would start.
  void reopen() {
    close();
    open();
  }

  Status put(const std::string& key, const char* type, const std::string& blob) {
    sqlite3_bind_text(put_, 1, key.c_str(), -1, SQLITE_STATIC);
    // Past SQLITE_LIMIT_LENGTH (1 GB) the bind itself fails: the baseline
    // cannot hold such a volume at all.
    if (int rc = sqlite3_bind_blob64(put_, 2, blob.data(), blob.size(), SQLITE_STATIC)) {
      sqlite3_reset(put_);
      return Status::NotSupported("SQLite cannot store a " + std::to_string(blob.size() >> 20) +
                                  " MiB BLOB: " + sqlite3_errstr(rc));
    }
    sqlite3_bind_text(put_, 3, type, -1, SQLITE_STATIC);
    sqlite3_bind_int64(put_, 4, static_cast<int64_t>(blob.size()));
    const int rc = sqlite3_step(put_);
    sqlite3_reset(put_);
    if (rc != SQLITE_DONE) return Status::IOError(sqlite3_errmsg(db_));
    return Status::OK();
  }

  Status get(const std::string& key, std::string* blob) {
    sqlite3_bind_text(get_, 1, key.c_str(), -1, SQLITE_STATIC);
    const int rc = sqlite3_step(get_);
    if (rc == SQLITE_ROW) {
      blob->assign(static_cast<const char*>(sqlite3_column_blob(get_, 0)),
                   sqlite3_column_bytes(get_, 0));
    }
    sqlite3_reset(get_);
    return rc == SQLITE_ROW ? Status::OK() : Status::NotFound(key);
  }

  // The pickled form of a volume: its layout, then its voxels.
  static std::string pickle(const Volume& v) {
    std::string blob(reinterpret_cast<const char*>(&v.layout()), sizeof(VolumeLayout));
    blob.append(reinterpret_cast<const char*>(v.data()), v.byte_size());
    return blob;
  }
  static Result<Volume> unpickle(const std::string& blob) {
    if (blob.size() < sizeof(VolumeLayout)) return Status::Corruption("short pickle");
    VolumeLayout l;
    std::memcpy(&l, blob.data(), sizeof(l));
    return Volume::Copy(l, blob.data() + sizeof(l), blob.size() - sizeof(l));
  }

 private:
  void open() {
    if (sqlite3_open(path_.c_str(), &db_) != SQLITE_OK) {
      std::fprintf(stderr, "baseline: cannot open %s: %s\n", path_.c_str(), sqlite3_errmsg(db_));
      std::exit(1);
    }
    sqlite3_exec(db_,
                 "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                 "CREATE TABLE IF NOT EXISTS results(operation_id TEXT PRIMARY KEY, data BLOB NOT "
                 "NULL, data_type TEXT NOT NULL, created_at TIMESTAMP, size_bytes INTEGER, "
                 "metadata TEXT)",
                 nullptr, nullptr, nullptr);
    sqlite3_prepare_v2(db_,
                       "INSERT OR REPLACE INTO results VALUES (?1, ?2, ?3, CURRENT_TIMESTAMP, ?4, "
                       "NULL)",
                       -1, &put_, nullptr);
    sqlite3_prepare_v2(db_, "SELECT data FROM results WHERE operation_id = ?1", -1, &get_, nullptr);
  }
  void close() {
    sqlite3_finalize(put_);
    sqlite3_finalize(get_);
    sqlite3_close(db_);
  }

  std::string path_;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* put_ = nullptr;
  sqlite3_stmt* get_ = nullptr;
};

}  // namespace voxcache::bench

#endif  // VOXCACHE_BENCHMARKS_BASELINE_H_
