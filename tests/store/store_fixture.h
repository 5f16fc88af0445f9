// The tests of src/store: a real SQLite file per test, opened as the store
// opens it.

#ifndef VOXCACHE_TESTS_STORE_STORE_FIXTURE_H_
#define VOXCACHE_TESTS_STORE_STORE_FIXTURE_H_

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "store/schema.h"
#include "store/sqlite.h"
#include "test_support.h"

namespace voxcache::store {

inline std::unique_ptr<Database> open_db(const std::string& path, bool read_only = false) {
  Database::OpenOptions o;
  o.read_only = read_only;
  Result<std::unique_ptr<Database>> db = Database::Open(path, o);
  EXPECT_TRUE(db.ok()) << db.status().to_string();
  return db.ok() ? std::move(db).value() : nullptr;
}

// A new database with the current schema.
inline std::unique_ptr<Database> new_db(const std::string& path) {
  std::unique_ptr<Database> db = open_db(path);
  if (db) EXPECT_TRUE(testing::IsOk(prepare_schema(db.get(), false)));
  return db;
}

}  // namespace voxcache::store

#endif  // VOXCACHE_TESTS_STORE_STORE_FIXTURE_H_
