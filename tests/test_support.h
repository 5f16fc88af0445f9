// Helpers shared by the voxcache tests: temporary directories, status
// assertions and deterministic test volumes.

#ifndef VOXCACHE_TESTS_TEST_SUPPORT_H_
#define VOXCACHE_TESTS_TEST_SUPPORT_H_

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "voxcache/cache.h"
#include "voxcache/status.h"
#include "voxcache/volume.h"

// ASSERT_OK(s) << "more context" works as ASSERT_TRUE does.
#define ASSERT_OK(expr) ASSERT_TRUE(::voxcache::testing::IsOk(expr)) << #expr
#define EXPECT_OK(expr) EXPECT_TRUE(::voxcache::testing::IsOk(expr)) << #expr

namespace voxcache::testing {

inline ::testing::AssertionResult IsOk(const Status& s) {
  if (s.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << s.to_string();
}

// A fresh directory under the system temp dir, removed with its contents.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "voxcache-test-XXXXXX").string();
    path_ = mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Geometry with every field distinct and not exactly representable in float,
// so a lossy round-trip shows.
inline Geometry odd_geometry() {
  Geometry g;
  g.spacing = {0.7, 1.1, 2.3000000000000003};
  g.origin = {-90.125, 126.1, -72.00000000001};
  g.direction = {-1.0, 0.0, 0.0, 0.0, -0.9999999, 1e-7, 0.0, 1e-7, 0.9999999};
  return g;
}

// Deterministic pseudo-random voxels; `smooth` makes them compressible.
inline Volume make_volume(PixelType type, uint32_t components, std::array<uint64_t, 3> size,
                          uint32_t seed = 1, bool smooth = true) {
  VolumeLayout layout;
  layout.pixel_type = type;
  layout.components = components;
  layout.size = size;
  layout.geometry = odd_geometry();
  Result<Volume> v = Volume::Create(layout);
  EXPECT_TRUE(v.ok()) << v.status().to_string();
  std::mt19937_64 rng(seed);
  uint8_t* p = v->mutable_data();
  const size_t elem = pixel_type_size(type);
  for (uint64_t i = 0; i < v->byte_size(); ++i) {
    // Smooth: only the low byte of each element varies slowly.
    p[i] = smooth ? static_cast<uint8_t>((i % elem == 0) ? (i / 97) % 7 : 0)
                  : static_cast<uint8_t>(rng());
  }
  return std::move(v).value();
}

// Image-like voxels: a finite ramp with structure, the same for every pixel
// type (random bytes would be NaNs in float volumes, which some file formats
// do not carry bit for bit).
inline Volume make_ramp_volume(PixelType type, uint32_t components, std::array<uint64_t, 3> size) {
  Volume v = make_volume(type, components, size);
  const uint64_t n = v.voxel_count() * components;
  auto fill = [&](auto* p) {
    using T = std::remove_pointer_t<decltype(p)>;
    for (uint64_t i = 0; i < n; ++i) p[i] = static_cast<T>((i * 7 + i / 13) % 120) / T(2);
  };
  visit_pixel_type(type, [&](auto t) { fill(v.mutable_pixels<decltype(t)>()); });
  return v;
}

// Voxels [start, start + size) of `v`, cut voxel row by voxel row: the
// reference region and slice reads are compared with.
inline Volume cut(const Volume& v, std::array<uint64_t, 3> start, std::array<uint64_t, 3> size) {
  VolumeLayout l = v.layout();
  l.size = size;
  Volume out = Volume::Create(l).value();
  const uint64_t vb = pixel_type_size(v.pixel_type()) * v.components();
  for (uint64_t z = 0; z < size[2]; ++z)
    for (uint64_t y = 0; y < size[1]; ++y) {
      const uint64_t src = ((start[2] + z) * v.size()[1] + start[1] + y) * v.size()[0] + start[0];
      std::memcpy(out.mutable_data() + ((z * size[1] + y) * size[0]) * vb, v.data() + src * vb,
                  size[0] * vb);
    }
  return out;
}

// A Cache on `path`, or nullptr after a test failure naming the status.
inline std::unique_ptr<Cache> open_cache(const std::string& path, const Options& o = Options()) {
  Result<std::unique_ptr<Cache>> c = Cache::Open(path, o);
  EXPECT_TRUE(c.ok()) << c.status().to_string();
  return c.ok() ? std::move(c).value() : nullptr;
}

// A raw connection to a database file, behind the cache's back. It waits
// for locks as the library's connections do (10 s): without that, a read
// that met another process's write (a worker taking its claim) failed with
// SQLITE_BUSY, one run in about twenty of SingleFlightTest's killed worker
// under ctest -j2.
inline sqlite3* open_raw(const std::string& db_path) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open(db_path.c_str(), &db), SQLITE_OK);
  sqlite3_busy_timeout(db, 10000);
  return db;
}

// The first column of the first row of `sql`, read behind the cache's back.
inline int64_t query_int(const std::string& db_path, const std::string& sql) {
  sqlite3* db = open_raw(db_path);
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sql;
  EXPECT_EQ(sqlite3_step(st), SQLITE_ROW) << sql;
  const int64_t v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

// A cache that cuts volumes into many small chunks read from disk every
// time (4 KiB chunks, 2 threads, no in-memory tier), and a 37x23x41 int16
// volume whose 1702-byte z-slices fall two to a chunk.
class SmallChunkCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Options o;
    o.chunk_bytes = 4096;
    o.threads = 2;
    o.memory_budget_bytes = 0;
    cache_ = open_cache(dir_.file("small-chunks.db"), o);
  }
  TempDir dir_;
  std::unique_ptr<Cache> cache_;
  const Volume volume_ = make_ramp_volume(PixelType::kInt16, 1, {37, 23, 41});
};

// Forks `n` processes that each run `child(i)` and exit with what it
// returns; returns how many did not exit with 0.
template <typename Fn>
int run_processes(int n, Fn child) {
  std::vector<pid_t> kids;
  for (int i = 0; i < n; ++i) {
    const pid_t pid = fork();
    if (pid == 0) _exit(child(i));
    kids.push_back(pid);
  }
  int failed = 0;
  for (pid_t pid : kids) {
    int status = 0;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failed;
  }
  return failed;
}

// Appends a line naming this process to `log`: how tests count computations
// across processes.
inline void log_computation(const std::string& log) {
  std::ofstream(log, std::ios::app) << getpid() << "\n";
}

// `n` processes each open a cache with open(i) and get_or_compute `key`,
// whose computation logs itself to `log` and takes 400 ms, so the others
// arrive while it runs. Returns how many processes failed; count_lines(log)
// is how many computed.
inline int memoize_in_processes(int n,
                                const std::function<Result<std::unique_ptr<Cache>>(int)>& open,
                                const OperationKey& key, const std::string& log) {
  return run_processes(n, [&](int i) {
    Result<std::unique_ptr<Cache>> c = open(i);
    if (!c.ok()) return 3;
    Result<Value> v = (*c)->get_or_compute(key, [&]() -> Result<Value> {
      log_computation(log);
      std::this_thread::sleep_for(std::chrono::milliseconds(400));
      return Value(int64_t{7});
    });
    return v.ok() && *v->as_int64() == 7 ? 0 : 4;
  });
}

// Lines in a file; 0 when it does not exist.
inline int count_lines(const std::string& path) {
  std::ifstream in(path);
  int n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}

// Runs one SQL statement against a database file behind the cache's back.
inline void raw_sql(const std::string& db_path, const std::string& sql) {
  sqlite3* db = open_raw(db_path);
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  const std::string msg = err ? err : "";
  sqlite3_free(err);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << sql << ": " << msg;
}

// XORs byte `offset` of column `data` in the rows of `table` matching `where`.
inline void flip_blob_byte(const std::string& db_path, const std::string& table,
                           const std::string& where, size_t offset, uint8_t mask = 0x01) {
  sqlite3* db = open_raw(db_path);
  sqlite3_stmt* sel = nullptr;
  const std::string q = "SELECT rowid, data FROM " + table + " WHERE " + where;
  ASSERT_EQ(sqlite3_prepare_v2(db, q.c_str(), -1, &sel, nullptr), SQLITE_OK) << q;
  int rows = 0;
  while (sqlite3_step(sel) == SQLITE_ROW) {
    const int64_t rowid = sqlite3_column_int64(sel, 0);
    std::string blob(static_cast<const char*>(sqlite3_column_blob(sel, 1)),
                     sqlite3_column_bytes(sel, 1));
    ASSERT_LT(offset, blob.size());
    blob[offset] = static_cast<char>(blob[offset] ^ mask);
    sqlite3_stmt* upd = nullptr;
    const std::string u = "UPDATE " + table + " SET data = ?1 WHERE rowid = ?2";
    ASSERT_EQ(sqlite3_prepare_v2(db, u.c_str(), -1, &upd, nullptr), SQLITE_OK);
    sqlite3_bind_blob(upd, 1, blob.data(), static_cast<int>(blob.size()), SQLITE_TRANSIENT);
    sqlite3_bind_int64(upd, 2, rowid);
    ASSERT_EQ(sqlite3_step(upd), SQLITE_DONE);
    sqlite3_finalize(upd);
    ++rows;
  }
  sqlite3_finalize(sel);
  sqlite3_close(db);
  ASSERT_GT(rows, 0) << "no row matched " << where;
}

}  // namespace voxcache::testing

#endif  // VOXCACHE_TESTS_TEST_SUPPORT_H_
