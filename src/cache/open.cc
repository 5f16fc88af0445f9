#include "cache/open.h"

#include "cache/entry_writer.h"

#include <cstdlib>
#include <filesystem>

namespace voxcache {

Result<std::string> Cache::DefaultPath() {
  namespace fs = std::filesystem;
  auto env = [](const char* name) -> const char* {
    const char* v = std::getenv(name);
    return v && *v ? v : nullptr;
  };
  if (const char* dir = env("VOXCACHE_DIR")) return (fs::path(dir) / "cache.db").string();
  if (const char* xdg = env("XDG_CACHE_HOME")) {
    return (fs::path(xdg) / "voxcache" / "cache.db").string();
  }
  if (const char* home = env("HOME")) {
    return (fs::path(home) / ".cache" / "voxcache" / "cache.db").string();
  }
  return Status::InvalidArgument("none of VOXCACHE_DIR, XDG_CACHE_HOME, HOME is set");
}

namespace cache {

Result<store::Database::OpenOptions> database_options(const std::string& path,
                                                      const Options& options) {
  namespace fs = std::filesystem;
  if (path.empty()) return Status::InvalidArgument("empty database path");
  if (options.compression_level < -1 || options.compression_level > 19) {
    return Status::InvalidArgument("compression_level must be -1 (as configured) or 0 to 19, got " +
                                   std::to_string(options.compression_level));
  }
  if (options.threads > 1024) {
    return Status::InvalidArgument("threads must be at most 1024, got " +
                                   std::to_string(options.threads));
  }
  std::error_code ec;
  if (!options.read_only && options.create_if_missing) {
    const fs::path parent = fs::path(path).parent_path();
    if (!parent.empty()) fs::create_directories(parent, ec);
    if (ec) return Status::IOError("cannot create " + parent.string() + ": " + ec.message());
  } else if (!fs::exists(path, ec)) {
    return Status::NotFound("no database at " + path);
  }
  store::Database::OpenOptions open;
  open.read_only = options.read_only;
  open.create = options.create_if_missing;
  open.busy_timeout = options.busy_timeout;
  open.max_value_bytes = static_cast<int64_t>(options.max_sqlite_value_bytes);
  open.max_database_bytes = options.max_database_bytes;
  open.wal_limit_bytes = options.wal_limit_bytes;
  return open;
}

Status check_filesystem(const std::string& path, const Options& options, util::Env* env) {
  namespace fs = std::filesystem;
  const char* allow = std::getenv("VOXCACHE_ALLOW_NETWORK_FS");
  if (options.allow_network_filesystem || (allow && std::string(allow) == "1")) {
    return Status::OK();
  }
  // The file's directory: the file itself may not exist yet (database_options
  // created the directory, or found the file).
  std::error_code ec;
  const fs::path parent = fs::path(path).parent_path();
  const std::string where = fs::exists(path, ec) ? path : parent.empty() ? "." : parent.string();
  Result<uint64_t> type = env->filesystem_type(where);
  if (!type.ok()) return Status::OK();  // unknown: SQLite's own open says what is wrong
  const std::optional<std::string> name = util::network_filesystem_name(*type);
  if (!name) return Status::OK();
  return Status::NotSupported(
      path + " is on " + *name +
      ", a network file system, where SQLite's WAL mode can corrupt the database (it needs "
      "memory shared between processes on one host and locks such file systems do not give). "
      "Put the database on a local disk (--db /tmp/..., or $VOXCACHE_DIR) and share results "
      "between nodes through the Redis tier (--remote); for one node alone on this mount, "
      "VOXCACHE_ALLOW_NETWORK_FS=1 (Options::allow_network_filesystem) opens it anyway "
      "(docs/reliability.md)");
}

Options apply_stored_config(Options options, const StoredConfig& config) {
  if (options.max_bytes == 0) options.max_bytes = config.max_bytes.value_or(0);
  if (options.max_entries == 0) options.max_entries = config.max_entries.value_or(0);
  if (options.max_age.count() == 0)
    options.max_age = config.max_age.value_or(std::chrono::seconds(0));
  if (options.compression_level < 0)
    options.compression_level = config.compression_level.value_or(kAutoLevel);
  if (options.codec == Codec::kDefault) options.codec = config.codec.value_or(Codec::kZstd);
  return options;
}

}  // namespace cache
}  // namespace voxcache
