// voxcache put/get against the pickle-style baseline (baseline.h), in the
// same process, on the same inputs.
//
//   build/benchmarks/voxcache_bench_putget --benchmark_min_time=1
//
// Throughput is raw voxel bytes per second (SetBytesProcessed), so the two
// contenders' MB/s compare directly. Stored sizes are printed as counters.

#include <benchmark/benchmark.h>
#include <sqlite3.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "baseline.h"
#include "inputs.h"
#include "voxcache/cache.h"
#include "voxcache/itk.h"

namespace {

using voxcache::Volume;

const std::string kTmp = (std::filesystem::temp_directory_path() / "voxcache-bench").string();

struct Input {
  std::string name;
  Volume volume;
};

std::vector<Input>& inputs() {
  static std::vector<Input> all = [] {
    std::vector<Input> v;
    const std::string dir = voxcache::bench::kTemplates;
    for (const char* f : {"ch2.nii.gz", "inia19-t1-brain.nii.gz", "aal.nii.gz"}) {
      auto vol = voxcache::read_image(dir + f);
      if (vol.ok())
        v.push_back({f, std::move(vol).value()});
      else
        std::fprintf(stderr, "skipping %s: %s\n", f, vol.status().to_string().c_str());
    }
    v.push_back({"ct_phantom_256_i16", voxcache::bench::ct_phantom(256)});
    v.push_back({"ct_phantom_512_i16", voxcache::bench::ct_phantom(512)});
    return v;
  }();
  return all;
}

std::string fresh_db(const std::string& name) {
  std::filesystem::create_directories(kTmp);
  const std::string path = kTmp + "/" + name + ".db";
  for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(path + s);
  return path;
}

// --- the baseline -------------------------------------------------------------

using Baseline = voxcache::bench::PickleBaseline;

void BM_BaselinePut(benchmark::State& state, const Input* in) {
  Baseline b(fresh_db("baseline_put"));
  int i = 0;
  for (auto _ : state) {
    if (!b.put("k" + std::to_string(i++), "volume", Baseline::pickle(in->volume)).ok()) {
      state.SkipWithError("baseline put failed");
    }
  }
  state.SetBytesProcessed(state.iterations() * in->volume.byte_size());
  state.counters["stored_MiB"] =
      (in->volume.byte_size() + sizeof(voxcache::VolumeLayout)) / 1048576.0;
}

void BM_BaselineGet(benchmark::State& state, const Input* in) {
  Baseline b(fresh_db("baseline_get"));
  if (!b.put("k", "volume", Baseline::pickle(in->volume)).ok()) state.SkipWithError("put failed");
  for (auto _ : state) {
    std::string blob;
    if (!b.get("k", &blob).ok()) state.SkipWithError("baseline get failed");
    benchmark::DoNotOptimize(
        Baseline::unpickle(blob));  // unpickling copies, as voxcache's get does
  }
  state.SetBytesProcessed(state.iterations() * in->volume.byte_size());
}

// Arguments: zstd level, threads.
voxcache::Options options_of(const benchmark::State& state) {
  voxcache::Options o;
  o.compression_level = static_cast<int>(state.range(0));
  o.threads = static_cast<unsigned>(state.range(1));
  o.memory_budget_bytes = 0;  // measure decoding, not the in-memory tier
  return o;
}

void BM_VoxcachePut(benchmark::State& state, const Input* in) {
  voxcache::Options o = options_of(state);
  auto cache = voxcache::Cache::Open(fresh_db("voxcache_put"), o).value();
  int i = 0;
  voxcache::OperationKey last;
  const voxcache::Value value(in->volume);
  for (auto _ : state) {
    last = voxcache::KeyBuilder("bench").arg("i", i++).build();
    if (!cache->put(last, value).ok()) state.SkipWithError("voxcache put failed");
  }
  state.SetBytesProcessed(state.iterations() * in->volume.byte_size());
  state.counters["stored_MiB"] = cache->info(last)->stored_bytes / 1048576.0;
  state.counters["ratio"] = cache->info(last)->ratio();
}

void BM_VoxcacheGet(benchmark::State& state, const Input* in) {
  voxcache::Options o = options_of(state);
  auto cache = voxcache::Cache::Open(fresh_db("voxcache_get"), o).value();
  const auto key = voxcache::content_key(in->volume);
  if (!cache->put(key, in->volume).ok()) state.SkipWithError("voxcache put failed");
  for (auto _ : state) {
    auto v = cache->get(key);
    if (!v.ok()) state.SkipWithError("voxcache get failed");
    benchmark::DoNotOptimize(v);
  }
  state.SetBytesProcessed(state.iterations() * in->volume.byte_size());
}

// Repeated gets with the default in-memory tier: after the first, no decode.
void BM_VoxcacheGetHot(benchmark::State& state, const Input* in) {
  auto cache = voxcache::Cache::Open(fresh_db("voxcache_hot")).value();
  const auto key = voxcache::content_key(in->volume);
  if (!cache->put(key, in->volume).ok()) state.SkipWithError("voxcache put failed");
  if (!cache->get(key).ok()) state.SkipWithError("voxcache get failed");
  for (auto _ : state) {
    auto v = cache->get(key);
    if (!v.ok()) state.SkipWithError("voxcache get failed");
    benchmark::DoNotOptimize(v);
  }
  state.SetBytesProcessed(state.iterations() * in->volume.byte_size());
  state.counters["memory_hits"] = static_cast<double>(cache->stats().memory_hits);
}

// An axial slice through the middle, against BM_VoxcacheGet of the whole.
void BM_VoxcacheSlice(benchmark::State& state, const Input* in) {
  voxcache::Options o = options_of(state);
  auto cache = voxcache::Cache::Open(fresh_db("voxcache_slice"), o).value();
  const auto key = voxcache::content_key(in->volume);
  if (!cache->put(key, in->volume).ok()) state.SkipWithError("voxcache put failed");
  for (auto _ : state) {
    auto v = cache->read_slice(key, 2, in->volume.size()[2] / 2);
    if (!v.ok()) state.SkipWithError("read_slice failed");
    benchmark::DoNotOptimize(v);
  }
}

}  // namespace

int main(int argc, char** argv) {
  using Fn = void (*)(benchmark::State&, const Input*);
  for (const Input& in : inputs()) {
    auto add = [&](const char* name, Fn fn) {
      return benchmark::RegisterBenchmark((std::string(name) + "/" + in.name).c_str(), fn, &in)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
    };
    // voxcache at zstd levels 1 and 3, on 1 and 2 threads.
    auto levels_and_threads = [](benchmark::internal::Benchmark* b) {
      b->ArgNames({"level", "threads"})->Args({1, 1})->Args({1, 2})->Args({3, 1})->Args({3, 2});
    };
    add("baseline_put", BM_BaselinePut);
    add("voxcache_put", BM_VoxcachePut)->Apply(levels_and_threads);
    add("baseline_get", BM_BaselineGet);
    add("voxcache_get", BM_VoxcacheGet)->Apply(levels_and_threads);
    add("voxcache_get_hot", BM_VoxcacheGetHot)->Unit(benchmark::kMicrosecond);
    add("voxcache_slice_z", BM_VoxcacheSlice)->ArgNames({"level", "threads"})->Args({3, 2});
  }
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  std::filesystem::remove_all(kTmp);
  return 0;
}
