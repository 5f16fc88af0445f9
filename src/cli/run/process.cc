#include "cli/run/process.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>

namespace voxcache::cli::run {

namespace {

// Pipe ends that close themselves: an error path leaks no descriptor into a
// later child.
struct Fd {
  int fd = -1;
  Fd() = default;
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }
  void reset() {
    if (fd >= 0) ::close(fd);
    fd = -1;
  }
};

// O_CLOEXEC, so that no other child (or grandchild) holds a pipe open.
Status make_pipe(Fd* read_end, Fd* write_end) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0)
    return Status::IOError(std::string("pipe: ") + std::strerror(errno));
  read_end->fd = fds[0];
  write_end->fd = fds[1];
  return Status::OK();
}

void write_all(FILE* to, const char* data, size_t n) {
  // A closed stdout (`| head`) must not stop the capture: errors are ignored.
  if (std::fwrite(data, 1, n, to) == n) std::fflush(to);
}

}  // namespace

Result<Ran> run_process(const ProcessSpec& spec) {
  if (spec.argv.empty()) return Status::InvalidArgument("no command");
  Fd out_r, out_w, err_r, err_w, in_r, in_w;
  Status s = make_pipe(&out_r, &out_w);
  if (s.ok()) s = make_pipe(&err_r, &err_w);
  if (s.ok() && spec.input) s = make_pipe(&in_r, &in_w);
  if (!s.ok()) return s;
  if (!spec.input) {
    in_r.fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (in_r.fd < 0) return Status::IOError(std::string("/dev/null: ") + std::strerror(errno));
  }
  std::vector<char*> args;
  for (const std::string& a : spec.argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  // A command that stops reading its input must not kill voxcache with
  // SIGPIPE; the child gets the default back before exec.
  struct sigaction ignore = {}, old_pipe = {};
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGPIPE, &ignore, &old_pipe);
  const pid_t pid = fork();
  if (pid < 0) {
    sigaction(SIGPIPE, &old_pipe, nullptr);
    return Status::IOError(std::string("fork: ") + std::strerror(errno));
  }
  if (pid == 0) {
    signal(SIGPIPE, SIG_DFL);
    dup2(in_r.fd, STDIN_FILENO);
    dup2(out_w.fd, STDOUT_FILENO);
    dup2(err_w.fd, STDERR_FILENO);
    execvp(args[0], args.data());
    std::fprintf(stderr, "voxcache run: cannot run %s: %s\n", args[0], std::strerror(errno));
    _exit(127);  // as a shell reports a command it cannot run
  }
  out_w.reset();
  err_w.reset();
  in_r.reset();
  if (in_w.fd >= 0) fcntl(in_w.fd, F_SETFL, fcntl(in_w.fd, F_GETFL) | O_NONBLOCK);

  Ran r;
  struct Stream {
    Fd* fd;
    FILE* to;
    std::string* keep;
  } streams[2] = {{&out_r, stdout, &r.out}, {&err_r, stderr, &r.err}};
  size_t fed = 0;
  if (spec.input && spec.input->empty()) in_w.reset();
  while (out_r.fd >= 0 || err_r.fd >= 0) {
    pollfd fds[3];
    nfds_t n = 0;
    for (const Stream& st : streams) {
      if (st.fd->fd >= 0) fds[n++] = {st.fd->fd, POLLIN, 0};
    }
    if (in_w.fd >= 0) fds[n++] = {in_w.fd, POLLOUT, 0};
    if (poll(fds, n, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    auto ready = [&](int fd) {
      for (nfds_t i = 0; i < n; ++i) {
        if (fds[i].fd == fd) return fds[i].revents != 0;
      }
      return false;
    };
    if (in_w.fd >= 0 && ready(in_w.fd)) {
      const ssize_t put = ::write(in_w.fd, spec.input->data() + fed, spec.input->size() - fed);
      if (put > 0) fed += static_cast<size_t>(put);
      // Done, or the command closed its input (EPIPE): it gets no more.
      if (fed == spec.input->size() || (put < 0 && errno != EAGAIN && errno != EINTR)) {
        in_w.reset();
      }
    }
    for (Stream& st : streams) {
      if (st.fd->fd < 0 || !ready(st.fd->fd)) continue;
      char buf[65536];
      const ssize_t got = ::read(st.fd->fd, buf, sizeof(buf));
      if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (got <= 0) {
        st.fd->reset();
        continue;
      }
      if (spec.pass_through) write_all(st.to, buf, static_cast<size_t>(got));
      const size_t room = spec.keep_bytes - std::min(spec.keep_bytes, st.keep->size());
      if (static_cast<size_t>(got) > room) r.overflowed = true;
      st.keep->append(buf, std::min(room, static_cast<size_t>(got)));
    }
  }
  in_w.reset();
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  sigaction(SIGPIPE, &old_pipe, nullptr);
  r.exit = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

}  // namespace voxcache::cli::run
