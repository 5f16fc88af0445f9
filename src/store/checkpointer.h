// Checkpointer: copies the WAL back into the database file on a thread of
// its own, so that no put pays for it.
//
// SQLite's automatic checkpoint runs inside the commit that pushes the WAL
// past 1000 pages: that put then copies every page of the last 4 MiB of
// writes into the database file and syncs it, which measured half of a
// large put's time and an eighth of a small one's. Here commits only count
// the WAL's pages (sqlite3_wal_hook, which replaces the automatic
// checkpoint), and past the threshold a worker runs a PASSIVE checkpoint on
// its own connection, waiting for nobody. LimitKeeper's RESTART checkpoint
// past Options::wal_limit_bytes still bounds the WAL when the worker cannot
// keep up (docs/reliability.md).

#ifndef VOXCACHE_STORE_CHECKPOINTER_H_
#define VOXCACHE_STORE_CHECKPOINTER_H_

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>

#include "store/sqlite.h"

namespace voxcache::store {

// Runs `PRAGMA wal_checkpoint(mode)` on `db`; Busy when it could not finish.
Status checkpoint(Database* db, const char* mode);

class Checkpointer {
 public:
  // SQLite's own threshold, in pages of the WAL.
  static constexpr int kDefaultThresholdPages = 1000;

  Checkpointer(std::string path, Database::OpenOptions options,
               int threshold_pages = kDefaultThresholdPages);
  ~Checkpointer();  // finishes a running checkpoint, starts no other
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // Makes `db`'s commits report to this checkpointer instead of
  // checkpointing themselves. `db` must not outlive it.
  void attach(Database* db);

  // Runs a checkpoint of `mode` ("PASSIVE", "RESTART", "TRUNCATE") on the
  // caller's connection `db`, never at the same time as the worker's (two
  // checkpoints at once make one of them give up with Busy).
  Status run(Database* db, const char* mode);

  // Waits until no checkpoint is asked for or running (tests).
  void wait_idle();
  // Checkpoints run so far, and the last one's outcome (tests).
  uint64_t runs();
  Status last_status();

 private:
  void committed(int wal_pages);
  void work();

  const std::string path_;
  const Database::OpenOptions options_;
  const int threshold_pages_;
  std::mutex run_mu_;  // held through every checkpoint
  std::mutex mu_;
  std::condition_variable cv_;
  bool wanted_ = false;
  bool running_ = false;
  bool stop_ = false;
  uint64_t runs_ = 0;
  Status last_;
  std::thread worker_;  // last: starts after everything it uses
};

}  // namespace voxcache::store

#endif  // VOXCACHE_STORE_CHECKPOINTER_H_
