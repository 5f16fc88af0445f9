// Micro-benchmarks of the hot pieces, with SetBytesProcessed:
//
//   build/benchmarks/voxcache_bench_micro
//
// key building and SHA-256 of a 9 MB volume, XXH3 of a chunk, byte shuffle,
// and zstd per level per chunk size on real MRI bytes (ch2).

#include <benchmark/benchmark.h>

#include <string>

#include "codec/entry_format.h"
#include "codec/shuffle.h"
#include "util/xxhash.h"
#include "util/zstd.h"
#include "voxcache/itk.h"
#include "voxcache/key.h"

namespace {

using voxcache::Volume;

const Volume& ch2() {
  static const Volume v = voxcache::read_image("/usr/share/mricron/templates/ch2.nii.gz").value();
  return v;
}

// 9 MB: 208^3 u8, cut from ch2's voxels repeated.
const Volume& nine_mb() {
  static const Volume v = [] {
    voxcache::VolumeLayout l;
    l.size = {208, 208, 208};
    Volume out = Volume::Create(l).value();
    for (uint64_t i = 0; i < out.byte_size(); ++i) {
      out.mutable_data()[i] = ch2().data()[i % ch2().byte_size()];
    }
    return out;
  }();
  return v;
}

void BM_ContentKey9MB(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(voxcache::content_key(nine_mb()));
  state.SetBytesProcessed(state.iterations() * nine_mb().byte_size());
}
BENCHMARK(BM_ContentKey9MB)->Unit(benchmark::kMillisecond);

void BM_KeyBuilderSmallRecipe(benchmark::State& state) {
  const voxcache::OperationKey input = voxcache::KeyBuilder("leaf").build();
  for (auto _ : state) {
    benchmark::DoNotOptimize(voxcache::KeyBuilder("itk.SmoothingRecursiveGaussian")
                                 .arg("sigma_mm", 1.5)
                                 .arg("normalize", true)
                                 .input(input)
                                 .build());
  }
}
BENCHMARK(BM_KeyBuilderSmallRecipe);

std::string_view chunk_of(int64_t bytes) {
  return std::string_view(reinterpret_cast<const char*>(ch2().data()),
                          static_cast<size_t>(std::min<int64_t>(bytes, ch2().byte_size())));
}

void BM_Xxh3_64(benchmark::State& state) {
  const std::string_view c = chunk_of(state.range(0));
  for (auto _ : state) benchmark::DoNotOptimize(voxcache::util::xxh3_64(c.data(), c.size()));
  state.SetBytesProcessed(state.iterations() * c.size());
}
BENCHMARK(BM_Xxh3_64)->Arg(1 << 20);

void BM_Shuffle4(benchmark::State& state) {
  const std::string_view c = chunk_of(state.range(0));
  std::string out(c.size(), '\0');
  for (auto _ : state) {
    voxcache::codec::shuffle(reinterpret_cast<const uint8_t*>(c.data()), c.size(), 4,
                             reinterpret_cast<uint8_t*>(out.data()));
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(state.iterations() * c.size());
}
BENCHMARK(BM_Shuffle4)->Arg(1 << 20);

// Arguments: level, chunk bytes.
void BM_ZstdCompress(benchmark::State& state) {
  const std::string_view c = chunk_of(state.range(1));
  std::string out;
  for (auto _ : state) {
    out.clear();
    if (!voxcache::util::zstd_compress(c, static_cast<int>(state.range(0)), &out).ok()) {
      state.SkipWithError("compress failed");
    }
  }
  state.SetBytesProcessed(state.iterations() * c.size());
  state.counters["ratio"] = static_cast<double>(c.size()) / out.size();
}

void BM_ZstdDecompress(benchmark::State& state) {
  const std::string_view c = chunk_of(state.range(1));
  std::string frame;
  (void)voxcache::util::zstd_compress(c, static_cast<int>(state.range(0)), &frame);
  std::string out(c.size(), '\0');
  for (auto _ : state) {
    if (!voxcache::util::zstd_decompress(frame, out.data(), out.size()).ok()) {
      state.SkipWithError("decompress failed");
    }
  }
  state.SetBytesProcessed(state.iterations() * c.size());
}

void levels_and_chunks(benchmark::internal::Benchmark* b) {
  b->ArgNames({"level", "chunk"});
  for (int level : {1, 3, 9}) {
    for (int chunk : {64 << 10, 1 << 20, 4 << 20}) b->Args({level, chunk});
  }
}
BENCHMARK(BM_ZstdCompress)->Apply(levels_and_chunks);
BENCHMARK(BM_ZstdDecompress)->Apply(levels_and_chunks);

}  // namespace

BENCHMARK_MAIN();
