// run and key: memoize a command-line tool's outputs by the content of what
// it reads (docs/run.md states the recipe, docs/format.md 2.9 the record).

#include <unistd.h>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>

#include "cli/commands.h"
#include "cli/run/inputs.h"
#include "cli/run/manifest.h"
#include "cli/run/outputs.h"
#include "cli/run/process.h"

namespace voxcache::cli {

namespace {

namespace fs = std::filesystem;
using run::Content;

// What a run may print on each stream and still be stored: a hit replays
// it exactly, so more than this is run but not cached.
constexpr size_t kMaxCapturedBytes = size_t{64} << 20;
// Standard input read for --stdin, at most.
constexpr size_t kMaxStdinBytes = size_t{256} << 20;

// What happened, for --verbose, --json and $VOXCACHE_RUN_LOG.
struct Report {
  std::string outcome = "failed";  // hit, miss, not cached, failed
  std::string reason;              // why not cached, or what failed
  std::string key, op;
  int exit = 0;
  uint64_t stored_bytes = 0;
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
};

void tell(const RunArgs& a, const Report& r) {
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - r.start).count();
  nlohmann::json j = {{"outcome", r.outcome},
                      {"key", r.key},
                      {"operation", r.op},
                      {"exit", r.exit},
                      {"seconds", seconds}};
  if (!r.reason.empty()) j["reason"] = r.reason;
  if (r.outcome == "miss") j["stored_bytes"] = r.stored_bytes;
  char line[1024];
  std::snprintf(line, sizeof(line), "voxcache run: %s %.12s (%s), %.3f s, exit %d%s%s",
                r.outcome.c_str(), r.key.c_str(), r.op.c_str(), seconds, r.exit,
                r.reason.empty()            ? ""
                : r.outcome == "not cached" ? ", because "
                                            : ": ",
                r.reason.c_str());
  const char* log = std::getenv("VOXCACHE_RUN_LOG");
  const bool log_to_stderr = log && (std::string(log) == "1" || std::string(log) == "stderr");
  if (a.verbose || log_to_stderr) std::cerr << line << "\n";
  if (a.json) std::cerr << dump(j) << "\n";
  if (log && *log && !log_to_stderr) std::ofstream(log, std::ios::app) << dump(j) << "\n";
}

// All of our standard input, for --stdin.
Result<std::string> read_stdin() {
  std::string in;
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(STDIN_FILENO, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::IOError("cannot read standard input");
    if (n == 0) return in;
    in.append(buf, static_cast<size_t>(n));
    if (in.size() > kMaxStdinBytes) {
      return Status::InvalidArgument(
          "--stdin: more than 256 MiB on standard input; give the "
          "command a file, declared with --in");
    }
  }
}

// The recipe of a run (docs/run.md, "The key").
Result<KeyBuilder> recipe_of(const RunArgs& a, const std::string& op, run::InputKeys* keys,
                             const std::string* input) {
  // Declared paths become placeholders, so moving files keeps the key.
  std::vector<KeyArg> argv;
  for (const std::string& word : a.command) {
    std::string text = word;
    for (size_t i = 0; i < a.ins.size(); ++i) {
      if (word == a.ins[i]) text = "{in:" + std::to_string(i) + "}";
    }
    for (size_t i = 0; i < a.outs.size(); ++i) {
      if (word == a.outs[i]) text = "{out:" + std::to_string(i) + "}";
    }
    argv.emplace_back(text);
  }
  KeyBuilder recipe(op);
  recipe.arg("argv", KeyArg(std::move(argv)));
  // Outputs the command need not name (fast -o seg) still count.
  recipe.arg("outputs", static_cast<int64_t>(a.outs.size()));
  for (const std::string& kv : a.args) {
    const size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Status::InvalidArgument("--arg wants NAME=VALUE, got '" + kv + "'");
    }
    recipe.arg(kv.substr(0, eq), kv.substr(eq + 1));
  }
  if (!a.envs.empty()) {
    std::vector<KeyArg> env;
    for (const std::string& name : a.envs) {
      if (name.empty() || name.find('=') != std::string::npos) {
        return Status::InvalidArgument("--env wants a variable's name, got '" + name + "'");
      }
      const char* value = std::getenv(name.c_str());
      // An unset variable differs from one set to "".
      env.push_back(value ? std::vector<KeyArg>{name, value} : std::vector<KeyArg>{name});
    }
    recipe.arg("env", KeyArg(std::move(env)));
  }
  if (!a.version_cmd.empty()) {
    run::ProcessSpec spec{{"/bin/sh", "-c", a.version_cmd + " 2>&1"}, nullptr, false, 1 << 20};
    Result<run::Ran> v = run::run_process(spec);
    if (!v.ok()) return v.status();
    if (v->exit != 0) {
      return Status::InvalidArgument("--version-cmd '" + a.version_cmd + "' exited with " +
                                     std::to_string(v->exit));
    }
    recipe.arg("version", v->out);
  }
  // The program itself, and the script an interpreter runs: editing either
  // is a new recipe.
  const std::optional<std::string> tool = run::resolve_executable(a.command[0]);
  if (tool) {
    Result<OperationKey> k = keys->file(*tool, Content::kBytes);
    if (!k.ok()) return k.status().with_context("the command " + a.command[0]);
    recipe.arg("tool", k->hex());
  } else {
    recipe.arg("tool", "not found");  // it fails with 127, and nothing is stored
  }
  if (const std::optional<std::string> script = run::script_of(a.command)) {
    Result<OperationKey> k = keys->file(*script, Content::kBytes);
    if (!k.ok()) return k.status().with_context("the script " + *script);
    recipe.arg("script", k->hex());
  }
  if (input) recipe.arg("stdin", run::bytes_key(*input).hex());
  for (const std::string& in : a.ins) {
    Result<OperationKey> k = keys->any(in);
    if (!k.ok()) return k.status().with_context("input");
    recipe.input(*k);
  }
  return recipe;
}

// How a computation ended, beyond its Status.
struct Outcome {
  int exit = 0;
  std::string not_cached;  // why a successful run was not stored
};

}  // namespace

int cmd_key(const std::vector<std::string>& files, bool json) {
  int rc = 0;
  nlohmann::json keys = nlohmann::json::array();
  run::InputKeys memo(nullptr, run::Header::kNone);
  for (const std::string& f : files) {
    Result<OperationKey> k = memo.any(f);
    if (!k.ok()) {
      std::cerr << "voxcache: " << k.status().to_string() << "\n";
      rc = std::max(rc, k.status().is_not_found() ? kExitUsage : kExitFailure);
      continue;
    }
    if (json) {
      keys.push_back({{"file", f}, {"key", k->hex()}});
    } else {
      std::cout << k->hex() << "  " << f << "\n";
    }
  }
  if (json) print_json(keys);
  return rc;
}

int cmd_run(const Globals& g, const RunArgs& a) {
  Report report;
  if (a.command.empty()) {
    return usage_error(Status::InvalidArgument("no command: put it after --"));
  }
  report.op = a.op.empty() ? fs::path(a.command[0]).filename().string() : a.op;
  const std::string& op = report.op;
  auto finish = [&](int code) {
    report.exit = code;
    tell(a, report);
    return code;
  };
  auto failed = [&](const Status& s, int code) {
    report.outcome = "failed";
    report.reason = s.to_string();
    std::cerr << "voxcache run: " << s.to_string() << "\n";
    return finish(code);
  };
  std::optional<std::string> input;
  if (a.read_stdin) {
    Result<std::string> in = read_stdin();
    if (!in.ok()) return failed(in.status(), kExitUsage);
    input = std::move(in).value();
  }
  const run::ProcessSpec spec{a.command, input ? &*input : nullptr, true, kMaxCapturedBytes};
  // Without storing: the command's own exit code, its output passed through.
  auto run_plainly = [&](const std::string& why) {
    Result<run::Ran> r = run::run_process(spec);
    if (!r.ok()) return failed(r.status(), kExitFailure);
    report.outcome = r->exit == 0 ? "not cached" : "failed";
    report.reason = r->exit == 0 ? why : op + " exited with " + std::to_string(r->exit);
    return finish(r->exit);
  };

  Result<std::unique_ptr<Cache>> opened = open_cache(g, !a.no_store);
  if (!opened.ok() && a.no_store) return run_plainly("--no-store, and no database");
  if (!opened.ok()) {
    // As ccache runs the compiler when its cache is unusable: the pipeline
    // goes on, uncached, and says why.
    std::cerr << "voxcache run: warning: not cached: " << opened.status().to_string() << "\n";
    return run_plainly("the database cannot be used: " + opened.status().to_string());
  }
  Cache* cache = opened->get();
  run::InputKeys keys(a.no_store ? nullptr : cache, run::Header::kAll);
  Result<KeyBuilder> recipe = recipe_of(a, op, &keys, input ? &*input : nullptr);
  if (!recipe.ok()) {
    const Status& s = recipe.status();
    return failed(s, s.is_not_found() || s.is_invalid_argument() ? kExitUsage : kExitFailure);
  }
  const OperationKey run_key = recipe->build();
  report.key = run_key.hex();

  // Everything a hit needs, read before anything is written: the bytes of
  // every output file. nullopt when one was evicted.
  using Files = std::map<std::string, Value>;  // Values share their bytes: no copies
  auto fetch = [&](const nlohmann::json& manifest) -> Result<std::optional<std::vector<Files>>> {
    const nlohmann::json* outputs = manifest.contains("outputs") ? &manifest["outputs"] : nullptr;
    if (!outputs || !outputs->is_array() || outputs->size() != a.outs.size()) {
      return Status::Corruption("run entry " + run_key.hex() + " is not a run of this recipe");
    }
    std::vector<Files> all(a.outs.size());
    for (size_t n = 0; n < a.outs.size(); ++n) {
      std::vector<std::string> rels;
      const nlohmann::json& item = (*outputs)[n];
      Status checked = run::check_item(item);
      if (!checked.ok()) return checked;
      if (item.value("kind", "") == "file") rels.push_back("");
      if (item.value("kind", "") == "dir" && item.contains("entries")) {
        for (const nlohmann::json& e : item["entries"]) {
          if (e.value("kind", "") == "file") rels.push_back(e.value("path", ""));
        }
      }
      for (const std::string& rel : rels) {
        Result<Value> v = cache->get(run::output_recipe(op, run_key, n, rel).build());
        if (v.status().is_not_found()) return std::optional<std::vector<Files>>();
        if (!v.ok()) return v.status();
        if (!v->as_string()) return Status::Corruption("an output entry that is not bytes");
        all[n].emplace(rel, std::move(v).value());
      }
    }
    return std::optional<std::vector<Files>>(std::move(all));
  };
  // A hit: writes every output and replays what the command printed.
  // false when an output was evicted (run again).
  auto write_outputs = [&](const Value& value) -> Result<bool> {
    Result<nlohmann::json> manifest = run::manifest_of(value);
    if (!manifest.ok()) return manifest.status();
    try {
      Result<std::optional<std::vector<Files>>> files = fetch(*manifest);
      if (!files.ok()) return files.status();
      if (!*files) return false;
      const nlohmann::json& outputs = (*manifest)["outputs"];
      for (size_t n = 0; n < a.outs.size(); ++n) {
        const Files& mine = (**files)[n];
        auto bytes_of = [&](const std::string& rel) -> const std::string* {
          auto it = mine.find(rel);
          return it == mine.end() ? nullptr : it->second.as_string();
        };
        Status s = run::restore(a.outs[n], outputs[n], bytes_of);
        if (!s.ok()) return s;
        // The next step's input: its key is known without decoding it again.
        if (outputs[n].value("kind", "") == "file") {
          Result<OperationKey> k = OperationKey::FromHex(outputs[n].value("key", ""));
          if (k.ok()) keys.remember(a.outs[n], *k, outputs[n].value("digest", ""));
        }
      }
      for (const char* stream : {"stdout", "stderr"}) {
        if (!manifest->contains(stream) || !(*manifest)[stream].is_binary()) {
          return Status::Corruption("run entry " + run_key.hex() + " has no " + stream);
        }
        const auto& bytes = (*manifest)[stream].get_binary();
        FILE* to = std::string(stream) == "stdout" ? stdout : stderr;
        if (!bytes.empty()) std::fwrite(bytes.data(), 1, bytes.size(), to);
        std::fflush(to);
      }
      report.exit = manifest->value("exit", 0);
    } catch (const nlohmann::json::exception& e) {
      return Status::Corruption("run entry " + run_key.hex() + " does not parse: " + e.what());
    }
    return true;
  };
  auto forget = [&] {
    (void)cache->erase(run_key);  // its outputs are orphans that gc evicts
  };

  if (a.no_store) {
    Result<Value> hit = cache->get(run_key);
    if (hit.ok()) {
      Result<bool> wrote = write_outputs(*hit);
      if (!wrote.ok()) return failed(wrote.status(), kExitFailure);
      if (*wrote) {
        report.outcome = "hit";
        return finish(report.exit);
      }
    }
    return run_plainly("--no-store");
  }
  if (a.refresh) forget();

  Outcome outcome;
  bool ran = false;
  auto compute = [&]() -> Result<Value> {
    ran = true;
    // Until compute returns; every output it has not rewritten is put back
    // then, after the snapshots, so that an old one is never stored.
    run::Aside aside;
    Status moved = aside.move(a.outs, a.ins);
    if (!moved.ok()) return moved;
    Result<run::Ran> r = run::run_process(spec);
    if (!r.ok()) return r.status();
    outcome.exit = r->exit;
    if (r->exit != 0) {
      return Status::IOError(op + " exited with " + std::to_string(r->exit) + ": nothing stored");
    }
    if (r->overflowed) {
      outcome.not_cached = "it printed more than 64 MiB on stdout or stderr";
      return Status::InvalidArgument(outcome.not_cached);
    }
    std::vector<run::Snapshot> snaps;
    for (const std::string& out : a.outs) {
      Result<run::Snapshot> snap = run::snapshot(out, &keys);
      if (snap.status().is_invalid_argument()) {
        outcome.not_cached = snap.status().message();
        return snap.status();
      }
      if (!snap.ok()) {
        outcome.exit = kExitFailure;
        return snap.status().is_not_found() ? Status::NotFound("declared output " + out +
                                                               " was not produced: nothing stored")
                                            : snap.status();
      }
      snaps.push_back(std::move(snap).value());
    }
    nlohmann::json manifest = {
        {"format", run::kManifestFormat},
        {"exit", 0},
        {"stdout", nlohmann::json::binary_t(std::vector<uint8_t>(r->out.begin(), r->out.end()))},
        {"stderr", nlohmann::json::binary_t(std::vector<uint8_t>(r->err.begin(), r->err.end()))},
        {"outputs", nlohmann::json::array()}};
    for (size_t n = 0; n < snaps.size(); ++n) {
      for (run::OutputFile& f : snaps[n].files) {
        report.stored_bytes += f.bytes.size();
        Status s = cache->put(run::output_recipe(op, run_key, n, f.rel), Value(std::move(f.bytes)));
        if (!s.ok()) {
          outcome.exit = kExitFailure;
          return s.with_context("storing " + a.outs[n]);
        }
      }
      manifest["outputs"].push_back(std::move(snaps[n].item));
    }
    return run::manifest_value(std::move(manifest));
  };
  // What `ls` and `show` say of the run.
  nlohmann::json meta = {{"command", a.command}, {"outputs", a.outs}};
  const std::string metadata = dump(meta);
  for (int attempt = 0; attempt < 2; ++attempt) {
    Status stored;
    Result<Value> m = cache->get_or_compute(*recipe, compute, PutOptions{metadata}, &stored);
    if (!m.ok() && ran && !outcome.not_cached.empty()) {
      report.outcome = "not cached";
      report.reason = outcome.not_cached;
      return finish(0);
    }
    if (!m.ok() && ran) {
      std::cerr << "voxcache run: " << m.status().to_string() << "\n";
      report.reason = m.status().to_string();
      return finish(outcome.exit != 0 ? outcome.exit : kExitFailure);
    }
    if (!m.ok()) return failed(m.status(), kExitFailure);
    if (ran) {
      if (!stored.ok()) std::cerr << "voxcache run: warning: " << stored.to_string() << "\n";
      warn_failed_pushes(cache);
      report.outcome = stored.ok() ? "miss" : "not cached";
      if (!stored.ok()) report.reason = stored.to_string();
      return finish(0);  // the command wrote its outputs itself
    }
    Result<bool> wrote = write_outputs(*m);
    if (!wrote.ok()) return failed(wrote.status(), kExitFailure);
    if (*wrote) {
      report.outcome = "hit";
      return finish(report.exit);
    }
    forget();  // an output was evicted: run again
  }
  return failed(Status::Busy("outputs of " + run_key.hex() + " keep disappearing"), kExitFailure);
}

}  // namespace voxcache::cli
