// CacheTest: a Cache on a database in a fresh directory, with the default
// Options unless a test passes others; shared by the tests of cache.cc.

#ifndef VOXCACHE_TESTS_CACHE_CACHE_FIXTURE_H_
#define VOXCACHE_TESTS_CACHE_CACHE_FIXTURE_H_

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "test_support.h"
#include "voxcache/cache.h"

namespace voxcache {

class CacheTest : public ::testing::Test {
 protected:
  std::unique_ptr<Cache> open(const Options& o = Options()) {
    Result<std::unique_ptr<Cache>> c = Cache::Open(path_, o);
    EXPECT_TRUE(c.ok()) << c.status().to_string();
    return c.ok() ? std::move(c).value() : nullptr;
  }
  // Puts `v`, reads it back through a fresh handle, and checks equality.
  void round_trip(const Value& v) {
    const OperationKey k = KeyBuilder("rt").arg("n", counter_++).build();
    {
      auto c = open();
      ASSERT_OK(c->put(k, v));
    }
    auto c = open();
    Result<Value> back = c->get(k);
    ASSERT_OK(back.status());
    ASSERT_EQ(back->kind(), v.kind());
    ASSERT_TRUE(*back == v) << "value differs after round trip, tag " << v.type_tag();
  }
  int64_t query_int(const std::string& sql) { return testing::query_int(path_, sql); }

  testing::TempDir dir_;
  std::string path_ = dir_.file("sub/dir/cache.db");
  int counter_ = 0;
};

}  // namespace voxcache

#endif  // VOXCACHE_TESTS_CACHE_CACHE_FIXTURE_H_
