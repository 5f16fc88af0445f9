// The hiredis wrapper (tier/redis_client.cc): real connections to a
// redis-server the test starts: passwords, ACL users, and a server that is
// not Redis.

#include "tier/redis_client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <thread>

#include "test_support.h"
#include "tier/redis_server.h"

namespace voxcache::tier {
namespace {

using std::chrono::milliseconds;

TEST(RedisConnection, TalksToARealServer) {
  testing::TempDir dir;
  testing::RedisServer server(dir.path().string());
  Result<RedisAddress> a = parse_redis_url(server.url());
  auto c = RedisConnection::Connect(*a, milliseconds(1000));
  ASSERT_OK(c.status());
  const std::string blob("\0binary\xff", 8);
  ASSERT_OK((*c)->command({"SET", "k", blob}).status());
  Result<RedisReply> got = (*c)->command({"GET", "k"});
  ASSERT_OK(got.status());
  EXPECT_EQ(got->str(), blob) << "binary-safe";
  (*c)->append({"INCR", "n"});
  (*c)->append({"INCR", "n"});
  EXPECT_EQ((*c)->reply()->integer(), 1);
  EXPECT_EQ((*c)->reply()->integer(), 2);
  Result<RedisReply> wrong = (*c)->command({"INCR", "k"});
  EXPECT_TRUE(wrong.status().is_io_error()) << "an error reply is an error";
  EXPECT_FALSE((*c)->broken()) << "but the connection is fine";
  server.stop(SIGKILL);
  EXPECT_FALSE((*c)->command({"PING"}).ok());
  EXPECT_TRUE((*c)->broken());
  EXPECT_TRUE(RedisConnection::Connect(*a, milliseconds(200)).status().is_io_error());
}

TEST(RedisConnection, PasswordsAndAclUsers) {
  testing::TempDir dir;
  testing::RedisServer server(dir.path().string(), {"--requirepass", "hunter2", "--user", "alice",
                                                    "on", ">wonder", "~*", "&*", "+@all"});
  auto no_password = RedisConnection::Connect(*parse_redis_url(server.url()), milliseconds(500));
  EXPECT_TRUE(no_password.status().is_invalid_argument()) << no_password.status().to_string();
  EXPECT_NE(no_password.status().message().find("needs a password"), std::string::npos);
  auto wrong = RedisConnection::Connect(*parse_redis_url(server.url(":nope")), milliseconds(500));
  EXPECT_TRUE(wrong.status().is_invalid_argument()) << wrong.status().to_string();
  EXPECT_EQ(wrong.status().message().find("nope"), std::string::npos) << "no password printed";
  EXPECT_OK(RedisConnection::Connect(*parse_redis_url(server.url(":hunter2")), milliseconds(500))
                .status());
  EXPECT_OK(
      RedisConnection::Connect(*parse_redis_url(server.url("alice:wonder")), milliseconds(500))
          .status());
  EXPECT_TRUE(
      RedisConnection::Connect(*parse_redis_url(server.url("alice:hunter2")), milliseconds(500))
          .status()
          .is_invalid_argument());
}

// A server on a loopback port that answers like a web server.
TEST(RedisConnection, AServerThatIsNotRedisIsAClearError) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 4), 0);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const int port = ntohs(addr.sin_port);
  std::thread web([fd] {
    const int c = accept(fd, nullptr, nullptr);
    const char reply[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
    (void)!write(c, reply, sizeof(reply) - 1);
    close(c);
  });
  auto c = RedisConnection::Connect(*parse_redis_url("redis://127.0.0.1:" + std::to_string(port)),
                                    milliseconds(1000));
  web.join();
  close(fd);
  EXPECT_TRUE(c.status().is_io_error()) << c.status().to_string();
  EXPECT_NE(c.status().message().find("Redis"), std::string::npos) << c.status().message();
}

TEST(RedisPool, HandsOutConnectionsAndDropsBrokenOnes) {
  testing::TempDir dir;
  auto server = std::make_unique<testing::RedisServer>(dir.path().string());
  RedisPool pool(*parse_redis_url(server->url()), milliseconds(500));
  {
    auto a = pool.acquire();
    auto b = pool.acquire();
    ASSERT_OK(a.status());
    ASSERT_OK(b.status());
    ASSERT_OK((*a)->command({"SET", "x", "1"}).status());
    EXPECT_EQ((*b)->command({"GET", "x"})->str(), "1");
  }
  server->stop(SIGKILL);
  {
    auto a = pool.acquire();  // an idle one, dead now
    ASSERT_OK(a.status());
    EXPECT_FALSE((*a)->command({"PING"}).ok());
  }
  server->start();
  auto again = pool.acquire();  // the broken connection was dropped: a new one
  ASSERT_OK(again.status());
  EXPECT_OK((*again)->command({"PING"}).status());
}

}  // namespace
}  // namespace voxcache::tier
