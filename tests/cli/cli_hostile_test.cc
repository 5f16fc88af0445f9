// Hostile input through the real voxcache binary (docs/reliability.md,
// "Attacks"): crafted entries whose headers lie, damaged rows, malformed
// stored settings. Nothing crashes, nothing is allocated from a lying header,
// and one bad entry never blocks the listing, the check or the repair of
// the others.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <string>

#include "cli/cli_support.h"
#include "codec/entry_format.h"
#include "test_support.h"
#include "tier/fake_redis.h"
#include "voxcache/cache.h"

namespace voxcache {
namespace {

using testing::CliRun;

std::string hex_of(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

class CliHostileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = testing::open_cache(db_);
    ASSERT_NE(c, nullptr);
    ASSERT_OK(c->put(good_, testing::make_ramp_volume(PixelType::kInt16, 1, {30, 20, 10})));
    ASSERT_OK(c->put(victim_, testing::make_ramp_volume(PixelType::kUInt8, 1, {30, 20, 10})));
  }
  CliRun cli(const std::string& args) { return testing::run_cli("--db " + db_ + " " + args); }

  // Replaces the victim's header (and drops its chunks) with one whose own
  // checksum is right but which claims a 1 TiB volume.
  void craft_a_terabyte() {
    VolumeLayout l;
    l.pixel_type = PixelType::kUInt8;
    l.size = {1 << 14, 1 << 14, 1 << 12};  // 2^40 bytes
    codec::EntryHeader h;
    h.kind = Value::Kind::kVolume;
    h.payload_bytes = l.byte_size();
    h.chunk_bytes = codec::kMaxChunkBytes;
    h.chunk_count = h.payload_bytes / h.chunk_bytes;
    h.kind_header = codec::encode_layout(l);
    const std::string data = codec::encode_header(h);
    ASSERT_LT(data.size(), 300u);
    testing::raw_sql(db_, "DELETE FROM chunks WHERE operation_id = '" + victim_.hex() + "'");
    testing::raw_sql(db_, "UPDATE results SET data = X'" + hex_of(data) +
                              "' WHERE operation_id = '" + victim_.hex() + "'");
  }

  testing::TempDir dir_;
  const std::string db_ = dir_.file("h.db");
  const OperationKey good_ = KeyBuilder("good").build();
  const OperationKey victim_ = KeyBuilder("victim").build();
};

TEST_F(CliHostileTest, AHeaderClaimingATerabyteIsCorruptionNotAnAllocation) {
  craft_a_terabyte();
  const std::string v = victim_.hex();
  for (const std::string& cmd : {"verify " + v, "export " + v + " " + dir_.file("o.nii"),
                                 "thumbnail " + v + " " + dir_.file("t.png")}) {
    CliRun r = cli(cmd);
    EXPECT_NE(r.code, 134) << cmd << ": aborted\n" << r.out;
    EXPECT_NE(r.code, 0) << cmd << "\n" << r.out;
    EXPECT_NE(r.out.find("chunk 0 is missing"), std::string::npos) << cmd << "\n" << r.out;
  }
  // The library says the same, and the other entry reads as ever.
  auto c = testing::open_cache(db_);
  Result<Value> got = c->get(victim_);
  EXPECT_TRUE(got.status().is_corruption()) << got.status().to_string();
  EXPECT_OK(c->get(good_).status());
  c.reset();
  CliRun repair = cli("verify --repair");
  EXPECT_EQ(repair.code, 1) << repair.out;
  EXPECT_NE(repair.out.find("BAD " + v), std::string::npos) << repair.out;
  EXPECT_NE(repair.out.find("(removed)"), std::string::npos) << repair.out;
  EXPECT_EQ(cli("verify").code, 0);
}

TEST_F(CliHostileTest, OneDamagedHeaderNeverHidesTheOthersOrBlocksTheRepair) {
  testing::flip_blob_byte(db_, "results", "operation_id = '" + victim_.hex() + "'", 10);
  CliRun ls = cli("ls");
  EXPECT_EQ(ls.code, 0) << ls.out;
  EXPECT_NE(ls.out.find(victim_.hex().substr(0, 16) + " volume    BAD: "), std::string::npos)
      << ls.out;
  EXPECT_NE(ls.out.find(good_.hex().substr(0, 16)), std::string::npos) << ls.out;
  EXPECT_NE(ls.out.find("1 damaged"), std::string::npos) << ls.out;
  const nlohmann::json j = nlohmann::json::parse(cli("ls --json").out);
  ASSERT_EQ(j.size(), 2u);
  size_t with_problem = 0;
  for (const auto& e : j) with_problem += e.contains("problem");
  EXPECT_EQ(with_problem, 1u);
  CliRun verify = cli("verify");
  EXPECT_EQ(verify.code, 1) << verify.out;
  EXPECT_NE(verify.out.find("2 entries checked, 1 bad"), std::string::npos) << verify.out;
  CliRun repair = cli("verify --repair");
  EXPECT_NE(repair.out.find("BAD " + victim_.hex()), std::string::npos) << repair.out;
  EXPECT_NE(repair.out.find("(removed)"), std::string::npos) << repair.out;
  CliRun after = cli("verify");
  EXPECT_EQ(after.code, 0) << after.out;
  EXPECT_NE(after.out.find("1 entry checked, 0 bad"), std::string::npos) << after.out;
  // The library lists it the same way.
  testing::flip_blob_byte(db_, "results", "operation_id = '" + good_.hex() + "'", 12);
  auto c = testing::open_cache(db_);
  Result<std::vector<EntryInfo>> all = c->admin().list();
  ASSERT_OK(all.status());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_NE((*all)[0].problem.find("checksum mismatch"), std::string::npos) << (*all)[0].problem;
  EXPECT_TRUE(c->info(good_).status().is_corruption());
}

TEST_F(CliHostileTest, AMalformedSettingIsReportedIgnoredAndRewritable) {
  testing::raw_sql(db_, "INSERT OR REPLACE INTO config VALUES ('max_entries', '-1')");
  testing::raw_sql(db_, "INSERT OR REPLACE INTO config VALUES ('compression_level', '99')");
  for (const char* cmd : {"ls", "stats", "verify"}) {
    CliRun r = cli(cmd);
    EXPECT_EQ(r.code, 0) << cmd << ": " << r.out;
  }
  CliRun shown = cli("config");
  EXPECT_EQ(shown.code, 0) << shown.out;
  EXPECT_NE(shown.out.find("ignored      max_entries = '-1' is not a count"), std::string::npos)
      << shown.out;
  EXPECT_NE(shown.out.find("compression_level = '99' is over 19"), std::string::npos) << shown.out;
  EXPECT_EQ(cli("config --unset max-entries").code, 0);
  CliRun fixed = cli("config --json");
  EXPECT_EQ(nlohmann::json::parse(fixed.out)["problems"].size(), 0u) << fixed.out;
  EXPECT_EQ(cli("config max-entries 5").code, 0);
  EXPECT_EQ(nlohmann::json::parse(cli("config --json").out)["max_entries"], 5);
}

TEST_F(CliHostileTest, NegativeAndHugeSizeColumnsNeverFailStats) {
  testing::raw_sql(db_, "UPDATE results SET size_bytes = -5, raw_bytes = -7");
  CliRun neg = cli("stats --json");
  ASSERT_EQ(neg.code, 0) << neg.out;
  EXPECT_EQ(nlohmann::json::parse(neg.out)["stored_bytes"], 0) << neg.out;
  testing::raw_sql(db_, "UPDATE results SET size_bytes = 9000000000000000000");
  for (const char* cmd : {"stats", "stats --json", "ls", "gc --max-size 1G"}) {
    CliRun r = cli(cmd);
    EXPECT_EQ(r.code, 0) << cmd << ": " << r.out;
  }
}

TEST_F(CliHostileTest, AServerThatIsNotRedisNeverCrashesOrHangsTheCli) {
  // Answers PING as Redis does, then SCAN with an integer key (a segfault
  // before), and everything else with a 9e15-byte bulk it trickles.
  testing::FakeRedis server([](const std::vector<std::string>& cmd) {
    using Answer = testing::FakeRedis::Answer;
    if (cmd[0] == "SCAN") return Answer{"*2\r\n$1\r\n0\r\n*1\r\n:5\r\n", {}, false};
    return Answer{"$9000000000000000\r\n" + std::string(200, 'x'), std::chrono::milliseconds(100),
                  false};
  });
  const std::string remote = "--remote " + server.url() + " ";
  for (const std::string& cmd : std::vector<std::string>{
           "remote stats", "ls", "export " + good_.hex() + " " + dir_.file("o.nii"), "stats"}) {
    const auto start = std::chrono::steady_clock::now();
    CliRun r = cli(remote + cmd);
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    EXPECT_NE(r.code, 139) << cmd << ": segfault\n" << r.out;
    EXPECT_NE(r.code, 134) << cmd << ": abort\n" << r.out;
    EXPECT_LT(took.count(), 8000) << cmd << " took " << took.count() << " ms\n" << r.out;
    if (cmd != "remote stats") EXPECT_EQ(r.code, 0) << cmd << "\n" << r.out;
  }
}

}  // namespace
}  // namespace voxcache
