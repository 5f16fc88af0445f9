// version() (util/version.cc): what the build is and what it runs with.

#include "voxcache/version.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <zstd.h>

#include <algorithm>

#include "store/schema.h"

namespace voxcache {
namespace {

TEST(Version, NamesTheProjectSchemaAndLibraries) {
  const VersionInfo v = version();
  EXPECT_EQ(v.voxcache, VOXCACHE_VERSION);
  EXPECT_EQ(v.schema, store::kSchemaVersion);
  EXPECT_EQ(v.sqlite, sqlite3_libversion());
  EXPECT_EQ(v.zstd, ZSTD_versionString());
  EXPECT_EQ(std::count(v.xxhash.begin(), v.xxhash.end(), '.'), 2) << v.xxhash;
}

}  // namespace
}  // namespace voxcache
