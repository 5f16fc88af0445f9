// The remote tier over loopback: a real redis-server on 127.0.0.1, started
// and stopped here. Prints a Markdown table (docs/benchmarks.md, "Remote
// tier"):
//   - get of ch2better and of a 512^3 CT phantom: local hit, remote hit
//     (a fresh machine: fetched, checked and kept locally), and recomputing a
//     Gaussian smoothing instead;
//   - put with write-through against local only;
//   - 4 worker processes on 2 machines running a 2-step pipeline on ch2:
//     computations done across the cluster.
//
//   voxcache-bench-remote [--quick]   (--quick: no 512^3 volume)

#include <arpa/inet.h>
#include <itkOtsuThresholdImageFilter.h>
#include <itkSmoothingRecursiveGaussianImageFilter.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "inputs.h"
#include "voxcache/cache.h"
#include "voxcache/itk.h"

namespace voxcache::bench {
namespace {

namespace fs = std::filesystem;

int free_loopback_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

pid_t start_redis(int port, const std::string& dir) {
  const pid_t pid = fork();
  if (pid == 0) {
    const std::string p = std::to_string(port);
    execlp("redis-server", "redis-server", "--bind", "127.0.0.1", "--port", p.c_str(), "--save", "",
           "--appendonly", "no", "--dir", dir.c_str(), "--logfile", (dir + "/redis.log").c_str(),
           static_cast<char*>(nullptr));
    _exit(127);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  return pid;
}

std::unique_ptr<Cache> open(const std::string& path, const std::string& remote) {
  Options o;
  o.remote = remote;
  o.memory_budget_bytes = 0;  // every get from a tier, never from memory
  Result<std::unique_ptr<Cache>> c = Cache::Open(path, o);
  if (!c.ok()) {
    std::fprintf(stderr, "open %s: %s\n", path.c_str(), c.status().to_string().c_str());
    std::exit(1);
  }
  return std::move(c).value();
}

template <typename F>
double timed_ms(F&& f) {
  const auto t0 = Clock::now();
  f();
  return seconds_since(t0) * 1000;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

using F32 = itk::Image<float, 3>;
using U8 = itk::Image<uint8_t, 3>;

// Gaussian smoothing (sigma 1.5 mm) of any scalar volume, as float.
Result<Volume> smooth(const Volume& v) {
  Volume f = Volume::Create([&] {
               VolumeLayout l = v.layout();
               l.pixel_type = PixelType::kFloat32;
               return l;
             }())
                 .value();
  float* out = f.mutable_pixels<float>();
  visit_pixel_type(v.pixel_type(), [&](auto t) {
    using T = decltype(t);
    const T* in = v.pixels<T>();
    for (uint64_t i = 0; i < v.voxel_count(); ++i) out[i] = static_cast<float>(in[i]);
  });
  auto image = to_itk<float>(std::move(f));
  if (!image.ok()) return image.status();
  auto g = itk::SmoothingRecursiveGaussianImageFilter<F32, F32>::New();
  g->SetSigma(1.5);
  g->SetInput(*image);
  g->Update();
  F32::Pointer o = g->GetOutput();
  o->DisconnectPipeline();
  return from_itk(o.GetPointer());
}

struct Row {
  std::string input;
  double mib, local_ms, remote_ms, compute_ms, put_local_ms, put_remote_ms;
};

Row measure(const std::string& name, const Volume& v, const std::string& url, const fs::path& dir,
            int reps) {
  Row r{name, v.byte_size() / 1048576.0, 0, 0, 0, 0, 0};
  const OperationKey key = KeyBuilder("bench").arg("input", name).build();
  std::vector<double> put_local, put_remote, local, remote;
  for (int i = 0; i < reps; ++i) {
    const std::string tag = name + std::to_string(i);
    fs::remove_all(dir / "m");
    fs::create_directories(dir / "m");
    {
      auto a = open((dir / "m" / "local-only.db").string(), "");
      put_local.push_back(timed_ms([&] { (void)a->put(key, v); }));
    }
    // Each rep publishes under a key of its own, so every push is real.
    const OperationKey k = KeyBuilder("bench").arg("input", tag).build();
    auto a = open((dir / "m" / "a.db").string(), url);
    put_remote.push_back(timed_ms([&] { (void)a->put(k, v); }));
    a = open((dir / "m" / "a.db").string(), url);
    local.push_back(timed_ms([&] {
      if (*a->get(k)->as_volume() != v) std::exit(3);
    }));
    auto b = open((dir / "m" / "b.db").string(), url);  // a new machine
    remote.push_back(timed_ms([&] {
      if (*b->get(k)->as_volume() != v) std::exit(3);
    }));
    if (b->stats().remote_hits != 1) std::exit(4);
  }
  r.put_local_ms = median(put_local);
  r.put_remote_ms = median(put_remote);
  r.local_ms = median(local);
  r.remote_ms = median(remote);
  r.compute_ms = timed_ms([&] { (void)smooth(v); });
  return r;
}

// 4 processes, 2 per machine database, all on one Redis, each running
// smooth -> otsu on ch2 through get_or_compute. Returns computations done.
int cluster(const Volume& ch2, const std::string& url, const fs::path& dir, double* wall_ms) {
  const std::string log = (dir / "computed.log").string();
  fs::remove(log);
  const OperationKey source = content_key(ch2);
  const KeyBuilder s =
      KeyBuilder("itk.SmoothingRecursiveGaussian").arg("sigma_mm", 1.5).input(source);
  const KeyBuilder o = KeyBuilder("itk.OtsuThreshold").arg("bins", 128).input(s.build());
  const auto t0 = Clock::now();
  std::vector<pid_t> kids;
  for (int p = 0; p < 4; ++p) {
    const pid_t pid = fork();
    if (pid == 0) {
      auto c = open((dir / ("machine" + std::to_string(p / 2) + ".db")).string(), url);
      Result<Value> smoothed = c->get_or_compute(s, [&]() -> Result<Value> {
        std::ofstream(log, std::ios::app) << "smooth\n";
        Result<Volume> f = smooth(ch2);
        if (!f.ok()) return f.status();
        return Value(std::move(f).value());
      });
      if (!smoothed.ok()) _exit(1);
      Result<Value> mask = c->get_or_compute(o, [&]() -> Result<Value> {
        std::ofstream(log, std::ios::app) << "otsu\n";
        auto image = to_itk<float>(*smoothed->as_volume());
        if (!image.ok()) return image.status();
        auto f = itk::OtsuThresholdImageFilter<F32, U8>::New();
        f->SetNumberOfHistogramBins(128);
        f->SetInput(*image);
        f->Update();
        U8::Pointer out = f->GetOutput();
        out->DisconnectPipeline();
        Result<Volume> v = from_itk(out.GetPointer());
        if (!v.ok()) return v.status();
        return Value(std::move(v).value());
      });
      _exit(mask.ok() ? 0 : 1);
    }
    kids.push_back(pid);
  }
  for (pid_t pid : kids) waitpid(pid, nullptr, 0);
  *wall_ms = seconds_since(t0) * 1000;
  std::ifstream in(log);
  int n = 0;
  for (std::string line; std::getline(in, line);) ++n;
  return n;
}

}  // namespace
}  // namespace voxcache::bench

int main(int argc, char** argv) {
  using namespace voxcache;
  using namespace voxcache::bench;
  const bool quick = argc > 1 && std::string(argv[1]) == "--quick";
  const fs::path dir =
      fs::temp_directory_path() / ("voxcache-bench-remote-" + std::to_string(getpid()));
  fs::create_directories(dir);
  const int port = free_loopback_port();
  const pid_t redis = start_redis(port, dir.string());
  const std::string url = "redis://127.0.0.1:" + std::to_string(port);

  Result<Volume> ch2better = read_image(std::string(kTemplates) + "ch2better.nii.gz");
  Result<Volume> ch2 = read_image(std::string(kTemplates) + "ch2.nii.gz");
  if (!ch2better.ok() || !ch2.ok()) return 1;
  std::vector<Row> rows;
  rows.push_back(measure("ch2better", *ch2better, url, dir, 3));
  if (!quick) rows.push_back(measure("CT phantom 512^3", ct_phantom(512), url, dir, 3));
  double wall = 0;
  const int computed = cluster(*ch2, url, dir, &wall);

  std::printf(
      "| input | MiB | local hit | remote hit | recompute (Gaussian) | put, local only | put, "
      "write-through |\n");
  std::printf("|---|---|---|---|---|---|---|\n");
  for (const Row& r : rows) {
    std::printf("| %s | %.1f | %.1f ms | %.1f ms | %.0f ms | %.1f ms | %.1f ms (+%.0f%%) |\n",
                r.input.c_str(), r.mib, r.local_ms, r.remote_ms, r.compute_ms, r.put_local_ms,
                r.put_remote_ms, 100.0 * (r.put_remote_ms / r.put_local_ms - 1));
  }
  std::printf(
      "\ncluster: 4 processes on 2 machine databases, one Redis, a 2-step pipeline on ch2: "
      "%d computations (2 needed), %.0f ms wall\n",
      computed, wall);
  kill(redis, SIGTERM);
  waitpid(redis, nullptr, 0);
  fs::remove_all(dir);
  return computed == 2 ? 0 : 1;
}
