// The catalog: first opens from many processes, opens that wait for other
// writers, read-only refusal, the fault point every write commit passes, and
// a database deleted or replaced while open.

#include "store/catalog.h"

#include <gtest/gtest.h>

#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>
#include <filesystem>

#include <chrono>
#include <thread>
#include <vector>

#include "store/entry_store.h"
#include "store/schema.h"
#include "store/stats.h"
#include "test_support.h"
#include "voxcache/cache.h"

namespace voxcache::store {
namespace {

Database::OpenOptions open_options() {
  Database::OpenOptions o;
  o.busy_timeout = std::chrono::milliseconds(10000);
  return o;
}

// What every pipeline does on its first run: N workers open an empty cache.
TEST(CatalogOpen, EightProcessesOpenANewDatabaseTwentyRoundsWithoutAFailure) {
  testing::TempDir dir;
  int failures = 0;
  for (int round = 0; round < 20; ++round) {
    const std::string path = dir.file("new" + std::to_string(round) + ".db");
    failures += testing::run_processes(8, [&](int) {
      Result<std::unique_ptr<Catalog>> c =
          Catalog::Open(path, open_options(), util::Env::Default());
      if (!c.ok()) {
        fprintf(stderr, "open failed: %s\n", c.status().to_string().c_str());
        return 3;
      }
      // And the schema is really there for it.
      Status s = (*c)->read([](Database* db) { return totals(db).status(); });
      if (!s.ok()) fprintf(stderr, "read failed: %s\n", s.to_string().c_str());
      return s.ok() ? 0 : 4;
    });
  }
  EXPECT_EQ(failures, 0) << "of 160 first opens";
}

// Holds a write transaction on `path` from another process for `hold`.
class WriterProcess {
 public:
  WriterProcess(const std::string& path, const char* begin, std::chrono::milliseconds hold) {
    int ready[2];
    EXPECT_EQ(pipe(ready), 0);
    pid_ = fork();
    if (pid_ == 0) {
      sqlite3* db = nullptr;
      sqlite3_open(path.c_str(), &db);
      const int rc = sqlite3_exec(db, begin, nullptr, nullptr, nullptr);
      const char ok = rc == SQLITE_OK ? '1' : '0';
      (void)!write(ready[1], &ok, 1);
      std::this_thread::sleep_for(hold);
      sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
      sqlite3_close(db);
      _exit(0);
    }
    close(ready[1]);
    char ok = 0;
    EXPECT_EQ(read(ready[0], &ok, 1), 1);
    EXPECT_EQ(ok, '1') << "the writer took its lock";
    close(ready[0]);
  }
  ~WriterProcess() { waitpid(pid_, nullptr, 0); }

 private:
  pid_t pid_;
};

TEST(CatalogOpen, AnExistingDatabaseOpensWhileAnotherProcessHoldsALongWrite) {
  testing::TempDir dir;
  const std::string path = dir.file("busy.db");
  ASSERT_OK(Catalog::Open(path, open_options(), util::Env::Default()).status());
  WriterProcess writer(path, "BEGIN IMMEDIATE; INSERT INTO counters VALUES ('x', '', 1)",
                       std::chrono::milliseconds(1500));
  const auto t0 = std::chrono::steady_clock::now();
  Result<std::unique_ptr<Catalog>> c = Catalog::Open(path, open_options(), util::Env::Default());
  ASSERT_OK(c.status());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(1000))
      << "WAL readers need not wait for the writer";
  // A write waits for the other one and then goes through.
  ASSERT_OK((*c)->write("test", [](Database* db) { return add_counter(db, "y", "", 1); }));
}

// A file still in rollback mode, locked exclusively while another process
// creates it: the opener waits for the lock, then finishes the job.
TEST(CatalogOpen, ANewDatabaseOpensAfterAnotherProcessReleasesAnExclusiveLock) {
  testing::TempDir dir;
  const std::string path = dir.file("creating.db");
  WriterProcess writer(path, "BEGIN EXCLUSIVE; CREATE TABLE IF NOT EXISTS t (x); DROP TABLE t",
                       std::chrono::milliseconds(700));
  Result<std::unique_ptr<Catalog>> c = Catalog::Open(path, open_options(), util::Env::Default());
  ASSERT_OK(c.status());
  ASSERT_OK((*c)->read([](Database* db) { return totals(db).status(); }));
}

TEST(CatalogOpen, ALockHeldPastTheBusyTimeoutIsBusyNamingThePath) {
  testing::TempDir dir;
  const std::string path = dir.file("held.db");
  WriterProcess writer(path, "BEGIN EXCLUSIVE; CREATE TABLE IF NOT EXISTS t (x); DROP TABLE t",
                       std::chrono::milliseconds(1500));
  Database::OpenOptions o = open_options();
  o.busy_timeout = std::chrono::milliseconds(200);
  Result<std::unique_ptr<Catalog>> c = Catalog::Open(path, o, util::Env::Default());
  EXPECT_TRUE(c.status().is_busy()) << c.status().to_string();
  EXPECT_NE(c.status().message().find(path), std::string::npos) << c.status().message();
}

TEST(Catalog, WritesAreRefusedWhenReadOnly) {
  testing::TempDir dir;
  const std::string path = dir.file("ro.db");
  ASSERT_OK(Catalog::Open(path, open_options(), util::Env::Default()).status());
  Database::OpenOptions o = open_options();
  o.read_only = true;
  Result<std::unique_ptr<Catalog>> c = Catalog::Open(path, o, util::Env::Default());
  ASSERT_OK(c.status());
  bool ran = false;
  Status s = (*c)->write("test", [&](Database*) {
    ran = true;
    return Status::OK();
  });
  EXPECT_TRUE(s.is_invalid_argument()) << s.to_string();
  EXPECT_FALSE(ran);
  EXPECT_TRUE((*c)->check_writable().is_invalid_argument());
  EXPECT_TRUE((*c)->vacuum().is_invalid_argument());
}

TEST(Catalog, VacuumGivesFreedPagesBackAndEmptiesTheWal) {
  testing::TempDir dir;
  const std::string path = dir.file("v.db");
  Result<std::unique_ptr<Catalog>> c = Catalog::Open(path, open_options(), util::Env::Default());
  ASSERT_OK(c.status());
  ASSERT_OK((*c)->write("fill", [](Database* db) {
    Status s = db->exec("CREATE TABLE big (b BLOB)");
    for (int i = 0; s.ok() && i < 200; ++i)
      s = db->exec("INSERT INTO big VALUES (zeroblob(20000))");
    return s;
  }));
  ASSERT_OK((*c)->write("drop", [](Database* db) { return db->exec("DROP TABLE big"); }));
  ASSERT_OK((*c)->checkpoint("TRUNCATE"));
  const auto before = std::filesystem::file_size(path);
  ASSERT_OK((*c)->vacuum());
  EXPECT_LT(std::filesystem::file_size(path), before / 10);
  EXPECT_EQ(std::filesystem::file_size(path + "-wal"), 0u);
}

TEST(Catalog, AFailedCommitRollsTheWriteBack) {
  testing::TempDir dir;
  util::ManualEnv env;
  Result<std::unique_ptr<Catalog>> c = Catalog::Open(dir.file("f.db"), open_options(), &env);
  ASSERT_OK(c.status());
  env.fail_commits("count");
  Status s = (*c)->write("count", [](Database* db) { return add_counter(db, "n", "", 5); });
  EXPECT_TRUE(s.is_io_error()) << s.to_string();
  EXPECT_EQ(env.failed_commits(), 1);
  env.stop_failing();
  ASSERT_OK((*c)->write("count", [](Database* db) { return add_counter(db, "n", "", 1); }));
  int64_t n = -1;
  ASSERT_OK((*c)->read([&](Database* db) {
    Result<std::vector<Counter>> cs = counters(db);
    if (cs.ok() && cs->size() == 1) n = (*cs)[0].value;
    return cs.status();
  }));
  EXPECT_EQ(n, 1) << "the failed write left nothing";
}

TEST(Catalog, ANonVoxcacheFileIsRefusedAtOnceNotRetried) {
  testing::TempDir dir;
  const std::string path = dir.file("other.db");
  testing::raw_sql(path, "CREATE TABLE mine (x)");
  const auto t0 = std::chrono::steady_clock::now();
  Result<std::unique_ptr<Catalog>> c = Catalog::Open(path, open_options(), util::Env::Default());
  EXPECT_TRUE(c.status().is_invalid_argument()) << c.status().to_string();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(2));
}

}  // namespace
TEST(CatalogFile, APutIntoADatabaseDeletedWhileOpenFailsNamingThePath) {
  testing::TempDir dir;
  const std::string path = dir.file("gone.db");
  std::unique_ptr<Cache> c = testing::open_cache(path);
  ASSERT_NE(c, nullptr);
  ASSERT_OK(c->put(KeyBuilder("before").build(), Value(1.0)));
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  Status s = c->put(KeyBuilder("after").build(), Value(2.0));
  EXPECT_TRUE(s.is_io_error()) << s.to_string();
  EXPECT_NE(s.message().find(path + " was deleted while open"), std::string::npos) << s.message();
  c.reset();
  // Nothing pretended to be stored: a new database at the path is empty.
  std::unique_ptr<Cache> again = testing::open_cache(path);
  EXPECT_TRUE(again->get(KeyBuilder("after").build()).status().is_not_found());
}

TEST(CatalogFile, APutIntoADatabaseReplacedWhileOpenFails) {
  testing::TempDir dir;
  const std::string path = dir.file("swapped.db");
  std::unique_ptr<Cache> c = testing::open_cache(path);
  ASSERT_OK(c->put(KeyBuilder("before").build(), Value(1.0)));
  ASSERT_OK(testing::open_cache(dir.file("other.db"))->put(KeyBuilder("x").build(), Value(3.0)));
  std::filesystem::rename(dir.file("other.db"), path);
  Status s = c->put(KeyBuilder("after").build(), Value(2.0));
  EXPECT_TRUE(s.is_io_error()) << s.to_string();
  EXPECT_NE(s.message().find("was replaced by another file"), std::string::npos) << s.message();
}

}  // namespace voxcache::store
