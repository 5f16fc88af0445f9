// voxcache-bench: the benchmark suite behind docs/benchmarks.md.
//
//   build/voxcache-bench [--out DIR] [--quick] [--reps N]
//
// Every contender stores and loads the same inputs in the same run:
//   baseline     raw voxels + header as one BLOB in the seed schema (the
//                pickle-in-SQLite practice), WAL, synchronous=NORMAL
//   voxcache     the defaults: automatic level (3, or 2 for mostly-noise data)
//   voxcache-L1, voxcache-L3, voxcache-L9   zstd levels asked for, shuffle auto
//   itk-nii.gz, itk-nii, itk-nrrd            files written and read with ITK's own IO
//   python-pickle  pickle.dumps of a numpy array and its geometry, one BLOB per
//                entry in a sqlite3 database (benchmarks/pickle_store.py)
// and writes DIR/results.md, results.csv, results.json and PNG charts
// (gnuplot). --quick is the ctest smoke mode: two small inputs, one repetition.

#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "baseline.h"
#include "inputs.h"
#include "voxcache/cache.h"
#include "voxcache/itk.h"

namespace {

namespace fs = std::filesystem;
using voxcache::Result;
using voxcache::Status;
using voxcache::Volume;
using voxcache::bench::Clock;

const auto since = voxcache::bench::seconds_since;

// --- measurements -------------------------------------------------------------

struct Stat {
  double median = NAN, min = NAN, max = NAN;
  static Stat of(std::vector<double> v) {
    Stat s;
    if (v.empty()) return s;
    std::sort(v.begin(), v.end());
    s.min = v.front();
    s.max = v.back();
    s.median = v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
    return s;
  }
};

long status_kib(const char* field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field, 0) == 0) return std::stol(line.substr(std::strlen(field)));
  }
  return -1;
}

// Peak RSS growth over a phase: the inputs the driver holds are not the
// contender's, so each phase reports its peak above where it started.
class RssPhase {
 public:
  RssPhase() {
    std::ofstream("/proc/self/clear_refs") << "5";  // VmHWM := VmRSS
    start_ = status_kib("VmRSS:");
  }
  long growth_mib() const { return (status_kib("VmHWM:") - start_) / 1024; }

 private:
  long start_;
};

// Empties the kernel's page cache; false (with the reason) where not allowed.
bool drop_page_cache(std::string* why) {
  ::sync();
  std::ofstream f("/proc/sys/vm/drop_caches");
  if (!f) {
    *why = "cannot open /proc/sys/vm/drop_caches (needs root outside a container)";
    return false;
  }
  f << "3";
  f.flush();
  if (!f) {
    *why = "writing /proc/sys/vm/drop_caches failed";
    return false;
  }
  return true;
}

uint64_t path_bytes(const fs::path& p) {
  std::error_code ec;
  uint64_t n = 0;
  for (const char* suffix : {"", "-wal"}) {
    const uint64_t s = fs::file_size(p.string() + suffix, ec);
    if (!ec) n += s;
  }
  return n;
}

void checkpoint(const fs::path& db) {
  sqlite3* h = nullptr;
  if (sqlite3_open(db.c_str(), &h) == SQLITE_OK) {
    sqlite3_exec(h, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr);
  }
  sqlite3_close(h);
}

// --- contenders ---------------------------------------------------------------

// Every contender files an entry under the same 64-hex operation id, as a
// pipeline keying its pickles by a hash would.
std::string operation_id(const std::string& name) {
  return voxcache::KeyBuilder(name).build().hex();
}

class Contender {
 public:
  virtual ~Contender() = default;
  virtual std::string name() const = 0;
  // Stores `v` under `key`; returns the bytes it stored for it.
  virtual Result<uint64_t> put(const std::string& key, const Volume& v) = 0;
  virtual Result<Volume> get(const std::string& key) = 0;
  // Forgets whatever it cached in this process (connections, page caches).
  virtual void reopen() {}
  // Small values: a double.
  virtual Status put_double(const std::string&, double) { return Status::NotSupported("-"); }
  virtual Result<double> get_double(const std::string&) { return Status::NotSupported("-"); }
  virtual fs::path store_path() const = 0;
};

class Baseline final : public Contender {
 public:
  explicit Baseline(fs::path dir) : path_(dir / "baseline.db"), db_(make(dir, path_)) {}
  std::string name() const override { return "baseline"; }
  fs::path store_path() const override { return path_; }
  void reopen() override { db_.reopen(); }
  Result<uint64_t> put(const std::string& key, const Volume& v) override {
    const std::string blob = voxcache::bench::PickleBaseline::pickle(v);
    Status s = db_.put(operation_id(key), "volume", blob);
    if (!s.ok()) return s;
    return static_cast<uint64_t>(blob.size());
  }
  Result<Volume> get(const std::string& key) override {
    std::string blob;
    Status s = db_.get(operation_id(key), &blob);
    if (!s.ok()) return s;
    return voxcache::bench::PickleBaseline::unpickle(blob);
  }
  Status put_double(const std::string& key, double d) override {
    return db_.put(operation_id(key), "float",
                   std::string(reinterpret_cast<const char*>(&d), sizeof(d)));
  }
  Result<double> get_double(const std::string& key) override {
    std::string blob;
    Status s = db_.get(operation_id(key), &blob);
    if (!s.ok()) return s;
    double d;
    std::memcpy(&d, blob.data(), sizeof(d));
    return d;
  }

 private:
  static const fs::path& make(const fs::path& dir, const fs::path& path) {
    fs::create_directories(dir);
    return path;
  }
  fs::path path_;
  voxcache::bench::PickleBaseline db_;
};

class VoxcacheContender final : public Contender {
 public:
  VoxcacheContender(fs::path dir, int level) : level_(level) {
    path_ = dir / (name() + ".db");
    open();
  }
  // Level -1: the defaults (the automatic level).
  std::string name() const override {
    return level_ < 0 ? "voxcache" : "voxcache-L" + std::to_string(level_);
  }
  fs::path store_path() const override { return path_; }
  void reopen() override {
    cache_.reset();
    open();
  }
  Result<uint64_t> put(const std::string& key, const Volume& v) override {
    const auto k = voxcache::KeyBuilder(key).build();
    Status s = cache_->put(k, v);
    if (!s.ok()) return s;
    Result<voxcache::EntryInfo> info = cache_->info(k);
    if (!info.ok()) return info.status();
    return info->stored_bytes;
  }
  Result<Volume> get(const std::string& key) override {
    Result<voxcache::Value> v = cache_->get(voxcache::KeyBuilder(key).build());
    if (!v.ok()) return v.status();
    return *v->as_volume();  // the caller owns a Volume, as with every contender
  }
  Status put_double(const std::string& key, double d) override {
    return cache_->put(voxcache::KeyBuilder(key).build(), voxcache::Value(d));
  }
  Result<double> get_double(const std::string& key) override {
    Result<voxcache::Value> v = cache_->get(voxcache::KeyBuilder(key).build());
    if (!v.ok()) return v.status();
    return *v->as_double();
  }

 private:
  void open() {
    voxcache::Options o;
    o.compression_level = level_;
    o.memory_budget_bytes = 0;  // gets decode: what a new pipeline process sees
    cache_ = voxcache::Cache::Open(path_.string(), o).value();
  }
  int level_;
  fs::path path_;
  std::unique_ptr<voxcache::Cache> cache_;
};

class ItkFiles final : public Contender {
 public:
  ItkFiles(fs::path dir, std::string ext) : ext_(std::move(ext)) {
    dir_ = dir / ("itk" + ext_);
    fs::create_directories(dir_);
  }
  std::string name() const override { return "itk" + ext_; }
  fs::path store_path() const override { return dir_; }
  Result<uint64_t> put(const std::string& key, const Volume& v) override {
    const fs::path p = dir_ / (operation_id(key) + ext_);
    // .nii.gz compresses by its name; .nii and .nrrd are written raw, as
    // pipelines write intermediates.
    Status s = voxcache::write_image(v, p.string(), ext_ == ".nii.gz");
    if (!s.ok()) return s;
    return static_cast<uint64_t>(fs::file_size(p));
  }
  Result<Volume> get(const std::string& key) override {
    return voxcache::read_image((dir_ / (operation_id(key) + ext_)).string());
  }

 private:
  std::string ext_;
  fs::path dir_;
};

// --- inputs ---------------------------------------------------------------------

struct Input {
  std::string name;
  std::string provenance;
  Volume volume;
};

Volume binary_mask(uint64_t n) {
  voxcache::VolumeLayout l;
  l.size = {n, n, n};
  Volume v = Volume::Create(l).value();
  uint8_t* p = v.mutable_data();
  const double c = n / 2.0;
  for (uint64_t z = 0; z < n; ++z)
    for (uint64_t y = 0; y < n; ++y)
      for (uint64_t x = 0; x < n; ++x) {
        const double dx = x - c, dy = (y - c) * 1.3, dz = (z - c) * 0.9;
        p[x + n * (y + n * z)] = dx * dx + dy * dy + dz * dz < 0.16 * n * n ? 1 : 0;
      }
  return v;
}

Volume noise(uint64_t n) {
  voxcache::VolumeLayout l;
  l.pixel_type = voxcache::PixelType::kInt16;
  l.size = {n, n, n};
  Volume v = Volume::Create(l).value();
  std::mt19937_64 rng(99);
  auto* p = reinterpret_cast<uint64_t*>(v.mutable_data());
  for (uint64_t i = 0; i < v.byte_size() / 8; ++i) p[i] = rng();
  return v;
}

std::vector<Input> load_inputs(bool quick) {
  std::vector<Input> in;
  const std::string dir = voxcache::bench::kTemplates;
  auto file = [&](const char* f, const char* what) {
    Result<Volume> v = voxcache::read_image(dir + f);
    if (!v.ok()) {
      std::fprintf(stderr, "skipping %s: %s\n", f, v.status().to_string().c_str());
      return;
    }
    in.push_back(
        {f, std::string("Debian mricron-data, ") + dir + f + ": " + what, std::move(v).value()});
  };
  file("ch2.nii.gz", "T1 MRI, 1 mm");
  if (!quick) {
    file("ch2better.nii.gz", "T1 MRI, 0.5 mm");
    file("aal.nii.gz", "AAL atlas label map");
    file("HarvardOxford-cort-maxprob-thr0-1mm.nii.gz", "Harvard-Oxford cortical label map");
    file("inia19-t1-brain.nii.gz", "INIA19 primate T1, float");
    file("inia19-NeuroMaps.nii.gz", "INIA19 NeuroMaps labels, int16");
  }
  const uint64_t small = quick ? 64 : 256;
  in.push_back({"ct_phantom_" + std::to_string(small),
                "synthetic: CT-like int16, air -1000, "
                "body ellipsoid, Gaussian noise sigma 20, seed per slice",
                voxcache::bench::ct_phantom(small)});
  if (!quick) {
    in.push_back(
        {"ct_phantom_512", "synthetic: as above at 512^3", voxcache::bench::ct_phantom(512)});
    in.push_back({"mask_256", "synthetic: binary ellipsoid mask, u8", binary_mask(256)});
    in.push_back(
        {"noise_256", "synthetic: uniform random int16 (incompressible), seed 99", noise(256)});
  }
  return in;
}

// --- the runs ---------------------------------------------------------------------

struct Row {
  std::string input, contender;
  uint64_t raw = 0, stored = 0;
  Stat put_mbs, get_mbs, cold_get_mbs;
  long put_rss_mib = -1, get_rss_mib = -1;
  std::string note;
};

Row measure(Contender* c, const Input& in, int reps, bool can_drop) {
  Row r;
  r.input = in.name;
  r.contender = c->name();
  r.raw = in.volume.byte_size();
  const double mb = r.raw / 1e6;
  std::vector<double> put, get, cold;
  std::string key;
  std::optional<RssPhase> phase(std::in_place);
  for (int i = 0; i < reps; ++i) {
    key = in.name + "-" + std::to_string(i);  // a new key: a put that really stores
    const auto t0 = Clock::now();
    Result<uint64_t> stored = c->put(key, in.volume);
    const double t = since(t0);
    if (!stored.ok()) {
      r.note = stored.status().to_string();
      return r;
    }
    r.stored = *stored;
    put.push_back(mb / t);
  }
  r.put_rss_mib = phase->growth_mib();
  phase.emplace();
  for (int i = 0; i < reps; ++i) {
    const auto t0 = Clock::now();
    Result<Volume> v = c->get(key);
    const double t = since(t0);
    if (!v.ok() || v->byte_size() != in.volume.byte_size() ||
        std::memcmp(v->data(), in.volume.data(), v->byte_size()) != 0) {
      r.note = "get returned wrong data: " +
               (v.ok() ? std::string("voxels differ") : v.status().to_string());
      return r;
    }
    get.push_back(mb / t);
  }
  r.get_rss_mib = phase->growth_mib();
  if (can_drop) {
    for (int i = 0; i < reps; ++i) {
      c->reopen();
      std::string why;
      drop_page_cache(&why);
      const auto t0 = Clock::now();
      Result<Volume> v = c->get(key);
      if (v.ok()) cold.push_back(mb / since(t0));
    }
  }
  r.put_mbs = Stat::of(put);
  r.get_mbs = Stat::of(get);
  r.cold_get_mbs = Stat::of(cold);
  return r;
}

// The Python contender: runs benchmarks/pickle_store.py over the inputs
// (their voxels written to raw files) and reads its JSON lines back.
std::vector<Row> python_rows(const std::vector<Input>& inputs, const fs::path& work, int reps,
                             std::string* why) {
  std::vector<Row> rows;
  // Debian's interpreter, with Debian's numpy (python3-numpy): a python3
  // earlier on PATH (pyenv, a venv) may lack it.
  const std::string python = fs::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
  if (std::system((python + " -c 'import numpy' >/dev/null 2>&1").c_str()) != 0) {
    *why = python + " cannot import numpy (Debian package python3-numpy)";
    return rows;
  }
  fs::create_directories(work);
  std::string cmd = python + " " + VOXCACHE_SOURCE_DIR + "/benchmarks/pickle_store.py " +
                    (work / "pickle.db").string() + " " + std::to_string(reps);
  for (const Input& in : inputs) {
    const Volume& v = in.volume;
    if (v.components() != 1) continue;
    const char* dtype = nullptr;
    switch (v.pixel_type()) {
      case voxcache::PixelType::kUInt8:
        dtype = "u1";
        break;
      case voxcache::PixelType::kInt8:
        dtype = "i1";
        break;
      case voxcache::PixelType::kUInt16:
        dtype = "<u2";
        break;
      case voxcache::PixelType::kInt16:
        dtype = "<i2";
        break;
      case voxcache::PixelType::kUInt32:
        dtype = "<u4";
        break;
      case voxcache::PixelType::kInt32:
        dtype = "<i4";
        break;
      case voxcache::PixelType::kUInt64:
        dtype = "<u8";
        break;
      case voxcache::PixelType::kInt64:
        dtype = "<i8";
        break;
      case voxcache::PixelType::kFloat32:
        dtype = "<f4";
        break;
      case voxcache::PixelType::kFloat64:
        dtype = "<f8";
        break;
    }
    const fs::path raw = work / (in.name + ".raw");
    std::ofstream(raw, std::ios::binary)
        .write(reinterpret_cast<const char*>(v.data()),
               static_cast<std::streamsize>(v.byte_size()));
    cmd += " '" + in.name + ":" + raw.string() + ":" + dtype + ":" + std::to_string(v.size()[0]) +
           ":" + std::to_string(v.size()[1]) + ":" + std::to_string(v.size()[2]) + "'";
  }
  FILE* out = popen(cmd.c_str(), "r");
  if (!out) {
    *why = "cannot run python3";
    return rows;
  }
  char line[65536];
  while (std::fgets(line, sizeof(line), out)) {
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded()) continue;
    Row r;
    r.input = j.value("input", "");
    r.contender = "python-pickle";
    for (const Input& in : inputs) {
      if (in.name == r.input) r.raw = in.volume.byte_size();
    }
    if (j.contains("error")) {
      r.note = "get returned wrong data: " + j["error"].get<std::string>();
    } else {
      r.stored = j["stored"].get<uint64_t>();
      r.put_mbs = Stat::of(j["put_mbs"].get<std::vector<double>>());
      r.get_mbs = Stat::of(j["get_mbs"].get<std::vector<double>>());
    }
    rows.push_back(r);
  }
  if (pclose(out) != 0 && rows.empty()) *why = "pickle_store.py failed";
  return rows;
}

// Aggregate put throughput of `procs` processes, each putting `per_proc`
// distinct copies of `v` (one voxel changed) into one database, started
// together; MB/s of raw voxels over the wall time of all.
double processes_put_mbs(const fs::path& db, const Volume& v, int procs, int per_proc) {
  int go[2];
  if (pipe(go) != 0) return NAN;
  std::vector<pid_t> kids;
  for (int p = 0; p < procs; ++p) {
    const pid_t pid = fork();
    if (pid == 0) {
      close(go[1]);
      char c;
      if (read(go[0], &c, 1) < 0) _exit(3);  // wait for the start
      voxcache::Options o;
      o.memory_budget_bytes = 0;
      Result<std::unique_ptr<voxcache::Cache>> cache = voxcache::Cache::Open(db.string(), o);
      if (!cache.ok()) _exit(2);
      Volume mine = v;
      for (int i = 0; i < per_proc; ++i) {
        mine.mutable_data()[0] = static_cast<uint8_t>(p * per_proc + i);
        const auto k = voxcache::KeyBuilder("mp").arg("p", p).arg("i", i).build();
        if (!(*cache)->put(k, mine).ok()) _exit(1);
      }
      _exit(0);
    }
    kids.push_back(pid);
  }
  close(go[0]);
  const auto t0 = Clock::now();
  close(go[1]);  // EOF releases every child at once
  bool ok = true;
  for (pid_t pid : kids) {
    int status = 0;
    waitpid(pid, &status, 0);
    ok = ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }
  const double t = since(t0);
  return ok ? procs * per_proc * (v.byte_size() / 1e6) / t : NAN;
}

struct Tiny {
  std::string contender, value;
  double bytes_per_entry = NAN, put_us = NAN, get_us = NAN;
};

// Per-entry cost of small values: file growth and latency over n entries.
Tiny tiny(Contender* c, const std::string& what, int n) {
  Tiny t;
  t.contender = c->name();
  t.value = what;
  checkpoint(c->store_path());
  const uint64_t before = fs::is_directory(c->store_path()) ? 0 : path_bytes(c->store_path());
  voxcache::VolumeLayout l;
  l.size = {1, 1, 1};
  const Volume one = Volume::Create(l).value();
  auto t0 = Clock::now();
  for (int i = 0; i < n; ++i) {
    const std::string key = what + std::to_string(i);
    Status s = what == "double" ? c->put_double(key, i * 0.5) : c->put(key, one).status();
    if (!s.ok()) return t;
  }
  t.put_us = since(t0) * 1e6 / n;
  t0 = Clock::now();
  for (int i = 0; i < n; ++i) {
    const std::string key = what + std::to_string(i);
    bool ok = what == "double" ? c->get_double(key).ok() : c->get(key).ok();
    if (!ok) return t;
  }
  t.get_us = since(t0) * 1e6 / n;
  if (!fs::is_directory(c->store_path())) {
    c->reopen();
    checkpoint(c->store_path());
    t.bytes_per_entry = static_cast<double>(path_bytes(c->store_path()) - before) / n;
  } else {
    uint64_t total = 0;
    for (int i = 0; i < n; ++i) {
      total += fs::file_size(c->store_path() /
                             (operation_id(what + std::to_string(i)) + c->name().substr(3)));
    }
    t.bytes_per_entry = static_cast<double>(total) / n;
  }
  return t;
}

struct ScalePoint {
  std::string contender;
  uint64_t n = 0;
  // get_s is the second full get; first_get_s the first, which also pays
  // for touching the result's fresh memory (on a VM, much more than once).
  double put_s = NAN, get_s = NAN, first_get_s = NAN;
  std::string note;
};

struct EntriesPoint {
  std::string contender;
  uint64_t entries = 0;
  double put_us = NAN, get_us = NAN;
};

std::string fmt(double v, const char* f = "%.0f") {
  if (std::isnan(v)) return "n/a";
  char b[64];
  std::snprintf(b, sizeof(b), f, v);
  return b;
}

std::string stat_text(const Stat& s) {
  if (std::isnan(s.median)) return "n/a";
  return fmt(s.median) + " (" + fmt(s.min) + "-" + fmt(s.max) + ")";
}

}  // namespace

int main(int argc, char** argv) {
  fs::path out = "bench-results";
  bool quick = false;
  bool million = false;
  int reps = 3;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--quick")
      quick = true;
    else if (a == "--out" && i + 1 < argc)
      out = argv[++i];
    else if (a == "--reps" && i + 1 < argc)
      reps = std::max(1, std::atoi(argv[++i]));
    else if (a == "--million")
      million = true;
    else {
      std::fprintf(stderr, "usage: voxcache-bench [--out DIR] [--quick] [--reps N] [--million]\n");
      return 2;
    }
  }
  if (quick) reps = 1;
  const auto started = Clock::now();
  fs::create_directories(out);
  const fs::path work = fs::temp_directory_path() / "voxcache-bench-work";
  fs::remove_all(work);
  fs::create_directories(work);

  std::string drop_why;
  const bool can_drop = drop_page_cache(&drop_why);
  std::vector<Input> inputs = load_inputs(quick);

  auto make_contenders = [&](const fs::path& dir, bool files) {
    std::vector<std::unique_ptr<Contender>> c;
    fs::create_directories(dir);
    c.push_back(std::make_unique<Baseline>(dir));
    for (int level : {-1, 1, 3, 9}) c.push_back(std::make_unique<VoxcacheContender>(dir, level));
    if (files) {
      for (const char* ext : {".nii.gz", ".nii", ".nrrd"})
        c.push_back(std::make_unique<ItkFiles>(dir, ext));
    }
    return c;
  };

  // 1. Every contender on every input.
  std::vector<Row> rows;
  {
    auto contenders = make_contenders(work / "main", true);
    for (const Input& in : inputs) {
      for (auto& c : contenders) {
        // .nii.gz of the larger volumes takes minutes per write with gzip;
        // one repetition keeps the suite within its time budget.
        const int r = c->name() == "itk.nii.gz" && in.volume.byte_size() > (64u << 20) ? 1 : reps;
        rows.push_back(measure(c.get(), in, r, can_drop));
        std::fprintf(stderr, "  %-34s %-12s put %s MB/s, get %s MB/s%s\n", in.name.c_str(),
                     c->name().c_str(), fmt(rows.back().put_mbs.median).c_str(),
                     fmt(rows.back().get_mbs.median).c_str(),
                     rows.back().note.empty() ? "" : (" -- " + rows.back().note).c_str());
      }
    }
  }

  // 1b. The Python contender, on the same inputs.
  std::string python_why;
  for (Row& r : python_rows(inputs, work / "python", reps, &python_why)) {
    std::fprintf(stderr, "  %-34s %-12s put %s MB/s, get %s MB/s\n", r.input.c_str(),
                 r.contender.c_str(), fmt(r.put_mbs.median).c_str(), fmt(r.get_mbs.median).c_str());
    rows.push_back(std::move(r));
  }

  // 2. Tiny values.
  std::vector<Tiny> tinies;
  {
    auto contenders = make_contenders(work / "tiny", true);
    const int n = quick ? 200 : 2000;
    for (auto& c : contenders) {
      if (c->name().rfind("itk", 0) != 0) tinies.push_back(tiny(c.get(), "double", n));
      tinies.push_back(tiny(c.get(), "vox1x1x1", quick ? 50 : n / 4));
    }
  }

  // 3. Scaling with volume size (baseline and the default voxcache).
  std::vector<ScalePoint> scale;
  {
    std::vector<uint64_t> sizes = {32, 64, 128, 256};
    if (!quick) {
      sizes.push_back(512);
      sizes.push_back(1024);  // 2 GiB: beyond SQLite's 1 GB value limit for the baseline
    }
    Baseline base(work / "scale");
    VoxcacheContender vox(work / "scale", -1);
    for (uint64_t n : sizes) {
      const Volume v = voxcache::bench::ct_phantom(n);
      for (Contender* c : {static_cast<Contender*>(&base), static_cast<Contender*>(&vox)}) {
        ScalePoint p;
        p.contender = c->name();
        p.n = n;
        const std::string key = "scale" + std::to_string(n);
        auto t0 = Clock::now();
        Result<uint64_t> s = c->put(key, v);
        p.put_s = since(t0);
        if (!s.ok()) {
          p.put_s = NAN;
          p.note = s.status().to_string();
        } else {
          for (double* t : {&p.first_get_s, &p.get_s}) {
            t0 = Clock::now();
            Result<Volume> g = c->get(key);
            *t = g.ok() ? since(t0) : NAN;
          }
        }
        scale.push_back(p);
      }
    }
  }

  // 4. Latency of small entries against the number of entries stored.
  std::vector<EntriesPoint> entries;
  {
    Baseline base(work / "entries");
    VoxcacheContender vox(work / "entries", -1);
    std::vector<uint64_t> counts =
        quick ? std::vector<uint64_t>{10, 1000} : std::vector<uint64_t>{10, 1000, 100000};
    if (million) counts.push_back(1000000);
    for (Contender* c : {static_cast<Contender*>(&base), static_cast<Contender*>(&vox)}) {
      uint64_t filled = 0;
      bool ok = true;  // a failed call would time nothing: report n/a instead
      for (uint64_t target : counts) {
        for (; ok && filled < target; ++filled) {
          ok = c->put_double("fill" + std::to_string(filled), 1.0).ok();
        }
        const int probes = 500;
        auto t0 = Clock::now();
        for (int i = 0; ok && i < probes; ++i) {
          ok = c->put_double("p" + std::to_string(target) + "_" + std::to_string(i), i).ok();
        }
        EntriesPoint e;
        e.contender = c->name();
        e.entries = target;
        e.put_us = ok ? since(t0) * 1e6 / probes : NAN;
        std::mt19937 rng(1);
        t0 = Clock::now();
        for (int i = 0; ok && i < probes; ++i) {
          ok = c->get_double("fill" + std::to_string(rng() % target)).ok();
        }
        e.get_us = ok ? since(t0) * 1e6 / probes : NAN;
        entries.push_back(e);
      }
    }
  }
  // 5. Several processes putting into one database against one process
  // doing the same work.
  struct ProcPoint {
    int procs = 0;
    double mbs = NAN;
  };
  std::vector<ProcPoint> procs;
  {
    const Volume v = voxcache::bench::ct_phantom(quick ? 64 : 256);
    const int total = quick ? 4 : 8;
    for (int p : {1, 4}) {
      const fs::path db = work / ("procs" + std::to_string(p) + ".db");
      procs.push_back({p, processes_put_mbs(db, v, p, total / p)});
      std::fprintf(stderr, "  %d process(es): %s MB/s\n", p, fmt(procs.back().mbs).c_str());
    }
  }
  const double total_s = since(started);

  // --- output -------------------------------------------------------------------
  std::ostringstream md;
  md << "Inputs:\n\n";
  for (const Input& in : inputs) {
    const auto& s = in.volume.size();
    md << "* `" << in.name << "`: " << s[0] << "x" << s[1] << "x" << s[2] << " "
       << voxcache::pixel_type_name(in.volume.pixel_type()) << ", "
       << fmt(in.volume.byte_size() / 1048576.0, "%.1f") << " MiB; " << in.provenance << "\n";
  }
  md << "\nMedians of " << reps << " repetitions (min-max in brackets), MB/s of raw voxels. "
     << "Cold get: "
     << (can_drop ? "page cache dropped before each read, store reopened."
                  : "not measured: " + drop_why + ".")
     << " RSS: the process's peak resident memory growth during the puts, and during the "
        "warm gets, in MiB, above the RSS at the phase's start (freed memory is reused, so a get "
        "can grow by less than the volume it returns).\n\n";
  md << "| input | contender | stored MiB | ratio | put MB/s | warm get MB/s | cold get MB/s | "
        "put RSS+ | get RSS+ |\n|---|---|---|---|---|---|---|---|---|\n";
  for (const Row& r : rows) {
    md << "| " << r.input << " | " << r.contender << " | "
       << (r.note.empty() ? fmt(r.stored / 1048576.0, "%.2f") : "n/a") << " | "
       << (r.stored ? fmt(double(r.raw) / r.stored, "%.2fx") : "n/a") << " | "
       << stat_text(r.put_mbs) << " | " << stat_text(r.get_mbs) << " | "
       << stat_text(r.cold_get_mbs) << " | " << r.put_rss_mib << " | " << r.get_rss_mib << " |"
       << (r.note.empty() ? "" : " " + r.note) << "\n";
  }
  if (!python_why.empty()) md << "\nPython contender skipped: " << python_why << ".\n";
  // The targets as ratios of medians taken in this run.
  md << "\nRatios of voxcache (the defaults) to the others, medians of this run:\n\n"
     << "| input | put / baseline | warm get / baseline | put / python-pickle | "
        "warm get / python-pickle | size / baseline |\n|---|---|---|---|---|---|\n";
  auto find = [&](const std::string& input, const std::string& who) -> const Row* {
    for (const Row& r : rows) {
      if (r.input == input && r.contender == who && r.note.empty()) return &r;
    }
    return nullptr;
  };
  for (const Input& in : inputs) {
    const Row* v = find(in.name, "voxcache");
    const Row* b = find(in.name, "baseline");
    const Row* py = find(in.name, "python-pickle");
    auto ratio = [](const Row* a, const Row* z, Stat Row::*f) {
      return a && z ? fmt((a->*f).median / (z->*f).median, "%.2fx") : std::string("n/a");
    };
    md << "| " << in.name << " | " << ratio(v, b, &Row::put_mbs) << " | "
       << ratio(v, b, &Row::get_mbs) << " | " << ratio(v, py, &Row::put_mbs) << " | "
       << ratio(v, py, &Row::get_mbs) << " | "
       << (v && b && b->stored ? fmt(double(v->stored) / b->stored, "%.3f") : "n/a") << " |\n";
  }
  md << "\nTiny values (bytes on disk per entry, after a checkpoint; latency per call):\n\n"
     << "| contender | value | bytes/entry | put µs | get µs |\n|---|---|---|---|---|\n";
  for (const Tiny& t : tinies) {
    md << "| " << t.contender << " | " << t.value << " | " << fmt(t.bytes_per_entry) << " | "
       << fmt(t.put_us, "%.1f") << " | " << fmt(t.get_us, "%.1f") << " |\n";
  }
  md << "\nScaling with volume size (CT-like phantom n^3 int16; one put, then two full gets: "
        "the first also pays for touching the result's fresh memory):\n\n"
     << "| n | MiB | contender | put s | first get s | get s | get MB/s | note |\n"
        "|---|---|---|---|---|---|---|---|\n";
  for (const ScalePoint& p : scale) {
    const double mib = p.n * p.n * p.n * 2 / 1048576.0;
    md << "| " << p.n << " | " << fmt(mib, "%.1f") << " | " << p.contender << " | "
       << fmt(p.put_s, "%.4f") << " | " << fmt(p.first_get_s, "%.4f") << " | "
       << fmt(p.get_s, "%.4f") << " | " << fmt(mib * 1.048576 / p.get_s) << " | " << p.note
       << " |\n";
  }
  // Log-log slope of time against size from 64^3 to the largest size.
  for (const char* who : {"baseline", "voxcache"}) {
    const ScalePoint *lo = nullptr, *hi = nullptr;
    for (const ScalePoint& p : scale) {
      if (p.contender != who || std::isnan(p.put_s) || std::isnan(p.get_s)) continue;
      if (p.n == 64) lo = &p;
      if (p.n > 64 && (!hi || p.n > hi->n)) hi = &p;
    }
    if (!lo || !hi) continue;
    const double size = 3 * std::log(double(hi->n) / lo->n);
    md << "\n"
       << who << ", log-log slope of time against size, 64^3 to " << hi->n << "^3: put "
       << fmt(std::log(hi->put_s / lo->put_s) / size, "%.2f") << ", get "
       << fmt(std::log(hi->get_s / lo->get_s) / size, "%.2f") << ".\n";
  }
  md << "\nSmall-entry latency against entries stored (a double; 500 probes):\n\n"
     << "| entries | contender | put µs | get µs |\n|---|---|---|---|\n";
  for (const EntriesPoint& e : entries) {
    md << "| " << e.entries << " | " << e.contender << " | " << fmt(e.put_us, "%.1f") << " | "
       << fmt(e.get_us, "%.1f") << " |\n";
  }
  md << "\nProcesses putting distinct CT phantoms (" << (quick ? 64 : 256)
     << "^3 int16) into one database, started together (aggregate MB/s of raw voxels):\n\n"
     << "| processes | put MB/s |\n|---|---|\n";
  for (const ProcPoint& p : procs) md << "| " << p.procs << " | " << fmt(p.mbs) << " |\n";
  if (procs.size() == 2) {
    md << "\n4 processes / 1 process: " << fmt(procs[1].mbs / procs[0].mbs, "%.2fx") << ".\n";
  }
  md << "\nSuite time: " << fmt(total_s, "%.0f") << " s.\n";
  std::ofstream(out / "results.md") << md.str();

  std::ofstream csv(out / "results.csv");
  csv << "input,contender,raw_bytes,stored_bytes,put_mbs_median,put_mbs_min,put_mbs_max,"
         "get_mbs_median,get_mbs_min,get_mbs_max,cold_get_mbs_median,put_rss_mib,get_rss_mib,"
         "note\n";
  for (const Row& r : rows) {
    csv << r.input << "," << r.contender << "," << r.raw << "," << r.stored << ","
        << fmt(r.put_mbs.median, "%.1f") << "," << fmt(r.put_mbs.min, "%.1f") << ","
        << fmt(r.put_mbs.max, "%.1f") << "," << fmt(r.get_mbs.median, "%.1f") << ","
        << fmt(r.get_mbs.min, "%.1f") << "," << fmt(r.get_mbs.max, "%.1f") << ","
        << fmt(r.cold_get_mbs.median, "%.1f") << "," << r.put_rss_mib << "," << r.get_rss_mib
        << ",\"" << r.note << "\"\n";
  }

  std::ofstream json(out / "results.json");
  json << "{\n  \"reps\": " << reps << ",\n  \"cold_get\": " << (can_drop ? "true" : "false")
       << ",\n  \"seconds\": " << fmt(total_s, "%.1f") << ",\n  \"rows\": [\n";
  for (size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    auto num = [](double v) { return std::isnan(v) ? std::string("null") : fmt(v, "%.3f"); };
    json << "    {\"input\": \"" << r.input << "\", \"contender\": \"" << r.contender
         << "\", \"raw_bytes\": " << r.raw << ", \"stored_bytes\": " << r.stored
         << ", \"put_mbs\": {\"median\": " << num(r.put_mbs.median)
         << ", \"min\": " << num(r.put_mbs.min) << ", \"max\": " << num(r.put_mbs.max) << "}"
         << ", \"get_mbs\": {\"median\": " << num(r.get_mbs.median)
         << ", \"min\": " << num(r.get_mbs.min) << ", \"max\": " << num(r.get_mbs.max) << "}"
         << ", \"cold_get_mbs\": " << num(r.cold_get_mbs.median)
         << ", \"put_rss_mib\": " << r.put_rss_mib << ", \"get_rss_mib\": " << r.get_rss_mib
         << ", \"ok\": " << (r.note.empty() ? "true" : "false") << "}"
         << (i + 1 < rows.size() ? "," : "") << "\n";
  }
  json << "  ]\n}\n";
  json.close();

  // Charts: one data file per chart, drawn by gnuplot when it is installed.
  {
    std::ofstream ratio(out / "ratio.dat"), put(out / "put.dat"), get(out / "get.dat");
    std::vector<std::string> names;
    for (const Row& r : rows) {
      if (std::find(names.begin(), names.end(), r.contender) == names.end())
        names.push_back(r.contender);
    }
    for (std::ofstream* f : {&ratio, &put, &get}) {
      *f << "input";
      for (const auto& n : names) *f << " " << n;
      *f << "\n";
    }
    for (const Input& in : inputs) {
      for (std::ofstream* f : {&ratio, &put, &get}) *f << in.name;
      for (const auto& n : names) {
        for (const Row& r : rows) {
          if (r.input != in.name || r.contender != n) continue;
          ratio << " " << (r.stored ? fmt(double(r.raw) / r.stored, "%.3f") : "0");
          put << " " << fmt(r.put_mbs.median, "%.1f");
          get << " " << fmt(r.get_mbs.median, "%.1f");
        }
      }
      for (std::ofstream* f : {&ratio, &put, &get}) *f << "\n";
    }
    std::ofstream sc(out / "scaling.dat");
    for (const char* who : {"baseline", "voxcache"}) {
      sc << "# " << who << "\n";
      for (const ScalePoint& p : scale) {
        if (p.contender == who && !std::isnan(p.put_s)) {
          sc << p.n * p.n * p.n * 2 / 1048576.0 << " " << p.put_s << " " << p.get_s << "\n";
        }
      }
      sc << "\n\n";
    }
    const size_t columns = names.size() + 1;
    std::ofstream gp(out / "charts.gp");
    gp << "set terminal pngcairo size 1100,520 font ',10'\nset style data histograms\n"
          "set style histogram clustered gap 1\nset style fill solid 0.9 border -1\n"
          "set key outside right top\nset xtics rotate by -30 noenhanced\nset grid ytics\n";
    auto bars = [&](const char* file, const char* title, const char* ylabel, bool log) {
      gp << "set output '" << file << ".png'\nset title '" << title << "'\nset ylabel '" << ylabel
         << "'\n"
         << (log ? "set logscale y\n" : "unset logscale y\n") << "plot for [i=2:" << columns
         << "] '" << file << ".dat' using i:xtic(1) title columnheader\n";
    };
    bars("ratio", "Compression ratio (raw / stored), higher is better", "ratio", true);
    bars("put", "Put throughput (MB/s of raw voxels), median", "MB/s", true);
    bars("get", "Warm get throughput (MB/s of raw voxels), median", "MB/s", true);
    gp << "set output 'scaling.png'\nset style data linespoints\nunset xtics\nset xtics\n"
          "set logscale xy\nset title 'Put and get time against volume size (CT phantom n^3 "
          "int16)'\n"
          "set xlabel 'volume MiB'\nset ylabel 'seconds'\nset key left top\n"
          "plot 'scaling.dat' index 0 using 1:2 title 'baseline put' lw 2, "
          "'' index 0 using 1:3 title 'baseline get' lw 2, "
          "'' index 1 using 1:2 title 'voxcache put' lw 2, "
          "'' index 1 using 1:3 title 'voxcache get' lw 2\n";
  }
  const std::string plot = "cd '" + out.string() + "' && gnuplot charts.gp 2>/dev/null";
  const bool charts =
      std::system("command -v gnuplot >/dev/null 2>&1") == 0 && std::system(plot.c_str()) == 0;
  fs::remove_all(work);

  std::printf("%s", md.str().c_str());
  std::printf(
      "\nwrote %s/results.md, results.csv, results.json%s\n", out.c_str(),
      charts ? ", ratio.png, put.png, get.png, scaling.png" : " (charts skipped: no gnuplot)");
  // Every contender must have returned exactly what it stored.
  for (const Row& r : rows) {
    if (r.note.find("wrong data") != std::string::npos) return 1;
  }
  return 0;
}
