// voxcache: look into, manage, and move volumes in and out of a voxcache
// database. A thin shell over the library; every command is a few library
// calls. docs/cli.md documents every command.
//
// Exit codes: 0 success; 1 the operation failed (I/O, corruption, a bad entry
// found by verify, a write to a read-only database, ...); 2 bad usage, or a
// key that is unknown, ambiguous or malformed.

#include <unistd.h>
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "cli/format.h"
#include "cli/parse.h"
#include "cli/progress.h"
#include "cli/thumbnail.h"
#include "voxcache/cache.h"
#include "voxcache/itk.h"

namespace voxcache::cli {
namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

int fail(const Status& s) {
  std::cerr << "voxcache: " << s.to_string() << "\n";
  return kExitFailure;
}

int usage_error(const Status& s) {
  std::cerr << "voxcache: " << s.to_string() << "\n";
  return kExitUsage;
}

// A key the user named that is not there is their mistake (2); anything else
// that goes wrong reading it is a failure (1).
int key_error(const Status& s) {
  return s.is_not_found() || s.is_invalid_argument() ? usage_error(s) : fail(s);
}

struct Globals {
  std::string db;
  bool read_only = false;
};

std::string db_path(const Globals& g) {
  if (!g.db.empty()) return g.db;
  Result<std::string> def = Cache::DefaultPath();
  return def.ok() ? *def : std::string();
}

// Read commands open read-only when asked to, or when the file (or, for its
// WAL, the directory) is not writable, so they work on a shared archive.
Result<std::unique_ptr<Cache>> open_cache(const Globals& g, bool write) {
  const std::string path = db_path(g);
  if (path.empty()) return Status::InvalidArgument("no --db given and no default path");
  const std::string dir = std::filesystem::path(path).parent_path().string();
  const bool exists = std::filesystem::exists(path);
  const bool writable = !exists ? true
                                : access(path.c_str(), W_OK) == 0 &&
                                      access(dir.empty() ? "." : dir.c_str(), W_OK) == 0;
  Options o;
  o.read_only = g.read_only || (!write && !writable);
  o.create_if_missing = write && !o.read_only;
  if (write && o.read_only) {
    return Status::InvalidArgument(g.read_only
                                       ? "this command writes; --read-only was given"
                                       : "this command writes; " + path + " is not writable");
  }
  return Cache::Open(path, o);
}

Result<OperationKey> resolve(Cache* cache, const std::string& text) {
  return text.size() == OperationKey::kHexChars ? OperationKey::FromHex(text)
                                                : cache->resolve_prefix(text);
}

Result<std::vector<OperationKey>> resolve_all(Cache* cache, const std::vector<std::string>& keys) {
  std::vector<OperationKey> out;
  for (const std::string& k : keys) {
    Result<OperationKey> r = resolve(cache, k);
    if (!r.ok()) return r.status();
    out.push_back(*r);
  }
  return out;
}

// Keys' operation names and file names need not be UTF-8; JSON output
// replaces what it cannot carry rather than failing.
std::string dump(const nlohmann::json& j, int indent = -1) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

void print_json(const nlohmann::json& j) { std::cout << dump(j, 2) << "\n"; }

// --- import / export / thumbnail ---------------------------------------------

int cmd_import(const Globals& g, const std::vector<std::string>& files) {
  auto cache = open_cache(g, true);
  if (!cache.ok()) return fail(cache.status());
  int rc = 0;
  Progress progress("import", files.size());
  for (const std::string& file : files) {
    progress.tick();
    Result<Volume> vol = read_image(file);
    if (!vol.ok()) {
      rc = std::max(rc, vol.status().is_not_found() ? kExitUsage : kExitFailure);
      std::cerr << "voxcache: " << vol.status().to_string() << "\n";
      continue;
    }
    const OperationKey key = content_key(*vol);
    nlohmann::json meta = {{"source", std::filesystem::absolute(file).string()}};
    Status s = (*cache)->put(key, *vol, dump(meta));
    if (!s.ok()) {
      rc = std::max(rc, kExitFailure);
      std::cerr << "voxcache: " << s.to_string() << "\n";
      continue;
    }
    std::cout << key.hex() << "  " << file << "\n";
  }
  return rc;
}

int cmd_export(const Globals& g, const std::string& key_text, const std::string& file,
               bool compress, const std::string& region_text, const std::string& slice_text) {
  if (!region_text.empty() && !slice_text.empty()) {
    return usage_error(Status::InvalidArgument("give --region or --slice, not both"));
  }
  std::array<uint64_t, 3> start{}, size{};
  int axis = 0;
  uint64_t index = 0;
  if (!region_text.empty()) {
    if (Status s = parse_region(region_text, &start, &size); !s.ok()) return usage_error(s);
  }
  if (!slice_text.empty()) {
    if (Status s = parse_slice(slice_text, &axis, &index); !s.ok()) return usage_error(s);
  }
  auto cache = open_cache(g, false);
  if (!cache.ok()) return fail(cache.status());
  Result<OperationKey> key = resolve(cache->get(), key_text);
  if (!key.ok()) return usage_error(key.status());
  // Region and slice reads decompress only the chunks they touch.
  Result<Volume> vol = Status::InvalidArgument("unreached");
  if (!region_text.empty()) {
    vol = (*cache)->read_region(*key, start, size);
  } else if (!slice_text.empty()) {
    vol = (*cache)->read_slice(*key, axis, index);
  } else {
    Result<Value> v = (*cache)->get(*key);
    if (!v.ok()) return key_error(v.status());
    if (!v->as_volume()) {
      return usage_error(Status::InvalidArgument("entry " + key->hex() + " holds a " +
                                                 v->type_tag() + ", not a volume"));
    }
    vol = *v->as_volume();
  }
  if (!vol.ok()) return key_error(vol.status());
  Status s = write_image(*vol, file, compress);
  if (!s.ok()) return fail(s);
  const auto& d = vol->size();
  std::cerr << "wrote " << file << " (" << d[0] << "x" << d[1] << "x" << d[2] << ", "
            << human_bytes(vol->byte_size()) << " of voxels)\n";
  return 0;
}

int cmd_thumbnail(const Globals& g, const std::string& key_text, const std::string& file,
                  const std::string& slice_text) {
  std::optional<std::pair<int, uint64_t>> slice;
  if (!slice_text.empty()) {
    int axis = 0;
    uint64_t index = 0;
    if (Status s = parse_slice(slice_text, &axis, &index); !s.ok()) return usage_error(s);
    slice = std::make_pair(axis, index);
  }
  auto cache = open_cache(g, false);
  if (!cache.ok()) return fail(cache.status());
  Result<OperationKey> key = resolve(cache->get(), key_text);
  if (!key.ok()) return usage_error(key.status());
  auto wh = write_thumbnail(cache->get(), *key, file, slice);
  if (!wh.ok()) return key_error(wh.status());
  std::cerr << "wrote " << file << " (" << wh->first << "x" << wh->second << ", "
            << (slice ? "slice" : "maximum-intensity projection along z") << ")\n";
  return 0;
}

// --- ls / show / stats ----------------------------------------------------------

struct LsFilter {
  std::string type, larger_than, older_than, op, sort = "created";
  bool pinned = false;
};

int cmd_ls(const Globals& g, const LsFilter& f, bool json) {
  std::optional<uint64_t> min_size;
  std::optional<std::chrono::seconds> min_age;
  if (!f.larger_than.empty()) {
    Result<uint64_t> v = parse_size(f.larger_than);
    if (!v.ok()) return usage_error(v.status());
    min_size = *v;
  }
  if (!f.older_than.empty()) {
    Result<std::chrono::seconds> v = parse_age(f.older_than);
    if (!v.ok()) return usage_error(v.status());
    min_age = *v;
  }
  auto cache = open_cache(g, false);
  if (!cache.ok()) return fail(cache.status());
  Result<std::vector<EntryInfo>> all = (*cache)->list();
  if (!all.ok()) return fail(all.status());
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  std::vector<EntryInfo> entries;
  for (EntryInfo& e : *all) {
    if (!f.type.empty() && e.data_type != f.type) continue;
    if (min_size && e.stored_bytes <= *min_size) continue;
    if (min_age && now - e.created_at_ms < min_age->count() * 1000) continue;
    if (!f.op.empty() && e.operation != f.op) continue;
    if (f.pinned && !e.pinned) continue;
    entries.push_back(std::move(e));
  }
  auto by = [&](auto field) {
    std::stable_sort(entries.begin(), entries.end(),
                     [&](const EntryInfo& a, const EntryInfo& b) { return field(a) > field(b); });
  };
  if (f.sort == "size") by([](const EntryInfo& e) { return e.stored_bytes; });
  if (f.sort == "accessed") by([](const EntryInfo& e) { return e.last_access_ms; });
  if (f.sort == "ratio") by([](const EntryInfo& e) { return e.ratio(); });
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const EntryInfo& e : entries) out.push_back(entry_json(e));
    print_json(out);
    return 0;
  }
  std::printf("%-16s %-9s %-13s %-6s %10s %10s %7s  %-20s %s\n", "KEY", "TYPE", "DIMS", "PIXEL",
              "RAW", "STORED", "RATIO", "CREATED", "OPERATION");
  uint64_t raw = 0, stored = 0;
  for (const EntryInfo& e : entries) {
    std::printf("%-16s %-9s %-13s %-6s %10s %10s %6.1fx  %-20s %s%s\n",
                e.key.hex().substr(0, 16).c_str(), e.data_type.c_str(), dims_text(e).c_str(),
                pixel_text(e).c_str(), human_bytes(e.raw_bytes).c_str(),
                human_bytes(e.stored_bytes).c_str(), e.ratio(), iso_time(e.created_at_ms).c_str(),
                e.operation.empty() ? "-" : e.operation.c_str(), e.pinned ? " (pinned)" : "");
    raw += e.raw_bytes;
    stored += e.stored_bytes;
  }
  std::printf("%zu entries, %s raw, %s stored\n", entries.size(), human_bytes(raw).c_str(),
              human_bytes(stored).c_str());
  return 0;
}

int cmd_show(const Globals& g, const std::string& key_text, bool json,
             const std::string& thumbnail) {
  auto cache = open_cache(g, false);
  if (!cache.ok()) return fail(cache.status());
  Result<OperationKey> key = resolve(cache->get(), key_text);
  if (!key.ok()) return usage_error(key.status());
  Result<EntryInfo> info = (*cache)->info(*key);
  if (!info.ok()) return key_error(info.status());
  if (!thumbnail.empty()) {
    auto wh = write_thumbnail(cache->get(), *key, thumbnail, std::nullopt);
    if (!wh.ok()) return key_error(wh.status());
  }
  if (json) {
    nlohmann::json j = entry_json(*info);
    if (!thumbnail.empty()) j["thumbnail"] = thumbnail;
    print_json(j);
    return 0;
  }
  const EntryInfo& e = *info;
  std::printf("key          %s\n", e.key.hex().c_str());
  std::printf("type         %s\n", e.data_type.c_str());
  std::printf("created      %s\n", iso_time(e.created_at_ms).c_str());
  std::printf("accessed     %s, %llu gets%s\n", iso_time(e.last_access_ms).c_str(),
              static_cast<unsigned long long>(e.access_count), e.pinned ? ", pinned" : "");
  if (e.volume) {
    const VolumeLayout& l = *e.volume;
    const Geometry& geo = l.geometry;
    std::printf("dims         %s\n", dims_text(e).c_str());
    std::printf("pixel        %s (%u component%s)\n",
                std::string(pixel_type_name(l.pixel_type)).c_str(), l.components,
                l.components == 1 ? "" : "s");
    std::printf("spacing      %.17g %.17g %.17g\n", geo.spacing[0], geo.spacing[1], geo.spacing[2]);
    std::printf("origin       %.17g %.17g %.17g\n", geo.origin[0], geo.origin[1], geo.origin[2]);
    for (int r = 0; r < 3; ++r) {
      std::printf("%s %.17g %.17g %.17g\n", r == 0 ? "direction   " : "            ",
                  geo.direction[3 * r], geo.direction[3 * r + 1], geo.direction[3 * r + 2]);
    }
  }
  std::printf("raw          %s (%llu bytes)\n", human_bytes(e.raw_bytes).c_str(),
              static_cast<unsigned long long>(e.raw_bytes));
  std::printf("stored       %s (%llu bytes), ratio %.2fx\n", human_bytes(e.stored_bytes).c_str(),
              static_cast<unsigned long long>(e.stored_bytes), e.ratio());
  std::printf("chunks       %llu of %s\n", static_cast<unsigned long long>(e.chunk_count),
              human_bytes(e.chunk_bytes).c_str());
  std::printf("codec        %s (level %d), filter %s\n", e.codec.c_str(), e.level,
              e.filter.c_str());
  std::printf("checksum     %s\n", e.checksum.c_str());
  std::printf("metadata     %s\n", e.metadata.empty() ? "-" : e.metadata.c_str());
  if (!e.intensity_json.empty()) {
    const nlohmann::json k = nlohmann::json::parse(e.intensity_json, nullptr, false);
    for (size_t c = 0; k.is_array() && c < k.size(); ++c) {
      std::printf("intensity    %s%s\n",
                  k.size() > 1 ? ("[" + std::to_string(c) + "] ").c_str() : "",
                  ("min " + dump(k[c]["min"]) + ", max " + dump(k[c]["max"]) + ", mean " +
                   dump(k[c]["mean"]))
                      .c_str());
    }
  }
  if (!e.operation.empty()) {
    std::printf("recipe       %s\n", e.recipe_json.c_str());
  }
  for (const OperationKey& in : e.inputs) std::printf("input        %s\n", in.hex().c_str());
  for (const OperationKey& d : e.dependents) std::printf("dependent    %s\n", d.hex().c_str());
  if (!thumbnail.empty()) std::printf("thumbnail    %s\n", thumbnail.c_str());
  return 0;
}

int cmd_stats(const Globals& g, bool json, bool zero) {
  auto cache = open_cache(g, zero);
  if (!cache.ok()) return fail(cache.status());
  if (zero) {
    Status s = (*cache)->zero_stats();
    if (!s.ok()) return fail(s);
    std::cerr << "counters zeroed\n";
    return 0;
  }
  Result<StoredStats> st = (*cache)->stored_stats();
  if (!st.ok()) return fail(st.status());
  const uint64_t hits = st->counter("hits_memory") + st->counter("hits_disk");
  const uint64_t lookups = hits + st->counter("misses");
  const double hit_rate = lookups ? static_cast<double>(hits) / lookups : 0.0;
  const double ratio = st->stored_bytes ? static_cast<double>(st->raw_bytes) / st->stored_bytes : 0;
  if (json) {
    nlohmann::json j = {{"entries", st->entries},
                        {"raw_bytes", st->raw_bytes},
                        {"stored_bytes", st->stored_bytes},
                        {"ratio", ratio},
                        {"hit_rate", hit_rate},
                        {"by_type", nlohmann::json::array()},
                        {"counters", nlohmann::json::object()}};
    for (const auto& t : st->by_type) {
      j["by_type"].push_back({{"data_type", t.data_type},
                              {"entries", t.entries},
                              {"raw_bytes", t.raw_bytes},
                              {"stored_bytes", t.stored_bytes}});
    }
    for (const auto& c : st->counters) {
      j["counters"][c.data_type.empty() ? "total" : c.data_type][c.name] = c.value;
    }
    print_json(j);
    return 0;
  }
  std::printf("entries        %llu\n", static_cast<unsigned long long>(st->entries));
  std::printf("raw            %s\n", human_bytes(st->raw_bytes).c_str());
  std::printf("stored         %s (ratio %.2fx)\n", human_bytes(st->stored_bytes).c_str(), ratio);
  std::printf("hits           %llu (memory %llu, disk %llu), misses %llu, hit rate %.1f%%\n",
              static_cast<unsigned long long>(hits),
              static_cast<unsigned long long>(st->counter("hits_memory")),
              static_cast<unsigned long long>(st->counter("hits_disk")),
              static_cast<unsigned long long>(st->counter("misses")), 100 * hit_rate);
  std::printf("puts           %llu, evictions %llu\n",
              static_cast<unsigned long long>(st->counter("puts")),
              static_cast<unsigned long long>(st->counter("evictions")));
  std::printf("bytes read     %s, written %s\n", human_bytes(st->counter("bytes_read")).c_str(),
              human_bytes(st->counter("bytes_written")).c_str());
  for (const auto& t : st->by_type) {
    std::printf("  %-12s %6llu entries %10s raw %10s stored\n", t.data_type.c_str(),
                static_cast<unsigned long long>(t.entries), human_bytes(t.raw_bytes).c_str(),
                human_bytes(t.stored_bytes).c_str());
  }
  return 0;
}

// --- verify / rm / gc / vacuum / recompress / pin ---------------------------------

int cmd_verify(const Globals& g, const std::vector<std::string>& key_texts, bool repair,
               bool json) {
  auto cache = open_cache(g, repair);
  if (!cache.ok()) return fail(cache.status());
  std::vector<OperationKey> keys;
  if (key_texts.empty()) {
    Result<std::vector<EntryInfo>> all = (*cache)->list();
    if (!all.ok()) return fail(all.status());
    for (const EntryInfo& e : *all) keys.push_back(e.key);
  } else {
    Result<std::vector<OperationKey>> k = resolve_all(cache->get(), key_texts);
    if (!k.ok()) return usage_error(k.status());
    keys = std::move(k).value();
  }
  nlohmann::json bad = nlohmann::json::array();
  Progress progress("verify", keys.size());
  for (const OperationKey& k : keys) {
    progress.tick();
    Status s = (*cache)->verify(k);
    if (s.ok()) continue;
    bool removed = false;
    if (repair) removed = (*cache)->erase(k).ok();
    bad.push_back({{"key", k.hex()}, {"error", s.to_string()}, {"removed", removed}});
    if (!json) {
      std::printf("BAD %s: %s%s\n", k.hex().c_str(), s.to_string().c_str(),
                  removed ? " (removed)" : "");
    }
  }
  if (json) {
    print_json({{"checked", keys.size()}, {"bad", bad}});
  } else {
    std::printf("%zu entries checked, %zu bad%s\n", keys.size(), bad.size(),
                repair && !bad.empty() ? ", removed: they will be recomputed" : "");
  }
  return bad.empty() ? 0 : kExitFailure;
}

int cmd_rm(const Globals& g, const std::vector<std::string>& key_texts, const std::string& op) {
  if (key_texts.empty() == op.empty()) {
    return usage_error(Status::InvalidArgument("rm takes keys or --op NAME"));
  }
  auto cache = open_cache(g, true);
  if (!cache.ok()) return fail(cache.status());
  std::vector<OperationKey> keys;
  if (!op.empty()) {
    Result<std::vector<EntryInfo>> all = (*cache)->list();
    if (!all.ok()) return fail(all.status());
    for (const EntryInfo& e : *all) {
      if (e.operation == op) keys.push_back(e.key);
    }
  } else {
    Result<std::vector<OperationKey>> k = resolve_all(cache->get(), key_texts);
    if (!k.ok()) return usage_error(k.status());
    keys = std::move(k).value();
  }
  for (const OperationKey& k : keys) {
    Status s = (*cache)->erase(k);
    if (!s.ok()) return key_error(s);
    std::printf("removed %s\n", k.hex().c_str());
  }
  if (!op.empty()) std::printf("%zu entries of operation '%s' removed\n", keys.size(), op.c_str());
  return 0;
}

int cmd_gc(const Globals& g, const std::string& max_size, const std::string& max_age,
           uint64_t max_entries, bool json) {
  Limits limits;
  limits.max_entries = max_entries;
  if (!max_size.empty()) {
    Result<uint64_t> v = parse_size(max_size);
    if (!v.ok()) return usage_error(v.status());
    limits.max_bytes = *v;
  }
  if (!max_age.empty()) {
    Result<std::chrono::seconds> v = parse_age(max_age);
    if (!v.ok()) return usage_error(v.status());
    limits.max_age = *v;
  }
  if (!limits.max_bytes && !limits.max_entries && limits.max_age.count() == 0) {
    return usage_error(Status::InvalidArgument("gc needs --max-size, --max-age or --max-entries"));
  }
  auto cache = open_cache(g, true);
  if (!cache.ok()) return fail(cache.status());
  Result<GcReport> r = (*cache)->gc(limits);
  if (!r.ok()) return fail(r.status());
  if (json) {
    nlohmann::json removed = nlohmann::json::array();
    for (const OperationKey& k : r->removed) removed.push_back(k.hex());
    print_json({{"removed", removed},
                {"freed_bytes", r->freed_bytes},
                {"entries_left", r->entries_left},
                {"bytes_left", r->bytes_left}});
    return 0;
  }
  for (const OperationKey& k : r->removed) std::printf("removed %s\n", k.hex().c_str());
  std::printf("%zu entries removed, %s freed; %llu entries, %s left\n", r->removed.size(),
              human_bytes(r->freed_bytes).c_str(), static_cast<unsigned long long>(r->entries_left),
              human_bytes(r->bytes_left).c_str());
  return 0;
}

int cmd_vacuum(const Globals& g) {
  auto cache = open_cache(g, true);
  if (!cache.ok()) return fail(cache.status());
  const std::string path = (*cache)->path();
  auto size = [&] {
    std::error_code ec;
    uint64_t n = 0;
    for (const char* s : {"", "-wal"}) {
      const auto b = std::filesystem::file_size(path + s, ec);
      if (!ec) n += b;
    }
    return n;
  };
  const uint64_t before = size();
  Status s = (*cache)->vacuum();
  if (!s.ok()) return fail(s);
  const uint64_t after = size();
  std::printf("%s -> %s on disk (database and WAL)\n", human_bytes(before).c_str(),
              human_bytes(after).c_str());
  return 0;
}

int cmd_recompress(const Globals& g, int level, bool json) {
  auto cache = open_cache(g, true);
  if (!cache.ok()) return fail(cache.status());
  Result<std::vector<EntryInfo>> all = (*cache)->list();
  if (!all.ok()) return fail(all.status());
  uint64_t before = 0, after = 0, changed = 0;
  nlohmann::json entries = nlohmann::json::array();
  Progress progress("recompress", all->size());
  for (const EntryInfo& e : *all) {
    progress.tick();
    Result<RecompressReport> r = (*cache)->recompress(e.key, level);
    if (!r.ok()) return fail(r.status());
    before += r->bytes_before;
    after += r->bytes_after;
    if (!r->changed) continue;
    ++changed;
    entries.push_back(
        {{"key", e.key.hex()}, {"bytes_before", r->bytes_before}, {"bytes_after", r->bytes_after}});
    if (!json) {
      std::printf("%s  %s -> %s\n", e.key.hex().substr(0, 16).c_str(),
                  human_bytes(r->bytes_before).c_str(), human_bytes(r->bytes_after).c_str());
    }
  }
  if (json) {
    print_json({{"level", level},
                {"recompressed", entries},
                {"bytes_before", before},
                {"bytes_after", after}});
  } else {
    std::printf("%llu of %zu entries recompressed to level %d; %s -> %s stored\n",
                static_cast<unsigned long long>(changed), all->size(), level,
                human_bytes(before).c_str(), human_bytes(after).c_str());
  }
  return 0;
}

int cmd_pin(const Globals& g, const std::vector<std::string>& key_texts, bool pinned) {
  auto cache = open_cache(g, true);
  if (!cache.ok()) return fail(cache.status());
  Result<std::vector<OperationKey>> keys = resolve_all(cache->get(), key_texts);
  if (!keys.ok()) return usage_error(keys.status());
  for (const OperationKey& k : *keys) {
    Status s = (*cache)->pin(k, pinned);
    if (!s.ok()) return key_error(s);
    std::printf("%s %s\n", pinned ? "pinned" : "unpinned", k.hex().c_str());
  }
  return 0;
}

int run(int argc, char** argv) {
  CLI::App app{"voxcache: inspect and manage a voxcache database, and move volumes in and out"};
  app.require_subcommand(1);
  Globals g;
  app.add_option("--db", g.db,
                 "Database file (default: $VOXCACHE_DIR/cache.db, else "
                 "$XDG_CACHE_HOME/voxcache/cache.db, else ~/.cache/voxcache/cache.db)");
  app.add_flag("--read-only", g.read_only,
               "Open read-only (automatic for read commands when the file is not writable)");

  std::vector<std::string> files, keys;
  std::string key_text, out_file, region_text, slice_text, thumb;
  bool json = false, no_compress = false, zero = false, repair = false;

  CLI::App* import = app.add_subcommand(
      "import", "Store volume files (.nii.gz, .nrrd, .mha, ...) under their content keys");
  import->add_option("files", files, "Files to import")->required();

  CLI::App* exp = app.add_subcommand(
      "export", "Write a cached volume, a box or a slice of it, to a file (format by extension)");
  exp->add_option("key", key_text, "Key or unique prefix (8+ hex digits)")->required();
  exp->add_option("file", out_file, "Output file")->required();
  exp->add_flag("--no-compress", no_compress, "Ask the writer not to compress");
  exp->add_option("--region", region_text,
                  "Export only the box x,y,z,dx,dy,dz (voxel start and size); reads only the "
                  "chunks it touches");
  exp->add_option("--slice", slice_text, "Export one slice, e.g. z=90 (axial), y=100, x=90");

  LsFilter filter;
  CLI::App* ls = app.add_subcommand("ls", "List entries (newest first unless --sort)");
  ls->add_flag("--json", json, "Print JSON with exact values");
  ls->add_option("--type", filter.type, "Only this data type (volume, float64, ...)");
  ls->add_option("--larger-than", filter.larger_than, "Only entries storing more, e.g. 10M");
  ls->add_option("--older-than", filter.older_than, "Only entries created longer ago, e.g. 7d");
  ls->add_option("--op", filter.op, "Only results of this operation");
  ls->add_flag("--pinned", filter.pinned, "Only pinned entries");
  ls->add_option("--sort", filter.sort, "size, created, accessed or ratio (largest first)")
      ->check(CLI::IsMember({"size", "created", "accessed", "ratio"}));

  CLI::App* show = app.add_subcommand("show", "Everything known about one entry");
  show->add_option("key", key_text, "Key or unique prefix (8+ hex digits)")->required();
  show->add_flag("--json", json, "Print JSON with exact values");
  show->add_option("--thumbnail", thumb, "Also write a maximum-intensity projection PNG here");

  CLI::App* stats = app.add_subcommand("stats", "Entries, sizes, hit rate, counters by type");
  stats->add_flag("--json", json, "Print JSON with exact values");
  stats->add_flag("--zero", zero, "Zero the counters");

  CLI::App* verify = app.add_subcommand(
      "verify", "Decompress and checksum every chunk of the given entries (default: all)");
  verify->add_option("keys", keys, "Keys or prefixes");
  verify->add_flag("--repair", repair, "Remove bad entries (they will be recomputed)");
  verify->add_flag("--json", json, "Print JSON");

  std::string op;
  CLI::App* rm = app.add_subcommand("rm", "Remove entries");
  rm->add_option("keys", keys, "Keys or prefixes");
  rm->add_option("--op", op, "Remove every result of this operation");

  std::string max_size, max_age;
  uint64_t max_entries = 0;
  CLI::App* gc =
      app.add_subcommand("gc", "Evict least recently used, unpinned entries until the limits hold");
  gc->add_option("--max-size", max_size, "Stored bytes to keep at most, e.g. 10G");
  gc->add_option("--max-age", max_age, "Evict entries unused for longer, e.g. 7d");
  gc->add_option("--max-entries", max_entries, "Entries to keep at most");
  gc->add_flag("--json", json, "Print JSON");

  CLI::App* vacuum = app.add_subcommand(
      "vacuum", "Give freed space back to the file system; checkpoint and truncate the WAL");

  int level = 3;
  CLI::App* recompress = app.add_subcommand(
      "recompress", "Re-encode entries stored at another level or uncompressed, in place");
  recompress->add_option("--level", level, "zstd level 0-19 (0: uncompressed)")
      ->required()
      ->check(CLI::Range(0, 19));
  recompress->add_flag("--json", json, "Print JSON");

  CLI::App* thumbnail = app.add_subcommand(
      "thumbnail", "Render a maximum-intensity projection (or one slice) as an 8-bit PNG");
  thumbnail->add_option("key", key_text, "Key or unique prefix (8+ hex digits)")->required();
  thumbnail->add_option("file", out_file, "Output PNG")->required();
  thumbnail->add_option("--slice", slice_text, "One slice instead, e.g. z=90");

  CLI::App* pin = app.add_subcommand("pin", "Keep entries through eviction");
  pin->add_option("keys", keys, "Keys or prefixes")->required();
  CLI::App* unpin = app.add_subcommand("unpin", "Let pinned entries be evicted again");
  unpin->add_option("keys", keys, "Keys or prefixes")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : kExitUsage;
  }
  if (*import) return cmd_import(g, files);
  if (*exp) return cmd_export(g, key_text, out_file, !no_compress, region_text, slice_text);
  if (*ls) return cmd_ls(g, filter, json);
  if (*show) return cmd_show(g, key_text, json, thumb);
  if (*stats) return cmd_stats(g, json, zero);
  if (*verify) return cmd_verify(g, keys, repair, json);
  if (*rm) return cmd_rm(g, keys, op);
  if (*gc) return cmd_gc(g, max_size, max_age, max_entries, json);
  if (*vacuum) return cmd_vacuum(g);
  if (*recompress) return cmd_recompress(g, level, json);
  if (*thumbnail) return cmd_thumbnail(g, key_text, out_file, slice_text);
  if (*pin) return cmd_pin(g, keys, true);
  if (*unpin) return cmd_pin(g, keys, false);
  return kExitUsage;
}

}  // namespace
}  // namespace voxcache::cli

int main(int argc, char** argv) { return voxcache::cli::run(argc, argv); }
