// The SQLite wrapper (store/sqlite.h): statements bind and step, a
// transaction that is not committed rolls back, and SQL errors are statuses
// naming the database.

#include "store/sqlite.h"

#include <gtest/gtest.h>

#include "store_fixture.h"

namespace voxcache::store {
namespace {

TEST(Sqlite, StatementsBindStepAndAreCached) {
  testing::TempDir dir;
  auto db = open_db(dir.file("s.db"));
  ASSERT_OK(db->exec("CREATE TABLE t (k TEXT, v BLOB, n INTEGER)"));
  Result<Statement*> ins = db->statement("INSERT INTO t VALUES (?1, ?2, ?3)");
  ASSERT_OK(ins.status());
  ASSERT_OK((*ins)->bind_text(1, "key"));
  const std::string blob("\0\1", 2);  // bound without a copy: it outlives the step
  ASSERT_OK((*ins)->bind_blob(2, blob));
  ASSERT_OK((*ins)->bind_int64(3, -5));
  ASSERT_OK((*ins)->run());
  EXPECT_EQ(*db->statement("INSERT INTO t VALUES (?1, ?2, ?3)"), *ins) << "cached";
  Result<Statement*> sel = db->statement("SELECT k, v, n FROM t");
  ASSERT_OK(sel.status());
  Result<bool> row = (*sel)->step();
  ASSERT_OK(row.status());
  ASSERT_TRUE(*row);
  EXPECT_EQ((*sel)->column_text(0), "key");
  EXPECT_EQ((*sel)->column_blob(1), std::string("\0\1", 2));
  EXPECT_EQ((*sel)->column_int64(2), -5);
  (*sel)->reset();
}

TEST(Sqlite, AnUncommittedTransactionRollsBack) {
  testing::TempDir dir;
  const std::string path = dir.file("t.db");
  auto db = open_db(path);
  ASSERT_OK(db->exec("CREATE TABLE t (n INTEGER)"));
  {
    Result<std::unique_ptr<Transaction>> txn =
        Transaction::Begin(db.get(), Transaction::Mode::kWrite);
    ASSERT_OK(txn.status());
    ASSERT_OK(db->exec("INSERT INTO t VALUES (1)"));
  }  // destroyed without commit()
  EXPECT_EQ(testing::query_int(path, "SELECT count(*) FROM t"), 0);
  Result<std::unique_ptr<Transaction>> txn =
      Transaction::Begin(db.get(), Transaction::Mode::kWrite);
  ASSERT_OK(txn.status());
  ASSERT_OK(db->exec("INSERT INTO t VALUES (2)"));
  ASSERT_OK((*txn)->commit());
  EXPECT_EQ(testing::query_int(path, "SELECT count(*) FROM t"), 1);
}

TEST(Sqlite, ErrorsAreStatusesNamingTheDatabase) {
  testing::TempDir dir;
  const std::string path = dir.file("e.db");
  auto db = open_db(path);
  Status s = db->exec("SELECT * FROM no_such_table");
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find(path), std::string::npos) << s.to_string();
  EXPECT_FALSE(db->statement("NOT SQL").ok());
}

}  // namespace
}  // namespace voxcache::store
