// voxcache run and voxcache key (src/cli/cmd_run.cc), with a real command:
// a small shell tool that copies a volume, writes a note and counts its runs.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "cli/cli_support.h"
#include "test_support.h"
#include "voxcache/itk.h"

namespace voxcache {
namespace {

namespace fs = std::filesystem;
using testing::CliRun;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class CliRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fs::copy_file(std::string(VOXCACHE_TEMPLATES_DIR) + "/ch2.nii.gz", in_);
    std::ofstream(tool_)
        << "#!/bin/sh\n"
        << "# tool IN OUT NOTE [FAIL|KILL|SLEEP]\n"
        << "echo run >> " << runs_ << "\n"
        << "echo \"tool ran\"; echo \"tool warns\" >&2\n"
        << "case \"$4\" in FAIL) exit 3;; KILL) kill -9 $$;; SLEEP) sleep 1;; esac\n"
        << "cp \"$1\" \"$2\" && echo \"note v1\" > \"$3\"\n";
    fs::permissions(tool_, fs::perms::owner_all);
  }
  // voxcache run of the tool on `in`, writing `out` and `note`.
  CliRun run(const std::string& in, const std::string& out, const std::string& note,
             const std::string& extra = "", const std::string& flags = "") {
    return testing::run_cli("--db " + db_ + " run " + flags + " --in " + in + " --out " + out +
                            " --out " + note + " -- " + tool_ + " " + in + " " + out + " " + note +
                            (extra.empty() ? "" : " " + extra));
  }
  int runs() const { return testing::count_lines(runs_); }
  // Entries other than the remembered content keys of files (docs/run.md).
  int entries() const {
    CliRun ls = testing::run_cli("--db " + db_ + " ls --json");
    const nlohmann::json j = nlohmann::json::parse(ls.out, nullptr, false);
    if (!j.is_array()) return -1;
    int n = 0;
    for (const auto& e : j)
      n += !(e["operation"].is_string() && e["operation"] == "run:file-identity");
    return n;
  }
  std::string file(const std::string& name) const { return dir_.file(name); }

  testing::TempDir dir_;
  const std::string db_ = dir_.file("cache.db");
  const std::string in_ = dir_.file("in.nii.gz");
  const std::string tool_ = dir_.file("tool.sh");
  const std::string runs_ = dir_.file("runs.log");
};

void expect_same_volume(const std::string& a, const std::string& b) {
  Result<Volume> va = read_image(a), vb = read_image(b);
  ASSERT_OK(va.status());
  ASSERT_OK(vb.status());
  EXPECT_EQ(*va, *vb) << "every voxel and geometry field of " << b;
}

TEST_F(CliRunTest, TheSecondRunIsAHitThatWritesTheSameOutputs) {
  CliRun first = run(in_, file("out.nii.gz"), file("note.txt"));
  ASSERT_EQ(first.code, 0) << first.out;
  EXPECT_NE(first.out.find("tool ran"), std::string::npos) << "a miss passes the output through";
  const std::string note = slurp(file("note.txt"));
  ASSERT_EQ(note, "note v1\n");
  EXPECT_EQ(entries(), 3) << "the run and its two outputs";
  fs::remove(file("out.nii.gz"));
  fs::remove(file("note.txt"));

  CliRun second = run(in_, file("out.nii.gz"), file("note.txt"));
  ASSERT_EQ(second.code, 0) << second.out;
  EXPECT_EQ(runs(), 1) << "the tool did not run again";
  EXPECT_NE(second.out.find("tool ran"), std::string::npos) << "a hit replays stdout";
  EXPECT_NE(second.out.find("tool warns"), std::string::npos) << "and stderr";
  expect_same_volume(in_, file("out.nii.gz"));
  EXPECT_EQ(slurp(file("out.nii.gz")), slurp(in_)) << "the output is the very file, byte for byte";
  EXPECT_EQ(slurp(file("note.txt")), note) << "byte outputs are byte-identical";
  for (const auto& e : fs::directory_iterator(dir_.path())) {
    EXPECT_EQ(e.path().filename().string().rfind(".voxcache-", 0), std::string::npos)
        << "a temporary file was left: " << e.path();
  }

  // --replay-output, from before replay was the default, is still taken.
  CliRun replay = run(in_, file("out2.nii.gz"), file("note2.txt"), "", "--replay-output");
  ASSERT_EQ(replay.code, 0) << replay.out;
  EXPECT_NE(replay.out.find("tool ran"), std::string::npos) << replay.out;
  EXPECT_EQ(runs(), 1) << "other output names are the same recipe";
  expect_same_volume(in_, file("out2.nii.gz"));
}

TEST_F(CliRunTest, AHitNeverWritesThroughALinkPlantedAtAnOutputOrATemporaryName) {
  ASSERT_EQ(run(in_, file("out.nii.gz"), file("note.txt")).code, 0);
  const std::string victim = file("victim");
  std::ofstream(victim) << "precious\n";
  fs::remove(file("out.nii.gz"));
  fs::remove(file("note.txt"));
  fs::create_symlink(victim, file("note.txt"));
  // The names the writer used to make, for every pid the next runs may get.
  const pid_t next = getpid();
  for (pid_t p = next; p < next + 2000; ++p) {
    fs::create_symlink(victim, file(".voxcache-" + std::to_string(p) + "-out.nii.gz"));
    fs::create_symlink(victim, file(".voxcache-" + std::to_string(p) + "-note.txt"));
  }
  CliRun hit = run(in_, file("out.nii.gz"), file("note.txt"));
  ASSERT_EQ(hit.code, 0) << hit.out;
  EXPECT_EQ(runs(), 1) << "a hit";
  EXPECT_EQ(slurp(victim), "precious\n") << "the link's target is untouched";
  EXPECT_FALSE(fs::is_symlink(file("note.txt"))) << "the link at the output was replaced";
  EXPECT_EQ(slurp(file("note.txt")), "note v1\n");
  expect_same_volume(in_, file("out.nii.gz"));
}

TEST_F(CliRunTest, ARenamedInputHitsAnEditedVoxelMisses) {
  ASSERT_EQ(run(in_, file("out.nii.gz"), file("note.txt")).code, 0);
  fs::create_directories(file("moved"));
  const std::string moved = file("moved/renamed.nii.gz");
  fs::copy_file(in_, moved);
  ASSERT_EQ(run(moved, file("out.nii.gz"), file("note.txt")).code, 0);
  EXPECT_EQ(runs(), 1) << "a renamed, moved input has the same content";

  Result<Volume> v = read_image(in_);
  ASSERT_OK(v.status());
  v->mutable_data()[12345] ^= 1;
  const std::string edited = file("edited.nii.gz");
  ASSERT_OK(write_image(*v, edited));
  ASSERT_EQ(run(edited, file("out3.nii.gz"), file("note3.txt")).code, 0);
  EXPECT_EQ(runs(), 2) << "one voxel changed: a miss";
  expect_same_volume(edited, file("out3.nii.gz"));

  // Content keys of inputs are remembered under the file's identity (path,
  // inode, size, modification time): a file rewritten in place is new.
  v->mutable_data()[12345] ^= 3;
  ASSERT_OK(write_image(*v, in_));
  ASSERT_EQ(run(in_, file("out4.nii.gz"), file("note4.txt")).code, 0);
  EXPECT_EQ(runs(), 3) << "the input changed in place: a miss";
  expect_same_volume(in_, file("out4.nii.gz"));
}

TEST_F(CliRunTest, AFailingOrKilledCommandStoresNothingAndReturnsItsCode) {
  CliRun failed = run(in_, file("out.nii.gz"), file("note.txt"), "FAIL");
  EXPECT_EQ(failed.code, 3) << failed.out;
  EXPECT_EQ(entries(), 0);
  EXPECT_FALSE(fs::exists(file("out.nii.gz")));
  EXPECT_EQ(run(in_, file("out.nii.gz"), file("note.txt"), "FAIL").code, 3);
  EXPECT_EQ(runs(), 2) << "a failed run is not remembered";

  CliRun killed = run(in_, file("out.nii.gz"), file("note.txt"), "KILL");
  EXPECT_EQ(killed.code, 128 + 9) << killed.out;
  EXPECT_EQ(entries(), 0);

  // A declared output the command did not write is an error, and stores nothing.
  CliRun missing = testing::run_cli("--db " + db_ + " run --in " + in_ + " --out " +
                                    file("never.txt") + " -- /bin/true " + in_);
  EXPECT_EQ(missing.code, 1) << missing.out;
  EXPECT_NE(missing.out.find("never.txt was not produced"), std::string::npos) << missing.out;
  EXPECT_EQ(entries(), 0);
  EXPECT_FALSE(fs::exists(file("never.txt")));
}

// Four shells running one step at once: one runs the tool, the others wait
// for its result and write their outputs from the cache.
TEST_F(CliRunTest, ConcurrentIdenticalRunsRunTheCommandOnce) {
  std::string line = "(";
  for (int i = 0; i < 4; ++i) {
    const std::string n = std::to_string(i);
    line += std::string(VOXCACHE_CLI) + " --db " + db_ + " run --in " + in_ + " --out " +
            file("out" + n + ".nii.gz") + " --out " + file("note" + n + ".txt") + " -- " + tool_ +
            " " + in_ + " " + file("out" + n + ".nii.gz") + " " + file("note" + n + ".txt") +
            " SLEEP >/dev/null 2>&1 & ";
  }
  line += "wait)";
  ASSERT_EQ(std::system(line.c_str()), 0);
  EXPECT_EQ(runs(), 1) << "four identical runs, one computation";
  for (int i = 0; i < 4; ++i) {
    expect_same_volume(in_, file("out" + std::to_string(i) + ".nii.gz"));
    EXPECT_EQ(slurp(file("note" + std::to_string(i) + ".txt")), "note v1\n");
  }
}

TEST_F(CliRunTest, RefreshRunsAgainAndNoStoreStoresNothing) {
  CliRun plain = run(in_, file("out.nii.gz"), file("note.txt"), "", "--no-store");
  ASSERT_EQ(plain.code, 0) << plain.out;
  EXPECT_FALSE(fs::exists(db_)) << "--no-store created no database";
  ASSERT_EQ(run(in_, file("out.nii.gz"), file("note.txt")).code, 0);
  ASSERT_EQ(run(in_, file("out.nii.gz"), file("note.txt"), "", "--refresh").code, 0);
  EXPECT_EQ(runs(), 3);
  ASSERT_EQ(run(in_, file("out.nii.gz"), file("note.txt"), "", "--no-store").code, 0);
  EXPECT_EQ(runs(), 3) << "--no-store still uses a hit";
}

TEST_F(CliRunTest, TheToolsVersionIsPartOfTheKey) {
  auto versioned = [&](const std::string& version) {
    return testing::run_cli("--db " + db_ + " run --version-cmd 'echo " + version + "' --in " +
                            in_ + " --out " + file("o.nii.gz") + " --out " + file("n.txt") +
                            " -- " + tool_ + " " + in_ + " " + file("o.nii.gz") + " " +
                            file("n.txt"));
  };
  ASSERT_EQ(versioned("1.0").code, 0);
  ASSERT_EQ(versioned("1.0").code, 0);
  EXPECT_EQ(runs(), 1);
  ASSERT_EQ(versioned("2.0").code, 0);
  EXPECT_EQ(runs(), 2) << "another version of the tool: a miss";
}

// A command that writes files it is not told the names of: declaring one
// output or two is another recipe, not a conflict.
TEST_F(CliRunTest, TheNumberOfDeclaredOutputsIsPartOfTheKey) {
  const std::string cmd = " -- " + tool_ + " " + in_ + " " + file("a.nii.gz") + " " + file("b.txt");
  CliRun one =
      testing::run_cli("--db " + db_ + " run --in " + in_ + " --out " + file("a.nii.gz") + cmd);
  ASSERT_EQ(one.code, 0) << one.out;
  CliRun two = testing::run_cli("--db " + db_ + " run --in " + in_ + " --out " + file("a.nii.gz") +
                                " --out " + file("b.txt") + cmd);
  ASSERT_EQ(two.code, 0) << two.out;
  EXPECT_EQ(runs(), 2);
  fs::remove(file("b.txt"));
  two = testing::run_cli("--db " + db_ + " run --in " + in_ + " --out " + file("a.nii.gz") +
                         " --out " + file("b.txt") + cmd);
  ASSERT_EQ(two.code, 0) << two.out;
  EXPECT_EQ(runs(), 2) << "a hit";
  EXPECT_EQ(slurp(file("b.txt")), "note v1\n");
}

TEST_F(CliRunTest, KeyPrintsContentKeysAndStoresNothing) {
  CliRun k = testing::run_cli("--db " + db_ + " key --json " + in_ + " " + tool_);
  ASSERT_EQ(k.code, 0) << k.out;
  const nlohmann::json j = nlohmann::json::parse(k.out);
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["key"], content_key(*read_image(in_)).hex()) << "a volume's content key";
  EXPECT_EQ(j[1]["key"], KeyBuilder("file").arg("bytes", KeyArg::Bytes(slurp(tool_))).build().hex())
      << "any other file: the key of its bytes";
  EXPECT_FALSE(fs::exists(db_)) << "key opens no database";
  EXPECT_EQ(testing::run_cli("key " + file("absent")).code, 2);
}

}  // namespace
}  // namespace voxcache
