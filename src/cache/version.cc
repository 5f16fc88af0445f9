#include "voxcache/version.h"

#include <sqlite3.h>
#include <xxhash.h>
#include <zstd.h>

#include "store/schema.h"

namespace voxcache {

VersionInfo version() {
  VersionInfo v;
  v.voxcache = VOXCACHE_VERSION;
  v.schema = store::kSchemaVersion;
  v.sqlite = sqlite3_libversion();
  v.zstd = ZSTD_versionString();
  const unsigned x = XXH_versionNumber();  // major * 10000 + minor * 100 + release
  v.xxhash = std::to_string(x / 10000) + "." + std::to_string(x / 100 % 100) + "." +
             std::to_string(x % 100);
  return v;
}

}  // namespace voxcache
