// The Redis tier (tier/redis_tier.cc) against a real redis-server: entries
// in and out, chunks stored once, an evicted chunk is a miss, a changed
// chunk is Corruption.

#include "tier/redis_tier.h"

#include <gtest/gtest.h>

#include "test_support.h"
#include "tier/redis_server.h"

namespace voxcache::tier {
namespace {

class RedisTierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<testing::RedisServer>(dir_.path().string());
    pool_ = std::make_unique<RedisPool>(*parse_redis_url(server_->url()),
                                        std::chrono::milliseconds(1000));
    tier_ = std::make_unique<RedisTier>(pool_.get());
  }
  Entry row(const std::string& id, int64_t chunks) {
    Entry r;
    r.id = id;
    r.data = std::string("hdr\0er", 6);
    r.data_type = "volume";
    r.created_at_ms = 1234;
    r.size_bytes = 99;
    r.chunk_count = chunks;
    r.codec = "zstd";
    r.level = 3;
    r.checksum = "xxh3-128:00";
    r.metadata = "{\"a\":1}";
    r.operation = "blur";
    r.inputs = {std::string(64, 'f')};
    return r;
  }
  void write(const std::string& id, const std::vector<std::string>& chunks) {
    auto sink = std::move(tier_->create(id, false)).value();
    ASSERT_FALSE(sink->present());
    for (size_t i = 0; i < chunks.size(); ++i) ASSERT_OK(sink->add_chunk(i, chunks[i]));
    ASSERT_OK(sink->commit(row(id, static_cast<int64_t>(chunks.size()))));
  }
  int64_t keys(const std::string& pattern) {
    auto c = std::move(pool_->acquire()).value();
    return static_cast<int64_t>(c->command({"KEYS", pattern})->size());
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::RedisServer> server_;
  std::unique_ptr<RedisPool> pool_;
  std::unique_ptr<RedisTier> tier_;
  const std::string a_ = std::string(64, 'a'), b_ = std::string(64, 'b');
};

TEST_F(RedisTierTest, AnEntryComesBackAsItWentInWithItsColumns) {
  const std::vector<std::string> chunks = {std::string(3000, 'x'), std::string("\0\1\2", 3),
                                           "last"};
  write(a_, chunks);
  EXPECT_TRUE(*tier_->contains(a_));
  EXPECT_FALSE(*tier_->contains(b_));
  auto src = std::move(tier_->open(a_)).value();
  const Entry& r = src->entry();
  EXPECT_EQ(r.data, std::string("hdr\0er", 6));
  EXPECT_EQ(r.metadata, "{\"a\":1}");
  EXPECT_EQ(r.operation, "blur");
  EXPECT_EQ(r.inputs, std::vector<std::string>{std::string(64, 'f')});
  EXPECT_EQ(r.created_at_ms, 1234);
  EXPECT_FALSE(r.recipe) << "absent stays absent";
  EXPECT_EQ(*src->stored_chunks(), 3u);
  ASSERT_OK(src->seek(0, 3));
  for (const std::string& c : chunks) EXPECT_EQ(*src->next_chunk(), c);
  EXPECT_EQ(*src->next_chunk(), "");
  EXPECT_TRUE(tier_->open(b_).status().is_not_found());
  EXPECT_TRUE((*tier_->create(a_, false))->present());
}

TEST_F(RedisTierTest, IdenticalChunksOfTwoEntriesAreStoredOnce) {
  const std::string shared(5000, 's');
  write(a_, {shared, "only a"});
  write(b_, {shared, "only b"});
  EXPECT_EQ(keys("voxcache:chunk:*"), 3);
  EXPECT_EQ(keys("voxcache:entry:*"), 2);
  EXPECT_TRUE(*tier_->erase(a_));
  EXPECT_FALSE(*tier_->erase(a_));
  auto src = std::move(tier_->open(b_)).value();
  ASSERT_OK(src->seek(0, 2));
  EXPECT_EQ(*src->next_chunk(), shared) << "b keeps the chunk a shared";
  ASSERT_EQ(tier_->list("", -1)->size(), 1u);
  EXPECT_EQ((*tier_->list("bbbb", -1))[0].id, b_);
}

TEST_F(RedisTierTest, AManifestWhoseChunkWasEvictedIsAMiss) {
  write(a_, {"one", "two"});
  auto c = std::move(pool_->acquire()).value();
  ASSERT_OK(c->command({"DEL", RedisTier::chunk_key(RedisTier::chunk_hash("two"))}).status());
  Result<std::unique_ptr<EntrySource>> src = tier_->open(a_);
  EXPECT_TRUE(src.status().is_not_found()) << src.status().to_string();
  EXPECT_FALSE(*tier_->contains(a_));
  EXPECT_FALSE((*tier_->create(a_, false))->present()) << "so a put writes it again";
}

TEST_F(RedisTierTest, AChunkEvictedWhileReadingIsAMissToo) {
  write(a_, {"one", "two"});
  auto src = std::move(tier_->open(a_)).value();
  auto c = std::move(pool_->acquire()).value();
  ASSERT_OK(c->command({"DEL", RedisTier::chunk_key(RedisTier::chunk_hash("one"))}).status());
  ASSERT_OK(src->seek(0, 2));
  EXPECT_TRUE(src->next_chunk().status().is_not_found());
}

TEST_F(RedisTierTest, AChunkChangedInRedisIsCorruption) {
  write(a_, {"precious voxels"});
  auto c = std::move(pool_->acquire()).value();
  ASSERT_OK(c->command({"SETRANGE", RedisTier::chunk_key(RedisTier::chunk_hash("precious voxels")),
                        "3", "X"})
                .status());
  auto src = std::move(tier_->open(a_)).value();
  ASSERT_OK(src->seek(0, 1));
  Result<std::string_view> blob = src->next_chunk();
  EXPECT_TRUE(blob.status().is_corruption()) << blob.status().to_string();
}

}  // namespace
}  // namespace voxcache::tier
