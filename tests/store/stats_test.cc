// Totals and counters (src/store/stats.h): rows are untrusted, so crafted
// sizes never make a total negative or overflow.

#include "store/stats.h"

#include <gtest/gtest.h>

#include "store_fixture.h"

namespace voxcache::store {
namespace {

TEST(Stats, CountersAddUpPerTypeAndZero) {
  testing::TempDir dir;
  auto db = new_db(dir.file("stats.db"));
  ASSERT_OK(add_counter(db.get(), "puts", "", 2));
  ASSERT_OK(add_counter(db.get(), "puts", "", 3));
  ASSERT_OK(add_counter(db.get(), "puts", "volume", 1));
  auto got = counters(db.get());
  ASSERT_OK(got.status());
  ASSERT_EQ(got->size(), 2u);
  EXPECT_EQ((*got)[0].data_type, "");
  EXPECT_EQ((*got)[0].value, 5);
  EXPECT_EQ((*got)[1].data_type, "volume");
  EXPECT_EQ((*got)[1].value, 1);
  ASSERT_OK(zero_counters(db.get()));
  got = counters(db.get());
  ASSERT_OK(got.status());
  EXPECT_TRUE(got->empty());
}

TEST(Stats, CraftedSizesNeverMakeATotalNegativeOrOverflow) {
  testing::TempDir dir;
  const std::string path = dir.file("crafted.db");
  { auto db = new_db(path); }
  // Rows the triggers count, with sizes no writer makes.
  testing::raw_sql(path,
                   "INSERT INTO results (operation_id, data, data_type, created_at, last_access, "
                   "size_bytes, raw_bytes, chunk_count, codec, level, checksum) VALUES "
                   "('" +
                       std::string(64, 'a') +
                       "', X'00', 'volume', 1, 1, -5, -7, 0, 'none', 0, "
                       "'x'), ('" +
                       std::string(64, 'b') +
                       "', X'00', 'volume', 1, 1, "
                       "9223372036854775807, 9223372036854775807, 0, 'none', 0, 'x');");
  auto db = open_db(path);
  auto by_type = totals_by_type(db.get());
  ASSERT_OK(by_type.status());
  ASSERT_EQ(by_type->size(), 1u);
  EXPECT_EQ((*by_type)[0].entries, 2);
  EXPECT_GE((*by_type)[0].stored_bytes, 0);
  EXPECT_GE((*by_type)[0].raw_bytes, 0);
  auto t = totals(db.get());
  ASSERT_OK(t.status());
  EXPECT_EQ(t->entries, 2);
  EXPECT_GE(t->stored_bytes, 0);
  EXPECT_GE(t->raw_bytes, 0);
}

}  // namespace
}  // namespace voxcache::store
