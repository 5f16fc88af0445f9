// ls, show, stats: looking inside a cache.

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <optional>

#include "cli/commands.h"
#include "cli/format.h"
#include "cli/parse.h"
#include "cli/thumbnail.h"

namespace voxcache::cli {

namespace {

// show prints values up to this size; larger strings and bytes are only described.
constexpr uint64_t kMaxShownValueBytes = 4096;

// The dtype and shape of a Python package's py.ndarray payload (version 1,
// dtype length and text, ndim, each size as u64 little-endian: written by
// src/python/convert.cc); nullopt when it does not parse.
std::optional<nlohmann::json> array_json(const std::string& b) {
  if (b.size() < 2 || static_cast<uint8_t>(b[0]) != 1) return std::nullopt;
  const size_t dt_len = static_cast<uint8_t>(b[1]);
  if (b.size() < 3 + dt_len) return std::nullopt;
  const size_t ndim = static_cast<uint8_t>(b[2 + dt_len]);
  size_t at = 3 + dt_len;
  if (b.size() < at + 8 * ndim) return std::nullopt;
  nlohmann::json shape = nlohmann::json::array();
  for (size_t i = 0; i < ndim; ++i, at += 8) {
    uint64_t n = 0;
    for (int k = 7; k >= 0; --k) n = n << 8 | static_cast<uint8_t>(b[at + k]);
    shape.push_back(n);
  }
  return nlohmann::json{{"dtype", b.substr(2, dt_len)}, {"shape", shape}};
}

// A Python package's array value (py.ndarray, py.numpy-scalar) described:
// its dtype and shape; nullopt for anything else.
std::optional<nlohmann::json> array_of(const Value& v) {
  const std::string* b = v.custom<std::string>();  // the CLI keeps custom values as bytes
  const std::string& tag = b ? v.as_custom()->tag : std::string();
  if (tag != "py.ndarray" && tag != "py.numpy-scalar") return std::nullopt;
  return array_json(*b);
}

// A built-in scalar, string or null as JSON, and the Python package's JSON
// values (py.json); nullopt for bytes and other custom types.
std::optional<nlohmann::json> value_json(const Value& v) {
  if (const std::string* b = v.custom<std::string>()) {  // the CLI keeps custom values as bytes
    if (v.as_custom()->tag != "py.json") return std::nullopt;
    nlohmann::json j = nlohmann::json::parse(*b, nullptr, false);
    if (j.is_discarded()) return std::nullopt;
    return j;
  }
  switch (v.kind()) {
    case Value::Kind::kNull:
      return nlohmann::json();
    case Value::Kind::kBool:
      return nlohmann::json(*v.as_bool());
    case Value::Kind::kInt64:
      return nlohmann::json(*v.as_int64());
    case Value::Kind::kFloat64:
      return nlohmann::json(*v.as_double());
    case Value::Kind::kString:
      return nlohmann::json(*v.as_string());
    default:
      return std::nullopt;
  }
}

// A list's or tuple's items: each one's type, and its value where it prints
// on a line (dims and pixel type for a volume, the items of a nested list).
nlohmann::json items_json(const Value& v) {
  nlohmann::json items = nlohmann::json::array();
  for (const Value& item : *v.items()) {
    nlohmann::json j;
    j["type"] = item.type_tag();
    if (std::optional<nlohmann::json> shown = value_json(item)) {
      const std::string* s = item.as_string();
      if (!s || s->size() <= kMaxShownValueBytes) j["value"] = *shown;
    } else if (const Volume* vol = item.as_volume()) {
      j["dims"] = dims_text(vol->layout());
      j["pixel_type"] = std::string(pixel_type_name(vol->pixel_type()));
      j["components"] = vol->layout().components;
    } else if (item.items()) {
      j["items"] = items_json(item);
    } else if (const std::string* opaque = item.custom<std::string>()) {
      j["bytes"] = opaque->size();  // a type the CLI keeps as its bytes
      if (std::optional<nlohmann::json> a = array_of(item)) j["array"] = *a;
    }
    items.push_back(std::move(j));
  }
  return items;
}

// "<f8 shape (2, 3)": an array's description on a line.
std::string array_text(const nlohmann::json& a) {
  std::string shape;
  for (const nlohmann::json& n : a["shape"]) shape += (shape.empty() ? "" : ", ") + n.dump();
  if (a["shape"].size() == 1) shape += ",";
  return a["dtype"].get<std::string>() + " shape (" + shape + ")";
}

// One line of an item: "volume 91x109x91 f32", "float64 3.5".
std::string item_text(const nlohmann::json& item) {
  std::string t = item["type"].get<std::string>();
  if (item.contains("value")) t += " " + item["value"].dump();
  if (item.contains("dims")) {
    t += " " + item["dims"].get<std::string>() + " " + item["pixel_type"].get<std::string>();
    if (item["components"].get<uint32_t>() > 1) t += "x" + item["components"].dump();
  }
  if (item.contains("bytes")) t += " (" + human_bytes(item["bytes"].get<uint64_t>()) + ")";
  if (item.contains("array")) t += " " + array_text(item["array"]);
  if (item.contains("items")) {
    std::string inner;
    for (const nlohmann::json& i : item["items"])
      inner += (inner.empty() ? "" : ", ") + item_text(i);
    t += " [" + inner + "]";
  }
  return t;
}

// ls's last column: the operation, or for a file import put in, the file.
std::string operation_text(const EntryInfo& e) {
  if (!e.operation.empty()) return e.operation;
  const nlohmann::json meta = nlohmann::json::parse(e.metadata, nullptr, false);
  if (meta.is_object() && meta.contains("source") && meta["source"].is_string()) {
    return "imported from " + meta["source"].get<std::string>();
  }
  return "-";
}

}  // namespace

Result<std::vector<EntryInfo>> select_entries(Cache* cache, const LsFilter& f) {
  std::optional<uint64_t> min_size;
  std::optional<std::chrono::seconds> min_age;
  if (!f.larger_than.empty()) {
    Result<uint64_t> v = parse_size(f.larger_than);
    if (!v.ok()) return v.status();
    min_size = *v;
  }
  if (!f.older_than.empty()) {
    Result<std::chrono::seconds> v = parse_age(f.older_than);
    if (!v.ok()) return v.status();
    min_age = *v;
  }
  if (f.sort != "size" && f.sort != "created" && f.sort != "accessed" && f.sort != "ratio") {
    return Status::InvalidArgument("sort by size, created, accessed or ratio, not '" + f.sort +
                                   "'");
  }
  Result<std::vector<EntryInfo>> all = cache->admin().list();
  if (!all.ok()) return all.status();
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  std::vector<EntryInfo> entries;
  for (EntryInfo& e : *all) {
    // A data type ("volume", "float64") or a volume's pixel type ("f32", "u8x3").
    if (!f.type.empty() && e.data_type != f.type && (!e.volume || pixel_text(e) != f.type)) {
      continue;
    }
    if (min_size && e.stored_bytes <= *min_size) continue;
    if (min_age && now - e.created_at_ms < min_age->count() * 1000) continue;
    if (!f.op.empty() && e.operation != f.op) continue;
    if (f.pinned && !e.pinned) continue;
    if (!f.all && f.op.empty() && e.operation == "run:file-identity") continue;
    entries.push_back(std::move(e));
  }
  auto by = [&](auto field) {
    std::stable_sort(entries.begin(), entries.end(),
                     [&](const EntryInfo& a, const EntryInfo& b) { return field(a) > field(b); });
  };
  if (f.sort == "size") by([](const EntryInfo& e) { return e.stored_bytes; });
  if (f.sort == "accessed") by([](const EntryInfo& e) { return e.last_access_ms; });
  if (f.sort == "ratio") by([](const EntryInfo& e) { return e.ratio(); });
  return entries;
}

int cmd_ls(const Globals& g, const LsFilter& f, bool json) {
  auto cache = open_cache(g, false, /*record_reads=*/false);
  if (!cache.ok()) return fail(cache.status());
  Result<std::vector<EntryInfo>> selected = select_entries(cache->get(), f);
  if (!selected.ok()) {
    return selected.status().is_invalid_argument() ? usage_error(selected.status())
                                                   : fail(selected.status());
  }
  const std::vector<EntryInfo>& entries = *selected;
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const EntryInfo& e : entries) {
      nlohmann::json j = entry_json(e);
      // A listing reads no lineage (one query per entry would make it slow):
      // empty lists here would say "no inputs". show has them.
      j.erase("inputs");
      j.erase("dependents");
      out.push_back(std::move(j));
    }
    print_json(out);
    return 0;
  }
  std::printf("%-16s %-9s %-13s %-6s %10s %10s %7s  %-20s %s\n", "KEY", "TYPE", "DIMS", "PIXEL",
              "RAW", "STORED", "RATIO", "CREATED", "OPERATION");
  uint64_t raw = 0, stored = 0;
  size_t bad = 0;
  for (const EntryInfo& e : entries) {
    if (!e.problem.empty()) {  // listed, so that verify --repair can be seen to have work
      std::printf("%-16s %-9s BAD: %s\n", e.key.hex().substr(0, 16).c_str(), e.data_type.c_str(),
                  e.problem.c_str());
      ++bad;
      stored += e.stored_bytes;
      continue;
    }
    std::printf("%-16s %-9s %-13s %-6s %10s %10s %6.1fx  %-20s %s%s\n",
                e.key.hex().substr(0, 16).c_str(), e.data_type.c_str(), dims_text(e).c_str(),
                pixel_text(e).c_str(), human_bytes(e.raw_bytes).c_str(),
                human_bytes(e.stored_bytes).c_str(), e.ratio(), iso_time(e.created_at_ms).c_str(),
                operation_text(e).c_str(), e.pinned ? " (pinned)" : "");
    raw += e.raw_bytes;
    stored += e.stored_bytes;
  }
  std::printf("%s, %s raw, %s stored\n", count_text(entries.size(), "entry", "entries").c_str(),
              human_bytes(raw).c_str(), human_bytes(stored).c_str());
  if (bad) {
    std::printf("%zu damaged: 'voxcache verify --repair' removes %s\n", bad,
                bad == 1 ? "it" : "them");
  }
  return 0;
}

Result<nlohmann::json> entry_record(Cache* cache, const OperationKey& key, EntryInfo* info) {
  Result<EntryInfo> got = cache->info(key);
  if (!got.ok()) return got.status();
  *info = std::move(got).value();
  nlohmann::json j = entry_json(*info);
  // The value itself, for the small built-in kinds that print on a line.
  const bool sequence = info->data_type == "list" || info->data_type == "tuple";
  const bool scalar = !info->volume && info->raw_bytes <= kMaxShownValueBytes;
  if (scalar || sequence) {
    Result<Value> v = cache->get(key);
    if (!v.ok()) return v.status();
    if (std::optional<nlohmann::json> shown = value_json(*v)) {
      if (!shown->is_null() || info->data_type == "null") j["value"] = *shown;
    }
    if (v->items()) j["items"] = items_json(*v);  // a list's or tuple's, whatever its size
    if (std::optional<nlohmann::json> a = array_of(*v)) j["array"] = *a;
  }
  return j;
}

int cmd_show(const Globals& g, const std::string& key_text, bool json,
             const std::string& thumbnail) {
  auto cache = open_cache(g, false, /*record_reads=*/false);
  if (!cache.ok()) return fail(cache.status());
  Result<OperationKey> key = resolve(cache->get(), key_text);
  if (!key.ok()) return usage_error(key.status());
  EntryInfo info_record;
  Result<nlohmann::json> record = entry_record(cache->get(), *key, &info_record);
  if (!record.ok()) return key_error(record.status());
  if (!thumbnail.empty()) {
    auto wh = write_thumbnail(cache->get(), *key, thumbnail, std::nullopt);
    if (!wh.ok()) return key_error(wh.status());
  }
  if (json) {
    nlohmann::json j = *record;
    if (!thumbnail.empty()) j["thumbnail"] = thumbnail;
    print_json(j);
    return 0;
  }
  const EntryInfo* info = &info_record;
  const bool has_value = record->contains("value");
  const nlohmann::json value = has_value ? (*record)["value"] : nlohmann::json();
  std::optional<nlohmann::json> items;
  if (record->contains("items")) items = (*record)["items"];
  const EntryInfo& e = *info;
  std::printf("key          %s\n", e.key.hex().c_str());
  std::printf("type         %s\n", e.data_type.c_str());
  if (record->contains("array")) {
    std::printf("array        %s\n", array_text((*record)["array"]).c_str());
  }
  if (has_value) {
    std::printf("value        %s\n", dump(value).c_str());
  }
  if (items) {
    std::printf("items        %zu\n", items->size());
    for (size_t i = 0; i < items->size(); ++i) {
      std::printf("  %-10zu %s\n", i, item_text((*items)[i]).c_str());
    }
  }
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
    if (l.dimension == 4) {
      std::printf("time         %llu frames, spacing %.17g, origin %.17g\n",
                  static_cast<unsigned long long>(l.frames), geo.time_spacing, geo.time_origin);
    }
    for (int r = 0; r < 3; ++r) {
      std::printf("%s %.17g %.17g %.17g\n", r == 0 ? "direction   " : "            ",
                  geo.direction[3 * r], geo.direction[3 * r + 1], geo.direction[3 * r + 2]);
    }
  }
  std::printf("raw          %s (%llu bytes)\n", human_bytes(e.raw_bytes).c_str(),
              static_cast<unsigned long long>(e.raw_bytes));
  std::printf("stored       %s (%llu bytes), ratio %.2fx\n", human_bytes(e.stored_bytes).c_str(),
              static_cast<unsigned long long>(e.stored_bytes), e.ratio());
  std::printf("chunks       %llu of %s%s\n", static_cast<unsigned long long>(e.chunk_count),
              human_bytes(e.chunk_bytes).c_str(),
              e.volume ? (", " + e.layout.ToString()).c_str() : "");
  if (e.codec == "none") {  // level 0: raw chunks; no level to speak of
    std::printf("codec        none (raw chunks), filter %s\n", e.filter.c_str());
  } else {
    std::printf("codec        %s (level %d), filter %s\n", e.codec.c_str(), e.level,
                e.filter.c_str());
  }
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
    Status s = (*cache)->admin().zero_stats();
    if (!s.ok()) return fail(s);
    std::cerr << "counters zeroed\n";
    if (!json) return 0;  // with --json, the statistics after zeroing follow
  }
  Result<StoredStats> st = (*cache)->admin().stored_stats();
  if (!st.ok()) return fail(st.status());
  if (json) {
    print_json(nlohmann::json::parse(st->ToJson()));
    return 0;
  }
  const uint64_t hits = st->hits();
  // No lookups yet: no rate, rather than 0% (the JSON's hit_rate stays 0).
  char rate_text[32];
  std::snprintf(rate_text, sizeof rate_text, "%.1f%%", 100 * st->hit_rate());
  const std::string rate = hits + st->counter("misses") ? rate_text : "-";
  const double ratio = st->ratio();
  // voxcache run's records (StoredStats::ToJson says what they count).
  const uint64_t run_hits = st->hits("run");
  const uint64_t run_stored = st->counter("puts", "run");
  std::printf("entries        %llu\n", static_cast<unsigned long long>(st->entries));
  std::printf("raw            %s\n", human_bytes(st->raw_bytes).c_str());
  std::printf("stored         %s (ratio %.2fx)\n", human_bytes(st->stored_bytes).c_str(), ratio);
  std::printf(
      "hits           %llu (memory %llu, disk %llu, remote %llu), misses %llu, "
      "hit rate %s\n",
      static_cast<unsigned long long>(hits),
      static_cast<unsigned long long>(st->counter("hits_memory")),
      static_cast<unsigned long long>(st->counter("hits_disk")),
      static_cast<unsigned long long>(st->counter("hits_remote")),
      static_cast<unsigned long long>(st->counter("misses")), rate.c_str());
  std::printf("puts           %llu, evictions %llu\n",
              static_cast<unsigned long long>(st->counter("puts")),
              static_cast<unsigned long long>(st->counter("evictions")));
  std::printf("bytes read     %s, written %s\n", human_bytes(st->counter("bytes_read")).c_str(),
              human_bytes(st->counter("bytes_written")).c_str());
  if (run_hits || run_stored) {
    std::printf("runs           %llu hits, %llu stored (voxcache run)\n",
                static_cast<unsigned long long>(run_hits),
                static_cast<unsigned long long>(run_stored));
  }
  const CacheStats here = (*cache)->stats();
  if (!here.remote.empty() || st->counter("hits_remote") || st->counter("remote_errors") ||
      st->counter("remote_bytes_written")) {
    std::printf("remote         hits %llu, errors %llu, read %s, written %s%s\n",
                static_cast<unsigned long long>(st->counter("hits_remote")),
                static_cast<unsigned long long>(st->counter("remote_errors")),
                human_bytes(st->counter("remote_bytes_read")).c_str(),
                human_bytes(st->counter("remote_bytes_written")).c_str(),
                here.remote.empty() ? "" : ("; " + here.remote + " " + here.remote_status).c_str());
  }
  for (const auto& t : st->by_type) {
    std::printf("  %-12s %14s %10s raw %10s stored\n", t.data_type.c_str(),
                count_text(t.entries, "entry", "entries").c_str(), human_bytes(t.raw_bytes).c_str(),
                human_bytes(t.stored_bytes).c_str());
  }
  return 0;
}

}  // namespace voxcache::cli
