#include "store/catalog.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <random>

#include "store/entry_store.h"
#include "store/schema.h"

namespace voxcache::store {

namespace {
std::string reserve_path(const std::string& db) { return db + "-reserve"; }
}  // namespace

Result<std::unique_ptr<Catalog>> Catalog::Open(const std::string& path,
                                               const Database::OpenOptions& o, util::Env* env) {
  // SQLite calls the busy handler only where waiting cannot deadlock. Two
  // connections that have both read a new file and both want to write it (the
  // switch to WAL, creating the schema) are such a case: one gets BUSY at
  // once. So the opener waits here, as every other write waits in SQLite's
  // handler, with a jittered back-off that keeps N openers from retrying in
  // lock step.
  const auto deadline = env->steady_now() + o.busy_timeout;
  std::minstd_rand jitter(std::random_device{}());
  std::chrono::milliseconds backoff{1};
  for (;;) {
    Result<std::unique_ptr<Database>> db = Database::Open(path, o);
    Status s = db.ok() ? prepare_schema(db->get(), o.read_only) : db.status();
    if (s.ok()) {
      std::unique_ptr<Catalog> c(new Catalog(path, o, env));
      struct stat st;
      if (::stat(path.c_str(), &st) == 0) c->file_ = {st.st_dev, st.st_ino};
      if (!o.read_only) c->keep_reserve();
      c->max_value_bytes_ = static_cast<uint64_t>((*db)->max_value_bytes());
      c->pool_.adopt(std::move(db).value());
      return c;
    }
    // SQLite cannot even read without room for its -wal and -shm files: on
    // a full disk the reserve file gives its room up, once, so that reads
    // work and rm and gc can free space.
    if (disk_full(s) && ::unlink(reserve_path(path).c_str()) == 0) {
      continue;
    }
    if (!s.is_busy()) return s;
    const auto pause = backoff + std::chrono::milliseconds(jitter() % (backoff.count() + 1));
    if (env->steady_now() + pause > deadline) {
      return s.with_context("opening " + path + " (waited " +
                            std::to_string(o.busy_timeout.count()) + " ms)");
    }
    env->sleep_for(pause);
    backoff = std::min(backoff * 2, std::chrono::milliseconds(64));
  }
}

Catalog::Catalog(std::string path, const Database::OpenOptions& o, util::Env* env)
    : path_(std::move(path)),
      options_(o),
      env_(env),
      checkpointer_(o.read_only ? nullptr : std::make_unique<Checkpointer>(path_, o)),
      pool_(path_, o,
            [this](Database* db) {
              if (checkpointer_) checkpointer_->attach(db);
            }),
      replacements_(path_, o) {}

Status Catalog::checkpoint(const char* mode) {
  Result<ConnectionPool::Lease> db = lease();
  if (!db.ok()) return db.status();
  return checkpointer_ ? checkpointer_->run(db->get(), mode) : store::checkpoint(db->get(), mode);
}

Status Catalog::vacuum() {
  Status s = check_writable();
  if (!s.ok()) return s;
  {
    Result<ConnectionPool::Lease> db = lease();
    if (!db.ok()) return db.status();
    s = (*db)->exec("VACUUM");
  }
  return s.ok() ? checkpoint("TRUNCATE") : s;
}

Status Catalog::read(const std::function<Status(Database*)>& fn) {
  Result<ConnectionPool::Lease> db = lease();
  if (!db.ok()) return db.status();
  Result<std::unique_ptr<Transaction>> txn =
      Transaction::Begin(db->get(), Transaction::Mode::kRead);
  if (!txn.ok()) return txn.status();
  return fn(db->get());  // a read transaction has nothing to commit: its end releases the snapshot
}

Status Catalog::write(std::string_view what, const std::function<Status(Database*)>& fn) {
  Status s = check_writable();
  if (!s.ok()) return s;
  Result<ConnectionPool::Lease> db = lease();
  if (!db.ok()) return db.status();
  Result<std::unique_ptr<Transaction>> txn =
      Transaction::Begin(db->get(), Transaction::Mode::kWrite);
  if (!txn.ok()) return txn.status();
  s = fn(db->get());
  return s.ok() ? commit(txn->get(), what) : s;
}

void Catalog::keep_reserve() const {
  const std::string reserve = reserve_path(path_);
  if (::access(reserve.c_str(), F_OK) == 0) return;
  const int fd =
      ::open(reserve.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) return;
  // Real blocks, not a sparse file: freeing them must give room back.
  const bool ok = ::posix_fallocate(fd, 0, static_cast<off_t>(kReserveBytes)) == 0;
  ::close(fd);
  if (!ok) ::unlink(reserve.c_str());  // no room now: made again at a later open
}

Status Catalog::write_freeing(std::string_view what, const std::function<Status(Database*)>& fn) {
  Status s = write(what, fn);
  if (!disk_full(s) || ::unlink(reserve_path(path_).c_str()) != 0) return s;
  return write(what, fn);
}

Status Catalog::commit(Transaction* txn, std::string_view what) {
  Status s = env_->before_commit(what);
  if (s.ok()) s = check_file();
  return s.ok() ? txn->commit() : s;  // not committed: the Transaction rolls back
}

// SQLite writes on into the inode it opened: after the file (and its -wal
// and -shm) was deleted or replaced, a commit would return OK into a file no
// later open finds. So each commit first checks that the path still names
// that file.
Status Catalog::check_file() const {
  if (!file_) return Status::OK();
  struct stat st;
  if (::stat(path_.c_str(), &st) != 0) {
    const int e = errno;
    return Status::IOError("the database " + path_ + " was deleted while open (" +
                           std::strerror(e) + "): nothing written; open it again");
  }
  if (st.st_dev != file_->first || st.st_ino != file_->second) {
    return Status::IOError("the database " + path_ +
                           " was replaced by another file while open: nothing written; open it "
                           "again");
  }
  return Status::OK();
}

Status Catalog::check_writable() const {
  return options_.read_only ? Status::InvalidArgument("cache is open read-only") : Status::OK();
}

}  // namespace voxcache::store
