// Single-flight claims (src/store/claims.h): taken when free or expired,
// renewed and released only by their owner.

#include "store/claims.h"

#include <gtest/gtest.h>

#include "store_fixture.h"

namespace voxcache::store {
namespace {

const std::string kKey(64, 'c');

TEST(Claims, TakenWhenFreeOrExpiredAndOnlyByTheirOwnerRenewedOrReleased) {
  testing::TempDir dir;
  auto db = new_db(dir.file("claims.db"));
  std::string owner;
  Result<bool> got = try_claim(db.get(), kKey, "a", 1000, 500, &owner);
  ASSERT_OK(got.status());
  EXPECT_TRUE(*got);
  EXPECT_EQ(owner, "a");
  got = try_claim(db.get(), kKey, "b", 1200, 500, &owner);  // a's claim holds
  ASSERT_OK(got.status());
  EXPECT_FALSE(*got);
  EXPECT_EQ(owner, "a");
  Result<bool> renewed = renew_claim(db.get(), kKey, "b", 5000);
  ASSERT_OK(renewed.status());
  EXPECT_FALSE(*renewed) << "not b's to renew";
  renewed = renew_claim(db.get(), kKey, "a", 2000);
  ASSERT_OK(renewed.status());
  EXPECT_TRUE(*renewed);
  got = try_claim(db.get(), kKey, "b", 1900, 500, &owner);  // renewed until 2000
  ASSERT_OK(got.status());
  EXPECT_FALSE(*got);
  got = try_claim(db.get(), kKey, "b", 2001, 500, &owner);  // expired: b takes it
  ASSERT_OK(got.status());
  EXPECT_TRUE(*got);
  EXPECT_EQ(owner, "b");
  ASSERT_OK(release_claim(db.get(), kKey, "a"));  // not a's any more: nothing happens
  got = try_claim(db.get(), kKey, "c", 2100, 500, &owner);
  ASSERT_OK(got.status());
  EXPECT_FALSE(*got);
  ASSERT_OK(release_claim(db.get(), kKey, "b"));
  got = try_claim(db.get(), kKey, "c", 2100, 500, &owner);
  ASSERT_OK(got.status());
  EXPECT_TRUE(*got);
}

}  // namespace
}  // namespace voxcache::store
