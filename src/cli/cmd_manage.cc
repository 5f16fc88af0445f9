// verify, rm, gc, vacuum, recompress, pin: looking after a cache.

#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <optional>

#include "cli/commands.h"
#include "cli/format.h"
#include "cli/parse.h"
#include "cli/progress.h"

namespace voxcache::cli {

int cmd_verify(const Globals& g, const std::vector<std::string>& key_texts, bool repair,
               bool json) {
  auto cache = open_cache(g, repair, /*record_reads=*/false);
  if (!cache.ok()) return fail(cache.status());
  std::vector<OperationKey> keys;
  if (key_texts.empty()) {
    Result<std::vector<EntryInfo>> all = (*cache)->admin().list();
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
    Status s = (*cache)->admin().verify(k);
    bool removed = false;
    if (!s.ok() && repair) removed = (*cache)->erase(k).ok();
    progress.done_one();
    if (s.ok()) continue;
    bad.push_back({{"key", k.hex()}, {"error", s.to_string()}, {"removed", removed}});
    if (!json) {
      progress.line("BAD " + k.hex() + ": " + s.to_string() + (removed ? " (removed)" : ""));
    }
  }
  progress.wipe();
  if (json) {
    print_json({{"checked", keys.size()}, {"bad", bad}});
  } else {
    std::printf("%s checked, %zu bad%s\n", count_text(keys.size(), "entry", "entries").c_str(),
                bad.size(), repair && !bad.empty() ? ", removed: they will be recomputed" : "");
  }
  return bad.empty() ? 0 : kExitFailure;
}

int cmd_rm(const Globals& g, const std::vector<std::string>& key_texts, const std::string& op,
           bool json) {
  if (key_texts.empty() == op.empty()) {
    return usage_error(Status::InvalidArgument("rm takes keys or --op NAME"));
  }
  auto cache = open_cache(g, true);
  if (!cache.ok()) return fail(cache.status());
  std::vector<OperationKey> keys;
  if (!op.empty()) {
    Result<std::vector<EntryInfo>> all = (*cache)->admin().list();
    if (!all.ok()) return fail(all.status());
    for (const EntryInfo& e : *all) {
      if (e.operation == op) keys.push_back(e.key);
    }
  } else {
    Result<std::vector<OperationKey>> k = resolve_all(cache->get(), key_texts);
    if (!k.ok()) return usage_error(k.status());
    keys = std::move(k).value();
  }
  nlohmann::json removed = nlohmann::json::array();
  for (const OperationKey& k : keys) {
    Status s = (*cache)->erase(k);
    if (!s.ok()) return key_error(s);
    if (json) {
      removed.push_back(k.hex());
    } else {
      std::printf("removed %s\n", k.hex().c_str());
    }
  }
  if (json) {
    print_json({{"removed", removed}});
  } else if (!op.empty()) {
    std::printf("%s of operation '%s' removed\n",
                count_text(keys.size(), "entry", "entries").c_str(), op.c_str());
  }
  return 0;
}

namespace {

// What gc and clear removed and left; exit kExitLimitNotMet when pinned
// entries alone keep the cache over a limit.
int report_removal(const GcReport& r, bool json) {
  if (json) {
    nlohmann::json removed = nlohmann::json::array();
    for (const OperationKey& k : r.removed) removed.push_back(k.hex());
    print_json({{"removed", removed},
                {"freed_bytes", r.freed_bytes},
                {"entries_left", r.entries_left},
                {"bytes_left", r.bytes_left},
                {"limits_met", r.limits_met}});
  } else {
    for (const OperationKey& k : r.removed) std::printf("removed %s\n", k.hex().c_str());
    std::printf("%s removed, %s freed; %s, %s left\n",
                count_text(r.removed.size(), "entry", "entries").c_str(),
                human_bytes(r.freed_bytes).c_str(),
                count_text(r.entries_left, "entry", "entries").c_str(),
                human_bytes(r.bytes_left).c_str());
  }
  if (r.limits_met) return 0;
  std::fflush(stdout);
  std::fprintf(stderr,
               "voxcache: the limits are not met: the %llu entries left (%s) are pinned; "
               "unpin some to let them go\n",
               static_cast<unsigned long long>(r.entries_left), human_bytes(r.bytes_left).c_str());
  return kExitLimitNotMet;
}

}  // namespace

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
  auto cache = open_cache(g, true);
  if (!cache.ok()) return fail(cache.status());
  // No limit given: the ones stored with `voxcache config`, which every
  // process that opens the database keeps anyway.
  if (!limits.max_bytes && !limits.max_entries && limits.max_age.count() == 0) {
    Result<StoredConfig> c = (*cache)->admin().stored_config();
    if (!c.ok()) return fail(c.status());
    limits.max_bytes = c->max_bytes.value_or(0);
    limits.max_entries = c->max_entries.value_or(0);
    limits.max_age = c->max_age.value_or(std::chrono::seconds(0));
    if (!limits.max_bytes && !limits.max_entries && limits.max_age.count() == 0) {
      return usage_error(Status::InvalidArgument(
          "gc needs --max-size, --max-age or --max-entries, or limits stored with "
          "'voxcache config max-size SIZE' (max-entries, max-age)"));
    }
  }
  Result<GcReport> r = (*cache)->admin().gc(limits);
  if (!r.ok()) return fail(r.status());
  return report_removal(*r, json);
}

int cmd_clear(const Globals& g, bool keep_pinned, bool json) {
  auto cache = open_cache(g, true);
  if (!cache.ok()) return fail(cache.status());
  Result<GcReport> r = (*cache)->admin().clear(keep_pinned);
  if (!r.ok()) return fail(r.status());
  return report_removal(*r, json);
}

int cmd_vacuum(const Globals& g, bool json) {
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
  Status s = (*cache)->admin().vacuum();
  if (!s.ok()) return fail(s);
  const uint64_t after = size();
  if (json) {
    print_json({{"bytes_before", before}, {"bytes_after", after}});
  } else {
    std::printf("%s -> %s on disk (database and WAL)\n", human_bytes(before).c_str(),
                human_bytes(after).c_str());
  }
  return 0;
}

int cmd_recompress(const Globals& g, const std::vector<std::string>& key_texts, int level,
                   const std::string& layout, const std::string& codec_text, bool json) {
  std::optional<Codec> codec;
  if (!codec_text.empty()) codec = parse_codec(codec_text);  // CLI11 checked the name
  std::optional<ChunkLayout> chunks;
  if (!layout.empty()) {
    Result<ChunkLayout> l = ChunkLayout::Parse(layout);
    if (!l.ok()) return usage_error(l.status());
    chunks = *l;
  }
  if (level < 0 && !chunks && !codec) {
    return usage_error(Status::InvalidArgument("give --level, --codec, --layout, or several"));
  }
  auto cache = open_cache(g, true);
  if (!cache.ok()) return fail(cache.status());
  std::vector<EntryInfo> targets;
  if (key_texts.empty()) {
    Result<std::vector<EntryInfo>> all = (*cache)->admin().list();
    if (!all.ok()) return fail(all.status());
    targets = std::move(all).value();
  } else {
    Result<std::vector<OperationKey>> keys = resolve_all(cache->get(), key_texts);
    if (!keys.ok()) return usage_error(keys.status());
    for (const OperationKey& k : *keys) {
      Result<EntryInfo> info = (*cache)->info(k);
      if (!info.ok()) return fail(info.status());
      targets.push_back(std::move(info).value());
    }
  }
  uint64_t before = 0, after = 0, changed = 0;
  nlohmann::json entries = nlohmann::json::array();
  Progress progress("recompress", targets.size());
  for (const EntryInfo& e : targets) {
    // A layout is a volume's: other entries only change level or codec, if asked to.
    const bool relayout = chunks && e.volume;
    if (!relayout && level < 0 && !codec) {
      progress.done_one();
      continue;
    }
    RecompressOptions to_do{level, std::nullopt, codec};
    if (relayout) to_do.layout = *chunks;
    Result<RecompressReport> r = (*cache)->admin().recompress(e.key, to_do);
    progress.done_one();
    if (!r.ok()) {
      progress.wipe();
      return fail(r.status());
    }
    before += r->bytes_before;
    after += r->bytes_after;
    if (!r->changed) continue;
    ++changed;
    Result<EntryInfo> now = (*cache)->info(e.key);
    const std::string now_layout = now.ok() && now->volume ? now->layout.ToString() : "";
    entries.push_back(
        {{"key", e.key.hex()},
         {"bytes_before", r->bytes_before},
         {"bytes_after", r->bytes_after},
         {"layout", now_layout.empty() ? nlohmann::json(nullptr) : nlohmann::json(now_layout)}});
    if (!json) {
      progress.line(e.key.hex().substr(0, 16) + "  " + human_bytes(r->bytes_before) + " -> " +
                    human_bytes(r->bytes_after) + (now_layout.empty() ? "" : "  " + now_layout));
    }
  }
  progress.wipe();
  std::vector<std::string> parts;
  if (codec) parts.emplace_back(codec_name(*codec));
  if (level >= 0) parts.push_back("level " + std::to_string(level));
  if (chunks) parts.push_back(chunks->ToString());
  std::string to;
  for (const std::string& p : parts) to += (to.empty() ? "" : ", ") + p;
  if (json) {
    print_json({{"level", level >= 0 ? nlohmann::json(level) : nlohmann::json(nullptr)},
                {"codec", codec ? nlohmann::json(codec_name(*codec)) : nlohmann::json(nullptr)},
                {"layout", chunks ? nlohmann::json(chunks->ToString()) : nlohmann::json(nullptr)},
                {"recompressed", entries},
                {"bytes_before", before},
                {"bytes_after", after}});
  } else {
    std::printf("%llu of %s recompressed to %s; %s -> %s stored\n",
                static_cast<unsigned long long>(changed),
                count_text(targets.size(), "entry", "entries").c_str(), to.c_str(),
                human_bytes(before).c_str(), human_bytes(after).c_str());
  }
  return 0;
}

int cmd_pin(const Globals& g, const std::vector<std::string>& key_texts, bool pinned, bool json) {
  auto cache = open_cache(g, true);
  if (!cache.ok()) return fail(cache.status());
  Result<std::vector<OperationKey>> keys = resolve_all(cache->get(), key_texts);
  if (!keys.ok()) return usage_error(keys.status());
  nlohmann::json done = nlohmann::json::array();
  for (const OperationKey& k : *keys) {
    Status s = pinned ? (*cache)->admin().pin(k) : (*cache)->admin().unpin(k);
    if (!s.ok()) return key_error(s);
    if (json) {
      done.push_back(k.hex());
    } else {
      std::printf("%s %s\n", pinned ? "pinned" : "unpinned", k.hex().c_str());
    }
  }
  if (json) print_json({{pinned ? "pinned" : "unpinned", done}});
  return 0;
}

namespace {

void print_config(const StoredConfig& c, bool json) {
  if (json) {
    auto or_null = [](const auto& v) { return v ? nlohmann::json(*v) : nlohmann::json(); };
    std::optional<int64_t> age;
    if (c.max_age) age = c.max_age->count();
    print_json({{"max_size", or_null(c.max_bytes)},
                {"max_entries", or_null(c.max_entries)},
                {"max_age_seconds", or_null(age)},
                {"level", or_null(c.compression_level)},
                {"codec", c.codec ? nlohmann::json(codec_name(*c.codec)) : nlohmann::json()},
                {"problems", c.problems}});
    return;
  }
  std::printf("max-size     %s\n", c.max_bytes ? human_bytes(*c.max_bytes).c_str() : "-");
  std::printf("max-entries  %s\n", c.max_entries ? std::to_string(*c.max_entries).c_str() : "-");
  std::printf("max-age      %s\n", c.max_age ? human_age(c.max_age->count()).c_str() : "-");
  std::printf("level        %s\n",
              c.compression_level ? std::to_string(*c.compression_level).c_str() : "- (auto)");
  std::printf("codec        %s\n",
              c.codec ? std::string(codec_name(*c.codec)).c_str() : "- (zstd)");
  for (const std::string& p : c.problems) {
    std::printf("ignored      %s (its default applies; 'config NAME VALUE' replaces it)\n",
                p.c_str());
  }
}

// Sets (or with nullopt unsets) one setting of `c` from its CLI name and text.
Status set_setting(StoredConfig* c, const std::string& name,
                   const std::optional<std::string>& text) {
  if (name == "max-size") {
    Result<uint64_t> v = text ? parse_size(*text) : Result<uint64_t>(0);
    if (!v.ok()) return v.status();
    c->max_bytes = text ? std::optional<uint64_t>(*v) : std::nullopt;
  } else if (name == "max-entries") {
    Result<uint64_t> v = text ? parse_count(*text) : Result<uint64_t>(0);
    if (!v.ok()) return v.status();
    c->max_entries = text ? std::optional<uint64_t>(*v) : std::nullopt;
  } else if (name == "max-age") {
    Result<std::chrono::seconds> v =
        text ? parse_age(*text) : Result<std::chrono::seconds>(std::chrono::seconds(0));
    if (!v.ok()) return v.status();
    c->max_age = text ? std::optional<std::chrono::seconds>(*v) : std::nullopt;
  } else if (name == "level") {
    Result<uint64_t> v = text ? parse_count(*text) : Result<uint64_t>(0);
    if (v.ok() && *v > 19) v = Status::InvalidArgument("level must be 0 to 19, got " + *text);
    if (!v.ok()) return v.status();
    c->compression_level = text ? std::optional<int>(static_cast<int>(*v)) : std::nullopt;
  } else if (name == "codec") {
    const std::optional<Codec> codec = text ? parse_codec(*text) : std::nullopt;
    if (text && !codec) return Status::InvalidArgument("codec must be zstd or lz4, got " + *text);
    c->codec = codec;
  } else {
    return Status::InvalidArgument("no setting '" + name +
                                   "'; settings: max-size, max-entries, max-age, level, codec");
  }
  return Status::OK();
}

}  // namespace

int cmd_config(const Globals& g, const std::string& name, const std::string& value, bool unset,
               bool json) {
  const bool write = !name.empty();
  if (write && value.empty() == !unset) {
    return usage_error(Status::InvalidArgument(unset ? "config --unset takes a name, not a value"
                                                     : "config " + name + " needs a value"));
  }
  if (!write && (unset || !value.empty())) {
    return usage_error(Status::InvalidArgument("config --unset needs a setting's name"));
  }
  StoredConfig c;
  if (write) {  // check the syntax before opening anything
    Status s = set_setting(&c, name, unset ? std::nullopt : std::optional<std::string>(value));
    if (!s.ok()) return usage_error(s);
  }
  auto cache = open_cache(g, write);
  if (!cache.ok()) return fail(cache.status());
  Result<StoredConfig> stored = (*cache)->admin().stored_config();
  if (!stored.ok()) return fail(stored.status());
  c = *stored;
  if (write) {
    (void)set_setting(&c, name, unset ? std::nullopt : std::optional<std::string>(value));
    Status s = (*cache)->admin().set_stored_config(c);
    if (!s.ok()) return fail(s);
    c.problems.clear();  // written whole: an unreadable row is gone
  }
  print_config(c, json);
  return 0;
}

}  // namespace voxcache::cli
