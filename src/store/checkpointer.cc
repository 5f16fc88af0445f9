#include "store/checkpointer.h"

#include <memory>
#include <utility>

namespace voxcache::store {

Status checkpoint(Database* db, const char* mode) {
  // The pragma reports a checkpoint that could not finish as a row (busy,
  // log pages, checkpointed pages), not as an error.
  Result<Statement*> st = db->statement(std::string("PRAGMA wal_checkpoint(") + mode + ")");
  if (!st.ok()) return st.status();
  Result<bool> row = (*st)->step();
  const bool busy = row.ok() && *row && (*st)->column_int64(0) != 0;
  (*st)->reset();
  if (!row.ok()) return row.status();
  if (busy)
    return Status::Busy(std::string(mode) + " checkpoint of " + db->path() +
                        " could not finish: others are using the log");
  return Status::OK();
}

Checkpointer::Checkpointer(std::string path, Database::OpenOptions options, int threshold_pages)
    : path_(std::move(path)),
      options_(options),
      threshold_pages_(threshold_pages),
      worker_([this] { work(); }) {}

Checkpointer::~Checkpointer() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  worker_.join();
}

void Checkpointer::attach(Database* db) {
  db->on_wal_commit([this](int pages) { committed(pages); });
}

void Checkpointer::committed(int wal_pages) {
  if (wal_pages < threshold_pages_) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (wanted_) return;
    wanted_ = true;
  }
  cv_.notify_all();
}

void Checkpointer::work() {
  std::unique_ptr<Database> db;  // opened on first use: most caches never need one
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stop_ || wanted_; });
    if (stop_) return;
    wanted_ = false;
    running_ = true;
    lock.unlock();
    Status s;
    if (!db) {
      Result<std::unique_ptr<Database>> opened = Database::Open(path_, options_);
      if (opened.ok()) db = std::move(opened).value();
      s = opened.status();
    }
    // PASSIVE waits for no reader or writer; what it cannot copy now, the
    // next run does. A failure is left for then too: nothing depends on it.
    if (db) s = run(db.get(), "PASSIVE");
    lock.lock();
    running_ = false;
    ++runs_;
    last_ = s;
    cv_.notify_all();
  }
}

Status Checkpointer::run(Database* db, const char* mode) {
  std::lock_guard<std::mutex> lock(run_mu_);
  return checkpoint(db, mode);
}

void Checkpointer::wait_idle() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return !wanted_ && !running_; });
}

uint64_t Checkpointer::runs() {
  std::lock_guard<std::mutex> lock(mu_);
  return runs_;
}

Status Checkpointer::last_status() {
  std::lock_guard<std::mutex> lock(mu_);
  return last_;
}

}  // namespace voxcache::store
