// A read-only shared archive: a cache in a directory the user cannot write,
// read by the real binary as another user (`nobody` when the tests run as
// root, which ignores permissions; otherwise the directory is made read-only).

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/cli_support.h"
#include "test_support.h"
#include "voxcache/cache.h"
#include "voxcache/itk.h"

namespace voxcache {
namespace {

constexpr uid_t kNobody = 65534;

// Runs the CLI with `args` as a user who cannot write the archive; its
// output goes through `scratch`, a directory that user can write.
testing::CliRun run_as_reader(const std::string& args, const std::string& scratch) {
  const std::string out = scratch + "/out.txt";
  const pid_t pid = fork();
  if (pid == 0) {
    if (geteuid() == 0 && (setgid(kNobody) != 0 || setuid(kNobody) != 0)) _exit(99);
    const std::string cmd = std::string(VOXCACHE_CLI) + " " + args + " >" + out + " 2>&1";
    execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    _exit(98);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  std::ifstream in(out);
  std::stringstream text;
  text << in.rdbuf();
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text.str()};
}

class CliArchiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    namespace fs = std::filesystem;
    fs::permissions(dir_.path(), fs::perms(0755));
    fs::create_directory(archive_);
    fs::create_directory(scratch_);
    fs::permissions(scratch_, fs::perms(0777));
    {
      auto c = testing::open_cache(db_);
      ASSERT_OK(c->put(key_, volume_));
    }  // the last connection merges the WAL and removes -wal and -shm
    ASSERT_FALSE(fs::exists(db_ + "-wal"));
    ASSERT_FALSE(fs::exists(db_ + "-shm"));
    if (geteuid() != 0) fs::permissions(archive_, fs::perms(0555));
  }
  void TearDown() override { std::filesystem::permissions(archive_, std::filesystem::perms(0755)); }

  testing::TempDir dir_;
  const std::string archive_ = dir_.file("archive");
  const std::string scratch_ = dir_.file("scratch");
  const std::string db_ = archive_ + "/cache.db";
  const Volume volume_ = testing::make_ramp_volume(PixelType::kInt16, 1, {20, 16, 12});
  const OperationKey key_ = KeyBuilder("archived").build();
};

TEST_F(CliArchiveTest, ReadCommandsWorkInADirectoryTheUserCannotWrite) {
  for (const std::string& read :
       {std::string("--read-only ls"), std::string("ls"), std::string("stats --json"),
        "show " + key_.hex(), "verify " + key_.hex(),
        "export " + key_.hex() + " " + scratch_ + "/copy.nrrd"}) {
    testing::CliRun r = run_as_reader("--db " + db_ + " " + read, scratch_);
    EXPECT_EQ(r.code, 0) << read << ": " << r.out;
  }
  Result<Volume> copy = read_image(scratch_ + "/copy.nrrd");
  ASSERT_OK(copy.status());
  ASSERT_EQ(copy->byte_size(), volume_.byte_size());
  EXPECT_EQ(std::memcmp(copy->data(), volume_.data(), volume_.byte_size()), 0);
  EXPECT_FALSE(std::filesystem::exists(db_ + "-shm")) << "nothing was created in the archive";
  EXPECT_FALSE(std::filesystem::exists(db_ + "-wal"));
}

TEST_F(CliArchiveTest, WriteCommandsFailClearlyAndChangeNothing) {
  const auto before = std::filesystem::last_write_time(db_);
  testing::CliRun r = run_as_reader("--db " + db_ + " rm " + key_.hex(), scratch_);
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("not writable"), std::string::npos) << r.out;
  EXPECT_EQ(std::filesystem::last_write_time(db_), before);
  EXPECT_EQ(run_as_reader("--db " + db_ + " show " + key_.hex(), scratch_).code, 0);
}

// A -wal with changes not yet merged cannot be read without a -shm, which the
// reader cannot create: a clear error, never stale data in silence.
TEST_F(CliArchiveTest, AnUnmergedWalIsAClearErrorNotStaleData) {
  namespace fs = std::filesystem;
  fs::permissions(archive_, fs::perms(0755));
  const std::string live = dir_.file("live.db");
  auto writer = testing::open_cache(live);
  ASSERT_OK(writer->put(KeyBuilder("recent").build(), Value(1.5)));
  ASSERT_GT(fs::file_size(live + "-wal"), 0u);
  fs::copy_file(live, db_, fs::copy_options::overwrite_existing);
  fs::copy_file(live + "-wal", db_ + "-wal");
  if (geteuid() != 0) fs::permissions(archive_, fs::perms(0555));
  testing::CliRun r = run_as_reader("--db " + db_ + " ls", scratch_);
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_NE(r.out.find("-wal"), std::string::npos) << r.out;
}

}  // namespace
}  // namespace voxcache
