// The runs of voxcache-bench: one input through one contender, processes
// side by side, tiny values, and the rows and text they report.
// Part of voxcache-bench: included by bench_driver.cc alone, so its
// definitions live in an unnamed namespace as they would in the one file.

#ifndef VOXCACHE_BENCHMARKS_RUNS_H_
#define VOXCACHE_BENCHMARKS_RUNS_H_

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

#include "contenders.h"

namespace {

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

#endif  // VOXCACHE_BENCHMARKS_RUNS_H_
