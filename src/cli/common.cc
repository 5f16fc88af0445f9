#include "cli/common.h"

#include <unistd.h>

#include <filesystem>
#include <iostream>

namespace voxcache::cli {

int fail(const Status& s) {
  std::cerr << "voxcache: " << s.to_string() << "\n";
  return kExitFailure;
}

int usage_error(const Status& s) {
  std::cerr << "voxcache: " << s.to_string() << "\n";
  return kExitUsage;
}

int key_error(const Status& s) {
  return s.is_not_found() || s.is_invalid_argument() ? usage_error(s) : fail(s);
}

std::string db_path(const Globals& g) {
  if (!g.db.empty()) return g.db;
  Result<std::string> def = Cache::DefaultPath();
  return def.ok() ? *def : std::string();
}

Result<std::unique_ptr<Cache>> open_cache(const Globals& g, bool write) {
  const std::string path = db_path(g);
  if (path.empty()) return Status::InvalidArgument("no --db given and no default path");
  const std::string dir = std::filesystem::path(path).parent_path().string();
  const bool exists = std::filesystem::exists(path);
  const bool writable = !exists ? true
                                : access(path.c_str(), W_OK) == 0 &&
                                      access(dir.empty() ? "." : dir.c_str(), W_OK) == 0;
  if (write && (g.read_only || !writable)) {
    return Status::InvalidArgument(g.read_only
                                       ? "this command writes; --read-only was given"
                                       : "this command writes; " + path + " is not writable");
  }
  Options o;
  o.read_only = g.read_only || !writable;
  o.create_if_missing = write;
  o.remote = g.remote;
  Result<std::unique_ptr<Cache>> cache = Cache::Open(path, o);
  if (cache.ok()) {
    const CacheStats s = (*cache)->stats();
    if (!s.remote.empty() && s.remote_status != "ok") {
      std::cerr << "voxcache: warning: remote " << s.remote << " not in use: " << s.remote_status
                << "\n";
    }
  }
  return cache;
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

std::string dump(const nlohmann::json& j, int indent) {
  return j.dump(indent, ' ', false, nlohmann::json::error_handler_t::replace);
}

void print_json(const nlohmann::json& j) { std::cout << dump(j, 2) << "\n"; }

}  // namespace voxcache::cli
