// A real redis-server for the tests: started on a unix socket in a temporary
// directory (no network port, nothing shared with other runs), with
// persistence off, and stopped when the fixture dies.

#ifndef VOXCACHE_TESTS_TIER_REDIS_SERVER_H_
#define VOXCACHE_TESTS_TIER_REDIS_SERVER_H_

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "tier/redis_client.h"

namespace voxcache::testing {

class RedisServer {
 public:
  // `extra`: more redis-server arguments, e.g. {"--requirepass", "secret"}.
  RedisServer(std::string dir, std::vector<std::string> extra = {})
      : dir_(std::move(dir)), socket_(dir_ + "/redis.sock"), extra_(std::move(extra)) {
    start();
  }
  ~RedisServer() { stop(SIGTERM); }

  std::string url(const std::string& auth = "") const {
    return "unix://" + (auth.empty() ? "" : auth + "@") + socket_;
  }
  bool running() const { return pid_ > 0; }

  void start() {
    std::vector<std::string> args = {"redis-server", "--port",    "0",
                                     "--unixsocket", socket_,     "--unixsocketperm",
                                     "700",          "--save",    "",
                                     "--appendonly", "no",        "--dir",
                                     dir_,           "--logfile", dir_ + "/redis.log"};
    args.insert(args.end(), extra_.begin(), extra_.end());
    pid_ = fork();
    if (pid_ == 0) {
      std::vector<char*> argv;
      for (std::string& a : args) argv.push_back(a.data());
      argv.push_back(nullptr);
      execvp("redis-server", argv.data());
      _exit(127);
    }
    // Ready when the socket answers (a PING with no password may be refused
    // with NOAUTH: that is an answer too).
    tier::RedisAddress a;
    a.unix_socket = true;
    a.host = socket_;
    for (int i = 0; i < 500; ++i) {
      auto c = tier::RedisConnection::Connect(a, std::chrono::milliseconds(200));
      if (c.ok() || c.status().is_invalid_argument()) return;
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ADD_FAILURE() << "redis-server did not start (is the redis-server package installed?); "
                  << "see " << dir_ << "/redis.log";
    stop(SIGKILL);
  }

  // SIGKILL: the server dies mid-command, as a crashed or OOM-killed one does.
  void stop(int signal) {
    if (pid_ <= 0) return;
    kill(pid_, signal);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
    unlink(socket_.c_str());
  }

 private:
  std::string dir_, socket_;
  std::vector<std::string> extra_;
  pid_t pid_ = -1;
};

}  // namespace voxcache::testing

#endif  // VOXCACHE_TESTS_TIER_REDIS_SERVER_H_
