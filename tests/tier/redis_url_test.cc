// Remote URLs (tier/redis_url.cc): every form, the refusals, and redaction.

#include "tier/redis_url.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace voxcache::tier {
namespace {

TEST(RedisUrl, ParsesEveryForm) {
  Result<RedisAddress> a = parse_redis_url("redis://cache.lab:6380/2");
  ASSERT_OK(a.status());
  EXPECT_FALSE(a->unix_socket);
  EXPECT_EQ(a->host, "cache.lab");
  EXPECT_EQ(a->port, 6380);
  EXPECT_EQ(a->db, 2);
  a = parse_redis_url("redis://alice:s%40cret@10.0.0.5");
  ASSERT_OK(a.status());
  EXPECT_EQ(a->user, "alice");
  EXPECT_EQ(a->password, "s@cret");
  EXPECT_EQ(a->port, 6379);
  a = parse_redis_url("redis://:pw@[::1]:7000");
  ASSERT_OK(a.status());
  EXPECT_EQ(a->host, "::1");
  EXPECT_EQ(a->port, 7000);
  EXPECT_EQ(a->password, "pw");
  a = parse_redis_url("unix:///run/redis/redis.sock?db=3");
  ASSERT_OK(a.status());
  EXPECT_TRUE(a->unix_socket);
  EXPECT_EQ(a->host, "/run/redis/redis.sock");
  EXPECT_EQ(a->db, 3);
  a = parse_redis_url("unix://bob:pw@/tmp/r@1.sock");
  ASSERT_OK(a.status());
  EXPECT_EQ(a->user, "bob");
  EXPECT_EQ(a->host, "/tmp/r@1.sock");
  for (const char* bad : {"http://host", "redis://", "redis://host:0", "redis://host:99999",
                          "redis://host/x", "redis://user@host", "unix://relative.sock",
                          "redis://[::1", "redis://:p%4@host", "unix:///s?timeout=1"}) {
    EXPECT_TRUE(parse_redis_url(bad).status().is_invalid_argument()) << bad;
  }
}

TEST(RedisUrl, RedactedNeverShowsThePassword) {
  EXPECT_EQ(parse_redis_url("redis://alice:hunter2@h:1/4")->redacted(), "redis://alice:***@h:1/4");
  EXPECT_EQ(parse_redis_url("redis://:hunter2@h")->redacted(), "redis://:***@h:6379");
  EXPECT_EQ(parse_redis_url("unix:///x.sock")->redacted(), "unix:///x.sock");
}

}  // namespace
}  // namespace voxcache::tier
