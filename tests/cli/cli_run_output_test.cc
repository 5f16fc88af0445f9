// What a hit of voxcache run gives back (src/cli/run/outputs.cc,
// src/cli/cmd_run.cc): the command's own words after --, every output byte
// for byte (a scaled NIfTI written by nibabel, directory trees), what it
// printed and its exit status, never a stale output; and what it says of
// itself (--verbose, --json, VOXCACHE_RUN_LOG, stats, ls).

#include <sys/stat.h>

#include "cli/run_fixture.h"

namespace voxcache {
namespace {

namespace fs = std::filesystem;
using testing::slurp;
using testing::spit;

class RunOutputTest : public testing::RunFixture {
 protected:
  void SetUp() override { fs::copy_file(std::string(VOXCACHE_TEMPLATES_DIR) + "/ch2.nii.gz", in_); }
  const std::string in_ = file("t1.nii.gz");
};

TEST_F(RunOutputTest, EverythingAfterTheDashesIsTheCommands) {
  auto copy = vrun("--in t1.nii.gz --out o.nii.gz -- cp -v t1.nii.gz o.nii.gz");
  ASSERT_EQ(copy.code, 0) << copy.err;
  EXPECT_EQ(copy.out, "'t1.nii.gz' -> 'o.nii.gz'\n") << "cp's own -v";
  EXPECT_EQ(slurp(file("o.nii.gz")), slurp(in_));

  for (int i = 0; i < 2; ++i) {  // a miss, then a hit
    auto echo = vrun("--in t1.nii.gz -v -- echo --refresh -v --in hello");
    ASSERT_EQ(echo.code, 0) << echo.err;
    EXPECT_EQ(echo.out, "--refresh -v --in hello\n") << "none of it is taken for voxcache's";
    EXPECT_NE(echo.err.find(i == 0 ? "miss" : "hit"), std::string::npos) << echo.err;
  }
  auto none = vrun("--in t1.nii.gz echo hello");
  EXPECT_EQ(none.code, 2) << "without --, a command is a usage error";
  auto empty = vrun("--in t1.nii.gz --");
  EXPECT_EQ(empty.code, 2);
  EXPECT_NE(empty.err.find("no command"), std::string::npos) << empty.err;
}

// A real tool (a Python script with nibabel) writes a NIfTI whose header a
// re-encoding would change: sform_code 4, qform_code 0, descrip, aux_file,
// intent_code, and int16 voxels with scl_slope 2. A hit writes that file.
TEST_F(RunOutputTest, AHitWritesTheFileTheToolWroteByteForByte) {
  spit(file("step.py"), R"(import sys, nibabel as nib, numpy as np
img = nib.load(sys.argv[1])
data = np.asarray(img.dataobj, dtype=np.float32)
out = nib.Nifti1Image(np.round(data / 2).astype(np.int16), img.affine)
out.header.set_sform(img.affine, code=4)
out.header.set_qform(None, code=0)
out.header['descrip'] = b'voxcache run test'
out.header['aux_file'] = b'aux.txt'
out.header.set_intent('t test', (12.0,))
out.header.set_slope_inter(2.0, 0.0)
nib.save(out, sys.argv[2])
print("mean", float(data.mean()))
)");
  const std::string cmd =
      "--in t1.nii.gz --out scaled.nii -- " VOXCACHE_PYTHON " step.py t1.nii.gz scaled.nii";
  auto miss = vrun("-v " + cmd);
  ASSERT_EQ(miss.code, 0) << miss.err;
  ASSERT_NE(miss.err.find("miss"), std::string::npos) << miss.err;
  const std::string written = slurp(file("scaled.nii"));
  ASSERT_GT(written.size(), 348u);
  fs::remove(file("scaled.nii"));
  auto hit = vrun("-v " + cmd);
  ASSERT_EQ(hit.code, 0) << hit.err;
  EXPECT_NE(hit.err.find("hit"), std::string::npos) << hit.err;
  EXPECT_EQ(hit.out, miss.out) << "the mean the tool printed";
  EXPECT_TRUE(slurp(file("scaled.nii")) == written) << "cmp-identical to what the tool wrote";

  // And nibabel reads the header fields back as the tool set them.
  spit(file("check.py"), R"(import sys, nibabel as nib
img = nib.load(sys.argv[1])
h = img.header
print(int(h['sform_code']), int(h['qform_code']), h['descrip'].item().decode(),
      h['aux_file'].item().decode(), int(h['intent_code']), img.dataobj.slope, h.get_data_dtype())
)");
  FILE* p = popen(
      ("cd " + dir_.path().string() + " && " VOXCACHE_PYTHON " check.py scaled.nii").c_str(), "r");
  char line[256] = {};
  ASSERT_TRUE(p && fgets(line, sizeof(line), p));
  pclose(p);
  EXPECT_EQ(std::string(line), "4 0 voxcache run test aux.txt 3 2.0 int16\n");
}

TEST_F(RunOutputTest, WhatTheCommandPrintedAndItsExitAreReplayedExactly) {
  // Bytes that are not text, a stream of each kind, no newline at the end.
  spit(file("noisy.sh"),
       "#!/bin/sh\nprintf 'a\\000b\\377\\n' ; printf 'warn\\n' >&2; printf tail\n", true);
  auto miss = vrun("--in t1.nii.gz -- ./noisy.sh");
  ASSERT_EQ(miss.code, 0) << miss.err;
  ASSERT_EQ(miss.out, std::string("a\0b\xff\ntail", 9));
  auto hit = vrun("--in t1.nii.gz -v -- ./noisy.sh");
  ASSERT_EQ(hit.code, 0) << hit.err;
  ASSERT_NE(hit.err.find("hit"), std::string::npos) << hit.err;
  EXPECT_EQ(hit.out, miss.out) << "stdout, byte for byte";
  EXPECT_EQ(hit.err.substr(0, 5), "warn\n") << "stderr";
  // A captured value, as in MEAN=$(voxcache run ... -- fslstats ...).
  auto captured = testing::run_cli_split(
      "",
      "cd " + dir_.path().string() + " && X=$(" + VOXCACHE_CLI + " --db " + db_ +
          " run --in t1.nii.gz -- ./noisy.sh 2>/dev/null | tr -d '\\000\\377') && echo \"[$X]\" #");
  EXPECT_EQ(captured.out, "[ab\ntail]\n");
}

TEST_F(RunOutputTest, AStaleOutputIsNeverStoredAndAFailureKeepsTheOldOne) {
  spit(file("s.txt"), "stale\n");
  auto noop = vrun("--in t1.nii.gz --out s.txt --op noop -- true");
  EXPECT_EQ(noop.code, 1) << "true wrote no s.txt";
  EXPECT_NE(noop.err.find("s.txt was not produced"), std::string::npos) << noop.err;
  EXPECT_EQ(slurp(file("s.txt")), "stale\n") << "put back, as running true would have left it";
  EXPECT_FALSE(cli("ls --json").out.find("noop") != std::string::npos) << "nothing stored";

  auto failing = vrun("--in t1.nii.gz --out s.txt -- sh -c 'exit 4'");
  EXPECT_EQ(failing.code, 4);
  EXPECT_EQ(slurp(file("s.txt")), "stale\n");

  auto writes = vrun("--in t1.nii.gz --out s.txt -- sh -c 'echo fresh > s.txt'");
  ASSERT_EQ(writes.code, 0) << writes.err;
  spit(file("s.txt"), "stale again\n");
  auto hit = vrun("--in t1.nii.gz --out s.txt -v -- sh -c 'echo fresh > s.txt'");
  ASSERT_EQ(hit.code, 0) << hit.err;
  EXPECT_NE(hit.err.find("hit"), std::string::npos);
  EXPECT_EQ(slurp(file("s.txt")), "fresh\n") << "what the command wrote, over the stale file";
  for (const auto& e : fs::directory_iterator(dir_.path())) {
    EXPECT_EQ(e.path().filename().string().rfind(".voxcache-", 0), std::string::npos)
        << "left behind: " << e.path();
  }
}

// An in-place step (fslmaths a -add 1 a): the output that is also the input
// is not moved away from the command, and is stored as it left it.
TEST_F(RunOutputTest, AnInPlaceStepReadsItsInputAndStoresWhatItWrote) {
  spit(file("n.txt"), "1\n");
  const std::string step =
      "--in n.txt --out n.txt -- sh -c 'echo run >> runs.log; "
      "echo $(( $(cat n.txt) + 1 )) > n.txt.tmp && mv n.txt.tmp n.txt'";
  auto first = vrun(step);
  ASSERT_EQ(first.code, 0) << first.err;
  EXPECT_EQ(slurp(file("n.txt")), "2\n");
  spit(file("n.txt"), "1\n");
  auto hit = vrun("-v " + step);
  ASSERT_EQ(hit.code, 0) << hit.err;
  EXPECT_NE(hit.err.find("hit"), std::string::npos) << hit.err;
  EXPECT_EQ(slurp(file("n.txt")), "2\n") << "what the step made of 1";
  EXPECT_EQ(count("runs.log"), 1);
}

// A FreeSurfer-like output tree: folders, an executable, an empty file, a
// link. A hit rebuilds it exactly, replacing what is there.
TEST_F(RunOutputTest, AnOutputDirectoryComesBackExactly) {
  spit(file("tree.sh"),
       "#!/bin/sh\nset -e\nmkdir -p \"$1/mri\" \"$1/scripts\" \"$1/empty\"\n"
       "cp t1.nii.gz \"$1/mri/orig.nii.gz\"\nprintf '#!/bin/sh\\necho hi\\n' > "
       "\"$1/scripts/run.sh\"\n"
       "chmod 755 \"$1/scripts/run.sh\"\n: > \"$1/mri/empty.txt\"\nln -s mri/orig.nii.gz "
       "\"$1/link\"\n"
       "chmod 700 \"$1/mri\"\necho runs >> runs.log\n",
       true);
  auto describe = [&](const std::string& root) {
    std::string d;
    std::vector<std::string> lines;
    for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
         ++it) {
      struct stat st;
      lstat(it->path().c_str(), &st);
      std::string l =
          it->path().lexically_relative(root).string() + " " + std::to_string(st.st_mode);
      if (S_ISREG(st.st_mode))
        l += " " + std::to_string(std::hash<std::string>()(slurp(it->path())));
      if (S_ISLNK(st.st_mode)) l += " -> " + fs::read_symlink(it->path()).string();
      lines.push_back(l);
    }
    std::sort(lines.begin(), lines.end());
    for (const std::string& l : lines) d += l + "\n";
    return d;
  };
  auto miss = vrun("--in t1.nii.gz --out subj -- ./tree.sh subj");
  ASSERT_EQ(miss.code, 0) << miss.err;
  const std::string tree = describe(file("subj"));
  ASSERT_NE(tree.find("link 41471 -> mri/orig.nii.gz"), std::string::npos) << tree;
  fs::remove_all(file("subj"));
  auto hit = vrun("--in t1.nii.gz --out subj -v -- ./tree.sh subj");
  ASSERT_EQ(hit.code, 0) << hit.err;
  EXPECT_EQ(count("runs.log"), 1) << hit.err;
  EXPECT_EQ(describe(file("subj")), tree) << "names, modes, contents and links";
  // In a folder that is not there any more: made, as the command made it.
  auto nested = vrun(
      "--in t1.nii.gz --out deep/er/subj -- sh -c 'mkdir -p deep/er && ./tree.sh deep/er/subj'");
  ASSERT_EQ(nested.code, 0) << nested.err;
  fs::remove_all(file("deep"));
  ASSERT_EQ(
      vrun(
          "--in t1.nii.gz --out deep/er/subj -- sh -c 'mkdir -p deep/er && ./tree.sh deep/er/subj'")
          .code,
      0);
  EXPECT_EQ(describe(file("deep/er/subj")), tree);
  EXPECT_EQ(count("runs.log"), 2) << "one miss for the new command line, then a hit";
  // Over an existing, different tree: replaced whole.
  fs::remove_all(file("subj/scripts"));
  spit(file("subj/extra.txt"), "not the tool's\n");
  ASSERT_EQ(vrun("--in t1.nii.gz --out subj -- ./tree.sh subj").code, 0);
  EXPECT_EQ(describe(file("subj")), tree);
  EXPECT_EQ(count("runs.log"), 2);
}

TEST_F(RunOutputTest, ItSaysWhatHappened) {
  const std::string log = file("run.log");
  auto miss = vrun("--in t1.nii.gz --json -- echo one", "VOXCACHE_RUN_LOG=" + log);
  ASSERT_EQ(miss.code, 0) << miss.err;
  const nlohmann::json j = nlohmann::json::parse(miss.err, nullptr, false);
  ASSERT_TRUE(j.is_object()) << miss.err;
  EXPECT_EQ(j["outcome"], "miss");
  EXPECT_EQ(j["operation"], "echo");
  EXPECT_EQ(j["key"].get<std::string>().size(), 64u);
  auto hit = vrun("--in t1.nii.gz -- echo one", "VOXCACHE_RUN_LOG=" + log);
  ASSERT_EQ(hit.code, 0);
  EXPECT_EQ(hit.err, "") << "quiet unless asked";
  auto verbose = vrun("--in t1.nii.gz -- echo one", "VOXCACHE_RUN_LOG=1");
  EXPECT_EQ(verbose.err.rfind("voxcache run: hit ", 0), 0u) << verbose.err;
  auto not_cached = vrun("--in t1.nii.gz --no-store -v -- echo two");
  EXPECT_NE(not_cached.err.find("not cached"), std::string::npos) << not_cached.err;
  EXPECT_NE(not_cached.err.find("--no-store"), std::string::npos) << not_cached.err;
  auto big = vrun("--in t1.nii.gz -v -- head -c 70000000 /dev/zero");
  ASSERT_EQ(big.code, 0);
  EXPECT_EQ(big.out.size(), 70000000u) << "passed through whole";
  EXPECT_NE(big.err.find("not cached"), std::string::npos) << big.err;
  EXPECT_NE(big.err.find("more than 64 MiB"), std::string::npos) << big.err;

  std::istringstream lines(slurp(log));
  std::string l1, l2;
  ASSERT_TRUE(std::getline(lines, l1) && std::getline(lines, l2)) << slurp(log);
  EXPECT_EQ(nlohmann::json::parse(l1)["outcome"], "miss");
  EXPECT_EQ(nlohmann::json::parse(l2)["outcome"], "hit");

  const nlohmann::json stats = nlohmann::json::parse(cli("stats --json").out, nullptr, false);
  ASSERT_TRUE(stats.is_object());
  EXPECT_EQ(stats["runs"]["hits"], 2) << stats.dump();
  EXPECT_EQ(stats["runs"]["stored"], 1);
  const std::string text = cli("stats").out;
  EXPECT_NE(text.find("runs           2 hits, 1 stored"), std::string::npos) << text;

  auto ops = [](const nlohmann::json& ls) {
    std::set<std::string> o;
    for (const auto& e : ls) o.insert(e.value("operation", ""));
    return o;
  };
  EXPECT_EQ(ops(ls_json()), std::set<std::string>{"echo"}) << "identity records are hidden";
  EXPECT_EQ(ops(ls_json("--all")), (std::set<std::string>{"echo", "run:file-identity"}));
}

}  // namespace
}  // namespace voxcache
