// Replacements: how a memory tier learns that an entry it may hold was
// replaced or erased by another handle or process (docs/format.md,
// `totals.replaced`, schema 8).
//
// A key's value only changes by a put with PutOptions::replace, or an erase
// or clear followed by a put of another value. Each of these adds one to
// totals.replaced in its own transaction; a handle whose memory tier filled
// before the count changed drops what it holds. gc's evictions and
// verify's repairs remove entries without counting: what a memory tier
// holds of them is still the value its key was computed as.

#ifndef VOXCACHE_STORE_REPLACEMENTS_H_
#define VOXCACHE_STORE_REPLACEMENTS_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "store/sqlite.h"
#include "voxcache/status.h"

namespace voxcache::store {

// Counts one replacement, inside the caller's write transaction.
Status note_replacement(Database* db);

// totals.replaced as `db` sees it now.
Result<int64_t> read_replacements(Database* db);

// Reads totals.replaced cheaply enough for every memory-tier hit: on a
// connection of its own, whose PRAGMA data_version says whether any other
// connection committed since the last look; only then is the count read.
// Thread-safe.
class ReplacementWatch {
 public:
  ReplacementWatch(std::string path, const Database::OpenOptions& options)
      : path_(std::move(path)), options_(options) {}

  // The count now; an error (an older schema opened read-only has no
  // column) means it cannot be known, and the caller must serve nothing it
  // kept.
  Result<int64_t> count();

 private:
  const std::string path_;
  const Database::OpenOptions options_;
  std::mutex mu_;
  std::unique_ptr<Database> db_;  // opened on first use
  std::optional<int64_t> data_version_, count_;
};

}  // namespace voxcache::store

#endif  // VOXCACHE_STORE_REPLACEMENTS_H_
