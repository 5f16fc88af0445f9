// Creating and migrating the schema (src/store/schema.h).

#include "store/schema.h"

#include <gtest/gtest.h>

#include "store/entry_store.h"
#include "store/sqlite.h"
#include "store_fixture.h"
#include "test_support.h"

namespace voxcache::store {
namespace {

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
  EXPECT_TRUE(prepare_schema(db.get(), true).is_invalid_argument());
}

TEST(Schema, MigratesVersionOneDatabases) {
  testing::TempDir dir;
  const std::string path = dir.file("v1.db");
  testing::raw_sql(path, R"sql(
PRAGMA application_id = 1448624961;
CREATE TABLE results (
  operation_id TEXT PRIMARY KEY NOT NULL CHECK (length(operation_id) = 64),
  data BLOB NOT NULL, data_type TEXT NOT NULL, created_at INTEGER NOT NULL,
  last_access INTEGER NOT NULL, access_count INTEGER NOT NULL DEFAULT 0,
  size_bytes INTEGER NOT NULL, raw_bytes INTEGER NOT NULL, chunk_count INTEGER NOT NULL,
  codec TEXT NOT NULL, level INTEGER NOT NULL, checksum TEXT NOT NULL, metadata TEXT);
CREATE TABLE chunks (operation_id TEXT NOT NULL, chunk_index INTEGER NOT NULL,
  data BLOB NOT NULL, PRIMARY KEY (operation_id, chunk_index));
INSERT INTO results VALUES ('bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb',
  X'00', 'null', 1, 1, 0, 1, 0, 0, 'none', 0, 'x', NULL);
PRAGMA user_version = 1;
)sql");
  auto db = open_db(path);
  ASSERT_OK(prepare_schema(db.get(), false));
  Result<EntryRow> row = read_entry(db.get(), std::string(64, 'b'));
  ASSERT_OK(row.status());
  EXPECT_EQ(row->filter, "none");
  Result<Statement*> v = db->statement("PRAGMA user_version");
  ASSERT_OK(v.status());
  ASSERT_TRUE(*(*v)->step());
  EXPECT_EQ((*v)->column_int64(0), kSchemaVersion);
  (*v)->reset();
  // Version 6: the operation index holds only entries with a recipe.
  Result<Statement*> index =
      db->statement("SELECT sql FROM sqlite_master WHERE name = 'results_by_operation'");
  ASSERT_OK(index.status());
  ASSERT_TRUE(*(*index)->step());
  EXPECT_NE(std::string((*index)->column_text(0)).find("WHERE operation IS NOT NULL"),
            std::string::npos);
  (*index)->reset();
}

TEST(Schema, ANewDatabaseIsTheBuildsVersion) {
  testing::TempDir dir;
  auto db = new_db(dir.file("n.db"));
  Result<int64_t> v = schema_version(db.get());
  ASSERT_OK(v.status());
  EXPECT_EQ(*v, kSchemaVersion);
}

}  // namespace
}  // namespace voxcache::store
