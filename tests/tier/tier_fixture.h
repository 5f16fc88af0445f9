// The tests of tiers: a catalog on a real SQLite file, and rows to write.

#ifndef VOXCACHE_TESTS_TIER_TIER_FIXTURE_H_
#define VOXCACHE_TESTS_TIER_TIER_FIXTURE_H_

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "store/catalog.h"
#include "tier/tier.h"
#include "util/env.h"

namespace voxcache::tier {

inline std::unique_ptr<store::Catalog> open_catalog(const std::string& path) {
  store::Database::OpenOptions o;
  Result<std::unique_ptr<store::Catalog>> c = store::Catalog::Open(path, o, util::Env::Default());
  EXPECT_TRUE(c.ok()) << c.status().to_string();
  return std::move(c).value();
}

inline Entry row_for(const std::string& id, int64_t chunks) {
  Entry row;
  row.id = id;
  row.data = "header";
  row.data_type = "bytes";
  row.created_at_ms = 1;
  row.chunk_count = chunks;
  row.codec = "none";
  row.checksum = "xxh3-128:0";
  return row;
}

inline const std::string kA(64, 'a'), kB(64, 'b');

}  // namespace voxcache::tier

#endif  // VOXCACHE_TESTS_TIER_TIER_FIXTURE_H_
