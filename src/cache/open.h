// Opening a Cache with the seams tests need: an Env other than the system's,
// and tiers below the local one (read through, hits copied up).

#ifndef VOXCACHE_CACHE_OPEN_H_
#define VOXCACHE_CACHE_OPEN_H_

#include <memory>
#include <string>
#include <vector>

#include "store/sqlite.h"
#include "tier/tier.h"
#include "util/env.h"
#include "voxcache/cache.h"

namespace voxcache::cache {

// Cache::Open is OpenCache(path, options, util::Env::Default(), {}).
// `env` must outlive the Cache.
Result<std::unique_ptr<Cache>> OpenCache(const std::string& path, const Options& options,
                                         util::Env* env,
                                         std::vector<std::unique_ptr<tier::Tier>> below = {});

// Checks `options` and prepares `path` (its directory, or that it exists when
// it may not be created) and returns how to open the database.
// NotSupported when `path` is on a network file system (env's statfs) and
// neither Options::allow_network_filesystem nor $VOXCACHE_ALLOW_NETWORK_FS=1
// allows it; the message names the file system and the fixes.
Status check_filesystem(const std::string& path, const Options& options, util::Env* env);

Result<store::Database::OpenOptions> database_options(const std::string& path,
                                                      const Options& options);

// `options` with the database's stored configuration filling what the
// program left to it (0 limits, compression_level -1; the automatic level if neither).
Options apply_stored_config(Options options, const StoredConfig& config);

}  // namespace voxcache::cache

#endif  // VOXCACHE_CACHE_OPEN_H_
