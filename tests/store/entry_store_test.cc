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

TEST(Chunks, CursorVisitsInOrderAndGapsAreCorruption) {
  testing::TempDir dir;
  auto db = open_db(dir.file("c.db"));
  ASSERT_OK(prepare_schema(db.get(), false));
  EntryRow row;
  row.operation_id = std::string(64, 'a');
  row.data = "h";
  row.data_type = "string";
  row.codec = "none";
  row.checksum = "x";
  for (uint64_t i : {0, 1, 2, 4}) {
    ASSERT_OK(insert_chunk(db.get(), row.operation_id, i, "c" + std::to_string(i)));
  }
  ASSERT_OK(insert_entry_row(db.get(), row));
  auto read = [&](uint64_t first, uint64_t end) -> Result<std::string> {
    Result<ChunkCursor> c = ChunkCursor::Open(db.get(), row.operation_id, first, end);
    if (!c.ok()) return c.status();
    std::string seen;
    for (;;) {
      Result<std::string_view> b = c->next();
      if (!b.ok()) return b.status();
      if (b->empty()) return seen;
      seen += std::string(*b) + ";";
    }
  };
  EXPECT_EQ(*read(0, 3), "c0;c1;c2;");
  EXPECT_EQ(*read(1, 2), "c1;");
  Result<std::string> gap = read(2, 5);  // chunk 3 is missing
  EXPECT_TRUE(gap.status().is_corruption());
  EXPECT_NE(gap.status().message().find("chunk 3 is missing"), std::string::npos);
  EXPECT_EQ(*count_chunks(db.get(), row.operation_id), 4u);
  Result<bool> gone = delete_entry(db.get(), row.operation_id);
  ASSERT_OK(gone.status());
  EXPECT_TRUE(*gone);
  EXPECT_EQ(*count_chunks(db.get(), row.operation_id), 0u);
  EXPECT_FALSE(*delete_entry(db.get(), row.operation_id));
}

// A database written by schema version 1 (before the filter column) opens,
// is migrated in place, and its entries read with filter "none".
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

}  // namespace
}  // namespace voxcache::store
