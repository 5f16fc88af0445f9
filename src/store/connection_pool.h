// Hands out SQLite connections, one thread at a time each, creating them on
// demand. WAL lets the readers among them run in parallel with one writer.

#ifndef VOXCACHE_STORE_CONNECTION_POOL_H_
#define VOXCACHE_STORE_CONNECTION_POOL_H_

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/sqlite.h"

namespace voxcache::store {

class ConnectionPool {
 public:
  // `prepare` is called on each connection the pool opens.
  ConnectionPool(std::string path, Database::OpenOptions options,
                 std::function<void(Database*)> prepare = {})
      : path_(std::move(path)), options_(options), prepare_(std::move(prepare)) {}

  // Returns its connection to the pool when destroyed.
  class Lease {
   public:
    Lease(ConnectionPool* pool, std::unique_ptr<Database> db) : pool_(pool), db_(std::move(db)) {}
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (db_) pool_->release(std::move(db_));
    }
    Database* operator->() const { return db_.get(); }
    Database* get() const { return db_.get(); }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<Database> db_;
  };

  Result<Lease> acquire() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!idle_.empty()) {
        std::unique_ptr<Database> db = std::move(idle_.back());
        idle_.pop_back();
        return Lease(this, std::move(db));
      }
    }
    Result<std::unique_ptr<Database>> db = Database::Open(path_, options_);
    if (!db.ok()) return db.status();
    if (prepare_) prepare_(db->get());
    return Lease(this, std::move(db).value());
  }

  // Takes a connection the pool did not open (prepare is called on it).
  void adopt(std::unique_ptr<Database> db) {
    if (prepare_) prepare_(db.get());
    release(std::move(db));
  }

  void release(std::unique_ptr<Database> db) {
    std::lock_guard<std::mutex> lock(mu_);
    idle_.push_back(std::move(db));
  }

 private:
  const std::string path_;
  const Database::OpenOptions options_;
  const std::function<void(Database*)> prepare_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Database>> idle_;
};

}  // namespace voxcache::store

#endif  // VOXCACHE_STORE_CONNECTION_POOL_H_
