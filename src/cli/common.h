// What every voxcache command shares: global options, opening the database,
// resolving keys, exit codes, and printing errors and JSON.

#ifndef VOXCACHE_CLI_COMMON_H_
#define VOXCACHE_CLI_COMMON_H_

#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

#include "voxcache/cache.h"

namespace voxcache::cli {

// Exit codes (docs/cli.md).
constexpr int kExitFailure = 1;      // the operation failed: I/O, corruption, a bad entry, ...
constexpr int kExitUsage = 2;        // bad usage, or a key that is unknown, ambiguous or malformed
constexpr int kExitLimitNotMet = 3;  // gc or clear did all it could; pinned entries exceed a limit

// Prints "voxcache: <status>" on stderr and returns kExitFailure.
int fail(const Status& s);
// The same, returning kExitUsage.
int usage_error(const Status& s);
// A key the user named that is not there is their mistake (2); anything else
// that goes wrong reading it is a failure (1).
int key_error(const Status& s);

struct Globals {
  std::string db;
  bool read_only = false;
  std::string remote;  // --remote URL; empty: $VOXCACHE_REMOTE or none
  // --remote-password-file: the remote's password is its first line, so it
  // shows in no process list.
  std::string remote_password_file;
};

// --db, else the library's default path; empty when there is none.
std::string db_path(const Globals& g);

// Read commands open read-only when asked to, or when the file (or, for its
// WAL, the directory) is not writable, so they work on a shared archive.
// `record_reads` false for commands that look at entries (show, thumbnail,
// ls, verify): looking is not using, so neither hits nor access times move.
// export is a use: its voxels leave the cache for another tool.
Result<std::unique_ptr<Cache>> open_cache(const Globals& g, bool write, bool record_reads = true);
// After a command that wrote: one line on stderr when write-through pushes
// to the remote failed (a full Redis says nothing otherwise).
void warn_failed_pushes(Cache* cache);

// A full key, or the one key a prefix of 8+ hex digits names.
Result<OperationKey> resolve(Cache* cache, const std::string& text);
Result<std::vector<OperationKey>> resolve_all(Cache* cache, const std::vector<std::string>& keys);

// IOError "<what>: <strerror(errno)>", for a system call that just failed.
Status errno_status(const std::string& what);

// A private folder (mkdtemp: a random name, mode 0700) under $TMPDIR or
// /tmp, removed with everything in it however the command ends.
class ScratchDir {
 public:
  ScratchDir() = default;
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  // `prefix`: the folder's name before its random part ("voxcache-serve").
  Status Create(const std::string& prefix);
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Keys' operation names and file names need not be UTF-8; JSON output
// replaces what it cannot carry rather than failing.
std::string dump(const nlohmann::json& j, int indent = -1);
void print_json(const nlohmann::json& j);

}  // namespace voxcache::cli

#endif  // VOXCACHE_CLI_COMMON_H_
