// run and key: memoize a command-line tool's outputs by the content of its
// inputs (docs/run.md states the recipe).

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>

#include "cli/commands.h"
#include "voxcache/itk.h"

namespace voxcache::cli {

namespace {

namespace fs = std::filesystem;

// What a run printed, kept for --replay-output up to this many bytes a stream.
constexpr size_t kMaxCapturedBytes = 1 << 20;

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::NotFound("cannot read " + path + ": " + std::strerror(errno));
  std::ostringstream s;
  s << in.rdbuf();
  if (in.bad()) return Status::IOError("reading " + path + " failed");
  return s.str();
}

// A file as a cache value: a volume when ITK reads it, else its bytes.
Result<Value> file_value(const std::string& path) {
  if (!fs::is_regular_file(path)) return Status::NotFound("no file " + path);
  Result<Volume> vol = read_image(path);
  if (vol.ok()) return Value(std::move(vol).value());
  Result<std::string> bytes = read_file(path);
  if (!bytes.ok()) return bytes.status();
  return Value(std::move(bytes).value());
}

// The content key of a file's value (docs/run.md): a volume's content_key,
// else the key of its bytes.
OperationKey key_of(const Value& v) {
  if (const Volume* vol = v.as_volume()) return content_key(*vol);
  return KeyBuilder("file").arg("bytes", KeyArg::Bytes(*v.as_string())).build();
}

Result<OperationKey> file_key(const std::string& path) {
  Result<Value> v = file_value(path);
  if (!v.ok()) return v.status();
  return key_of(*v);
}

// A file's identity (path, device, inode, size, modification time in ns):
// the content key is remembered under it, as ccache remembers headers, so a
// warm run reads no input. A file rewritten in place gets a new
// modification time, so a new identity.
std::optional<KeyBuilder> identity_of(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  std::error_code ec;
  const int64_t mtime_ns = int64_t{st.st_mtim.tv_sec} * 1'000'000'000 + st.st_mtim.tv_nsec;
  return KeyBuilder("run:file-identity")
      .arg("path", fs::absolute(path, ec).string())
      .arg("device", static_cast<int64_t>(st.st_dev))
      .arg("inode", static_cast<int64_t>(st.st_ino))
      .arg("size", static_cast<int64_t>(st.st_size))
      .arg("mtime_ns", mtime_ns);
}

// Best effort: a record that cannot be written is a miss next time.
void remember_key(Cache* cache, const std::string& path, const OperationKey& key) {
  if (std::optional<KeyBuilder> id = identity_of(path)) (void)cache->put(*id, Value(key.hex()));
}

Result<OperationKey> input_key(Cache* cache, const std::string& path) {
  std::optional<KeyBuilder> id = cache ? identity_of(path) : std::nullopt;
  if (id) {
    Result<Value> known = cache->get(id->build());
    if (known.ok() && known->as_string()) {
      Result<OperationKey> k = OperationKey::FromHex(*known->as_string());
      if (k.ok()) return k;
    }
  }
  Result<OperationKey> k = file_key(path);
  if (k.ok() && id) (void)cache->put(*id, Value(k->hex()));
  return k;
}

struct Ran {
  int exit = 0;
  std::string out, err;
};

// Runs `argv`, passing its output through while keeping a copy.
Result<Ran> run_command(const std::vector<std::string>& argv) {
  int out_pipe[2], err_pipe[2];
  if (pipe(out_pipe) != 0 || pipe(err_pipe) != 0) {
    return Status::IOError(std::string("pipe: ") + std::strerror(errno));
  }
  const pid_t pid = fork();
  if (pid < 0) return Status::IOError(std::string("fork: ") + std::strerror(errno));
  if (pid == 0) {
    dup2(out_pipe[1], STDOUT_FILENO);
    dup2(err_pipe[1], STDERR_FILENO);
    for (int fd : {out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) close(fd);
    std::vector<char*> args;
    for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execvp(args[0], args.data());
    std::fprintf(stderr, "voxcache run: cannot run %s: %s\n", args[0], std::strerror(errno));
    _exit(127);  // as a shell reports a command it cannot run
  }
  close(out_pipe[1]);
  close(err_pipe[1]);
  Ran r;
  struct Stream {
    int fd;
    FILE* to;
    std::string* keep;
  } streams[2] = {{out_pipe[0], stdout, &r.out}, {err_pipe[0], stderr, &r.err}};
  int open_streams = 2;
  while (open_streams > 0) {
    pollfd fds[2];
    int n = 0;
    for (const Stream& s : streams) {
      if (s.fd >= 0) fds[n++] = {s.fd, POLLIN, 0};
    }
    if (poll(fds, n, -1) < 0 && errno != EINTR) break;
    for (Stream& s : streams) {
      if (s.fd < 0) continue;
      char buf[65536];
      bool readable = false;
      for (int i = 0; i < n; ++i) readable |= fds[i].fd == s.fd && fds[i].revents != 0;
      if (!readable) continue;
      const ssize_t got = read(s.fd, buf, sizeof(buf));
      if (got <= 0) {
        if (got < 0 && errno == EINTR) continue;
        close(s.fd);
        s.fd = -1;
        --open_streams;
        continue;
      }
      std::fwrite(buf, 1, static_cast<size_t>(got), s.to);
      std::fflush(s.to);
      const size_t room = kMaxCapturedBytes - std::min(kMaxCapturedBytes, s.keep->size());
      s.keep->append(buf, std::min(room, static_cast<size_t>(got)));
    }
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.exit = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

// The process's umask (reading it means setting it: put straight back).
mode_t current_umask() {
  const mode_t m = umask(0);
  umask(m);
  return m;
}

// Writes `value` to `path` whole or not at all. A volume goes through
// write_image, which writes into a private temporary folder and renames;
// bytes into a temporary file made by mkstemp (O_CREAT | O_EXCL, a random
// name) beside the target, then renamed over it. Neither follows a link
// planted at a name it uses: a link at the target itself is replaced, and
// the file it pointed to is left alone.
Status write_atomically(const Value& value, const std::string& path) {
  if (const Volume* vol = value.as_volume()) return write_image(*vol, path, true);
  const std::string* bytes = value.as_string();
  if (!bytes)
    return Status::Corruption("output entry of " + path + " is neither a volume nor bytes");
  const fs::path target(path);
  std::string tmp =
      ((target.has_parent_path() ? target.parent_path() : fs::path(".")) / ".voxcache-XXXXXX")
          .string();
  const int fd = mkstemp(tmp.data());
  if (fd < 0) return Status::IOError("cannot write beside " + path + ": " + std::strerror(errno));
  Status s;
  for (size_t off = 0; s.ok() && off < bytes->size();) {
    const ssize_t n = ::write(fd, bytes->data() + off, bytes->size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) s = Status::IOError("cannot write " + tmp + ": " + std::strerror(errno));
    if (n > 0) off += static_cast<size_t>(n);
  }
  // mkstemp's files are 0600; an output is as readable as the tool made it.
  if (s.ok() && fchmod(fd, 0644 & ~current_umask()) != 0) {
    s = Status::IOError("cannot set the mode of " + tmp + ": " + std::strerror(errno));
  }
  if (::close(fd) != 0 && s.ok()) s = Status::IOError("cannot write " + tmp);
  std::error_code ec;
  if (s.ok()) fs::rename(tmp, target, ec);
  if (s.ok() && ec) s = Status::IOError("cannot rename to " + path + ": " + ec.message());
  if (!s.ok()) fs::remove(tmp, ec);
  return s;
}

KeyBuilder output_recipe(const std::string& op, const OperationKey& run, size_t n) {
  return KeyBuilder(op + ":output").arg("n", static_cast<int64_t>(n)).input(run);
}

}  // namespace

int cmd_key(const std::vector<std::string>& files, bool json) {
  int rc = 0;
  nlohmann::json keys = nlohmann::json::array();
  for (const std::string& f : files) {
    Result<OperationKey> k = file_key(f);
    if (!k.ok()) {
      std::cerr << "voxcache: " << k.status().to_string() << "\n";
      rc = std::max(rc, k.status().is_not_found() ? kExitUsage : kExitFailure);
      continue;
    }
    if (json) {
      keys.push_back({{"file", f}, {"key", k->hex()}});
    } else {
      std::cout << k->hex() << "  " << f << "\n";
    }
  }
  if (json) print_json(keys);
  return rc;
}

int cmd_run(const Globals& g, const RunArgs& a) {
  if (a.command.empty()) return usage_error(Status::InvalidArgument("no command after --"));
  const std::string op = a.op.empty() ? fs::path(a.command[0]).filename().string() : a.op;

  // The recipe: declared input and output paths in the command line become
  // placeholders, so moving files keeps the key; inputs count by content.
  std::vector<KeyArg> argv;
  for (const std::string& word : a.command) {
    std::string text = word;
    for (size_t i = 0; i < a.ins.size(); ++i) {
      if (word == a.ins[i]) text = "{in:" + std::to_string(i) + "}";
    }
    for (size_t i = 0; i < a.outs.size(); ++i) {
      if (word == a.outs[i]) text = "{out:" + std::to_string(i) + "}";
    }
    argv.emplace_back(text);
  }
  KeyBuilder recipe(op);
  recipe.arg("argv", KeyArg(std::move(argv)));
  // Outputs the command need not name (fast -o seg) still count.
  recipe.arg("outputs", static_cast<int64_t>(a.outs.size()));
  for (const std::string& kv : a.args) {
    const size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      return usage_error(Status::InvalidArgument("--arg wants NAME=VALUE, got '" + kv + "'"));
    }
    recipe.arg(kv.substr(0, eq), kv.substr(eq + 1));
  }
  if (!a.version_cmd.empty()) {
    Result<Ran> v = run_command({"/bin/sh", "-c", a.version_cmd + " 2>&1"});
    if (!v.ok()) return fail(v.status());
    if (v->exit != 0) {
      return fail(Status::InvalidArgument("--version-cmd '" + a.version_cmd + "' exited with " +
                                          std::to_string(v->exit)));
    }
    recipe.arg("version", v->out);
  }
  // Without storing: the command's own exit code, its output passed through.
  auto run_plainly = [&] {
    Result<Ran> r = run_command(a.command);
    return r.ok() ? r->exit : fail(r.status());
  };
  Result<std::unique_ptr<Cache>> opened = open_cache(g, !a.no_store);
  if (!opened.ok() && a.no_store) return run_plainly();  // no database to look in
  if (!opened.ok()) return fail(opened.status());
  Cache* cache = opened->get();
  for (const std::string& in : a.ins) {
    Result<OperationKey> k = input_key(a.no_store ? nullptr : cache, in);
    if (!k.ok()) return key_error(k.status().with_context("input"));
    recipe.input(*k);
  }
  const OperationKey run_key = recipe.build();
  auto forget = [&] {
    (void)cache->erase(run_key);
    for (size_t n = 0; n < a.outs.size(); ++n)
      (void)cache->erase(output_recipe(op, run_key, n).build());
  };
  if (a.refresh) forget();

  // A hit writes every output from the cache; false when one was evicted.
  auto write_outputs = [&](const Value& manifest_value) -> Result<bool> {
    const std::string* text = manifest_value.as_string();
    const nlohmann::json manifest =
        text ? nlohmann::json::parse(*text, nullptr, false) : nlohmann::json();
    if (!manifest.is_object() || manifest.value("outputs", 0u) != a.outs.size()) {
      return Status::Corruption("run entry " + run_key.hex() + " is not a run of this recipe");
    }
    std::vector<Value> values;
    for (size_t n = 0; n < a.outs.size(); ++n) {
      Result<Value> v = cache->get(output_recipe(op, run_key, n).build());
      if (v.status().is_not_found()) return false;
      if (!v.ok()) return v.status();
      values.push_back(std::move(v).value());
    }
    for (size_t n = 0; n < a.outs.size(); ++n) {
      Status s = write_atomically(values[n], a.outs[n]);
      if (!s.ok()) return s;
      // The next step's input: its key is known without reading it back
      // (unless nothing may be stored).
      if (!a.no_store) remember_key(cache, a.outs[n], key_of(values[n]));
    }
    if (a.replay) {
      std::cout << manifest.value("stdout", "") << std::flush;
      std::cerr << manifest.value("stderr", "") << std::flush;
    }
    return true;
  };

  if (a.no_store) {
    Result<Value> hit = cache->get(run_key);
    if (hit.ok()) {
      Result<bool> wrote = write_outputs(*hit);
      if (!wrote.ok()) return fail(wrote.status());
      if (*wrote) return 0;
    }
    return run_plainly();
  }

  int exit_code = 0;
  bool ran = false;
  auto compute = [&]() -> Result<Value> {
    ran = true;
    Result<Ran> r = run_command(a.command);
    if (!r.ok()) return r.status();
    exit_code = r->exit;
    if (r->exit != 0) {
      return Status::IOError(op + " exited with " + std::to_string(r->exit) + ": nothing stored");
    }
    std::vector<Value> outputs;
    for (const std::string& out : a.outs) {
      Result<Value> v = file_value(out);
      if (!v.ok()) {
        exit_code = kExitFailure;
        return Status::NotFound("declared output " + out + " was not produced: nothing stored");
      }
      outputs.push_back(std::move(v).value());
    }
    for (size_t n = 0; n < outputs.size(); ++n) {
      Status s = cache->put(output_recipe(op, run_key, n), outputs[n]);
      if (!s.ok()) {
        exit_code = kExitFailure;
        return s.with_context("storing " + a.outs[n]);
      }
      remember_key(cache, a.outs[n], key_of(outputs[n]));
    }
    nlohmann::json manifest = {
        {"outputs", a.outs.size()}, {"exit", 0}, {"stdout", r->out}, {"stderr", r->err}};
    return Value(dump(manifest));
  };
  for (int attempt = 0; attempt < 2; ++attempt) {
    Status stored;
    Result<Value> m = cache->get_or_compute(recipe, compute, "", &stored);
    if (!m.ok()) {
      if (ran) {
        std::cerr << "voxcache run: " << m.status().to_string() << "\n";
        return exit_code != 0 ? exit_code : kExitFailure;
      }
      return fail(m.status());
    }
    if (ran) {
      if (!stored.ok()) std::cerr << "voxcache run: warning: " << stored.to_string() << "\n";
      warn_failed_pushes(cache);
      return 0;  // the command wrote its outputs itself
    }
    Result<bool> wrote = write_outputs(*m);
    if (!wrote.ok()) return fail(wrote.status());
    if (*wrote) return 0;
    forget();  // an output was evicted: run again
  }
  return fail(Status::Busy("outputs of " + run_key.hex() + " keep disappearing"));
}

}  // namespace voxcache::cli
