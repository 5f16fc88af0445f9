// Status and Result (util/status.cc): codes, messages, context, and a failed
// Result that is read as a value.

#include "voxcache/status.h"

#include <gtest/gtest.h>

#include <string>

namespace voxcache {
namespace {

TEST(Status, CodesMessagesAndContext) {
  EXPECT_TRUE(Status::OK().ok());
  EXPECT_EQ(Status::OK().to_string(), "OK");
  Status s = Status::NotFound("no entry ab");
  EXPECT_TRUE(s.is_not_found());
  EXPECT_FALSE(s.is_corruption());
  EXPECT_EQ(s.to_string(), "NotFound: no entry ab");
  EXPECT_EQ(s.with_context("get").to_string(), "NotFound: get: no entry ab");
  EXPECT_TRUE(Status::OK().with_context("get").ok());
  EXPECT_EQ(s.with_message("other words").to_string(), "NotFound: other words");
  EXPECT_TRUE(Status::OK().with_message("words").ok());
  EXPECT_TRUE(Status::Corruption("x").is_corruption());
  EXPECT_TRUE(Status::IOError("x").is_io_error());
  EXPECT_TRUE(Status::Busy("x").is_busy());
  EXPECT_TRUE(Status::NotSupported("x").is_not_supported());
  EXPECT_TRUE(Status::InvalidArgument("x").is_invalid_argument());
}

TEST(Result, HoldsAValueOrAnError) {
  Result<int> good = 7;
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 7);
  Result<std::string> bad = Status::IOError("disk on fire");
  EXPECT_FALSE(bad.ok());
  EXPECT_TRUE(bad.status().is_io_error());
}

// In every build type, not only with assertions: the README's snippet once
// segfaulted in a Release build reading a failed Result.
TEST(ResultDeathTest, ValueOfAFailedResultAbortsWithTheMessage) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  Result<std::string> bad = Status::InvalidArgument("pixel type is u8, not f32");
  EXPECT_DEATH((void)bad.value(), "value\\(\\) of a failed Result: InvalidArgument: pixel type");
  EXPECT_DEATH((void)bad->size(), "pixel type is u8");
  EXPECT_DEATH((void)std::move(bad).value(), "InvalidArgument");
}

}  // namespace
}  // namespace voxcache
