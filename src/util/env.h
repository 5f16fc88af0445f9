// Env: what voxcache asks of the operating system that a test must be able to
// fake: the wall clock (stored times, claim leases, ages), the steady clock
// and sleeping (deadlines, back-off), this process's name in claims, and one
// fault point before every write commits. Modelled on leveldb's Env.

#ifndef VOXCACHE_UTIL_ENV_H_
#define VOXCACHE_UTIL_ENV_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "voxcache/status.h"

namespace voxcache::util {

class Env {
 public:
  using SteadyTime = std::chrono::steady_clock::time_point;

  virtual ~Env() = default;

  // The process-wide system Env. Never destroyed.
  static Env* Default();

  // Unix time in milliseconds: what is stored (created, last access, claim
  // expiry) and compared with what other processes stored.
  virtual int64_t now_ms() = 0;
  // For deadlines and intervals inside this process.
  virtual SteadyTime steady_now() = 0;
  virtual void sleep_for(std::chrono::milliseconds d) = 0;

  // Names this process in claims: host, pid, and a part that differs for
  // every call, since a pid is reused after its process dies.
  virtual std::string unique_owner_name();

  // Runs before every write transaction commits, `what` naming the write
  // ("put", "claim", "evict", ...). A failure rolls that write back and is
  // returned to its caller, exactly as a full disk or an I/O error would be.
  virtual Status before_commit(std::string_view what);

  // statfs(2)'s f_type of the file system holding `path` (a directory or a
  // file): NFS_SUPER_MAGIC for NFS, and so on. IOError when it cannot be read.
  virtual Result<uint64_t> filesystem_type(const std::string& path);
};

// The name of a network file system type ("NFS", "CIFS/SMB", "Lustre",
// "GPFS", "CephFS", "BeeGFS", "AFS", "9p", "OrangeFS"), on which SQLite's WAL
// mode is unsafe; nullopt for a local file system (or one not known to be
// networked).
std::optional<std::string> network_filesystem_name(uint64_t f_type);

// A manual clock and a fault switch for tests. Time moves only by advance()
// and sleep_for(), which advances it at once (and yields), so a test waits out
// a 30 s lease in microseconds. Thread-safe.
class ManualEnv final : public Env {
 public:
  explicit ManualEnv(int64_t start_ms = 1'700'000'000'000) : now_ms_(start_ms) {}

  int64_t now_ms() override { return now_ms_.load(); }
  SteadyTime steady_now() override;
  void sleep_for(std::chrono::milliseconds d) override;
  Status before_commit(std::string_view what) override;
  // The system's answer, unless set_filesystem_type() gave one.
  Result<uint64_t> filesystem_type(const std::string& path) override;
  void set_filesystem_type(uint64_t f_type) { filesystem_type_ = f_type; }

  // Moves both clocks forward (or, for the wall clock only, backward: a
  // clock jump) by `ms`.
  void advance(int64_t ms);
  void jump_wall_clock(int64_t ms) { now_ms_ += ms; }
  // Fails every commit whose `what` starts with `prefix` ("" for all) with
  // IOError, until stop_failing().
  void fail_commits(std::string prefix);
  void stop_failing();
  int failed_commits() const { return failed_.load(); }

 private:
  std::atomic<int64_t> now_ms_;
  std::optional<uint64_t> filesystem_type_;  // set before the cache opens
  std::atomic<int64_t> steady_offset_ms_{0};
  const SteadyTime steady_base_ = std::chrono::steady_clock::now();
  std::mutex mu_;
  bool failing_ = false;
  std::string fail_prefix_;
  std::atomic<int> failed_{0};
};

}  // namespace voxcache::util

#endif  // VOXCACHE_UTIL_ENV_H_
