// Runs the real voxcache binary, as a user would, for the CLI tests.

#ifndef VOXCACHE_TESTS_CLI_CLI_SUPPORT_H_
#define VOXCACHE_TESTS_CLI_CLI_SUPPORT_H_

#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace voxcache::testing {

struct CliRun {
  int code;
  std::string out;  // stdout and stderr
};

inline CliRun run_cli(const std::string& args) {
  FILE* p = popen((std::string(VOXCACHE_CLI) + " " + args + " 2>&1").c_str(), "r");
  CliRun r{-1, ""};
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) r.out.append(buf, n);
  const int status = pclose(p);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace voxcache::testing

#endif  // VOXCACHE_TESTS_CLI_CLI_SUPPORT_H_
