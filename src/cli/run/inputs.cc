#include "cli/run/inputs.h"

#include <fcntl.h>
#include <unistd.h>
#include <xxhash.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <regex>

#include "voxcache/itk.h"

namespace voxcache::cli::run {

namespace {

namespace fs = std::filesystem;

// A file modified this recently may be modified again within the same
// timestamp tick without its identity changing (ccache's "too new" rule):
// its remembered key is trusted only after its bytes are checked again.
constexpr int64_t kSettledNs = 2'000'000'000;

int64_t ns(const timespec& t) { return int64_t{t.tv_sec} * 1'000'000'000 + t.tv_nsec; }

// What stat says of a file: a rewrite in place changes ctime even when its
// writer puts the modification time back (touch -r).
struct Identity {
  dev_t device;
  ino_t inode;
  off_t size;
  int64_t mtime_ns, ctime_ns;
  bool settled;

  bool operator==(const Identity& o) const {
    return device == o.device && inode == o.inode && size == o.size && mtime_ns == o.mtime_ns &&
           ctime_ns == o.ctime_ns;
  }
  bool operator!=(const Identity& o) const { return !(*this == o); }
};

std::optional<Identity> identity_of(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const int64_t changed = std::max(ns(st.st_mtim), ns(st.st_ctim));
  return Identity{st.st_dev,      st.st_ino,      st.st_size,
                  ns(st.st_mtim), ns(st.st_ctim), now - changed > kSettledNs};
}

// The entry a file's content key is remembered under (docs/run.md).
KeyBuilder record_key(const std::string& path, const Identity& id) {
  std::error_code ec;
  return KeyBuilder("run:file-identity")
      .arg("path", fs::absolute(path, ec).lexically_normal().string())
      .arg("device", static_cast<int64_t>(id.device))
      .arg("inode", static_cast<int64_t>(id.inode))
      .arg("size", static_cast<int64_t>(id.size))
      .arg("mtime_ns", id.mtime_ns)
      .arg("ctime_ns", id.ctime_ns);
}

struct Record {
  OperationKey key;
  std::string digest;  // of the bytes, when the file was too new to trust
  bool settled = false;
};

std::optional<Record> parse_record(const Value& v) {
  const std::string* text = v.as_string();
  if (!text) return std::nullopt;
  const nlohmann::json j = nlohmann::json::parse(*text, nullptr, false);
  if (!j.is_object() || !j.contains("key") || !j["key"].is_string()) return std::nullopt;
  Result<OperationKey> k = OperationKey::FromHex(j["key"].get<std::string>());
  if (!k.ok()) return std::nullopt;
  Record r{*k, j.value("digest", std::string()), j.value("settled", false)};
  if (!r.settled && r.digest.empty()) return std::nullopt;
  return r;
}

// Best effort: a record that cannot be written is a miss next time.
// Put with its recipe, so that ls knows it by its operation and hides it.
void put_record(Cache* cache, const KeyBuilder& where, const Record& r) {
  nlohmann::json j = {{"key", r.key.hex()}, {"settled", r.settled}};
  if (!r.settled) j["digest"] = r.digest;
  (void)cache->erase(where.build());  // an entry is immutable: a record is replaced
  (void)cache->put(where, Value(j.dump()));
}

}  // namespace

OperationKey bytes_key(std::string_view bytes) {
  return KeyBuilder("file").arg("bytes", KeyArg::Bytes(bytes)).build();
}

std::string digest(std::string_view bytes) {
  const XXH128_hash_t h = XXH3_128bits(bytes.data(), bytes.size());
  char hex[33];
  std::snprintf(hex, sizeof(hex), "%016llx%016llx", static_cast<unsigned long long>(h.high64),
                static_cast<unsigned long long>(h.low64));
  return hex;
}

Result<std::string> read_file(const std::string& path) {
  // One read into a buffer of the file's size: outputs are megabytes, and
  // a stream would copy them twice.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const Status s = errno == ENOENT
                         ? Status::NotFound("no file " + path)
                         : Status::IOError("cannot read " + path + ": " + std::strerror(errno));
    return s;
  }
  struct stat st;
  std::string bytes;
  Status s;
  if (::fstat(fd, &st) != 0) s = Status::IOError("cannot stat " + path);
  if (s.ok()) bytes.resize(static_cast<size_t>(st.st_size));
  size_t got = 0;
  while (s.ok()) {
    if (got == bytes.size()) bytes.resize(bytes.size() + 65536);  // it grew meanwhile
    const ssize_t n = ::read(fd, bytes.data() + got, bytes.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) s = Status::IOError("reading " + path + " failed: " + std::strerror(errno));
    if (n <= 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  if (!s.ok()) return s;
  bytes.resize(got);
  return bytes;
}

Result<OperationKey> InputKeys::file(const std::string& path, Content how) {
  for (int attempt = 0; attempt < 3; ++attempt) {
    const std::optional<Identity> before = identity_of(path);
    if (!before) return Status::NotFound("no file " + path);
    const KeyBuilder where = record_key(path, *before);
    std::optional<std::string> bytes;
    auto read_bytes = [&]() -> Status {
      if (bytes) return Status::OK();
      Result<std::string> b = read_file(path);
      if (!b.ok()) return b.status();
      bytes = std::move(b).value();
      return Status::OK();
    };
    if (cache_) {
      Result<Value> known = cache_->get(where.build());
      std::optional<Record> r = known.ok() ? parse_record(*known) : std::nullopt;
      if (r && r->settled) return r->key;
      if (r) {
        Status s = read_bytes();
        if (!s.ok()) return s;
        if (digest(*bytes) == r->digest) {
          if (before->settled) put_record(cache_, where, {r->key, "", true});
          return r->key;
        }
      }
    }
    std::optional<OperationKey> key;
    if (how == Content::kImageOrBytes) {
      Result<Volume> vol = read_image(path);
      if (vol.ok()) key = content_key(*vol);
      if (vol.ok() && header_ == Header::kAll) {
        Result<std::string> nifti = read_nifti_header(path);
        if (!nifti.ok()) return nifti.status();
        if (!nifti->empty()) {
          key = KeyBuilder("run:nifti").arg("header", KeyArg::Bytes(*nifti)).input(*key).build();
        } else {
          Status s = read_bytes();
          if (!s.ok()) return s;
          key = KeyBuilder("run:image").arg("bytes", KeyArg::Bytes(*bytes)).input(*key).build();
        }
      }
    }
    if (!key || !before->settled) {
      Status s = read_bytes();
      if (!s.ok()) return s;
      if (!key) key = bytes_key(*bytes);
    }
    // A file that changed while it was read has no one content: read again.
    if (identity_of(path) != before) continue;
    if (cache_)
      put_record(cache_, where, {*key, before->settled ? "" : digest(*bytes), before->settled});
    return *key;
  }
  return Status::IOError(path + " keeps changing while voxcache reads it");
}

Result<std::vector<std::string>> sorted_names(const std::string& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    names.push_back(it->path().filename().string());
  }
  if (ec) return Status::IOError("cannot list " + dir + ": " + ec.message());
  std::sort(names.begin(), names.end());
  return names;
}

Result<OperationKey> InputKeys::tree(const std::string& path) {
  Result<std::vector<std::string>> names = sorted_names(path);
  if (!names.ok()) return names.status();
  std::vector<KeyArg> entries;
  for (const std::string& name : *names) {
    const std::string p = path + "/" + name;
    struct stat st;
    if (::lstat(p.c_str(), &st) != 0) return Status::IOError("cannot stat " + p);
    if (S_ISREG(st.st_mode)) {
      Result<OperationKey> k = file(p, Content::kBytes);
      if (!k.ok()) return k.status();
      // The executable bit matters (a script); the rest of the mode is the
      // umask of whoever wrote it, and must not split one content in two.
      const bool exec = (st.st_mode & S_IXUSR) != 0;
      entries.push_back(std::vector<KeyArg>{KeyArg::Bytes(name), exec ? "exec" : "file", k->hex()});
    } else if (S_ISDIR(st.st_mode)) {
      Result<OperationKey> k = tree(p);
      if (!k.ok()) return k.status();
      entries.push_back(std::vector<KeyArg>{KeyArg::Bytes(name), "dir", k->hex()});
    } else if (S_ISLNK(st.st_mode)) {
      std::error_code lec;
      const fs::path target = fs::read_symlink(p, lec);
      if (lec) return Status::IOError("cannot read the link " + p + ": " + lec.message());
      entries.push_back(
          std::vector<KeyArg>{KeyArg::Bytes(name), "link", KeyArg::Bytes(target.string())});
    } else {
      return Status::InvalidArgument(p + " is neither a file, a directory nor a link");
    }
  }
  return KeyBuilder("run:tree").arg("entries", KeyArg(std::move(entries))).build();
}

Result<OperationKey> InputKeys::any(const std::string& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) return tree(path);
  return file(path, Content::kImageOrBytes);
}

void InputKeys::remember(const std::string& path, const OperationKey& key,
                         const std::string& bytes_digest) {
  if (!cache_) return;
  const std::optional<Identity> id = identity_of(path);
  // Just written, so never settled: the next reader checks the digest.
  if (id) put_record(cache_, record_key(path, *id), {key, bytes_digest, false});
}

std::optional<std::string> resolve_executable(const std::string& word) {
  auto runnable = [](const std::string& p) {
    struct stat st;
    return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
  };
  if (word.empty()) return std::nullopt;
  if (word.find('/') != std::string::npos) {
    if (runnable(word)) return word;
    return std::nullopt;
  }
  const char* env = std::getenv("PATH");
  const std::string path = env ? env : "/usr/local/bin:/usr/bin:/bin";
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    const std::string dir = path.substr(start, end - start);
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + word;
    if (runnable(candidate)) return candidate;
    start = end + 1;
  }
  return std::nullopt;
}

std::optional<std::string> script_of(const std::vector<std::string>& argv) {
  static const std::regex kInterpreter(
      "(sh|bash|dash|zsh|ksh|python[0-9.]*|pypy[0-9.]*|perl[0-9.]*|Rscript|ruby[0-9.]*|node|"
      "nodejs|julia|octave|octave-cli|lua[0-9.]*|tclsh[0-9.]*|php[0-9.]*)");
  if (argv.empty() || !std::regex_match(fs::path(argv[0]).filename().string(), kInterpreter)) {
    return std::nullopt;
  }
  for (size_t i = 1; i < argv.size(); ++i) {
    const std::string& w = argv[i];
    if (w.empty() || w[0] == '-') {
      // -c and -e give the program itself on the command line (in the key).
      if (w == "-c" || w == "-e" || w == "-m") return std::nullopt;
      continue;
    }
    std::error_code ec;
    if (fs::is_regular_file(w, ec)) return w;
    return std::nullopt;  // the first word that is not an option is the script, or none
  }
  return std::nullopt;
}

}  // namespace voxcache::cli::run
