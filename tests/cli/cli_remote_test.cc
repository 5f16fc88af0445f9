// The remote commands of the real voxcache binary against a real
// redis-server: --remote, remote stats, push, pull, and the stats line.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

#include "cli/cli_support.h"
#include "test_support.h"
#include "tier/redis_server.h"

namespace voxcache {
namespace {

using testing::CliRun;

class CliRemoteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::filesystem::create_directories(dir_.file("redis"));
    server_ = std::make_unique<testing::RedisServer>(
        dir_.file("redis"), std::vector<std::string>{"--requirepass", "pw"});
  }
  std::string on(const std::string& machine, const std::string& password = "pw") {
    return "--db " + dir_.file(machine + ".db") + " --remote " + server_->url(":" + password);
  }
  static nlohmann::json json_in(const std::string& out) {
    return nlohmann::json::parse(out.substr(out.find('{')), nullptr, false);
  }
  testing::TempDir dir_;
  std::unique_ptr<testing::RedisServer> server_;
  const std::string ch2_ = std::string(VOXCACHE_TEMPLATES_DIR) + "/ch2.nii.gz";
};

TEST_F(CliRemoteTest, AnImportOnOneMachineIsPulledOnAnother) {
  CliRun imp = testing::run_cli(on("a") + " import " + ch2_);
  ASSERT_EQ(imp.code, 0) << imp.out;
  const std::string key = imp.out.substr(0, 64);
  CliRun rs = testing::run_cli(on("b") + " remote stats --json");
  ASSERT_EQ(rs.code, 0) << rs.out;
  const nlohmann::json j = json_in(rs.out);
  EXPECT_EQ(j["status"], "ok");
  EXPECT_EQ(j["entries"], 1);
  EXPECT_EQ(j["url"].get<std::string>().find(":pw@"), std::string::npos) << "password hidden";
  CliRun pull = testing::run_cli(on("b") + " remote pull " + key);
  ASSERT_EQ(pull.code, 0) << pull.out;
  CliRun ls = testing::run_cli("--db " + dir_.file("b.db") + " ls --json");
  EXPECT_NE(ls.out.find(key), std::string::npos) << "pulled into b's own database";
  CliRun stats = testing::run_cli(on("a") + " stats");
  EXPECT_NE(stats.out.find("remote         hits"), std::string::npos) << stats.out;
  EXPECT_NE(stats.out.find("written 3.5 MiB"), std::string::npos) << stats.out;
  EXPECT_EQ(stats.out.find(":pw@"), std::string::npos) << stats.out;
  CliRun push = testing::run_cli(on("b") + " remote push " + key.substr(0, 12));
  EXPECT_EQ(push.code, 0) << push.out;
  // --json: one item per key, copied or why not (an unknown full key).
  const std::string absent(64, 'a');
  CliRun pj = testing::run_cli(on("b") + " remote pull --json " + key + " " + absent);
  EXPECT_EQ(pj.code, 2) << pj.out;
  const nlohmann::json items =
      nlohmann::json::parse(pj.out.substr(pj.out.find('[')), nullptr, false);
  ASSERT_TRUE(items.is_array() && items.size() == 2) << pj.out;
  EXPECT_EQ(items[0], (nlohmann::json{{"key", key}, {"pulled", true}}));
  EXPECT_EQ(items[1]["key"], absent);
  EXPECT_EQ(items[1]["error"].get<std::string>().rfind("NotFound: ", 0), 0u) << pj.out;
  CliRun pushj = testing::run_cli(on("b") + " remote push --json " + key);
  EXPECT_EQ(pushj.code, 0) << pushj.out;
  EXPECT_NE(pushj.out.find("\"pushed\": true"), std::string::npos) << pushj.out;
}

TEST_F(CliRemoteTest, AFreshWorkerWithNoDatabaseYetReadsThroughTheRemote) {
  CliRun imp = testing::run_cli(on("a") + " import " + ch2_);
  ASSERT_EQ(imp.code, 0) << imp.out;
  const std::string key = imp.out.substr(0, 64);
  ASSERT_FALSE(std::filesystem::exists(dir_.file("fresh.db")));
  const std::string out = dir_.file("ch2-from-remote.nii.gz");
  CliRun exp = testing::run_cli(on("fresh") + " export " + key + " " + out);
  ASSERT_EQ(exp.code, 0) << exp.out;
  EXPECT_TRUE(std::filesystem::exists(out));
  CliRun ls = testing::run_cli("--db " + dir_.file("fresh.db") + " ls --json");
  EXPECT_NE(ls.out.find(key), std::string::npos) << "kept in the new local database";
  // Without a remote, a missing database is still an error, not a new file.
  CliRun none = testing::run_cli("--db " + dir_.file("none.db") + " ls");
  EXPECT_NE(none.code, 0) << none.out;
  EXPECT_FALSE(std::filesystem::exists(dir_.file("none.db")));
}

TEST_F(CliRemoteTest, APasswordFileKeepsThePasswordOffTheCommandLine) {
  const std::string file = dir_.file("redis.pw");
  std::ofstream(file) << "pw\n";
  const std::string base = "--db " + dir_.file("a.db") + " --remote " + server_->url();
  CliRun imp = testing::run_cli(base + " --remote-password-file " + file + " import " + ch2_);
  ASSERT_EQ(imp.code, 0) << imp.out;
  EXPECT_EQ(imp.out.find("warning"), std::string::npos) << imp.out;
  CliRun rs = testing::run_cli(base + " --remote-password-file " + file + " remote stats --json");
  ASSERT_EQ(rs.code, 0) << rs.out;
  EXPECT_EQ(json_in(rs.out)["entries"], 1);
  CliRun without = testing::run_cli(base + " remote stats");
  EXPECT_NE(without.out.find("needs a password"), std::string::npos) << without.out;
  CliRun missing = testing::run_cli(base + " --remote-password-file " + dir_.file("none") + " ls");
  EXPECT_EQ(missing.code, 1) << missing.out;
  EXPECT_NE(missing.out.find("cannot read a password"), std::string::npos) << missing.out;
}

TEST_F(CliRemoteTest, AFullRedisIsNotSilent) {
  server_.reset();
  server_ = std::make_unique<testing::RedisServer>(
      dir_.file("redis"), std::vector<std::string>{"--requirepass", "pw", "--maxmemory", "1mb",
                                                   "--maxmemory-policy", "noeviction"});
  CliRun imp = testing::run_cli(on("a") + " import " + ch2_);
  EXPECT_EQ(imp.code, 0) << imp.out;
  EXPECT_NE(imp.out.find("warning: 1 push to remote"), std::string::npos) << imp.out;
  EXPECT_NE(imp.out.find("full"), std::string::npos) << imp.out;
  EXPECT_NE(imp.out.find("kept in the local database only"), std::string::npos) << imp.out;
}

TEST_F(CliRemoteTest, AWrongPasswordWarnsWithoutShowingItAndTheLocalCacheWorks) {
  CliRun r = testing::run_cli(on("a", "hunter2") + " import " + ch2_);
  EXPECT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("warning: remote"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("hunter2"), std::string::npos) << r.out;
  CliRun rs = testing::run_cli(on("a", "hunter2") + " remote stats");
  EXPECT_EQ(rs.code, 1) << rs.out;
  EXPECT_EQ(testing::run_cli("--db " + dir_.file("a.db") + " remote stats").code, 2)
      << "no --remote";
  EXPECT_EQ(testing::run_cli(on("a") + " remote pull 0123456789abcdef").code, 2);
}

// voxcache run on a cluster: a step computed on machine a is a hit on b,
// whose input has the same content at another path, and b's output is the
// file a's command wrote.
TEST_F(CliRemoteTest, ARunOnOneMachineIsAHitOnAnotherWithTheInputElsewhere) {
  namespace fs = std::filesystem;
  for (const char* m : {"a", "b"}) fs::create_directories(dir_.file(std::string(m) + "/data"));
  fs::copy_file(ch2_, dir_.file("a/data/t1.nii.gz"));
  fs::copy_file(ch2_, dir_.file("b/data/t1.nii.gz"));
  std::ofstream(dir_.file("runs.log")).flush();
  auto step = [&](const std::string& m) {
    const std::string in = dir_.file(m + "/data/t1.nii.gz"), out = dir_.file(m + "/brain.nii.gz");
    return testing::run_cli(on(m) + " run -v --in " + in + " --out " + out +
                            " -- sh -c 'cp \"$1\" \"$2\"; echo run >> " + dir_.file("runs.log") +
                            "; echo copied' sh " + in + " " + out);
  };
  CliRun a = step("a");
  ASSERT_EQ(a.code, 0) << a.out;
  EXPECT_NE(a.out.find("miss"), std::string::npos) << a.out;
  CliRun b = step("b");
  ASSERT_EQ(b.code, 0) << b.out;
  EXPECT_NE(b.out.find("hit"), std::string::npos) << b.out;
  EXPECT_NE(b.out.find("copied"), std::string::npos) << "its output replayed";
  EXPECT_EQ(testing::count_lines(dir_.file("runs.log")), 1) << "computed once, on a";
  auto bytes = [](const std::string& p) {
    std::ifstream f(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(f), {});
  };
  EXPECT_TRUE(bytes(dir_.file("b/brain.nii.gz")) == bytes(ch2_)) << "byte for byte";
}

}  // namespace
}  // namespace voxcache
