// StoredStats (cache/stored_stats.cc): counters by name and type, and the
// one rendering the CLI's `stats --json` and Python's Cache.stats() share.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "voxcache/records.h"

namespace voxcache {
namespace {

StoredStats sample() {
  StoredStats s;
  s.entries = 3;
  s.raw_bytes = 800;
  s.stored_bytes = 200;
  s.by_type = {{"volume", 2, 150, 700}, {"run", 1, 50, 100}};
  s.counters = {{"hits_disk", "", 3},
                {"misses", "", 1},
                {"hits_disk", "run", 2},
                {"puts", "run", 1},
                {"evictions", "json", 4}};
  return s;
}

TEST(StoredStats, CounterByNameAndType) {
  const StoredStats s = sample();
  EXPECT_EQ(s.counter("hits_disk"), 3u);
  EXPECT_EQ(s.counter("hits_disk", "run"), 2u);
  EXPECT_EQ(s.counter("hits_memory"), 0u) << "absent is 0";
  EXPECT_EQ(s.hits(), 3u);
  EXPECT_EQ(s.hits("run"), 2u);
  EXPECT_DOUBLE_EQ(s.hit_rate(), 0.75);
  EXPECT_DOUBLE_EQ(s.ratio(), 4.0);
}

TEST(StoredStats, ToJsonHasEveryCounterOfEveryType) {
  const nlohmann::json j = nlohmann::json::parse(sample().ToJson());
  EXPECT_EQ(j["entries"], 3);
  EXPECT_DOUBLE_EQ(j["ratio"].get<double>(), 4.0);
  EXPECT_DOUBLE_EQ(j["hit_rate"].get<double>(), 0.75);
  ASSERT_EQ(j["by_type"].size(), 2u);
  EXPECT_EQ(j["by_type"][0]["data_type"], "volume");
  EXPECT_EQ(j["by_type"][0]["stored_bytes"], 150);
  for (const char* group : {"total", "volume", "run", "json"}) {
    ASSERT_TRUE(j["counters"].contains(group)) << group;
    EXPECT_EQ(j["counters"][group].size(), 11u) << group << ": every counter, zeros too";
  }
  EXPECT_EQ(j["counters"]["json"]["evictions"], 4) << "a type with counts but no entries";
  EXPECT_EQ(j["counters"]["total"]["hits_memory"], 0);
  EXPECT_EQ(j["runs"]["hits"], 2);
  EXPECT_EQ(j["runs"]["stored"], 1);
}

TEST(StoredStats, AnEmptyDatabaseHasNoRatioOrRateButEveryField) {
  const nlohmann::json j = nlohmann::json::parse(StoredStats().ToJson());
  EXPECT_EQ(j["ratio"], 0.0);
  EXPECT_EQ(j["hit_rate"], 0.0);
  EXPECT_EQ(j["counters"]["total"].size(), 11u);
  EXPECT_TRUE(j["by_type"].empty());
}

}  // namespace
}  // namespace voxcache
