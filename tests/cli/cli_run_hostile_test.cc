// voxcache run against run records and output entries that lie (a damaged or
// crafted database, a hostile remote): a hit writes nothing it cannot check,
// nothing outside its output, and tells corruption from a miss.

#include <sys/stat.h>

#include "cli/run_fixture.h"
#include "voxcache/cache.h"

namespace voxcache {
namespace {

namespace fs = std::filesystem;
using testing::slurp;
using testing::spit;

class RunHostileTest : public testing::RunFixture {
 protected:
  void SetUp() override {
    spit(file("in.txt"), "input\n");
    auto miss = vrun(
        "--in in.txt --out out --json -- sh -c 'mkdir out; echo ok > out/a; echo run >> runs.log'");
    ASSERT_EQ(miss.code, 0) << miss.err;
    key_ = nlohmann::json::parse(miss.err)["key"];
    fs::remove_all(file("out"));
  }
  testing::CliRunSplit again() {
    return vrun(
        "--in in.txt --out out -v -- sh -c 'mkdir out; echo ok > out/a; echo run >> runs.log'");
  }
  // Replaces the run record with `manifest`, as a crafted database would.
  void forge(const nlohmann::json& manifest) {
    auto types = std::make_shared<TypeRegistry>();
    ASSERT_OK(types->add_type<nlohmann::json>(
        "run",
        [](const nlohmann::json& j) -> Result<std::string> {
          std::string out;
          nlohmann::json::to_cbor(j, out);
          return out;
        },
        [](std::string_view) -> Result<nlohmann::json> { return Status::Corruption("unused"); }));
    Options o;
    o.types = types;
    auto c = testing::open_cache(db_, o);
    ASSERT_NE(c, nullptr);
    const OperationKey k = *OperationKey::FromHex(key_);
    ASSERT_OK(c->erase(k));
    ASSERT_OK(c->put(k, Value::Custom("run", manifest)));
  }
  nlohmann::json record(const nlohmann::json& entries) {
    return {
        {"format", 2},
        {"exit", 0},
        {"stdout", nlohmann::json::binary(std::vector<uint8_t>())},
        {"stderr", nlohmann::json::binary(std::vector<uint8_t>())},
        {"outputs", nlohmann::json::array(
                        {{{"kind", "dir"}, {"mode", 0755}, {"key", key_}, {"entries", entries}}})}};
  }
  std::string key_;
};

TEST_F(RunHostileTest, APathThatLeavesTheOutputIsCorruptionAndWritesNothing) {
  for (const char* bad : {"../escaped", "/tmp/escaped", "a/../../escaped", "."}) {
    forge(record(nlohmann::json::array(
        {{{"path", bad}, {"kind", "file"}, {"mode", 0644}, {"size", 3}, {"digest", "00"}}})));
    auto hit = again();
    EXPECT_EQ(hit.code, 1) << bad << ": " << hit.err;
    EXPECT_NE(hit.err.find("Corruption"), std::string::npos) << hit.err;
    EXPECT_FALSE(fs::exists(file("escaped")));
    EXPECT_FALSE(fs::exists(file("out"))) << "nothing written";
  }
  EXPECT_EQ(count("runs.log"), 1) << "corruption is not a miss: the command did not run";
}

TEST_F(RunHostileTest, BytesThatAreNotTheOnesRecordedAreCorruption) {
  // The record says out/a holds 3 bytes of another digest.
  forge(record(nlohmann::json::array({{{"path", "a"},
                                       {"kind", "file"},
                                       {"mode", 0644},
                                       {"size", 3},
                                       {"digest", std::string(32, '0')}}})));
  auto hit = again();
  EXPECT_EQ(hit.code, 1) << hit.err;
  EXPECT_NE(hit.err.find("not the ones the command wrote"), std::string::npos) << hit.err;
  EXPECT_FALSE(fs::exists(file("out")));
}

TEST_F(RunHostileTest, ARecordOfAnotherShapeIsCorruptionNotACrash) {
  for (const nlohmann::json& m :
       {nlohmann::json{{"format", 2}}, nlohmann::json{{"format", 2}, {"outputs", "x"}},
        nlohmann::json{{"format", 2}, {"outputs", {1}}},
        nlohmann::json{{"format", 2}, {"outputs", {{{"kind", 7}}}}},
        nlohmann::json{{"format", "2"}},
        record(nlohmann::json::array({{{"path", 1}, {"kind", "file"}}})),
        record(nlohmann::json::array({{{"path", "a"}, {"kind", "fifo"}}}))}) {
    forge(m);
    auto hit = again();
    EXPECT_EQ(hit.code, 1) << m.dump() << ": " << hit.err;
    EXPECT_NE(hit.err.find("Corruption"), std::string::npos) << m.dump() << ": " << hit.err;
  }
  EXPECT_EQ(count("runs.log"), 1);
}

TEST_F(RunHostileTest, AnEvictedOutputIsAMissThatRunsAgain) {
  testing::CliRun ls = cli("ls --json --op sh:output");
  const nlohmann::json outs = nlohmann::json::parse(ls.out);
  ASSERT_EQ(outs.size(), 1u) << ls.out;
  ASSERT_EQ(cli("rm " + outs[0]["key"].get<std::string>()).code, 0);
  auto hit = again();
  ASSERT_EQ(hit.code, 0) << hit.err;
  EXPECT_EQ(count("runs.log"), 2) << "ran again";
  EXPECT_EQ(slurp(file("out/a")), "ok\n");
  auto now = again();
  EXPECT_NE(now.err.find("hit"), std::string::npos) << "stored again: " << now.err;
}

// As ccache runs the compiler when its cache is unusable: the command runs,
// uncached, and voxcache says why.
TEST_F(RunHostileTest, ADatabaseThatCannotBeUsedRunsTheCommandUncached) {
  fs::remove_all(file("out"));
  for (const char* f : {"cache.db", "cache.db-wal", "cache.db-shm"}) fs::remove(file(f));
  spit(db_, std::string(4096, 'x'));  // not a database
  auto r =
      vrun("--in in.txt --out out -v -- sh -c 'mkdir out; echo ok > out/a; echo run >> runs.log'");
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(count("runs.log"), 2) << "it ran";
  EXPECT_EQ(slurp(file("out/a")), "ok\n");
  EXPECT_NE(r.err.find("warning: not cached"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("not cached"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace voxcache
