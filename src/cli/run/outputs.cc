#include "cli/run/outputs.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "cli/common.h"

namespace voxcache::cli::run {

namespace {

namespace fs = std::filesystem;

std::string parent_of(const std::string& path) {
  const fs::path p(path);
  return p.has_parent_path() ? p.parent_path().string() : ".";
}

// A private folder beside `path` (mkdtemp: a random name, mode 0700), for
// work that must land on the same file system as `path`.
Result<std::string> folder_beside(const std::string& path) {
  std::string t = parent_of(path) + "/.voxcache-XXXXXX";
  if (!mkdtemp(t.data())) {
    return errno_status("cannot write beside " + path);
  }
  return t;
}

// Writes `bytes` into a new file (O_EXCL, O_NOFOLLOW: never through a link
// planted at the name) with `mode`.
Status write_new(const std::string& path, const std::string& bytes, mode_t mode) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return errno_status("cannot create " + path);
  Status s;
  for (size_t off = 0; s.ok() && off < bytes.size();) {
    const ssize_t n = ::write(fd, bytes.data() + off, bytes.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) s = errno_status("cannot write " + path);
    if (n > 0) off += static_cast<size_t>(n);
  }
  if (s.ok() && fchmod(fd, mode) != 0) s = errno_status("cannot set the mode of " + path);
  if (::close(fd) != 0 && s.ok()) s = errno_status("cannot write " + path);
  return s;
}

// A relative path inside an output directory, from a manifest: no absolute
// path, no "..", nothing that could leave the directory being written.
bool safe_relative(const std::string& rel) {
  if (rel.empty() || rel[0] == '/') return false;
  for (const auto& part : fs::path(rel)) {
    const std::string s = part.string();
    if (s.empty() || s == "." || s == "..") return false;
  }
  return true;
}

// `e` has passed check_item: its fields are there and typed.
Status check_bytes(const std::string& what, const std::string& bytes, const nlohmann::json& e) {
  if (bytes.size() != e["size"].get<uint64_t>() ||
      digest(bytes) != e["digest"].get<std::string>()) {
    return Status::Corruption("the stored bytes of " + what +
                              " are not the ones the command wrote");
  }
  return Status::OK();
}

mode_t mode_of(const nlohmann::json& e) {
  return static_cast<mode_t>(e["mode"].get<uint64_t>() & 0777);
}

// Walks `root`/`rel`, parents before children, names in byte order.
Status walk(const std::string& root, const std::string& rel, nlohmann::json* entries,
            std::vector<OutputFile>* files) {
  Result<std::vector<std::string>> names = sorted_names(rel.empty() ? root : root + "/" + rel);
  if (!names.ok()) return names.status();
  for (const std::string& name : *names) {
    const std::string r = rel.empty() ? name : rel + "/" + name;
    const std::string p = root + "/" + r;
    struct stat st;
    if (::lstat(p.c_str(), &st) != 0) return errno_status("cannot stat " + p);
    const uint64_t mode = st.st_mode & 0777;
    if (S_ISREG(st.st_mode)) {
      Result<std::string> bytes = read_file(p);
      if (!bytes.ok()) return bytes.status();
      entries->push_back({{"path", r},
                          {"kind", "file"},
                          {"mode", mode},
                          {"size", bytes->size()},
                          {"digest", digest(*bytes)}});
      files->push_back({r, std::move(bytes).value()});
    } else if (S_ISDIR(st.st_mode)) {
      entries->push_back({{"path", r}, {"kind", "dir"}, {"mode", mode}});
      Status s = walk(root, r, entries, files);
      if (!s.ok()) return s;
    } else if (S_ISLNK(st.st_mode)) {
      std::error_code ec;
      const fs::path target = fs::read_symlink(p, ec);
      if (ec) return Status::IOError("cannot read the link " + p + ": " + ec.message());
      entries->push_back({{"path", r}, {"kind", "link"}, {"target", target.string()}});
    } else {
      return Status::InvalidArgument(p + " is neither a file, a directory nor a link");
    }
  }
  return Status::OK();
}

// Fills `root` (a new, empty directory) from a directory item that has
// passed check_item (kinds known, paths inside): folders, then files, then
// links last, so that no file is written through a link.
Status fill(const std::string& root, const nlohmann::json& item, const BytesOf& bytes_of) {
  const nlohmann::json& entries = item["entries"];
  std::vector<std::pair<std::string, mode_t>> dirs;
  for (const nlohmann::json& e : entries) {
    const std::string rel = e["path"];
    const std::string kind = e["kind"];
    const std::string p = root + "/" + rel;
    if (kind == "dir") {
      if (::mkdir(p.c_str(), 0700) != 0) return errno_status("cannot create " + p);
      dirs.emplace_back(p, mode_of(e));
    } else if (kind == "file") {
      const std::string* bytes = bytes_of(rel);
      if (!bytes) return Status::Corruption("no stored bytes for " + rel);
      Status s = check_bytes(rel, *bytes, e);
      if (s.ok()) s = write_new(p, *bytes, mode_of(e));
      if (!s.ok()) return s;
    }
  }
  for (const nlohmann::json& e : entries) {
    if (e["kind"] != "link") continue;
    const std::string p = root + "/" + e["path"].get<std::string>();
    if (::symlink(e["target"].get<std::string>().c_str(), p.c_str()) != 0) {
      return errno_status("cannot create the link " + p);
    }
  }
  // Deepest first: a folder made read-only still gets its own mode.
  for (auto it = dirs.rbegin(); it != dirs.rend(); ++it) {
    if (::chmod(it->first.c_str(), it->second) != 0) return errno_status("chmod " + it->first);
  }
  return Status::OK();
}

bool has(const nlohmann::json& e, const char* field, nlohmann::json::value_t type) {
  if (!e.contains(field)) return false;
  const nlohmann::json::value_t t = e[field].type();
  // Non-negative integers written as CBOR unsigned read back unsigned.
  return t == type || (type == nlohmann::json::value_t::number_unsigned &&
                       t == nlohmann::json::value_t::number_integer && e[field] >= 0);
}

// One file, folder or link: its own fields, typed.
bool valid_entry(const nlohmann::json& e, bool top) {
  using T = nlohmann::json::value_t;
  if (!e.is_object() || !has(e, "kind", T::string)) return false;
  if (!top && !(has(e, "path", T::string) && safe_relative(e["path"]))) return false;
  const std::string kind = e["kind"];
  if (kind == "file") {
    return has(e, "mode", T::number_unsigned) && has(e, "size", T::number_unsigned) &&
           has(e, "digest", T::string) && (!top || has(e, "key", T::string));
  }
  if (kind == "dir") return has(e, "mode", T::number_unsigned);
  if (kind == "link") return has(e, "target", T::string);
  return false;
}

}  // namespace

Status check_item(const nlohmann::json& item) {
  bool ok = valid_entry(item, true);
  if (ok && item["kind"] == "dir") {
    ok = item.contains("entries") && item["entries"].is_array();
    for (size_t i = 0; ok && i < item["entries"].size(); ++i) {
      ok = valid_entry(item["entries"][i], false);
    }
  }
  return ok ? Status::OK()
            : Status::Corruption("a run record's output of another shape: " +
                                 item.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)
                                     .substr(0, 200));
}

Status Aside::move(const std::vector<std::string>& outputs,
                   const std::vector<std::string>& inputs) {
  for (const std::string& out : outputs) {
    struct stat st;
    if (::lstat(out.c_str(), &st) != 0) continue;  // nothing there to keep
    bool read_by_the_command = false;
    for (const std::string& in : inputs) {
      std::error_code ec;
      read_by_the_command |= fs::equivalent(in, out, ec);
    }
    if (read_by_the_command) continue;
    Result<std::string> folder = folder_beside(out);
    if (!folder.ok()) return folder.status();
    if (::rename(out.c_str(), (*folder + "/old").c_str()) != 0) {
      const Status s = errno_status("cannot move " + out + " aside");
      ::rmdir(folder->c_str());
      return s;
    }
    moved_.push_back({out, *folder});
  }
  return Status::OK();
}

void Aside::finish() {
  for (const Moved& m : moved_) {
    struct stat st;
    if (::lstat(m.output.c_str(), &st) != 0) {
      (void)::rename((m.folder + "/old").c_str(), m.output.c_str());
    }
    std::error_code ec;
    fs::remove_all(m.folder, ec);
  }
  moved_.clear();
}

Result<Snapshot> snapshot(const std::string& path, InputKeys* keys) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return Status::NotFound(path + " was not produced");
  Snapshot snap;
  const uint64_t mode = st.st_mode & 0777;
  if (S_ISREG(st.st_mode)) {
    Result<std::string> bytes = read_file(path);
    if (!bytes.ok()) return bytes.status();
    Result<OperationKey> key = keys->file(path, Content::kImageOrBytes);
    if (!key.ok()) return key.status();
    struct stat after;
    if (::lstat(path.c_str(), &after) != 0 || after.st_size != st.st_size ||
        after.st_mtim.tv_nsec != st.st_mtim.tv_nsec ||
        after.st_ctim.tv_nsec != st.st_ctim.tv_nsec) {
      return Status::IOError(path + " changed while it was stored");
    }
    snap.item = {{"kind", "file"},
                 {"mode", mode},
                 {"size", bytes->size()},
                 {"digest", digest(*bytes)},
                 {"key", key->hex()}};
    snap.files.push_back({"", std::move(bytes).value()});
  } else if (S_ISDIR(st.st_mode)) {
    nlohmann::json entries = nlohmann::json::array();
    Status s = walk(path, "", &entries, &snap.files);
    if (!s.ok()) return s;
    Result<OperationKey> key = keys->tree(path);
    if (!key.ok()) return key.status();
    snap.item = {
        {"kind", "dir"}, {"mode", mode}, {"key", key->hex()}, {"entries", std::move(entries)}};
  } else if (S_ISLNK(st.st_mode)) {
    std::error_code ec;
    const fs::path target = fs::read_symlink(path, ec);
    if (ec) return Status::IOError("cannot read the link " + path + ": " + ec.message());
    snap.item = {{"kind", "link"}, {"target", target.string()}};
  } else {
    return Status::InvalidArgument(path + " is neither a file, a directory nor a link");
  }
  return snap;
}

Status restore(const std::string& path, const nlohmann::json& item, const BytesOf& bytes_of) {
  Status checked = check_item(item);
  if (!checked.ok()) return checked;
  const std::string kind = item["kind"];
  // The command made the folders its output is in (it wrote it there): so
  // does a hit.
  std::error_code made;
  fs::create_directories(parent_of(path), made);
  Result<std::string> folder = folder_beside(path);
  if (!folder.ok()) return folder.status();
  const std::string fresh = *folder + "/new", old = *folder + "/old";
  Status s;
  if (kind == "file") {
    const std::string* bytes = bytes_of("");
    if (!bytes) s = Status::Corruption("no stored bytes for " + path);
    if (s.ok()) s = check_bytes(path, *bytes, item);
    if (s.ok()) s = write_new(fresh, *bytes, mode_of(item));
  } else if (kind == "link") {
    if (::symlink(item.value("target", std::string()).c_str(), fresh.c_str()) != 0) {
      s = errno_status("cannot create the link " + path);
    }
  } else {
    if (::mkdir(fresh.c_str(), 0700) != 0) s = errno_status("cannot create " + fresh);
    if (s.ok()) s = fill(fresh, item, bytes_of);
    if (s.ok() && ::chmod(fresh.c_str(), mode_of(item)) != 0) s = errno_status("chmod " + path);
  }
  // rename() replaces a file or a link at `path` at once; a directory there
  // is moved out of the way first, and so is anything a directory replaces.
  struct stat st;
  const bool dir_there = ::lstat(path.c_str(), &st) == 0 && (S_ISDIR(st.st_mode) || kind == "dir");
  if (s.ok() && dir_there && ::rename(path.c_str(), old.c_str()) != 0) {
    s = errno_status("cannot replace " + path);
  }
  if (s.ok() && ::rename(fresh.c_str(), path.c_str()) != 0) {
    s = errno_status("cannot write " + path);
    if (dir_there) (void)::rename(old.c_str(), path.c_str());
  }
  std::error_code ec;
  fs::remove_all(*folder, ec);
  return s;
}

}  // namespace voxcache::cli::run
