// Claims in the local database (tier/claims.cc): one holder at a time, the
// lease's end frees a claim, only the holder renews or releases it.

#include "tier/claims.h"

#include <gtest/gtest.h>

#include "test_support.h"
#include "tier_fixture.h"

namespace voxcache::tier {
namespace {

TEST(LocalClaims, OneHolderUntilItsLeaseEndsOrItReleases) {
  testing::TempDir dir;
  auto catalog = open_catalog(dir.file("c.db"));
  LocalClaims claims(catalog.get());
  std::string holder;
  Result<bool> got = claims.try_claim(kA, "p1", 1000, 500, &holder);
  ASSERT_OK(got.status());
  EXPECT_TRUE(*got);
  got = claims.try_claim(kA, "p2", 1100, 500, &holder);
  ASSERT_OK(got.status());
  EXPECT_FALSE(*got);
  EXPECT_EQ(holder, "p1");
  ASSERT_OK(claims.renew(kA, "p1", 3000));
  got = claims.try_claim(kA, "p2", 2000, 500, &holder);
  ASSERT_OK(got.status());
  EXPECT_FALSE(*got) << "renewed until 3000";
  ASSERT_OK(claims.release(kA, "p2"));  // not p2's: nothing changes
  got = claims.try_claim(kA, "p2", 2100, 500, &holder);
  ASSERT_OK(got.status());
  EXPECT_FALSE(*got);
  ASSERT_OK(claims.release(kA, "p1"));
  got = claims.try_claim(kA, "p2", 2200, 500, &holder);
  ASSERT_OK(got.status());
  EXPECT_TRUE(*got);
}

}  // namespace
}  // namespace voxcache::tier
