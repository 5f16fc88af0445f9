// What the key of voxcache run covers (src/cli/run/inputs.cc): the program
// and the script it runs, input files by content and identity (with ctime
// and the "too new" rule), input directories as trees, --env, --stdin, and
// what the command's standard input is without it.

#include <sys/stat.h>

#include <thread>

#include "cli/run_fixture.h"

namespace voxcache {
namespace {

namespace fs = std::filesystem;
using testing::slurp;
using testing::spit;

class RunKeyTest : public testing::RunFixture {
 protected:
  // A run that counts itself and prints what it read from `in`.
  testing::CliRunSplit step(const std::string& in, const std::string& extra = "") {
    return vrun("--in " + in + " " + extra + " -- sh -c 'echo run >> runs.log; cat " + in + "'");
  }
};

TEST_F(RunKeyTest, EditingTheToolOrItsScriptIsANewRecipe) {
  spit(file("in.txt"), "data\n");
  spit(file("step.sh"), "#!/bin/sh\necho run >> runs.log\necho v1\n", true);
  EXPECT_EQ(vrun("--in in.txt -- ./step.sh").out, "v1\n");
  EXPECT_EQ(vrun("--in in.txt -- ./step.sh").out, "v1\n");
  EXPECT_EQ(count("runs.log"), 1);
  spit(file("step.sh"), "#!/bin/sh\necho run >> runs.log\necho v2\n", true);
  EXPECT_EQ(vrun("--in in.txt -- ./step.sh").out, "v2\n") << "the edited script ran";
  EXPECT_EQ(count("runs.log"), 2);

  // An interpreter's script: python3 step.py.
  spit(file("step.py"), "open('runs.log', 'a').write('run\\n')\nprint('py1')\n");
  const std::string py = "--in in.txt -- " VOXCACHE_PYTHON " -u step.py in.txt";
  EXPECT_EQ(vrun(py).out, "py1\n");
  EXPECT_EQ(vrun(py).out, "py1\n");
  EXPECT_EQ(count("runs.log"), 3);
  spit(file("step.py"), "open('runs.log', 'a').write('run\\n')\nprint('py2')\n");
  EXPECT_EQ(vrun(py).out, "py2\n");
  EXPECT_EQ(count("runs.log"), 4);

  // --version-cmd goes into the key and prints nothing.
  auto v = vrun("--in in.txt --version-cmd 'echo 6.0.7' -- ./step.sh");
  EXPECT_EQ(v.out, "v2\n") << "only the command's output";
  EXPECT_EQ(count("runs.log"), 5) << "a version is another recipe";
}

// Identity is (path, device, inode, size, mtime, ctime): a rewrite in place
// with the modification time put back (touch -r) is still new.
TEST_F(RunKeyTest, AnInPlaceRewriteWithItsMtimeRestoredMisses) {
  spit(file("in.txt"), "AAAA\n");
  spit(file("ref"), "");
  ASSERT_EQ(std::system(("touch -r " + file("in.txt") + " " + file("ref")).c_str()), 0);
  // Older than the "too new" window, so that its identity alone is trusted.
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  EXPECT_EQ(step("in.txt").out, "AAAA\n");
  EXPECT_EQ(step("in.txt").out, "AAAA\n");
  ASSERT_EQ(count("runs.log"), 1);
  const nlohmann::json all = ls_json("--all");
  bool settled = false;
  for (const auto& e : all) settled |= e.value("operation", "") == "run:file-identity";
  ASSERT_TRUE(settled);
  std::fstream(file("in.txt"), std::ios::in | std::ios::out | std::ios::binary) << "BBBB";
  ASSERT_EQ(std::system(("touch -r " + file("ref") + " " + file("in.txt")).c_str()), 0);
  EXPECT_EQ(step("in.txt").out, "BBBB\n") << "same size, same mtime, new content";
  EXPECT_EQ(count("runs.log"), 2);
}

// A file changed within the last two seconds may change again in the same
// timestamp tick: its remembered key is used only after its bytes match.
TEST_F(RunKeyTest, ATooNewFileIsCheckedByItsBytes) {
  spit(file("in.txt"), "AAAA\n");
  EXPECT_EQ(step("in.txt").out, "AAAA\n");
  EXPECT_EQ(step("in.txt").out, "AAAA\n");
  EXPECT_EQ(count("runs.log"), 1) << "a hit, the bytes checked";
  // Rewritten in place, well inside the window.
  std::fstream(file("in.txt"), std::ios::in | std::ios::out | std::ios::binary) << "CCCC";
  EXPECT_EQ(step("in.txt").out, "CCCC\n");
  EXPECT_EQ(count("runs.log"), 2);
}

TEST_F(RunKeyTest, EnvironmentVariablesNamedWithEnvAreInTheKey) {
  spit(file("in.txt"), "x\n");
  auto with = [&](const std::string& env) {
    return vrun(
               "--in in.txt --env FSLOUTPUTTYPE -- sh -c 'echo run >> runs.log; echo "
               "\"$FSLOUTPUTTYPE\"'",
               env)
        .out;
  };
  EXPECT_EQ(with("FSLOUTPUTTYPE=NIFTI_GZ"), "NIFTI_GZ\n");
  EXPECT_EQ(with("FSLOUTPUTTYPE=NIFTI_GZ"), "NIFTI_GZ\n");
  EXPECT_EQ(count("runs.log"), 1);
  EXPECT_EQ(with("FSLOUTPUTTYPE=NIFTI"), "NIFTI\n");
  EXPECT_EQ(with("FSLOUTPUTTYPE="), "\n") << "set to nothing";
  EXPECT_EQ(with("unset FSLOUTPUTTYPE;"), "\n") << "unset is not the same as empty";
  EXPECT_EQ(count("runs.log"), 4);
  EXPECT_EQ(vrun("--env A=B -- true").code, 2) << "a name, not an assignment";
}

TEST_F(RunKeyTest, StandardInputIsKeyedWithStdinAndEmptyWithout) {
  const std::string cat = "-- sh -c 'echo run >> runs.log; cat'";
  EXPECT_EQ(vrun("--stdin " + cat, "echo one |").out, "one\n");
  EXPECT_EQ(vrun("--stdin " + cat, "echo one |").out, "one\n");
  EXPECT_EQ(count("runs.log"), 1);
  EXPECT_EQ(vrun("--stdin " + cat, "echo two |").out, "two\n") << "other input: a miss";
  EXPECT_EQ(count("runs.log"), 2);
  // Without --stdin the command reads /dev/null, and a loop around voxcache
  // run keeps its own input (as it would around bet).
  auto loop = testing::run_cli_split(
      "", "cd " + dir_.path().string() + " && printf 'a\\nb\\nc\\n' | while read x; do " +
              VOXCACHE_CLI + " --db " + db_ + " run --arg x=$x " + cat + "; echo \"$x\"; done #");
  EXPECT_EQ(loop.out, "a\nb\nc\n") << loop.err;
}

// A tool may print any header field (fslhd prints descrip): the key of a
// NIfTI input covers its header, so an edited descrip misses, while the same
// file gzipped (.nii.gz of the same bytes) is the same input.
TEST_F(RunKeyTest, ANiftiInputsHeaderIsInItsKeyItsCompressionIsNot) {
  const std::string nii = file("t1.nii");
  ASSERT_EQ(
      std::system(
          ("gunzip -c " + std::string(VOXCACHE_TEMPLATES_DIR) + "/ch2.nii.gz > " + nii).c_str()),
      0);
  auto header_tool = [&](const std::string& in) {
    return vrun("--in " + in +
                " --op fslhd -- sh -c 'echo run >> runs.log; head -c 228 \"$1\" | tail -c 80' sh " +
                in);
  };
  const std::string first = header_tool("t1.nii").out;
  ASSERT_EQ(count("runs.log"), 1);
  ASSERT_EQ(std::system(("gzip -k " + nii).c_str()), 0);
  EXPECT_EQ(header_tool("t1.nii.gz").out, first);
  EXPECT_EQ(count("runs.log"), 1) << "the same header and voxels, gzipped: a hit";
  std::fstream(nii, std::ios::in | std::ios::out | std::ios::binary).seekp(148) << "edited descrip";
  const std::string edited = header_tool("t1.nii").out;
  EXPECT_EQ(count("runs.log"), 2) << "descrip changed: a miss";
  EXPECT_NE(edited, first);
  EXPECT_NE(edited.find("edited descrip"), std::string::npos);
  // `voxcache key` still prints the content key of the voxels alone.
  EXPECT_EQ(cli("key " + nii).out.substr(0, 64), cli("key " + nii + ".gz").out.substr(0, 64));
}

// A DICOM series in, as a folder: its files' names and contents count,
// not where it is.
TEST_F(RunKeyTest, AnInputDirectoryIsKeyedAsATree) {
  fs::create_directories(file("series/sub"));
  for (int i = 0; i < 3; ++i)
    spit(file("series/IM" + std::to_string(i)), std::string(100, 'a' + i));
  spit(file("series/sub/extra"), "x");
  auto listing = [&](const std::string& dir) {
    return vrun("--in " + dir + " -- sh -c 'echo run >> runs.log; ls -R \"$1\" | wc -l' sh " + dir);
  };
  const std::string cmd = " -- sh -c 'echo run >> runs.log; ls -R series | wc -l'";
  ASSERT_EQ(vrun("--in series" + cmd).code, 0);
  auto here = listing("series");
  ASSERT_EQ(here.code, 0);
  EXPECT_EQ(count("runs.log"), 2);
  fs::rename(file("series"), file("series-moved"));
  auto moved = listing("series-moved");
  EXPECT_EQ(moved.out, here.out);
  EXPECT_EQ(count("runs.log"), 2) << "moved, the same content: a hit";
  fs::rename(file("series-moved"), file("series"));
  ASSERT_EQ(vrun("--in series" + cmd).code, 0);
  EXPECT_EQ(count("runs.log"), 2) << "back where it was: a hit";

  // What it holds, renamed or edited, is a new input.
  spit(file("series/sub/extra"), "y");
  ASSERT_EQ(vrun("--in series" + cmd).code, 0);
  EXPECT_EQ(count("runs.log"), 3);
  fs::rename(file("series/IM2"), file("series/IM9"));
  ASSERT_EQ(vrun("--in series" + cmd).code, 0);
  EXPECT_EQ(count("runs.log"), 4);

  // `voxcache key` of a folder is the same tree key.
  auto k1 = cli("key " + file("series"));
  fs::rename(file("series"), file("elsewhere"));
  auto k2 = cli("key " + file("elsewhere"));
  EXPECT_EQ(k1.out.substr(0, 64), k2.out.substr(0, 64));
}

}  // namespace
}  // namespace voxcache
