#include "store/entry_store.h"

#include <gtest/gtest.h>

#include "store/sqlite.h"
#include "test_support.h"

namespace voxcache::store {
namespace {

std::unique_ptr<Database> open_db(const std::string& path, bool read_only = false) {
  Database::OpenOptions o;
  o.read_only = read_only;
  Result<std::unique_ptr<Database>> db = Database::Open(path, o);
  EXPECT_TRUE(db.ok()) << db.status().to_string();
  return db.ok() ? std::move(db).value() : nullptr;
}

TEST(Schema, CreatesVersionOneOnAnEmptyFileAndIsIdempotent) {
  testing::TempDir dir;
  auto db = open_db(dir.file("a.db"));
  ASSERT_OK(prepare_schema(db.get(), false));
  ASSERT_OK(prepare_schema(db.get(), false));
  auto again = open_db(dir.file("a.db"), /*read_only=*/true);
  ASSERT_OK(prepare_schema(again.get(), true));
}

TEST(Schema, ReadOnlyOpenOfAnEmptyFileIsNotAVoxcacheDatabase) {
  testing::TempDir dir;
  { auto create = open_db(dir.file("e.db")); }
  auto db = open_db(dir.file("e.db"), true);
  EXPECT_TRUE(prepare_schema(db.get(), true).is_corruption());
}

TEST(Chunks, AreVisitedInOrderAndGapsAreCorruption) {
  testing::TempDir dir;
  auto db = open_db(dir.file("c.db"));
  ASSERT_OK(prepare_schema(db.get(), false));
  EntryRow row;
  row.operation_id = std::string(64, 'a');
  row.data = "h";
  row.data_type = "string";
  row.codec = "none";
  row.checksum = "x";
  ASSERT_OK(insert_entry(db.get(), row, {"c0", "c1", "c2"}));
  std::string seen;
  ASSERT_OK(for_each_chunk(db.get(), row.operation_id, 3, [&](uint64_t i, std::string_view b) {
    seen += std::to_string(i) + std::string(b) + ";";
    return Status::OK();
  }));
  EXPECT_EQ(seen, "0c0;1c1;2c2;");
  auto ignore = [](uint64_t, std::string_view) { return Status::OK(); };
  EXPECT_TRUE(for_each_chunk(db.get(), row.operation_id, 4, ignore).is_corruption());
  EXPECT_TRUE(for_each_chunk(db.get(), row.operation_id, 2, ignore).is_corruption());
  Result<bool> gone = delete_entry(db.get(), row.operation_id);
  ASSERT_OK(gone.status());
  EXPECT_TRUE(*gone);
  EXPECT_FALSE(*delete_entry(db.get(), row.operation_id));
}

}  // namespace
}  // namespace voxcache::store
