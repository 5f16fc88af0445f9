// Damaged and foreign files through the Cache (cache.cc): every damage to an
// entry is Corruption naming the entry (and the chunk), never wrong data; a
// file that is not a voxcache database of this version is refused untouched.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "cache/cache_fixture.h"
#include "test_support.h"

namespace voxcache {
namespace {

using testing::make_volume;
using testing::raw_sql;

// --- corruption: each a clear status naming the entry, never wrong data ----

class CorruptionTest : public CacheTest {
 protected:
  void SetUp() override {
    auto c = open();
    ASSERT_OK(c->put(key_, volume_));
    ASSERT_GT(c->info(key_)->chunk_count, 2u);
  }
  Status read_back() {
    auto c = open();
    Result<Value> v = c->get(key_);
    EXPECT_FALSE(v.ok()) << "corrupted entry was returned";
    return v.status();
  }
  const OperationKey key_ = KeyBuilder("victim").build();
  const Volume volume_ = make_volume(PixelType::kUInt16, 1, {181, 217, 60});
};

TEST_F(CorruptionTest, FlippedChunkByteIsCorruptionNamingKeyAndChunk) {
  testing::flip_blob_byte(path_, "chunks", "chunk_index = 1", 99);
  Status s = read_back();
  EXPECT_TRUE(s.is_corruption()) << s.to_string();
  EXPECT_NE(s.message().find(key_.hex()), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("chunk 1"), std::string::npos) << s.message();
}

TEST_F(CorruptionTest, TruncatedChunkIsCorruption) {
  raw_sql(path_,
          "UPDATE chunks SET data = substr(data, 1, length(data) - 10) WHERE chunk_index = 2");
  Status s = read_back();
  EXPECT_TRUE(s.is_corruption()) << s.to_string();
  EXPECT_NE(s.message().find("chunk 2"), std::string::npos) << s.message();
}

TEST_F(CorruptionTest, MissingChunkRowIsCorruption) {
  raw_sql(path_, "DELETE FROM chunks WHERE chunk_index = 1");
  Status s = read_back();
  EXPECT_TRUE(s.is_corruption()) << s.to_string();
  EXPECT_NE(s.message().find("chunk 1 is missing"), std::string::npos) << s.message();
}

TEST_F(CorruptionTest, AnEntryCopiedOntoAnotherKeyInSqliteIsCorruption) {
  const OperationKey other = KeyBuilder("other").build();
  ASSERT_OK(open()->put(other, make_volume(PixelType::kUInt16, 1, {181, 217, 60}, 7)));
  const std::string a = "'" + key_.hex() + "'", b = "'" + other.hex() + "'";
  raw_sql(path_, "UPDATE results SET data = (SELECT data FROM results WHERE operation_id = " + a +
                     ") WHERE operation_id = " + b);
  raw_sql(path_, "DELETE FROM chunks WHERE operation_id = " + b);
  raw_sql(path_, "INSERT INTO chunks SELECT " + b +
                     ", chunk_index, data FROM chunks WHERE operation_id = " + a);
  auto c = open();
  Result<Value> v = c->get(other);
  EXPECT_TRUE(v.status().is_corruption()) << v.status().to_string();
  EXPECT_NE(v.status().message().find("written for key " + key_.hex()), std::string::npos)
      << v.status().message();
  EXPECT_TRUE(c->admin().verify(other).is_corruption());
  EXPECT_OK(c->admin().verify(key_));
}

TEST_F(CorruptionTest, ExtraChunkRowIsCorruption) {
  raw_sql(path_,
          "INSERT INTO chunks SELECT operation_id, 999, data FROM chunks WHERE chunk_index = 0");
  EXPECT_TRUE(read_back().is_corruption());
}

TEST_F(CorruptionTest, UnknownCodecIsCorruption) {
  raw_sql(path_, "UPDATE chunks SET data = X'07' || substr(data, 2) WHERE chunk_index = 0");
  Status s = read_back();
  EXPECT_TRUE(s.is_corruption()) << s.to_string();
  EXPECT_NE(s.message().find("unknown chunk codec 7"), std::string::npos) << s.message();
}

TEST_F(CorruptionTest, WrongDataTypeIsCorruption) {
  raw_sql(path_, "UPDATE results SET data_type = 'float64'");
  Status s = read_back();
  EXPECT_TRUE(s.is_corruption()) << s.to_string();
  EXPECT_NE(s.message().find("contradicts"), std::string::npos) << s.message();
}

TEST_F(CorruptionTest, DamagedHeaderIsCorruption) {
  testing::flip_blob_byte(path_, "results", "1", 20, 0xff);
  EXPECT_TRUE(read_back().is_corruption());
  raw_sql(path_, "UPDATE results SET data = substr(data, 1, 30)");
  EXPECT_TRUE(read_back().is_corruption());
  auto c = open();
  EXPECT_TRUE(c->info(key_).status().is_corruption());
}

TEST_F(CorruptionTest, SwappedChunksAreCaughtByChecksums) {
  raw_sql(path_,
          "UPDATE chunks SET chunk_index = -1 WHERE chunk_index = 0;"
          "UPDATE chunks SET chunk_index = 0 WHERE chunk_index = 1;"
          "UPDATE chunks SET chunk_index = 1 WHERE chunk_index = -1;");
  // Same sizes, valid frames: only the checksums can tell.
  Status s = read_back();
  EXPECT_TRUE(s.is_corruption()) << s.to_string();
}

TEST_F(CacheTest, NewerSchemaVersionIsNotSupported) {
  open();
  raw_sql(path_, "PRAGMA user_version = 9");
  Result<std::unique_ptr<Cache>> c = Cache::Open(path_);
  EXPECT_TRUE(c.status().is_not_supported()) << c.status().to_string();
  EXPECT_NE(c.status().message().find("schema version 9"), std::string::npos);
}

TEST_F(CacheTest, AFileThatIsNotSQLiteIsCorruption) {
  std::filesystem::create_directories(std::filesystem::path(path_).parent_path());
  std::ofstream(path_) << std::string(8192, 'z');
  Result<std::unique_ptr<Cache>> c = Cache::Open(path_);
  EXPECT_TRUE(c.status().is_corruption()) << c.status().to_string();
}

TEST_F(CacheTest, AnotherApplicationsDatabaseIsRejected) {
  std::filesystem::create_directories(std::filesystem::path(path_).parent_path());
  raw_sql(path_, "CREATE TABLE mine (x)");
  Result<std::unique_ptr<Cache>> c = Cache::Open(path_);
  EXPECT_TRUE(c.status().is_invalid_argument())
      << "the wrong file, not a damaged one: " << c.status().to_string();
  EXPECT_NE(c.status().message().find("not a voxcache database"), std::string::npos);
  EXPECT_EQ(query_int("SELECT count(*) FROM sqlite_master"), 1) << "the file was not touched";
  Options ro;
  ro.read_only = true;
  EXPECT_TRUE(Cache::Open(path_, ro).status().is_invalid_argument());
  raw_sql(path_, "PRAGMA application_id = 7; PRAGMA user_version = 3");
  c = Cache::Open(path_);
  EXPECT_TRUE(c.status().is_invalid_argument()) << c.status().to_string();
  EXPECT_NE(c.status().message().find("application_id 7"), std::string::npos);
}

}  // namespace
}  // namespace voxcache
