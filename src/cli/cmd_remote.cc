// remote stats, remote push, remote pull: the shared remote tier.

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "cli/commands.h"
#include "cli/format.h"

namespace voxcache::cli {

namespace {

Status need_remote(const Globals& g) {
  if (!g.remote.empty() || std::getenv("VOXCACHE_REMOTE")) return Status::OK();
  return Status::InvalidArgument("no remote: give --remote URL or set VOXCACHE_REMOTE");
}

}  // namespace

int cmd_remote_stats(const Globals& g, bool json) {
  if (Status s = need_remote(g); !s.ok()) return usage_error(s);
  // A new worker asks before it has a local database: it gets an empty one.
  auto cache = open_cache(g, !std::filesystem::exists(db_path(g)));
  if (!cache.ok()) return fail(cache.status());
  Result<RemoteStats> r = (*cache)->admin().remote_stats();
  if (!r.ok()) return fail(r.status());
  if (json) {
    print_json({{"url", r->url},
                {"status", r->status},
                {"read_only", r->read_only},
                {"entries", r->entries},
                {"stored_bytes", r->stored_bytes},
                {"used_memory", r->used_memory},
                {"max_memory", r->max_memory},
                {"evicted_keys", r->evicted_keys},
                {"eviction_policy", r->eviction_policy}});
  } else {
    std::printf("remote         %s%s\n", r->url.c_str(), r->read_only ? " (read-only here)" : "");
    std::printf("status         %s\n", r->status.c_str());
    std::printf("entries        %llu, %s stored\n", static_cast<unsigned long long>(r->entries),
                human_bytes(r->stored_bytes).c_str());
    std::printf("memory         %s used of %s, policy %s, %llu keys evicted\n",
                human_bytes(r->used_memory).c_str(),
                r->max_memory ? human_bytes(r->max_memory).c_str() : "no limit",
                r->eviction_policy.empty() ? "-" : r->eviction_policy.c_str(),
                static_cast<unsigned long long>(r->evicted_keys));
  }
  return r->status == "ok" ? 0 : kExitFailure;
}

int cmd_remote_copy(const Globals& g, const std::vector<std::string>& key_texts, bool push,
                    bool json) {
  if (Status s = need_remote(g); !s.ok()) return usage_error(s);
  auto cache = open_cache(g, !push);
  if (!cache.ok()) return fail(cache.status());
  int rc = 0;
  // As import --json: one item per key given, copied or why not.
  nlohmann::json items = nlohmann::json::array();
  for (const std::string& text : key_texts) {
    // A key to pull need not be known locally: take full keys as they are.
    Result<OperationKey> key = push || text.size() != OperationKey::kHexChars
                                   ? resolve(cache->get(), text)
                                   : OperationKey::FromHex(text);
    if (!key.ok()) return usage_error(key.status());
    Status s = push ? (*cache)->admin().push(*key) : (*cache)->admin().pull(*key);
    if (!s.ok()) {
      std::fprintf(stderr, "voxcache: %s\n", s.to_string().c_str());
      rc = std::max(rc, s.is_not_found() ? kExitUsage : kExitFailure);
      items.push_back({{"key", key->hex()}, {"error", s.to_string()}});
      continue;
    }
    items.push_back({{"key", key->hex()}, {push ? "pushed" : "pulled", true}});
    if (!json) std::printf("%s %s\n", push ? "pushed" : "pulled", key->hex().c_str());
  }
  if (json) print_json(items);
  return rc;
}

}  // namespace voxcache::cli
