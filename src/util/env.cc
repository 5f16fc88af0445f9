#include "util/env.h"

#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
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

Result<uint64_t> Env::filesystem_type(const std::string& path) {
  struct statfs st;
  if (::statfs(path.c_str(), &st) != 0) {
    return Status::IOError("statfs " + path + ": " + std::strerror(errno));
  }
  return static_cast<uint64_t>(st.f_type);
}

std::optional<std::string> network_filesystem_name(uint64_t f_type) {
  // Magic numbers of linux/magic.h and of the file systems' own headers.
  switch (f_type) {
    case 0x6969:  // NFS_SUPER_MAGIC
      return "NFS";
    case 0x517B:      // SMB_SUPER_MAGIC
    case 0xFF534D42:  // CIFS_SUPER_MAGIC
    case 0xFE534D42:  // SMB2_SUPER_MAGIC
      return "CIFS/SMB";
    case 0x0BD00BD0:  // LL_SUPER_MAGIC
      return "Lustre";
    case 0x47504653:  // GPFS_SUPER_MAGIC
      return "GPFS";
    case 0x00C36400:  // CEPH_SUPER_MAGIC
      return "CephFS";
    case 0x19830326:  // BEEGFS_MAGIC
      return "BeeGFS";
    case 0x5346414F:  // AFS_FS_MAGIC
    case 0x6B414653:  // AFS_SUPER_MAGIC
      return "AFS";
    case 0x01021997:  // V9FS_MAGIC
      return "9p";
    case 0x20030528:  // PVFS2_SUPER_MAGIC
      return "OrangeFS";
    default:
      return std::nullopt;
  }
}

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

Result<uint64_t> ManualEnv::filesystem_type(const std::string& path) {
  if (filesystem_type_) return *filesystem_type_;
  return Env::filesystem_type(path);
}

Status ManualEnv::before_commit(std::string_view what) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!failing_ || what.substr(0, fail_prefix_.size()) != fail_prefix_) return Status::OK();
  ++failed_;
  return Status::IOError("injected write fault: " + std::string(what));
}

}  // namespace voxcache::util
