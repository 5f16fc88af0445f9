// A progress bar on stderr for long commands, drawn only when stderr is a
// terminal, so logs and pipes get none.

#ifndef VOXCACHE_CLI_PROGRESS_H_
#define VOXCACHE_CLI_PROGRESS_H_

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <string>

namespace voxcache::cli {

class Progress {
 public:
  Progress(std::string label, uint64_t total)
      : label_(std::move(label)), total_(total), on_(isatty(STDERR_FILENO) == 1 && total > 1) {}
  ~Progress() {
    if (on_ && drawn_) std::fprintf(stderr, "\r\033[K");
  }
  void tick() {
    ++done_;
    if (!on_) return;
    const int width = 30;
    const int filled = static_cast<int>(width * done_ / total_);
    std::fprintf(stderr, "\r%s [%.*s%*s] %llu/%llu", label_.c_str(), filled,
                 "##############################", width - filled, "",
                 static_cast<unsigned long long>(done_), static_cast<unsigned long long>(total_));
    std::fflush(stderr);
    drawn_ = true;
  }

 private:
  std::string label_;
  uint64_t total_, done_ = 0;
  bool on_, drawn_ = false;
};

}  // namespace voxcache::cli

#endif  // VOXCACHE_CLI_PROGRESS_H_
