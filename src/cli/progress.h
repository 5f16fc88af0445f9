// A progress bar on stderr for long commands, drawn only when stderr is a
// terminal (logs and pipes get none). It counts work done, never work begun,
// and a command prints its stdout lines through line(), which wipes the bar
// first so the two never share a line on the screen.

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
  ~Progress() { wipe(); }
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // One more item finished.
  void done_one() {
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

  // Prints `text` and a newline on stdout, below no bar.
  void line(const std::string& text) {
    wipe();
    std::fputs(text.c_str(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
  }

  // Prints `text` and a newline on stderr (an error), below no bar.
  void note(const std::string& text) {
    wipe();
    std::fputs(text.c_str(), stderr);
    std::fputc('\n', stderr);
  }

  // Takes the bar off the screen; the next done_one() draws it again.
  void wipe() {
    if (!drawn_) return;
    std::fprintf(stderr, "\r\033[K");
    std::fflush(stderr);
    drawn_ = false;
  }

 private:
  std::string label_;
  uint64_t total_, done_ = 0;
  bool on_, drawn_ = false;
};

}  // namespace voxcache::cli

#endif  // VOXCACHE_CLI_PROGRESS_H_
