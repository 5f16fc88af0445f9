// EntryInfo::ToJson (cache/entry_info.cc): the record the CLI and Python
// both render, and what a crafted row cannot break.

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "test_support.h"
#include "voxcache/cache.h"

namespace voxcache {
namespace {

TEST(EntryInfo, EveryFieldOfAVolumeEntry) {
  testing::TempDir dir;
  auto c = testing::open_cache(dir.file("c.db"));
  const KeyBuilder recipe = KeyBuilder("smooth").arg("sigma", 1.5);
  const Volume v = testing::make_ramp_volume(PixelType::kInt16, 2, {6, 5, 4});
  ASSERT_OK(c->put(recipe, Value(v), PutOptions{R"({"from": "test"})"}));
  Result<EntryInfo> info = c->info(recipe.build());
  ASSERT_OK(info.status());
  const nlohmann::json j = nlohmann::json::parse(info->ToJson());
  EXPECT_EQ(j["key"], recipe.build().hex());
  EXPECT_EQ(j["data_type"], "volume");
  EXPECT_EQ(j["metadata"]["from"], "test");
  EXPECT_EQ(j["operation"], "smooth");
  EXPECT_EQ(j["recipe"]["operation"], "smooth");
  EXPECT_EQ(j["raw_bytes"], v.byte_size());
  EXPECT_EQ(j["volume"]["pixel_type"], "i16");
  EXPECT_EQ(j["volume"]["components"], 2);
  EXPECT_EQ(j["volume"]["size"], nlohmann::json::array({6, 5, 4}));
  EXPECT_EQ(j["volume"]["dimension"], 3);
  EXPECT_EQ(j["volume"]["spacing"][2], v.geometry().spacing[2]);
  EXPECT_EQ(j["layout"], "z-slabs");
  EXPECT_TRUE(j["intensity"].is_array());
  EXPECT_FALSE(j.contains("problem"));
}

TEST(EntryInfo, TextThatIsNotJsonOrNotUtf8IsAStringNotAThrow) {
  EntryInfo e;
  e.data_type = "string";
  e.metadata = "{not json";
  e.recipe_json = std::string("\xff\xfe", 2);
  e.problem = "damaged \xc3";
  const nlohmann::json j = nlohmann::json::parse(e.ToJson());
  EXPECT_EQ(j["metadata"], "{not json");
  EXPECT_TRUE(j["recipe"].is_string());
  EXPECT_TRUE(j["problem"].is_string());
  EXPECT_TRUE(j["volume"].is_null());
}

}  // namespace
}  // namespace voxcache
