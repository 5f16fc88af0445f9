// What the tests of voxcache run share: a scratch folder, its database, and
// running `voxcache --db DB run ...` through the shell with stdout and
// stderr apart.

#ifndef VOXCACHE_TESTS_CLI_RUN_FIXTURE_H_
#define VOXCACHE_TESTS_CLI_RUN_FIXTURE_H_

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "cli/cli_support.h"
#include "test_support.h"

namespace voxcache::testing {

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

inline void spit(const std::string& path, const std::string& text, bool executable = false) {
  std::ofstream(path, std::ios::binary) << text;
  if (executable) std::filesystem::permissions(path, std::filesystem::perms::owner_all);
}

class RunFixture : public ::testing::Test {
 protected:
  // `voxcache --db DB run ARGS`, in the scratch folder. `prefix` goes first
  // (variables, or a pipe into it).
  CliRunSplit vrun(const std::string& args, const std::string& prefix = "") {
    return run_cli_split("--db " + db_ + " run " + args,
                         "cd " + dir_.path().string() + " && " + prefix);
  }
  CliRun cli(const std::string& args) { return run_cli("--db " + db_ + " " + args); }
  int count(const std::string& log) const { return count_lines(dir_.file(log)); }
  std::string file(const std::string& name) const { return dir_.file(name); }
  nlohmann::json ls_json(const std::string& flags = "") {
    CliRun ls = cli("ls --json " + flags);
    return nlohmann::json::parse(ls.out, nullptr, false);
  }

  TempDir dir_;
  const std::string db_ = dir_.file("cache.db");
};

}  // namespace voxcache::testing

#endif  // VOXCACHE_TESTS_CLI_RUN_FIXTURE_H_
