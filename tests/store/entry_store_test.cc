// Entry rows and their chunks (src/store/entry_store.h).

#include "store/entry_store.h"

#include <gtest/gtest.h>

#include "store/sqlite.h"
#include "store_fixture.h"
#include "test_support.h"

namespace voxcache::store {
namespace {

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

}  // namespace
}  // namespace voxcache::store
