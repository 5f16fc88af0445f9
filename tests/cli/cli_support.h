// Runs the real voxcache binary, as a user would, for the CLI tests.

#ifndef VOXCACHE_TESTS_CLI_CLI_SUPPORT_H_
#define VOXCACHE_TESTS_CLI_CLI_SUPPORT_H_

#include <sys/wait.h>
#include <unistd.h>

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

// The same with stdout and stderr apart, through the shell: `args` may set
// variables, pipe in, or redirect.
struct CliRunSplit {
  int code;
  std::string out, err;
};

inline CliRunSplit run_cli_split(const std::string& args, const std::string& prefix = "") {
  char err_path[] = "/tmp/voxcache-cli-stderr-XXXXXX";
  const int fd = mkstemp(err_path);
  CliRunSplit r{-1, "", ""};
  if (fd < 0) return r;
  close(fd);
  const std::string cmd = prefix + " " + std::string(VOXCACHE_CLI) + " " + args + " 2>" + err_path;
  FILE* p = popen(cmd.c_str(), "r");
  if (p) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), p)) > 0) r.out.append(buf, n);
    const int status = pclose(p);
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  if (FILE* e = std::fopen(err_path, "rb")) {
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof(buf), e)) > 0) r.err.append(buf, n);
    std::fclose(e);
  }
  unlink(err_path);
  return r;
}

}  // namespace voxcache::testing

#endif  // VOXCACHE_TESTS_CLI_CLI_SUPPORT_H_
