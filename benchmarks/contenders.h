// The contenders of voxcache-bench (the seed schema, voxcache at its levels,
// ITK files) and what it measures with: timings, RSS, the page cache, sizes.
// Part of voxcache-bench: included by bench_driver.cc alone, so its
// definitions live in an unnamed namespace as they would in the one file.

#ifndef VOXCACHE_BENCHMARKS_CONTENDERS_H_
#define VOXCACHE_BENCHMARKS_CONTENDERS_H_

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
  VoxcacheContender(fs::path dir, int level, voxcache::Codec codec = voxcache::Codec::kDefault)
      : level_(level), codec_(codec) {
    path_ = dir / (name() + ".db");
    open();
  }
  // Level -1: the defaults (the automatic level); the LZ4 codec has one.
  std::string name() const override {
    if (codec_ == voxcache::Codec::kLz4) return "voxcache-lz4";
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
    o.codec = codec_;
    o.memory_budget_bytes = 0;  // gets decode: what a new pipeline process sees
    cache_ = voxcache::Cache::Open(path_.string(), o).value();
  }
  int level_;
  voxcache::Codec codec_;
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

}  // namespace

#endif  // VOXCACHE_BENCHMARKS_CONTENDERS_H_
