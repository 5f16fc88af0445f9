#include "util/env.h"

#include <unistd.h>

#include <random>
#include <thread>

namespace voxcache::util {

namespace {

class SystemEnv final : public Env {
 public:
  int64_t now_ms() override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  SteadyTime steady_now() override { return std::chrono::steady_clock::now(); }
  void sleep_for(std::chrono::milliseconds d) override { std::this_thread::sleep_for(d); }
};

}  // namespace

Env* Env::Default() {
  static Env* env = new SystemEnv;  // leaked on purpose: used from static destructors too
  return env;
}

std::string Env::unique_owner_name() {
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  std::random_device rd;
  return std::string(host) + ":" + std::to_string(getpid()) + ":" + std::to_string(rd());
}

Status Env::before_commit(std::string_view) { return Status::OK(); }

Env::SteadyTime ManualEnv::steady_now() {
  return steady_base_ + std::chrono::milliseconds(steady_offset_ms_.load());
}

void ManualEnv::sleep_for(std::chrono::milliseconds d) {
  advance(d.count());
  std::this_thread::yield();  // let the threads a sleeper waits for run
}

void ManualEnv::advance(int64_t ms) {
  now_ms_ += ms;
  steady_offset_ms_ += ms;
}

void ManualEnv::fail_commits(std::string prefix) {
  std::lock_guard<std::mutex> lock(mu_);
  failing_ = true;
  fail_prefix_ = std::move(prefix);
}

void ManualEnv::stop_failing() {
  std::lock_guard<std::mutex> lock(mu_);
  failing_ = false;
}

Status ManualEnv::before_commit(std::string_view what) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!failing_ || what.substr(0, fail_prefix_.size()) != fail_prefix_) return Status::OK();
  ++failed_;
  return Status::IOError("injected write fault: " + std::string(what));
}

}  // namespace voxcache::util
