// Chunk layouts against each other (docs/benchmarks.md, "Chunk layouts"):
// for each input and layout, put, full get, the three middle slices and a
// 64^3 box, all in one run, with the memory tier off so every read decodes.
//
//   build/voxcache-bench-layout            # CT phantom 512^3, ch2better
//   build/voxcache-bench-layout --large    # and a 1024^3 phantom
//   build/voxcache-bench-layout --quick    # 128^3, for the smoke test
//
// Prints Markdown: a table of times and one of the ratios the issue sets.

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "inputs.h"
#include "voxcache/cache.h"
#include "voxcache/itk.h"

namespace {

using voxcache::Cache;
using voxcache::ChunkLayout;
using voxcache::KeyBuilder;
using voxcache::Options;
using voxcache::Volume;
using voxcache::bench::Clock;
using voxcache::bench::seconds_since;
using Box = std::array<uint64_t, 3>;

const std::string kTmp =
    (std::filesystem::temp_directory_path() / "voxcache-bench-layout").string();

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Median seconds of `reps` runs of fn; exits on a failure, which would make
// the figure meaningless.
double time_median(int reps, const std::function<voxcache::Status()>& fn) {
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) {
    const auto t0 = Clock::now();
    voxcache::Status s = fn();
    t.push_back(seconds_since(t0));
    if (!s.ok()) {
      std::fprintf(stderr, "failed: %s\n", s.to_string().c_str());
      std::exit(1);
    }
  }
  return median(t);
}

struct Row {
  std::string input, layout;
  double stored_mib = 0, put = 0, get = 0, axial = 0, sagittal = 0, coronal = 0, box = 0,
         box_aligned = 0;
};

Row measure(const std::string& name, const Volume& v, const ChunkLayout& layout, int reps) {
  const std::string path = kTmp + "/layout.db";
  for (const char* s : {"", "-wal", "-shm"}) std::filesystem::remove(path + s);
  Options o;
  o.memory_budget_bytes = 0;  // every get decodes
  auto cache = Cache::Open(path, o).value();
  Row r;
  r.input = name;
  int rep = 0;
  voxcache::OperationKey key;
  r.put = time_median(reps, [&] {
    key = KeyBuilder("layout").arg("rep", static_cast<int64_t>(rep++)).build();
    return cache->put(key, v, voxcache::PutOptions{{}, layout});
  });
  const voxcache::EntryInfo info = cache->info(key).value();
  r.layout = info.layout.ToString();
  r.stored_mib = info.stored_bytes / 1048576.0;
  r.get = time_median(5, [&] {
    auto got = cache->get(key);
    return got.ok() && got->as_volume()->size() == v.size() ? voxcache::Status::OK() : got.status();
  });
  const Box n = v.size();
  auto slice = [&](int axis) {
    return time_median(7, [&] { return cache->read_slice(key, axis, n[axis] / 2).status(); });
  };
  r.axial = slice(2);
  r.sagittal = slice(0);
  r.coronal = slice(1);
  const Box side{std::min<uint64_t>(64, n[0]), std::min<uint64_t>(64, n[1]),
                 std::min<uint64_t>(64, n[2])};
  auto box_at = [&](Box start) {
    for (int a = 0; a < 3; ++a) start[a] = std::min(start[a], n[a] - side[a]);
    return time_median(7, [&] { return cache->read_region(key, start, side).status(); });
  };
  r.box = box_at({n[0] / 3 + 5, n[1] / 3 + 5, n[2] / 3 + 5});  // across brick borders
  r.box_aligned = box_at({n[0] / 2 / 64 * 64, n[1] / 2 / 64 * 64, n[2] / 2 / 64 * 64});
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  bool quick = false, large = false;
  for (int i = 1; i < argc; ++i) {
    quick |= std::strcmp(argv[i], "--quick") == 0;
    large |= std::strcmp(argv[i], "--large") == 0;
  }
  std::filesystem::create_directories(kTmp);
  struct Input {
    std::string name;
    Volume v;
  };
  std::vector<Input> inputs;
  const uint64_t n = quick ? 128 : 512;
  inputs.push_back({"CT phantom " + std::to_string(n) + "^3 i16", voxcache::bench::ct_phantom(n)});
  if (!quick) {
    inputs.push_back(
        {"ch2better (181x217x181 u8)",
         voxcache::read_image(std::string(voxcache::bench::kTemplates) + "ch2better.nii.gz")
             .value()});
  }
  if (large) inputs.push_back({"CT phantom 1024^3 i16", voxcache::bench::ct_phantom(1024)});

  const std::vector<ChunkLayout> layouts = {ChunkLayout::ZSlabs(), ChunkLayout::Bricks(),
                                            ChunkLayout::Bricks(16, 16, 16)};
  std::vector<Row> rows;
  std::printf(
      "| input | layout | stored MiB | put s | full get ms | axial ms | sagittal ms | coronal "
      "ms | 64^3 box ms | aligned 64^3 ms |\n|---|---|---|---|---|---|---|---|---|---|\n");
  for (const Input& in : inputs) {
    const int reps = in.v.byte_size() > (1ull << 30) ? 1 : 3;
    for (const ChunkLayout& l : layouts) {
      const Row r = measure(in.name, in.v, l, reps);
      rows.push_back(r);
      std::printf("| %s | %s | %.1f | %.3f | %.1f | %.2f | %.2f | %.2f | %.2f | %.2f |\n",
                  r.input.c_str(), r.layout.c_str(), r.stored_mib, r.put, r.get * 1e3,
                  r.axial * 1e3, r.sagittal * 1e3, r.coronal * 1e3, r.box * 1e3,
                  r.box_aligned * 1e3);
      std::fflush(stdout);
    }
  }
  // The ratios: reads against a full get of the same layout, and the
  // bricks' full put, get and size against z-slabs.
  std::printf(
      "\n| input | layout | axial x | sagittal x | coronal x | 64^3 box x | aligned box x | put vs "
      "z-slabs | get vs z-slabs | size vs z-slabs |\n|---|---|---|---|---|---|---|---|---|---|\n");
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    const Row& slabs = rows[i - i % layouts.size()];
    std::printf("| %s | %s | %.1f | %.1f | %.1f | %.1f | %.1f | %+.1f%% | %+.1f%% | %+.2f%% |\n",
                r.input.c_str(), r.layout.c_str(), r.get / r.axial, r.get / r.sagittal,
                r.get / r.coronal, r.get / r.box, r.get / r.box_aligned,
                (r.put / slabs.put - 1) * 100, (r.get / slabs.get - 1) * 100,
                (r.stored_mib / slabs.stored_mib - 1) * 100);
  }
  std::filesystem::remove_all(kTmp);
  return 0;
}
