// Crashes, full disks and a long mixed load: nothing committed is lost, no
// partial entry is ever visible, and the cache keeps working.
//
// VOXCACHE_CRASH_ITERATIONS sets the number of SIGKILL rounds (default 5; the
// heavy run in docs/reliability.md uses 50).

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <thread>

#include "test_support.h"
#include "voxcache/cache.h"

namespace voxcache {
namespace {

// The volume a crash-test writer stores for `seed`: 6 MiB, barely compressible,
// so a put takes long enough to be killed in the middle.
Volume crash_volume(int seed) {
  return testing::make_volume(PixelType::kUInt16, 1, {256, 192, 64}, 1000 + seed, false);
}

int nlohmann_seed(const std::string& meta);

TEST(Crash, SigkillDuringPutsLosesNothingCommittedAndLeavesNoPartialEntry) {
  testing::TempDir dir;
  const std::string path = dir.file("crash.db");
  ASSERT_OK(Cache::Open(path).status());
  const char* env = std::getenv("VOXCACHE_CRASH_ITERATIONS");
  const int rounds = env ? std::max(1, std::atoi(env)) : 5;
  std::mt19937 rng(12345);
  int seed = 0;
  std::set<std::string> committed;  // keys seen complete after earlier rounds
  for (int round = 0; round < rounds; ++round) {
    const int first = seed;
    seed += 1000;
    // The writer says on a pipe when each put has returned. The kill comes
    // a random while after its first one: into a later put at any point,
    // however fast this build makes the writer (a sanitized test body at
    // -O0 makes its volumes slowly, and a fixed wait then killed writers
    // that had committed nothing).
    int done[2];
    ASSERT_EQ(pipe(done), 0);
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(done[0]);
      Options o;
      o.compression_level = 1;
      auto c = Cache::Open(path, o);
      if (!c.ok()) _exit(3);
      for (int s = first;; ++s) {
        const Volume v = crash_volume(s);
        if (!(*c)->put(content_key(v), v, PutOptions{"{\"seed\": " + std::to_string(s) + "}"}).ok())
          _exit(4);
        if (write(done[1], "p", 1) != 1) _exit(5);
      }
    }
    close(done[1]);
    char byte = 0;
    const ssize_t got = read(done[0], &byte, 1);
    if (got == 1) std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 400));
    kill(pid, SIGKILL);
    close(done[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    ASSERT_EQ(got, 1) << "round " << round << ": the writer ended before its first put returned";
    ASSERT_TRUE(WIFSIGNALED(status)) << "round " << round << ": the writer ended on its own";

    Options o;
    o.memory_budget_bytes = 0;
    auto c = Cache::Open(path, o);
    ASSERT_OK(c.status());
    Result<std::vector<EntryInfo>> all = (*c)->admin().list();
    ASSERT_OK(all.status());
    std::set<std::string> now;
    for (const EntryInfo& e : *all) {
      now.insert(e.key.hex());
      ASSERT_OK((*c)->admin().verify(e.key));
      const int s = nlohmann_seed(e.metadata);
      Result<Value> v = (*c)->get(e.key);
      ASSERT_OK(v.status());
      ASSERT_EQ(*v->as_volume(), crash_volume(s)) << "seed " << s;
    }
    for (const std::string& k : committed) EXPECT_TRUE(now.count(k)) << "lost " << k;
    committed = now;
    EXPECT_EQ(testing::query_int(path,
                                 "SELECT count(*) FROM chunks WHERE operation_id NOT IN "
                                 "(SELECT operation_id FROM results)"),
              0)
        << "a killed put left chunk rows behind";
    EXPECT_EQ(testing::query_int(path, "SELECT entries FROM totals"),
              static_cast<int64_t>(all->size()));
  }
  EXPECT_GT(committed.size(), 0u);
}

// Metadata {"seed": N} -> N, without pulling a JSON parser into the test.
int nlohmann_seed(const std::string& meta) {
  return std::atoi(meta.substr(meta.find(':') + 1).c_str());
}

TEST(FullDisk, APutThatDoesNotFitFailsCleanlyAndTheCacheKeepsWorking) {
  testing::TempDir dir;
  Options o;
  o.max_database_bytes = 3 << 20;
  auto c = Cache::Open(dir.file("full.db"), o);
  ASSERT_OK(c.status());
  const Volume small =
      testing::make_volume(PixelType::kUInt8, 1, {64, 64, 64}, 1, false);  // 256 KiB
  ASSERT_OK((*c)->put(KeyBuilder("small").build(), small));
  const Volume big = testing::make_volume(PixelType::kUInt8, 1, {256, 256, 64}, 2, false);  // 4 MiB
  Status s = (*c)->put(KeyBuilder("big").build(), big);
  EXPECT_TRUE(s.is_io_error()) << s.to_string();
  EXPECT_NE(s.message().find("full"), std::string::npos) << s.message();
  EXPECT_TRUE((*c)->get(KeyBuilder("big").build()).status().is_not_found()) << "nothing partial";
  EXPECT_EQ(*(*c)->get(KeyBuilder("small").build())->as_volume(), small) << "earlier entry intact";
  ASSERT_OK((*c)->put(KeyBuilder("after").build(), Value(1.5)));  // still takes puts that fit
  ASSERT_OK((*c)->erase(KeyBuilder("small").build()));
  EXPECT_OK((*c)->admin().verify(KeyBuilder("after").build()));
}

// A real full file system: a tmpfs of 12 MiB, mounted where the test may
// (as root: CI and the developers' machines), filled up to the last byte.
class RealFullDisk : public ::testing::Test {
 protected:
  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "mounting a tmpfs needs root (CI runs as root)";
    const std::string opts = "size=12m";
    if (mount("tmpfs", dir_.path().c_str(), "tmpfs", 0, opts.c_str()) != 0) {
      GTEST_SKIP() << "cannot mount a tmpfs here: " << std::strerror(errno);
    }
    mounted_ = true;
  }
  void TearDown() override {
    if (mounted_) umount2(dir_.path().c_str(), MNT_DETACH);
  }
  // Fills the file system to its last byte.
  void fill() {
    std::FILE* f = std::fopen(dir_.file("ballast").c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::vector<char> block(64 << 10, 1);
    while (std::fwrite(block.data(), 1, block.size(), f) == block.size()) {
    }
    std::fclose(f);
    for (size_t n = 4096; n > 0; n /= 2) {  // the last pieces of the last block
      f = std::fopen(dir_.file("ballast").c_str(), "ab");
      while (std::fwrite(block.data(), 1, n, f) == n && std::fflush(f) == 0) {
      }
      std::fclose(f);
    }
  }
  testing::TempDir dir_;
  bool mounted_ = false;
};

TEST_F(RealFullDisk, ReadsWorkAndRmAndGcFreeSpace) {
  const std::string db = dir_.file("c.db");
  std::vector<OperationKey> keys;
  {
    std::unique_ptr<Cache> c = testing::open_cache(db);
    ASSERT_NE(c, nullptr);
    for (int i = 0; i < 3; ++i) {
      keys.push_back(KeyBuilder("noise").arg("i", i).build());
      ASSERT_OK(c->put(keys.back(),
                       testing::make_volume(PixelType::kUInt8, 1, {128, 64, 64}, i + 1, false)));
    }
  }  // closed: SQLite removed its -wal and -shm, which it needs back even to read
  ASSERT_TRUE(std::filesystem::exists(db + "-reserve"));
  fill();
  std::unique_ptr<Cache> c = testing::open_cache(db);
  ASSERT_NE(c, nullptr) << "a database on a full disk still opens";
  EXPECT_FALSE(std::filesystem::exists(db + "-reserve")) << "its room was given up for that";
  ASSERT_OK(c->admin().list().status());
  Result<Value> v = c->get(keys[0]);
  ASSERT_OK(v.status()) << "reads work";
  EXPECT_TRUE(*v->as_volume() ==
              testing::make_volume(PixelType::kUInt8, 1, {128, 64, 64}, 1, false));
  Status put = c->put(KeyBuilder("more").build(),
                      testing::make_volume(PixelType::kUInt8, 1, {256, 256, 64}, 9, false));
  EXPECT_TRUE(put.is_io_error()) << put.to_string();
  EXPECT_NE(put.message().find("the disk is full"), std::string::npos) << put.message();
  ASSERT_OK(c->erase(keys[1])) << "rm frees space on a full disk";
  Limits l;
  l.max_entries = 1;
  Result<GcReport> gc = c->admin().gc(l);
  ASSERT_OK(gc.status());
  EXPECT_EQ(gc->entries_left, 1u);
  EXPECT_OK(c->get(keys[0]).status()) << "the most recently used stays";
}

TEST(Wal, StaysBoundedUnderAContinuousMixedLoad) {
  testing::TempDir dir;
  const std::string path = dir.file("wal.db");
  Options o;
  o.wal_limit_bytes = 4 << 20;
  o.memory_budget_bytes = 0;
  auto c = Cache::Open(path, o);
  ASSERT_OK(c.status());
  std::atomic<bool> stop{false};
  std::atomic<int> reader_errors{0};
  const Volume seed_volume = testing::make_volume(PixelType::kUInt8, 1, {128, 128, 16}, 0, false);
  ASSERT_OK((*c)->put(KeyBuilder("w").arg("i", -1).build(), seed_volume));
  // Readers that overlap one another, so there is never a moment without one.
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      while (!stop) {
        if (!(*c)->get(KeyBuilder("w").arg("i", -1).build()).ok()) ++reader_errors;
      }
    });
  }
  uint64_t peak = 0;
  for (int i = 0; i < 120; ++i) {  // 120 x 256 KiB of incompressible writes: 30 MiB
    const Volume v = testing::make_volume(PixelType::kUInt8, 1, {128, 128, 16}, i + 1, false);
    ASSERT_OK((*c)->put(KeyBuilder("w").arg("i", i).build(), v));
    std::error_code ec;
    peak = std::max<uint64_t>(peak, std::filesystem::file_size(path + "-wal", ec));
  }
  stop = true;
  for (auto& t : readers) t.join();
  EXPECT_EQ(reader_errors.load(), 0);
  EXPECT_LT(peak, 3 * o.wal_limit_bytes) << "peak WAL " << peak;
}

}  // namespace
}  // namespace voxcache
