// Catalog: the local database as the rest of voxcache uses it. Opens and
// prepares the file (waiting out other processes that are creating or
// migrating it), pools its connections, and runs work in read or write
// transactions. Every write transaction, and the read-only check, goes
// through here, so a test Env can fail any write at its commit.
//
// Thread-safe: each call takes its own pooled connection.

#ifndef VOXCACHE_STORE_CATALOG_H_
#define VOXCACHE_STORE_CATALOG_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "store/checkpointer.h"
#include "store/connection_pool.h"
#include "store/replacements.h"
#include "store/sqlite.h"
#include "util/env.h"
#include "voxcache/status.h"

namespace voxcache::store {

class Catalog {
 public:
  // Opens `path` and creates or migrates its schema (store::prepare_schema).
  // Several processes may open a new file at once: a step that finds the
  // file locked (the WAL switch, schema creation, a migration, another
  // process's long write) is retried until o.busy_timeout has passed, then
  // reported as Busy.
  static Result<std::unique_ptr<Catalog>> Open(const std::string& path,
                                               const Database::OpenOptions& o, util::Env* env);

  Catalog(const Catalog&) = delete;
  Catalog& operator=(const Catalog&) = delete;

  // A connection for the caller alone until the lease ends.
  Result<ConnectionPool::Lease> lease() { return pool_.acquire(); }

  // Runs `fn` inside one read transaction (one snapshot).
  Status read(const std::function<Status(Database*)>& fn);
  // Runs `fn` inside one write transaction named `what`, committing when it
  // returns OK and rolling back otherwise. InvalidArgument when read-only.
  Status write(std::string_view what, const std::function<Status(Database*)>& fn);
  // The same for a write that frees space (erase, eviction, clear). When it
  // fails because the disk is full, the reserve file (kReserveBytes beside
  // the database, made when a writable catalog opens) is deleted and the
  // write tried once more: the way out of a full disk (docs/reliability.md).
  Status write_freeing(std::string_view what, const std::function<Status(Database*)>& fn);
  static constexpr uint64_t kReserveBytes = uint64_t{4} << 20;
  // Commits a write transaction the caller began on a lease (the chunk
  // writer holds one across many calls), through the same fault point.
  Status commit(Transaction* txn, std::string_view what);

  // OK, or InvalidArgument when the database was opened read-only.
  Status check_writable() const;
  bool read_only() const { return options_.read_only; }
  // SQLITE_LIMIT_LENGTH in force: the largest blob a row may hold.
  uint64_t max_value_bytes() const { return max_value_bytes_; }
  const std::string& path() const { return path_; }
  util::Env* env() const { return env_; }
  // A checkpoint of `mode` on a pooled connection, never at the same time as
  // the background checkpointer's. Busy when readers kept it from finishing.
  Status checkpoint(const char* mode);
  // Rebuilds the file (VACUUM) to give freed pages back to the file system,
  // then checkpoints the WAL and truncates it. InvalidArgument when read-only.
  Status vacuum();
  // The background checkpointer of a writable catalog, else null.
  Checkpointer* checkpointer() const { return checkpointer_.get(); }
  // totals.replaced now, cheaply (store/replacements.h).
  Result<int64_t> replacements() { return replacements_.count(); }

 private:
  Catalog(std::string path, const Database::OpenOptions& o, util::Env* env);
  // IOError when path_ no longer names the file that was opened.
  Status check_file() const;
  // Makes the reserve file when it is missing and there is room for it.
  void keep_reserve() const;

  const std::string path_;
  const Database::OpenOptions options_;
  util::Env* const env_;
  std::unique_ptr<Checkpointer> checkpointer_;  // before pool_: outlives its connections
  ConnectionPool pool_;
  ReplacementWatch replacements_;
  uint64_t max_value_bytes_ = 0;
  std::optional<std::pair<uint64_t, uint64_t>> file_;  // st_dev, st_ino of path_ at open
};

}  // namespace voxcache::store

#endif  // VOXCACHE_STORE_CATALOG_H_
