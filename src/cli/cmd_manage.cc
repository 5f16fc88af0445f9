// verify, rm, gc, vacuum, recompress, pin: looking after a cache.

#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>

#include "cli/commands.h"
#include "cli/format.h"
#include "cli/parse.h"
#include "cli/progress.h"

namespace voxcache::cli {

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

}  // namespace voxcache::cli
