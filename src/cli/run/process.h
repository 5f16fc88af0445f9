// Running the command of `voxcache run`: fork and exec, its standard input
// from memory or /dev/null, its output passed through and kept.

#ifndef VOXCACHE_CLI_RUN_PROCESS_H_
#define VOXCACHE_CLI_RUN_PROCESS_H_

#include <cstddef>
#include <string>
#include <vector>

#include "voxcache/status.h"

namespace voxcache::cli::run {

struct ProcessSpec {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH, as execvp does
  // The command's whole standard input; nullptr gives it /dev/null.
  const std::string* input = nullptr;
  // Copy what it prints to our stdout and stderr as it comes.
  bool pass_through = true;
  // Keep at most this many bytes of each stream; more sets Ran::overflowed.
  size_t keep_bytes = 0;
};

struct Ran {
  int exit = 0;             // the exit status, or 128 + the signal that killed it
  std::string out, err;     // what it printed on stdout and stderr, up to keep_bytes
  bool overflowed = false;  // a stream printed more than keep_bytes
};

// IOError when the process cannot be started at all; a command that is not
// found exits with 127, as in a shell.
Result<Ran> run_process(const ProcessSpec& spec);

}  // namespace voxcache::cli::run

#endif  // VOXCACHE_CLI_RUN_PROCESS_H_
