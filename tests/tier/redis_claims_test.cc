// Claims and INFO in Redis (tier/redis_claims.cc) against a real
// redis-server: SET NX PX takes a claim once, only its owner renews or
// releases it, Redis expires it, and the server's memory figures parse.

#include "tier/redis_claims.h"

#include <gtest/gtest.h>

#include <thread>

#include "test_support.h"
#include "tier/redis_server.h"

namespace voxcache::tier {
namespace {

class RedisClaimsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_ = std::make_unique<testing::RedisServer>(dir_.path().string());
    pool_ = std::make_unique<RedisPool>(*parse_redis_url(server_->url()),
                                        std::chrono::milliseconds(1000));
  }
  testing::TempDir dir_;
  std::unique_ptr<testing::RedisServer> server_;
  std::unique_ptr<RedisPool> pool_;
  const std::string id_ = std::string(64, 'e');
};

TEST_F(RedisClaimsTest, OneHolderAndOnlyItRenewsOrReleases) {
  RedisClaims claims(pool_.get());
  std::string holder;
  Result<bool> got = claims.try_claim(id_, "m1:1", 0, 60000, &holder);
  ASSERT_OK(got.status());
  EXPECT_TRUE(*got);
  got = claims.try_claim(id_, "m2:7", 0, 60000, &holder);
  ASSERT_OK(got.status());
  EXPECT_FALSE(*got);
  EXPECT_EQ(holder, "m1:1");
  Result<bool> r = claims.renew_for(id_, "m2:7", 60000);
  ASSERT_OK(r.status());
  EXPECT_FALSE(*r) << "not m2's to renew";
  r = claims.release_owned(id_, "m2:7");
  ASSERT_OK(r.status());
  EXPECT_FALSE(*r);
  r = claims.renew_for(id_, "m1:1", 60000);
  ASSERT_OK(r.status());
  EXPECT_TRUE(*r);
  r = claims.release_owned(id_, "m1:1");
  ASSERT_OK(r.status());
  EXPECT_TRUE(*r);
  got = claims.try_claim(id_, "m2:7", 0, 60000, &holder);
  ASSERT_OK(got.status());
  EXPECT_TRUE(*got);
}

TEST_F(RedisClaimsTest, RedisExpiresAClaimNobodyRenews) {
  RedisClaims claims(pool_.get());
  std::string holder;
  ASSERT_TRUE(*claims.try_claim(id_, "gone", 0, 50, &holder));
  // Redis's clock decides: wait until the key is gone, bounded.
  Result<bool> got = false;
  for (int i = 0; i < 200 && got.ok() && !*got; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    got = claims.try_claim(id_, "next", 0, 60000, &holder);
  }
  ASSERT_OK(got.status());
  EXPECT_TRUE(*got);
  EXPECT_EQ(holder, "next");
}

TEST_F(RedisClaimsTest, ServerInfoParsesAndAStoppedServerIsAnIOError) {
  Result<RedisServerInfo> info = server_info(pool_.get());
  ASSERT_OK(info.status());
  EXPECT_GT(info->used_memory, 0u);
  EXPECT_FALSE(info->eviction_policy.empty());
  server_.reset();  // stopped
  RedisClaims claims(pool_.get());
  std::string holder;
  EXPECT_TRUE(claims.try_claim(id_, "x", 0, 1000, &holder).status().is_io_error());
  EXPECT_TRUE(server_info(pool_.get()).status().is_io_error());
}

}  // namespace
}  // namespace voxcache::tier
