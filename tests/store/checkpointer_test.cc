// The background checkpointer (store/checkpointer.h): commits no longer copy
// the WAL into the database themselves; a worker does, past the threshold.

#include "store/checkpointer.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "store/catalog.h"
#include "store/entry_store.h"
#include "test_support.h"

namespace voxcache::store {
namespace {

uint64_t file_size(const std::string& path) {
  std::error_code ec;
  const uint64_t n = std::filesystem::file_size(path, ec);
  return ec ? 0 : n;
}

// Writes chunk rows [first, end) of 1 MiB, one commit each.
void write_chunks(Catalog* c, int first, int end) {
  const std::string blob(1 << 20, 'x');
  for (int i = first; i < end; ++i) {
    ASSERT_OK(c->write("test", [&](Database* db) {
      return insert_chunk(db, std::string(64, 'a'), static_cast<uint64_t>(i), blob);
    }));
  }
}

TEST(Checkpointer, CommitsPastTheThresholdAreCopiedIntoTheDatabaseByTheWorker) {
  testing::TempDir dir;
  const std::string path = dir.file("c.db");
  auto c = Catalog::Open(path, Database::OpenOptions(), util::Env::Default()).value();
  ASSERT_NE(c->checkpointer(), nullptr);
  const uint64_t before = file_size(path);
  write_chunks(c.get(), 0, 2);  // 512 pages: under the threshold
  c->checkpointer()->wait_idle();
  EXPECT_EQ(c->checkpointer()->runs(), 0u) << "nothing asked below 1000 pages";
  EXPECT_EQ(file_size(path), before) << "and no commit checkpointed by itself";

  write_chunks(c.get(), 2, 14);  // past 1000 pages of WAL
  c->checkpointer()->wait_idle();
  EXPECT_GE(c->checkpointer()->runs(), 1u);
  EXPECT_OK(c->checkpointer()->last_status());
  EXPECT_GE(file_size(path), 4u << 20) << "the WAL's pages reached the database file";
  EXPECT_OK(c->read([&](Database* db) -> Status {
    Result<uint64_t> n = count_chunks(db, std::string(64, 'a'));
    if (!n.ok()) return n.status();
    return *n == 14 ? Status::OK() : Status::Corruption(std::to_string(*n) + " chunks");
  }));
}

TEST(Checkpointer, AReadOnlyCatalogHasNone) {
  testing::TempDir dir;
  const std::string path = dir.file("c.db");
  ASSERT_OK(Catalog::Open(path, Database::OpenOptions(), util::Env::Default()).status());
  Database::OpenOptions ro;
  ro.read_only = true;
  auto c = Catalog::Open(path, ro, util::Env::Default()).value();
  EXPECT_EQ(c->checkpointer(), nullptr);
}

}  // namespace
}  // namespace voxcache::store
