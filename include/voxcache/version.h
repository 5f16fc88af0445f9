// Which voxcache this is, and which libraries it runs with.

#ifndef VOXCACHE_VERSION_H_
#define VOXCACHE_VERSION_H_

#include <string>

#include "voxcache/export.h"

namespace voxcache {

struct VOXCACHE_EXPORT VersionInfo {
  std::string voxcache;  // "0.1.0", the project version
  int schema = 0;        // the database schema version it writes (docs/format.md)
  std::string sqlite;    // the versions of the libraries loaded at run time
  std::string zstd;
  std::string xxhash;
};

VOXCACHE_EXPORT VersionInfo version();

}  // namespace voxcache

#endif  // VOXCACHE_VERSION_H_
