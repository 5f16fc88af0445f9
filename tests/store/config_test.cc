// Stored settings (src/store/config.h).

#include "store/config.h"

#include <gtest/gtest.h>

#include "store_fixture.h"

namespace voxcache::store {
namespace {

TEST(Config, SetReplacedAndRemovedInNameOrder) {
  testing::TempDir dir;
  auto db = new_db(dir.file("config.db"));
  ASSERT_OK(write_config(db.get(), "max_bytes", std::string("100")));
  ASSERT_OK(write_config(db.get(), "compression_level", std::string("3")));
  ASSERT_OK(write_config(db.get(), "max_bytes", std::string("200")));
  auto got = read_config(db.get());
  ASSERT_OK(got.status());
  using Pairs = std::vector<std::pair<std::string, std::string>>;
  EXPECT_EQ(*got, (Pairs{{"compression_level", "3"}, {"max_bytes", "200"}}));
  ASSERT_OK(write_config(db.get(), "max_bytes", std::nullopt));
  got = read_config(db.get());
  ASSERT_OK(got.status());
  EXPECT_EQ(*got, (Pairs{{"compression_level", "3"}}));
}

TEST(Config, AFileOfAnOlderSchemaHasNoSettings) {
  testing::TempDir dir;
  const std::string path = dir.file("v4.db");
  testing::raw_sql(path, "PRAGMA user_version = 4;");
  auto db = open_db(path, /*read_only=*/true);
  auto got = read_config(db.get());
  ASSERT_OK(got.status());
  EXPECT_TRUE(got->empty());
}

}  // namespace
}  // namespace voxcache::store
