// voxcache-bench: the benchmark suite behind docs/benchmarks.md.
//
//   build/voxcache-bench [--out DIR] [--quick] [--reps N]
//
// Every contender stores and loads the same inputs in the same run:
//   baseline     raw voxels + header as one BLOB in the seed schema (the
//                pickle-in-SQLite practice), WAL, synchronous=NORMAL
//   voxcache     the defaults: automatic level (3, or 2 for mostly-noise data)
//   voxcache-L1, voxcache-L3, voxcache-L9   zstd levels asked for, shuffle auto
//   voxcache-lz4                             the LZ4 codec, shuffle auto
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
#include "contenders.h"
#include "inputs.h"
#include "runs.h"
#include "voxcache/cache.h"
#include "voxcache/itk.h"

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
    c.push_back(std::make_unique<VoxcacheContender>(dir, -1, voxcache::Codec::kLz4));
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
