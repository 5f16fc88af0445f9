// SHA-256 over OpenSSL (util/sha256.h): FIPS 180-2's test vectors, and the
// same digest however the input is split.

#include "util/sha256.h"

#include <gtest/gtest.h>

#include <string>

#include "util/coding.h"

namespace voxcache::util {
namespace {

std::string hex(const std::array<uint8_t, 32>& d) { return to_hex(d.data(), d.size()); }

TEST(Sha256, Fips180Vectors) {
  Sha256 empty;
  EXPECT_EQ(hex(empty.finish()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  Sha256 abc;
  abc.update("abc");
  EXPECT_EQ(hex(abc.finish()), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, SplitInputGivesTheSameDigest) {
  const std::string text = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  Sha256 whole, parts;
  whole.update(text);
  for (char c : text) parts.update(&c, 1);
  const std::string want = "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1";
  EXPECT_EQ(hex(whole.finish()), want);
  EXPECT_EQ(hex(parts.finish()), want);
}

}  // namespace
}  // namespace voxcache::util
