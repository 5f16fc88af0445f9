// Hands out SQLite connections, one thread at a time each, creating them on
// demand. WAL lets the readers among them run in parallel with one writer.

#ifndef VOXCACHE_CACHE_CONNECTION_POOL_H_
#define VOXCACHE_CACHE_CONNECTION_POOL_H_

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/sqlite.h"

namespace voxcache::cache {

class ConnectionPool {
 public:
  ConnectionPool(std::string path, store::Database::OpenOptions options)
      : path_(std::move(path)), options_(options) {}

  // Returns its connection to the pool when destroyed.
  class Lease {
   public:
    Lease(ConnectionPool* pool, std::unique_ptr<store::Database> db)
        : pool_(pool), db_(std::move(db)) {}
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (db_) pool_->release(std::move(db_));
    }
    store::Database* operator->() const { return db_.get(); }
    store::Database* get() const { return db_.get(); }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<store::Database> db_;
  };

  Result<Lease> acquire() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!idle_.empty()) {
        std::unique_ptr<store::Database> db = std::move(idle_.back());
        idle_.pop_back();
        return Lease(this, std::move(db));
      }
    }
    Result<std::unique_ptr<store::Database>> db = store::Database::Open(path_, options_);
    if (!db.ok()) return db.status();
    return Lease(this, std::move(db).value());
  }

  void release(std::unique_ptr<store::Database> db) {
    std::lock_guard<std::mutex> lock(mu_);
    idle_.push_back(std::move(db));
  }

 private:
  const std::string path_;
  const store::Database::OpenOptions options_;
  std::mutex mu_;
  std::vector<std::unique_ptr<store::Database>> idle_;
};

}  // namespace voxcache::cache

#endif  // VOXCACHE_CACHE_CONNECTION_POOL_H_
