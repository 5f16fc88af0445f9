#include "cli/common.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "cli/run/manifest.h"

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

Status errno_status(const std::string& what) {
  return Status::IOError(what + ": " + std::strerror(errno));
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  if (!path_.empty()) std::filesystem::remove_all(path_, ec);
}

Status ScratchDir::Create(const std::string& prefix) {
  const char* tmp = std::getenv("TMPDIR");
  std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/" + prefix + "-XXXXXX";
  if (!mkdtemp(templ.data())) return errno_status("cannot create " + templ);
  path_ = templ;
  return Status::OK();
}

std::string db_path(const Globals& g) {
  if (!g.db.empty()) return g.db;
  Result<std::string> def = Cache::DefaultPath();
  return def.ok() ? *def : std::string();
}

namespace {

// Every command reads run records; every other custom type (a Python
// package's py.json, a user's own) is kept as its bytes, so that show can
// say what an entry or a list's item is without that type's decoder, and
// recompress writes it back unchanged.
std::shared_ptr<const TypeRegistry> types() {
  static const std::shared_ptr<const TypeRegistry> registry = [] {
    auto r = std::make_shared<TypeRegistry>(*run::types());
    r->set_fallback(
        {[](const std::any& object) -> Result<std::string> {
           const std::string* bytes = std::any_cast<std::string>(&object);
           if (!bytes) return Status::InvalidArgument("a value of a type the CLI does not know");
           return *bytes;
         },
         [](std::string_view bytes) -> Result<std::any> { return std::any(std::string(bytes)); }});
    return std::shared_ptr<const TypeRegistry>(std::move(r));
  }();
  return registry;
}

}  // namespace

Result<std::unique_ptr<Cache>> open_cache(const Globals& g, bool write, bool record_reads) {
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
  o.record_reads = record_reads;
  o.remote = g.remote;
  o.types = types();
  if (!g.remote_password_file.empty()) {
    std::ifstream in(g.remote_password_file);
    if (!in || !std::getline(in, o.remote_password) || o.remote_password.empty()) {
      return Status::InvalidArgument("cannot read a password from the first line of " +
                                     g.remote_password_file);
    }
    if (o.remote_password.back() == '\r') o.remote_password.pop_back();  // a DOS line end
  }
  // A fresh worker of a cluster has no local database yet: a command that
  // only reads creates it when a remote is configured, so that it reads
  // through the remote (and keeps what it read) rather than failing.
  const char* env_remote = std::getenv("VOXCACHE_REMOTE");
  const bool remote = !g.remote.empty() || (env_remote && *env_remote);
  const std::string parent = dir.empty() ? "." : dir;
  o.create_if_missing =
      write || (!exists && remote && !g.read_only && access(parent.c_str(), W_OK) == 0);
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

void warn_failed_pushes(Cache* cache) {
  const CacheStats s = cache->stats();
  if (s.remote_push_failures == 0) return;
  std::cerr << "voxcache: warning: " << s.remote_push_failures
            << (s.remote_push_failures == 1 ? " push" : " pushes") << " to remote " << s.remote
            << " failed (" << s.remote_push_error
            << "); the results are kept in the local database only\n";
}

Result<OperationKey> resolve(Cache* cache, const std::string& text) {
  return text.size() == OperationKey::kHexChars ? OperationKey::FromHex(text)
                                                : cache->admin().resolve_prefix(text);
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
