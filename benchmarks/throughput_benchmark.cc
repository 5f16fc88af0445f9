// Throughput figures that need more than a per-iteration timer:
//
//   build/benchmarks/voxcache_bench_throughput chunks        # chunk size vs speed and ratio
//   build/benchmarks/voxcache_bench_throughput stream 4      # 4 GiB streamed in and out
//   build/benchmarks/voxcache_bench_throughput stream 4 bricks   # the same in 3D bricks
//
// Prints Markdown tables (docs/benchmarks.md). Peak RSS is the kernel's
// VmHWM, reset between phases through /proc/self/clear_refs.

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "inputs.h"
#include "voxcache/cache.h"
#include "voxcache/itk.h"

namespace {

using voxcache::Cache;
using voxcache::Options;
using voxcache::Volume;
using voxcache::bench::Clock;
using voxcache::bench::seconds_since;

const std::string kTmp = (std::filesystem::temp_directory_path() / "voxcache-bench-tp").string();

std::string fresh_db(const std::string& name) {
  std::filesystem::create_directories(kTmp);
  const std::string path = kTmp + "/" + name + ".db";
  for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(path + s);
  return path;
}

long peak_rss_kib() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

void reset_peak_rss() { std::ofstream("/proc/self/clear_refs") << "5"; }

int chunks() {
  struct Input {
    std::string name;
    Volume v;
  };
  std::vector<Input> inputs;
  inputs.push_back(
      {"ch2 (181x217x181 u8)",
       voxcache::read_image(std::string(voxcache::bench::kTemplates) + "ch2.nii.gz").value()});
  inputs.push_back({"CT phantom 512^3 i16", voxcache::bench::ct_phantom(512)});
  std::printf(
      "| input | chunk | chunks | put MB/s | get MB/s | ratio |\n|---|---|---|---|---|---|\n");
  for (const Input& in : inputs) {
    for (uint64_t chunk : {64ull << 10, 256ull << 10, 1ull << 20, 4ull << 20, 16ull << 20}) {
      Options o;
      o.chunk_bytes = chunk;
      o.memory_budget_bytes = 0;
      auto cache = Cache::Open(fresh_db("chunks"), o).value();
      const int reps = in.v.byte_size() > (64 << 20) ? 2 : 6;
      double put = 0, get = 0;
      for (int r = 0; r < reps; ++r) {
        const auto key = voxcache::KeyBuilder("c").arg("r", r).build();
        auto t0 = Clock::now();
        if (!cache->put(key, in.v).ok()) return 1;
        put += seconds_since(t0);
        t0 = Clock::now();
        if (!cache->get(key).ok()) return 1;
        get += seconds_since(t0);
      }
      const auto info = cache->info(voxcache::KeyBuilder("c").arg("r", 0).build()).value();
      const double mb = in.v.byte_size() / 1e6 * reps;
      std::printf("| %s | %llu KiB | %llu | %.0f | %.0f | %.2fx |\n", in.name.c_str(),
                  static_cast<unsigned long long>(chunk >> 10),
                  static_cast<unsigned long long>(info.chunk_count), mb / put, mb / get,
                  info.ratio());
      std::fflush(stdout);
    }
  }
  return 0;
}

int stream(double gib, const voxcache::ChunkLayout& chunks) {
  const uint64_t nx = 1024, ny = 1024;
  const uint64_t slice_bytes = nx * ny * 2;
  const uint64_t nz = static_cast<uint64_t>(gib * (1ull << 30) / slice_bytes);
  voxcache::VolumeLayout layout;
  layout.pixel_type = voxcache::PixelType::kInt16;
  layout.size = {nx, ny, nz};
  Options o;
  o.memory_budget_bytes = 0;
  auto cache = Cache::Open(fresh_db("stream"), o).value();
  const auto key = voxcache::KeyBuilder("stream").arg("gib", gib).build();
  std::vector<int16_t> slice(nx * ny);

  // Generating the phantom is not voxcache's work: time it apart.
  auto t0 = Clock::now();
  for (uint64_t z = 0; z < nz; ++z) voxcache::bench::ct_slice(nx, ny, nz, z, slice.data());
  const double gen = seconds_since(t0);

  reset_peak_rss();
  t0 = Clock::now();
  auto w = cache->write_volume(key, layout, voxcache::PutOptions{{}, chunks}).value();
  for (uint64_t z = 0; z < nz; ++z) {
    voxcache::bench::ct_slice(nx, ny, nz, z, slice.data());
    if (!w->write(slice.data(), slice_bytes).ok()) return 1;
  }
  if (!w->commit().ok()) return 1;
  w.reset();
  const double put = seconds_since(t0) - gen;
  const long put_rss = peak_rss_kib();

  reset_peak_rss();
  t0 = Clock::now();
  auto r = cache->read_volume(key).value();
  uint64_t total = 0;
  int64_t checksum = 0;
  for (;;) {
    auto s = r->next();
    if (!s.ok()) {
      std::fprintf(stderr, "%s\n", s.status().to_string().c_str());
      return 1;
    }
    if (s->bytes == 0) break;
    total += s->bytes;
    checksum += s->data[s->bytes / 2];
  }
  r.reset();
  const double get = seconds_since(t0);
  const long get_rss = peak_rss_kib();
  const auto info = cache->info(key).value();
  const double mb = static_cast<double>(layout.byte_size()) / 1e6;
  std::printf("| volume | layout | stored | put MB/s | put peak RSS | get MB/s | get peak RSS |\n");
  std::printf("|---|---|---|---|---|---|---|\n");
  std::printf(
      "| %llux%llux%llu i16 (%.2f GiB) | %s | %.0f MiB (%.1fx) | %.0f | %.0f MiB | %.0f | %.0f "
      "MiB |\n",
      static_cast<unsigned long long>(nx), static_cast<unsigned long long>(ny),
      static_cast<unsigned long long>(nz), layout.byte_size() / double(1ull << 30),
      info.layout.ToString().c_str(), info.stored_bytes / 1048576.0, info.ratio(), mb / put,
      put_rss / 1024.0, mb / get, get_rss / 1024.0);
  std::printf(
      "(generation of the phantom, %.1f s, is excluded from put; %llu bytes read, "
      "sample sum %lld)\n",
      gen, static_cast<unsigned long long>(total), static_cast<long long>(checksum));
  return total == layout.byte_size() ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  int rc = 2;
  if (mode == "chunks")
    rc = chunks();
  else if (mode == "stream")
    rc = stream(argc > 2 ? std::stod(argv[2]) : 4.0,
                voxcache::ChunkLayout::Parse(argc > 3 ? argv[3] : "z-slabs").value());
  else
    std::fprintf(stderr, "usage: voxcache_bench_throughput chunks | stream [GiB [LAYOUT]]\n");
  std::filesystem::remove_all(kTmp);
  return rc;
}
