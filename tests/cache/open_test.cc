// Opening (cache/open.cc): the default path, option checks, what a missing
// file means, and databases on network file systems.

#include "cache/open.h"
#include "cache/entry_writer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "test_support.h"

namespace voxcache {
namespace {

TEST(DefaultPath, FollowsTheEnvironmentInOrder) {
  const char* names[] = {"VOXCACHE_DIR", "XDG_CACHE_HOME", "HOME"};
  std::string saved[3];
  bool had[3];
  for (int i = 0; i < 3; ++i) {
    const char* v = std::getenv(names[i]);
    had[i] = v != nullptr;
    if (v) saved[i] = v;
  }
  setenv("VOXCACHE_DIR", "/a", 1);
  setenv("XDG_CACHE_HOME", "/b", 1);
  setenv("HOME", "/c", 1);
  EXPECT_EQ(*Cache::DefaultPath(), "/a/cache.db");
  unsetenv("VOXCACHE_DIR");
  EXPECT_EQ(*Cache::DefaultPath(), "/b/voxcache/cache.db");
  setenv("XDG_CACHE_HOME", "", 1);
  EXPECT_EQ(*Cache::DefaultPath(), "/c/.cache/voxcache/cache.db");
  unsetenv("XDG_CACHE_HOME");
  unsetenv("HOME");
  EXPECT_TRUE(Cache::DefaultPath().status().is_invalid_argument());
  for (int i = 0; i < 3; ++i) {
    if (had[i]) setenv(names[i], saved[i].c_str(), 1);
  }
}

TEST(DatabaseOptions, BadOptionsAreInvalidArgument) {
  testing::TempDir dir;
  Options o;
  o.compression_level = 25;
  EXPECT_TRUE(cache::database_options(dir.file("c.db"), o).status().is_invalid_argument());
  o.compression_level = -2;
  EXPECT_TRUE(Cache::Open(dir.file("c.db"), o).status().is_invalid_argument());
  o = Options();
  o.threads = 5000;
  EXPECT_TRUE(cache::database_options(dir.file("c.db"), o).status().is_invalid_argument());
  EXPECT_TRUE(Cache::Open("").status().is_invalid_argument());
}

TEST(DatabaseOptions, AMissingFileIsNotFoundUnlessItMayBeCreated) {
  testing::TempDir dir;
  const std::string path = dir.file("sub/dir/c.db");
  Options o;
  o.create_if_missing = false;
  EXPECT_TRUE(Cache::Open(path, o).status().is_not_found());
  o.read_only = true;
  EXPECT_TRUE(Cache::Open(path, o).status().is_not_found());
  EXPECT_FALSE(std::filesystem::exists(dir.file("sub"))) << "nothing created";
  Result<store::Database::OpenOptions> open = cache::database_options(path, Options());
  ASSERT_OK(open.status());
  EXPECT_TRUE(std::filesystem::is_directory(dir.file("sub/dir"))) << "its directory is made";
  EXPECT_TRUE(open->create);
  EXPECT_FALSE(open->read_only);
}

TEST(DatabaseOptions, CarriesTheOptionsToTheDatabase) {
  testing::TempDir dir;
  Options o;
  o.busy_timeout = std::chrono::milliseconds(1234);
  o.max_sqlite_value_bytes = 65536;
  o.max_database_bytes = 1 << 30;
  o.wal_limit_bytes = 1 << 20;
  Result<store::Database::OpenOptions> open = cache::database_options(dir.file("c.db"), o);
  ASSERT_OK(open.status());
  EXPECT_EQ(open->busy_timeout, std::chrono::milliseconds(1234));
  EXPECT_EQ(open->max_value_bytes, 65536);
  EXPECT_EQ(open->max_database_bytes, uint64_t{1} << 30);
  EXPECT_EQ(open->wal_limit_bytes, uint64_t{1} << 20);
}

TEST(StoredConfig, FillsWhatTheProgramLeftToTheDatabase) {
  StoredConfig config;
  config.max_bytes = 10 << 20;
  config.max_age = std::chrono::hours(24);
  config.compression_level = 9;
  Options program;  // no limits, level -1
  program.max_entries = 50;
  const Options o = cache::apply_stored_config(program, config);
  EXPECT_EQ(o.max_bytes, uint64_t{10} << 20);
  EXPECT_EQ(o.max_entries, 50u) << "the program's own limit wins";
  EXPECT_EQ(o.max_age, std::chrono::hours(24));
  EXPECT_EQ(o.compression_level, 9);
  program.compression_level = 1;
  EXPECT_EQ(cache::apply_stored_config(program, config).compression_level, 1);
  EXPECT_EQ(cache::apply_stored_config(Options(), StoredConfig()).compression_level,
            cache::kAutoLevel)
      << "the automatic level when neither says";
}

// `voxcache config` in the library: stored once, honoured by every Cache
// opened on the database afterwards.
TEST(StoredConfig, IsStoredInTheDatabaseAndHonouredByLaterOpens) {
  testing::TempDir dir;
  const std::string path = dir.file("c.db");
  {
    auto c = testing::open_cache(path);
    Result<StoredConfig> none = c->admin().stored_config();
    ASSERT_OK(none.status());
    EXPECT_FALSE(none->max_entries || none->max_bytes || none->max_age || none->compression_level);
    StoredConfig config;
    config.max_entries = 3;
    config.compression_level = 7;
    ASSERT_OK(c->admin().set_stored_config(config));
    config.compression_level = 25;
    EXPECT_TRUE(c->admin().set_stored_config(config).is_invalid_argument());
  }
  auto c = testing::open_cache(path);
  EXPECT_EQ(c->admin().stored_config()->max_entries, 3u);
  EXPECT_EQ(c->admin().stored_config()->compression_level, 7);
  for (int i = 0; i < 6; ++i) ASSERT_OK(c->put(KeyBuilder("k").arg("i", i).build(), Value(i)));
  EXPECT_LE(c->admin().stored_stats()->entries, 3u) << "the stored max_entries holds";
  const OperationKey v = KeyBuilder("v").build();
  ASSERT_OK(c->put(v, testing::make_volume(PixelType::kInt16, 1, {30, 30, 30})));
  EXPECT_EQ(c->info(v)->level, 7) << "written at the stored level";
  ASSERT_OK(c->admin().set_stored_config(StoredConfig()));
  EXPECT_FALSE(testing::open_cache(path)->admin().stored_config()->max_entries) << "unset";
}

}  // namespace
}  // namespace voxcache

namespace voxcache {
namespace {

// A database on a network file system: refused with the fixes named, unless
// allowed; statfs's answer injected through the Env (no NFS server here).
TEST(NetworkFilesystem, IsRefusedWithTheFixUnlessAllowed) {
  testing::TempDir dir;
  const std::string path = dir.file("sub/cache.db");
  unsetenv("VOXCACHE_ALLOW_NETWORK_FS");
  struct Case {
    uint64_t magic;
    const char* name;
  };
  for (const Case& c :
       {Case{0x6969, "NFS"}, Case{0xFF534D42, "CIFS/SMB"}, Case{0x0BD00BD0, "Lustre"},
        Case{0x47504653, "GPFS"}, Case{0x00C36400, "CephFS"}}) {
    util::ManualEnv env;
    env.set_filesystem_type(c.magic);
    Result<std::unique_ptr<Cache>> refused = cache::OpenCache(path, Options(), &env);
    ASSERT_TRUE(refused.status().is_not_supported()) << refused.status().to_string();
    const std::string m = refused.status().message();
    EXPECT_NE(m.find(std::string("is on ") + c.name), std::string::npos) << m;
    EXPECT_NE(m.find("VOXCACHE_DIR"), std::string::npos) << m;
    EXPECT_NE(m.find("--remote"), std::string::npos) << m;
    EXPECT_NE(m.find("VOXCACHE_ALLOW_NETWORK_FS=1"), std::string::npos) << m;
    EXPECT_FALSE(std::filesystem::exists(path)) << "nothing created";
    // Read-only too: a WAL reader needs the same shared memory.
    Options ro;
    ro.read_only = true;
    EXPECT_FALSE(cache::OpenCache(path, ro, &env).ok());
  }
  util::ManualEnv nfs;
  nfs.set_filesystem_type(0x6969);
  Options allowed;
  allowed.allow_network_filesystem = true;
  {
    auto c = cache::OpenCache(path, allowed, &nfs);
    ASSERT_TRUE(c.ok()) << c.status().to_string();
    ASSERT_TRUE((*c)->put(KeyBuilder("x").build(), Value(1.5)).ok());
  }
  // Once the file exists, its own file system is asked.
  EXPECT_TRUE(cache::OpenCache(path, Options(), &nfs).status().is_not_supported());
  setenv("VOXCACHE_ALLOW_NETWORK_FS", "1", 1);
  {
    auto c = cache::OpenCache(path, Options(), &nfs);
    ASSERT_TRUE(c.ok()) << c.status().to_string();
    EXPECT_EQ(*(*c)->get(KeyBuilder("x").build())->as_double(), 1.5);
  }
  setenv("VOXCACHE_ALLOW_NETWORK_FS", "0", 1);  // only "1" allows
  EXPECT_TRUE(cache::OpenCache(path, Options(), &nfs).status().is_not_supported());
  unsetenv("VOXCACHE_ALLOW_NETWORK_FS");
}

// The file systems this machine mounts are local: /tmp's and tmpfs (/dev/shm)
// open as they always did, through the real statfs.
TEST(NetworkFilesystem, LocalFileSystemsOpen) {
  testing::TempDir dir;
  EXPECT_TRUE(Cache::Open(dir.file("cache.db")).ok());
  EXPECT_FALSE(
      util::network_filesystem_name(*util::Env::Default()->filesystem_type(dir.path().string())));
  if (std::filesystem::is_directory("/dev/shm")) {
    const std::string shm = "/dev/shm/voxcache-open-test-" + std::to_string(::getpid());
    {
      auto c = Cache::Open(shm + "/cache.db");
      EXPECT_TRUE(c.ok()) << c.status().to_string();
    }
    EXPECT_EQ(*util::Env::Default()->filesystem_type("/dev/shm"), 0x01021994u);  // TMPFS_MAGIC
    std::filesystem::remove_all(shm);
  }
  EXPECT_EQ(util::network_filesystem_name(0xEF53), std::nullopt);      // ext4
  EXPECT_EQ(util::network_filesystem_name(0x58465342), std::nullopt);  // XFS
  EXPECT_EQ(*util::network_filesystem_name(0x6969), "NFS");
}

}  // namespace
}  // namespace voxcache
