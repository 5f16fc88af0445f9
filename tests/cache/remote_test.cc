// The remote tier in the cache (cache/remote.cc, cache/tier_stack.cc): two
// "machines" (caches with separate local databases) sharing one real
// redis-server that the tests start, kill and restart.

#include "cache/remote.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "codec/entry_format.h"
#include "test_support.h"
#include "tier/redis_server.h"
#include "voxcache/cache.h"

namespace voxcache {
namespace {

class RemoteTest : public ::testing::Test {
 protected:
  void SetUp() override { server_ = std::make_unique<testing::RedisServer>(redis_dir()); }
  std::string redis_dir() {
    std::filesystem::create_directories(dir_.file("redis"));
    return dir_.file("redis");
  }
  Options remote_options(const std::string& url) {
    Options o;
    o.remote = url;
    o.remote_timeout = std::chrono::milliseconds(300);
    o.remote_retry_after = std::chrono::milliseconds(100);
    return o;
  }
  // A machine: its own local database, the shared remote.
  std::unique_ptr<Cache> machine(const std::string& name, Options o) {
    return testing::open_cache(dir_.file(name + ".db"), o);
  }
  std::unique_ptr<Cache> machine(const std::string& name) {
    return machine(name, remote_options(server_->url()));
  }
  int64_t local_entries(const std::string& name) {
    return testing::query_int(dir_.file(name + ".db"), "SELECT count(*) FROM results");
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::RedisServer> server_;
  const Volume volume_ = testing::make_ramp_volume(PixelType::kInt16, 1, {64, 48, 40});
  const OperationKey key_ = KeyBuilder("smooth").arg("sigma", 1.5).build();
};

TEST_F(RemoteTest, APutOnOneMachineIsAHitOnTheOtherBitExact) {
  auto a = machine("a");
  auto b = machine("b");
  EXPECT_EQ(a->stats().remote_status, "ok");
  ASSERT_OK(a->put(key_, volume_, PutOptions{R"({"by": "a"})"}));
  EXPECT_GT(a->stats().remote_bytes_written, 0u) << "written through";
  EXPECT_EQ(local_entries("b"), 0);
  EXPECT_TRUE(*b->contains(key_));
  Result<Value> got = b->get(key_);
  ASSERT_OK(got.status());
  EXPECT_EQ(*got->as_volume(), volume_);
  EXPECT_EQ(b->stats().remote_hits, 1u);
  EXPECT_EQ(local_entries("b"), 1) << "kept locally";
  EXPECT_EQ(b->info(key_)->metadata, R"({"by":"a"})");
  ASSERT_OK(b->admin().verify(key_));
  EXPECT_EQ(b->admin().stored_stats()->counter("hits_remote"), 1u);
  // The next get on b is local.
  // Lineage travels with a pushed entry.
  const OperationKey input = KeyBuilder("source").build();
  const KeyBuilder recipe = KeyBuilder("blur").arg("sigma", 2.0).input(input);
  ASSERT_OK(a->put(recipe, Value(1.5)));
  ASSERT_OK(b->get(recipe.build()).status());
  EXPECT_EQ(b->info(recipe.build())->inputs, std::vector<OperationKey>{input});
  auto b2 = machine("b");
  ASSERT_OK(b2->get(key_).status());
  EXPECT_EQ(b2->stats().remote_hits, 0u);
  EXPECT_EQ(b2->stats().disk_hits, 1u);
}

TEST_F(RemoteTest, BricksTravelAsStoredAndKeepTheirLayout) {
  auto a = machine("a");
  auto b = machine("b");
  ASSERT_OK(a->put(key_, volume_, PutOptions{{}, ChunkLayout::Bricks(16, 16, 8)}));
  Result<Volume> slice = b->read_slice(key_, 0, 33);  // from the remote, without copying
  ASSERT_OK(slice.status());
  EXPECT_EQ(slice->size(), (std::array<uint64_t, 3>{1, 48, 40}));
  EXPECT_EQ(local_entries("b"), 0);
  Result<Value> got = b->get(key_);
  ASSERT_OK(got.status());
  EXPECT_EQ(*got->as_volume(), volume_);
  EXPECT_EQ(b->info(key_)->layout, ChunkLayout::Bricks(16, 16, 8));
  EXPECT_EQ(testing::query_int(dir_.file("b.db"),
                               "SELECT count(*) FROM results WHERE layout = 'bricks 16x16x8'"),
            1);
  ASSERT_OK(b->admin().verify(key_));
}

TEST_F(RemoteTest, SingleFlightAcrossMachinesComputesOnce) {
  const std::string log = dir_.file("computed.log");
  const int failed = testing::memoize_in_processes(
      4,
      [&](int m) {
        return Cache::Open(dir_.file("m" + std::to_string(m) + ".db"),
                           remote_options(server_->url()));
      },
      key_, log);
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(testing::count_lines(log), 1) << "one machine computed, the others read its result";
}

TEST_F(RemoteTest, ARedisKilledMidUseFailsNothingAndIsUsedAgainAfterItsRestart) {
  auto a = machine("a");
  auto b = machine("b");
  ASSERT_OK(a->put(key_, volume_));
  server_->stop(SIGKILL);
  // Puts and gets keep working on the local tier, and nothing wrong is served.
  const OperationKey k2 = KeyBuilder("after-kill").build();
  ASSERT_OK(a->put(k2, volume_));
  EXPECT_EQ(*a->get(key_)->as_volume(), volume_);
  EXPECT_TRUE(b->get(key_).status().is_not_found()) << "a miss, not an error";
  EXPECT_GT(a->stats().remote_errors + b->stats().remote_errors, 0u);
  EXPECT_NE(b->stats().remote_status, "ok");
  Result<Value> computed = b->get_or_compute(k2, [] { return Result<Value>(Value(1.5)); });
  ASSERT_OK(computed.status()) << "single flight falls back to local claims";
  // Back again: after remote_retry_after the remote is asked again.
  server_->start();
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  const OperationKey k3 = KeyBuilder("after-restart").build();
  ASSERT_OK(a->put(k3, volume_));  // pushed again
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  Result<Value> got = b->get(k3);
  ASSERT_OK(got.status());
  EXPECT_EQ(*got->as_volume(), volume_);
  EXPECT_EQ(b->stats().remote_status, "ok");
}

// Kill -9 in the middle of puts and gets, then a restart: every put
// succeeds (locally), every get returns the exact value or a miss.
TEST_F(RemoteTest, TrafficThroughAKillAndARestartNeverFailsOrLies) {
  auto a = machine("a");
  auto b = machine("b");
  std::atomic<bool> stop{false};
  std::atomic<int> bad_puts{0}, bad_gets{0}, hits{0}, puts{0};
  std::thread writer([&] {
    for (int i = 0; !stop; ++i) {
      const Volume v = testing::make_volume(PixelType::kUInt8, 1, {64, 64, 16}, i + 1, false);
      if (!a->put(KeyBuilder("t").arg("i", i).build(), v).ok()) ++bad_puts;
      ++puts;
    }
  });
  std::thread reader([&] {
    for (int round = 0; !stop; ++round) {
      const int i = round % std::max(1, puts.load());
      Result<Value> v = b->get(KeyBuilder("t").arg("i", i).build());
      if (v.ok()) {
        ++hits;
        if (*v->as_volume() !=
            testing::make_volume(PixelType::kUInt8, 1, {64, 64, 16}, i + 1, false)) {
          ++bad_gets;
        }
      } else if (!v.status().is_not_found()) {
        ++bad_gets;
      }
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  server_->stop(SIGKILL);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  server_->start();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  stop = true;
  writer.join();
  reader.join();
  EXPECT_EQ(bad_puts.load(), 0);
  EXPECT_EQ(bad_gets.load(), 0);
  EXPECT_GT(puts.load(), 0);
  EXPECT_GT(a->stats().remote_errors, 0u) << "the kill was seen";
  EXPECT_GT(hits.load(), 0);
}

// A server that stops answering (DEBUG SLEEP blocks it) costs one
// remote_timeout, then the breaker keeps gets from waiting on it again.
TEST_F(RemoteTest, ASlowRedisCostsOneTimeoutNotOneAGet) {
  server_.reset();
  server_ = std::make_unique<testing::RedisServer>(
      redis_dir(), std::vector<std::string>{"--enable-debug-command", "yes"});
  Options o = remote_options(server_->url());
  o.remote_retry_after = std::chrono::seconds(30);
  auto b = machine("b", o);
  std::thread sleeper([&] {
    auto pool = tier::RedisPool(*tier::parse_redis_url(server_->url()), std::chrono::seconds(5));
    auto c = std::move(pool.acquire()).value();
    (void)c->command({"DEBUG", "SLEEP", "2"});
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(b->get(KeyBuilder("k").arg("i", i).build()).status().is_not_found());
  }
  EXPECT_EQ(b->stats().remote_errors, 1u) << "one timeout; the other gets did not ask";
  EXPECT_NE(b->stats().remote_status, "ok");
  sleeper.join();
}

// maxmemory with noeviction: Redis refuses writes. Puts succeed locally.
TEST_F(RemoteTest, AFullRedisFailsNoPut) {
  server_.reset();
  server_ = std::make_unique<testing::RedisServer>(
      redis_dir(),
      std::vector<std::string>{"--maxmemory", "2mb", "--maxmemory-policy", "noeviction"});
  Options o = remote_options(server_->url());
  o.remote_retry_after = std::chrono::seconds(30);  // the status still says why at the end
  auto a = machine("a", o);
  for (int i = 0; i < 8; ++i) {
    const Volume v = testing::make_volume(PixelType::kUInt8, 1, {128, 96, 32}, i + 1, false);
    ASSERT_OK(a->put(KeyBuilder("noise").arg("i", i).build(), v)) << i;
    EXPECT_EQ(*a->get(KeyBuilder("noise").arg("i", i).build())->as_volume(), v);
  }
  EXPECT_GT(a->stats().remote_errors, 0u) << "some pushes were refused";
  EXPECT_NE(a->stats().remote_status.find("full"), std::string::npos) << a->stats().remote_status;
  EXPECT_GT(a->stats().remote_push_failures, 0u);
  EXPECT_NE(a->stats().remote_push_error.find("full"), std::string::npos);
  // Once the remote is asked again, the push failure is still counted and said.
  o.remote_retry_after = std::chrono::milliseconds(1);
  auto b = machine("b", o);
  ASSERT_OK(b->put(KeyBuilder("big").build(),
                   testing::make_volume(PixelType::kUInt8, 1, {256, 256, 64}, 3, false)));
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(b->stats().remote_push_failures, 1u);
  EXPECT_NE(b->stats().remote_push_error.find("full"), std::string::npos)
      << b->stats().remote_push_error;
}

TEST_F(RemoteTest, ARedisThatEvictsGivesMissesNeverCorruption) {
  server_.reset();
  server_ = std::make_unique<testing::RedisServer>(
      redis_dir(),
      std::vector<std::string>{"--maxmemory", "3mb", "--maxmemory-policy", "allkeys-lru"});
  auto a = machine("a");
  std::vector<Volume> volumes;
  for (int i = 0; i < 12; ++i) {  // 12 x 384 KiB of noise into 3 MB
    volumes.push_back(testing::make_volume(PixelType::kUInt8, 1, {128, 96, 32}, i + 1, false));
    ASSERT_OK(a->put(KeyBuilder("noise").arg("i", i).build(), volumes.back()));
  }
  auto b = machine("b");
  int hits = 0, misses = 0;
  for (int i = 0; i < 12; ++i) {
    Result<Value> v = b->get(KeyBuilder("noise").arg("i", i).build());
    if (v.ok()) {
      ++hits;
      EXPECT_EQ(*v->as_volume(), volumes[i]) << i;
    } else {
      ++misses;
      EXPECT_TRUE(v.status().is_not_found()) << i << ": " << v.status().to_string();
    }
  }
  EXPECT_GT(misses, 0) << "Redis evicted something";
  EXPECT_GT(hits, 0);
}

TEST_F(RemoteTest, AByteFlippedInRedisIsCorruptionAndNeverReachesTheLocalTier) {
  auto a = machine("a");
  const Volume noise = testing::make_volume(PixelType::kUInt8, 1, {64, 64, 64}, 9, false);
  ASSERT_OK(a->put(key_, noise));
  // Flip a byte of every chunk in Redis, as a bad disk or a bad actor would.
  auto pool = tier::RedisPool(*tier::parse_redis_url(server_->url()), std::chrono::seconds(1));
  auto c = std::move(pool.acquire()).value();
  Result<tier::RedisReply> chunks = c->command({"KEYS", "voxcache:chunk:*"});
  ASSERT_GT(chunks->size(), 0u);
  for (size_t i = 0; i < chunks->size(); ++i) {
    ASSERT_OK(c->command({"SETRANGE", chunks->element(i).str(), "40", "\x7f"}).status());
  }
  auto b = machine("b");
  Result<Value> v = b->get(key_);
  EXPECT_TRUE(v.status().is_corruption()) << v.status().to_string();
  EXPECT_EQ(local_entries("b"), 0) << "nothing of it was kept";
  EXPECT_EQ(*a->get(key_)->as_volume(), noise) << "a's local copy is untouched";
}

TEST_F(RemoteTest, AManifestCopiedOntoAnotherKeyIsCorruptionNotTheOtherEntry) {
  // Two entries of the same dims in Redis; then B's manifest is overwritten
  // with A's, field for field, as any node of a shared cluster could.
  auto a = machine("a");
  const OperationKey b_key = KeyBuilder("other").arg("n", 2).build();
  const Volume b_volume = testing::make_volume(PixelType::kInt16, 1, {64, 48, 40}, 5, false);
  ASSERT_OK(a->put(key_, volume_));
  ASSERT_OK(a->put(b_key, b_volume));
  auto pool = tier::RedisPool(*tier::parse_redis_url(server_->url()), std::chrono::seconds(1));
  auto c = std::move(pool.acquire()).value();
  const std::string from = "voxcache:entry:" + key_.hex(), to = "voxcache:entry:" + b_key.hex();
  Result<tier::RedisReply> fields = c->command({"HGETALL", from});
  ASSERT_OK(fields.status());
  ASSERT_GT(fields->size(), 0u);
  ASSERT_OK(c->command({"DEL", to}).status());
  for (size_t i = 0; i + 1 < fields->size(); i += 2) {
    ASSERT_OK(
        c->command({"HSET", to, fields->element(i).str(), fields->element(i + 1).str()}).status());
  }
  auto fresh = machine("fresh");
  Result<Value> v = fresh->get(b_key);
  EXPECT_TRUE(v.status().is_corruption()) << v.status().to_string();
  EXPECT_NE(v.status().message().find("written for key " + key_.hex()), std::string::npos)
      << v.status().message();
  EXPECT_EQ(local_entries("fresh"), 0) << "nothing of it was kept";
  EXPECT_TRUE(fresh->admin().pull(b_key).is_corruption());
  EXPECT_EQ(*fresh->get(key_)->as_volume(), volume_) << "A itself still reads";
}

TEST_F(RemoteTest, AnUnboundEntryOfAnOlderFormatInRedisIsAMiss) {
  // Format 1 and 2 entries say nothing of their key: from a shared tier
  // they could be anyone's, so they are not served (a local one still is).
  auto a = machine("a");
  ASSERT_OK(a->put(key_, volume_));
  auto pool = tier::RedisPool(*tier::parse_redis_url(server_->url()), std::chrono::seconds(1));
  auto c = std::move(pool.acquire()).value();
  const std::string manifest = "voxcache:entry:" + key_.hex();
  Result<tier::RedisReply> data = c->command({"HGET", manifest, "data"});
  ASSERT_OK(data.status());
  size_t len = 0;
  Result<codec::EntryHeader> h = codec::decode_header(data->str(), &len);
  ASSERT_OK(h.status());
  h->key.reset();
  const std::string old = codec::encode_header(*h) + std::string(data->str().substr(len));
  ASSERT_EQ(old[4], 1) << "an unbound header is written as version 1";
  ASSERT_OK(c->command({"HSET", manifest, "data", old}).status());
  Result<Value> v = machine("b")->get(key_);
  EXPECT_TRUE(v.status().is_not_found()) << v.status().to_string();
}

TEST_F(RemoteTest, SignedEntriesAreServedOnlyToNodesWithTheSecretAndOnlyIfSignedByIt) {
  Options signed_options = remote_options(server_->url());
  signed_options.remote_secret = "cluster secret";
  auto a = machine("a", signed_options);
  ASSERT_OK(a->put(key_, volume_));
  // A node with the secret reads it, bit for bit.
  auto b = machine("b", signed_options);
  Result<Value> got = b->get(key_);
  ASSERT_OK(got.status());
  EXPECT_EQ(*got->as_volume(), volume_);
  EXPECT_EQ(b->stats().remote_rejected, 0u);
  // One without the secret, or with another, wrote this one: unsigned, and
  // badly signed. Neither is served to a node with the secret.
  const OperationKey forged = KeyBuilder("forged").build();
  const Volume other = testing::make_volume(PixelType::kInt16, 1, {64, 48, 40}, 4, false);
  ASSERT_OK(machine("outsider")->put(forged, other));
  auto c = machine("c", signed_options);
  EXPECT_TRUE(c->get(forged).status().is_not_found()) << "an unsigned entry is a miss";
  EXPECT_GE(c->stats().remote_rejected, 1u);
  Options wrong = signed_options;
  wrong.remote_secret = "a guess";
  const OperationKey guessed = KeyBuilder("guessed").build();
  ASSERT_OK(machine("guesser", wrong)->put(guessed, other));
  EXPECT_TRUE(machine("d", signed_options)->get(guessed).status().is_not_found());
  // The signature covers the key: A's manifest copied onto another key is
  // a miss for a node with the secret, not A's voxels, not even Corruption.
  auto pool = tier::RedisPool(*tier::parse_redis_url(server_->url()), std::chrono::seconds(1));
  auto conn = std::move(pool.acquire()).value();
  Result<tier::RedisReply> fields = conn->command({"HGETALL", "voxcache:entry:" + key_.hex()});
  ASSERT_OK(fields.status());
  const OperationKey target = KeyBuilder("target").build();
  for (size_t i = 0; i + 1 < fields->size(); i += 2) {
    ASSERT_OK(conn->command({"HSET", "voxcache:entry:" + target.hex(), fields->element(i).str(),
                             fields->element(i + 1).str()})
                  .status());
  }
  auto e = machine("e", signed_options);
  EXPECT_TRUE(e->get(target).status().is_not_found());
  EXPECT_GE(e->stats().remote_rejected, 1u);
  // And the entry a node with the secret signed is served to one without it
  // (signing is for the readers that ask for it).
  EXPECT_EQ(*machine("plain")->get(key_)->as_volume(), volume_);
}

TEST_F(RemoteTest, AuthIsRequiredAndAWrongPasswordDisablesOnlyTheRemote) {
  server_.reset();
  server_ = std::make_unique<testing::RedisServer>(
      redis_dir(), std::vector<std::string>{"--requirepass", "s3cret"});
  auto wrong = machine("w", remote_options(server_->url(":hunter2")));
  const CacheStats s = wrong->stats();
  EXPECT_NE(s.remote_status.find("authentication failed"), std::string::npos) << s.remote_status;
  EXPECT_EQ(s.remote_status.find("hunter2"), std::string::npos) << "no password shown";
  EXPECT_EQ(s.remote.find("hunter2"), std::string::npos) << s.remote;
  ASSERT_OK(wrong->put(key_, volume_)) << "the local cache works";
  EXPECT_EQ(*wrong->get(key_)->as_volume(), volume_);
  auto none = machine("n", remote_options(server_->url()));
  EXPECT_NE(none.get()->stats().remote_status.find("needs a password"), std::string::npos);
  auto right = machine("r", remote_options(server_->url(":s3cret")));
  ASSERT_OK(right->put(key_, volume_));
  EXPECT_EQ(right->stats().remote_status, "ok");
  EXPECT_GT(right->stats().remote_bytes_written, 0u);
}

TEST_F(RemoteTest, AReadOnlyRemoteIsReadButNeverWritten) {
  auto a = machine("a");
  ASSERT_OK(a->put(key_, volume_));
  Options ro = remote_options(server_->url());
  ro.remote_read_only = true;
  auto consumer = machine("c", ro);
  EXPECT_EQ(*consumer->get(key_)->as_volume(), volume_);
  const OperationKey mine = KeyBuilder("consumer's own").build();
  ASSERT_OK(consumer->put(mine, Value(2.5)));
  EXPECT_EQ(consumer->stats().remote_bytes_written, 0u);
  EXPECT_TRUE(machine("d")->get(mine).status().is_not_found()) << "not published";
  ASSERT_OK(consumer->erase(key_));
  EXPECT_TRUE(*machine("e")->contains(key_)) << "nor removed from the remote";
}

TEST_F(RemoteTest, PushAndPullMoveOneEntry) {
  auto local_only = testing::open_cache(dir_.file("a.db"));
  ASSERT_OK(local_only->put(key_, volume_));
  local_only.reset();
  auto a = machine("a");
  auto b = machine("b");
  EXPECT_FALSE(*b->contains(key_));
  ASSERT_OK(a->admin().push(key_));
  ASSERT_OK(b->admin().pull(key_));
  EXPECT_EQ(local_entries("b"), 1);
  EXPECT_TRUE(b->admin().pull(KeyBuilder("nowhere").build()).is_not_found());
  ASSERT_OK(b->admin().pull(key_));  // here already: nothing to fetch
  EXPECT_TRUE(local_only == nullptr);
  Result<RemoteStats> rs = b->admin().remote_stats();
  ASSERT_OK(rs.status());
  EXPECT_EQ(rs->status, "ok");
  EXPECT_EQ(rs->entries, 1u);
  EXPECT_GT(rs->used_memory, 0u);
  EXPECT_TRUE(
      testing::open_cache(dir_.file("x.db"))->admin().remote_stats().status().is_not_found());
  server_->stop(SIGKILL);
  Status down = machine("c")->admin().pull(key_);
  EXPECT_TRUE(down.is_io_error()) << "an unreachable remote is not a miss: " << down.to_string();
}

TEST_F(RemoteTest, ReplaceIsRefusedSinceOtherNodesKeepTheirCopies) {
  auto a = machine("a");
  auto b = machine("b");
  ASSERT_OK(a->put(key_, volume_));
  ASSERT_OK(b->get(key_).status());  // b's local tier now has its own copy
  PutOptions o;
  o.replace = true;
  Status s = a->put(key_, Value(int64_t{1}), o);
  EXPECT_TRUE(s.is_invalid_argument()) << s.to_string();
  EXPECT_NE(s.message().find("other nodes keep the copies"), std::string::npos) << s.message();
  EXPECT_TRUE(*a->get(key_)->as_volume() == volume_) << "nothing replaced";
}

TEST(RemoteUrl, AMalformedUrlFailsOpen) {
  testing::TempDir dir;
  Options o;
  o.remote = "http://cache.lab";
  Result<std::unique_ptr<Cache>> c = Cache::Open(dir.file("c.db"), o);
  EXPECT_TRUE(c.status().is_invalid_argument()) << c.status().to_string();
}

}  // namespace
}  // namespace voxcache
