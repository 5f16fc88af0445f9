// A server on a loopback port that speaks just enough RESP to be taken for
// Redis (PING is answered +PONG) and then misbehaves as told: random bytes,
// silence, a trickle, huge lengths, deep nesting, malformed SCAN and HGETALL
// replies. For the tests of what a hostile or broken server can do.

#ifndef VOXCACHE_TESTS_TIER_FAKE_REDIS_H_
#define VOXCACHE_TESTS_TIER_FAKE_REDIS_H_

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace voxcache::testing {

class FakeRedis {
 public:
  // What it sends back for a command other than PING (the command's words
  // given): bytes to send at once, and, when `trickle` is set, one byte of
  // it every `trickle` afterwards instead.
  struct Answer {
    std::string bytes;
    std::chrono::milliseconds trickle{0};
    bool close = false;  // hang up after sending
  };
  using Behaviour = std::function<Answer(const std::vector<std::string>& command)>;

  explicit FakeRedis(Behaviour b) : behaviour_(std::move(b)) {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    bind(listener_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    listen(listener_, 16);
    socklen_t len = sizeof a;
    getsockname(listener_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    accept_thread_ = std::thread([this] { accept_loop(); });
  }
  ~FakeRedis() {
    stop_ = true;
    shutdown(listener_, SHUT_RDWR);
    close(listener_);
    accept_thread_.join();
    std::lock_guard<std::mutex> lock(mu_);
    for (std::thread& t : clients_) t.join();
  }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

 private:
  void accept_loop() {
    while (!stop_) {
      pollfd p{listener_, POLLIN, 0};
      if (poll(&p, 1, 50) <= 0) continue;
      const int fd = accept(listener_, nullptr, nullptr);
      if (fd < 0) continue;
      std::lock_guard<std::mutex> lock(mu_);
      clients_.emplace_back([this, fd] { serve(fd); });
    }
  }

  // Reads one RESP command (an array of bulk strings); false at the end.
  bool read_command(int fd, std::string* buf, std::vector<std::string>* words) {
    auto need = [&](size_t n) {
      while (buf->size() < n) {
        pollfd p{fd, POLLIN, 0};
        if (stop_) return false;
        if (poll(&p, 1, 50) <= 0) continue;
        char tmp[4096];
        const ssize_t got = read(fd, tmp, sizeof tmp);
        if (got <= 0) return false;
        buf->append(tmp, static_cast<size_t>(got));
      }
      return true;
    };
    auto line = [&](std::string* out) {
      for (size_t end;;) {
        if ((end = buf->find("\r\n")) != std::string::npos) {
          *out = buf->substr(0, end);
          buf->erase(0, end + 2);
          return true;
        }
        if (!need(buf->size() + 1)) return false;
      }
    };
    std::string header;
    if (!line(&header) || header.empty() || header[0] != '*') return false;
    words->assign(std::stoul(header.substr(1)), "");
    for (std::string& w : *words) {
      std::string len;
      if (!line(&len) || len.empty() || len[0] != '$') return false;
      const size_t n = std::stoul(len.substr(1));
      if (!need(n + 2)) return false;
      w = buf->substr(0, n);
      buf->erase(0, n + 2);
    }
    return true;
  }

  void serve(int fd) {
    std::string buf;
    std::vector<std::string> words;
    while (!stop_ && read_command(fd, &buf, &words)) {
      if (!words.empty() && words[0] == "PING") {
        send_all(fd, "+PONG\r\n");
        continue;
      }
      const Answer a = behaviour_(words);
      if (a.trickle.count() == 0) {
        send_all(fd, a.bytes);
      } else {
        for (size_t i = 0; i < a.bytes.size() && !stop_; ++i) {
          send_all(fd, a.bytes.substr(i, 1));
          std::this_thread::sleep_for(a.trickle);
        }
        while (!stop_) std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      if (a.close) break;
    }
    close(fd);
  }

  static void send_all(int fd, const std::string& bytes) {
    size_t off = 0;
    while (off < bytes.size()) {
      const ssize_t n = send(fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;
      off += static_cast<size_t>(n);
    }
  }

  Behaviour behaviour_;
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread accept_thread_;
  std::mutex mu_;
  std::vector<std::thread> clients_;
};

}  // namespace voxcache::testing

#endif  // VOXCACHE_TESTS_TIER_FAKE_REDIS_H_
