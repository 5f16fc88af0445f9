#include "key/recipe.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "voxcache/key.h"

namespace voxcache::key {
namespace {

TEST(Recipe, ReadsBackEveryArgumentType) {
  const OperationKey in = KeyBuilder("leaf").build();
  const KeyBuilder b = KeyBuilder("op")
                           .arg("i", -3)
                           .arg("d", 0.25)
                           .arg("b", true)
                           .arg("s", "text")
                           .arg("raw", KeyArg::Bytes(std::string_view("\x01\xff", 2)))
                           .arg("l", std::vector<KeyArg>{1, std::vector<KeyArg>{"x"}})
                           .input(in);
  const nlohmann::json j = nlohmann::json::parse(recipe_to_json(b.canonical_encoding()));
  EXPECT_EQ(j["operation"], "op");
  EXPECT_EQ(j["args"][0]["value"], -3);
  EXPECT_EQ(j["args"][1]["value"], 0.25);
  EXPECT_EQ(j["args"][2]["value"], true);
  EXPECT_EQ(j["args"][3]["value"], "text");
  EXPECT_EQ(j["args"][4]["type"], "bytes");
  EXPECT_EQ(j["args"][4]["value"], "01ff");
  EXPECT_EQ(j["args"][5]["value"], nlohmann::json::parse(R"([1, ["x"]])"));
  EXPECT_EQ(j["inputs"][0], in.hex());
}

// Found by the key_parse fuzzer: names need not be UTF-8, and dumping them
// used to throw out of `voxcache show`.
TEST(Recipe, NonUtf8NamesAreReplacedNotFatal) {
  const KeyBuilder b = KeyBuilder("sm\x99oth").arg("sig\xffma", "v\xfe");
  const std::string j = recipe_to_json(b.canonical_encoding());
  ASSERT_FALSE(j.empty());
  EXPECT_FALSE(nlohmann::json::parse(j, nullptr, false).is_discarded());
}

TEST(Recipe, MalformedEncodingsGiveAnEmptyResult) {
  const std::string good = KeyBuilder("op").arg("a", 1).canonical_encoding();
  for (size_t n = 0; n < good.size(); ++n) EXPECT_EQ(recipe_to_json(good.substr(0, n)), "") << n;
  EXPECT_EQ(recipe_to_json(good + "x"), "");
  EXPECT_EQ(recipe_to_json("not a recipe"), "");
}

}  // namespace
}  // namespace voxcache::key
