#include "cli/stdio.h"

#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <vector>

#include "cli/common.h"

namespace voxcache::cli {
namespace {

// The extension ITK needs to read a file that starts with `head`, or "".
std::string extension_of(const std::string& head) {
  auto starts = [&](const std::string& magic) { return head.compare(0, magic.size(), magic) == 0; };
  if (starts("\x1f\x8b")) return ".nii.gz";  // the one gzipped format ITK reads whole
  if (starts("NRRD000")) return ".nrrd";
  if (starts("ObjectType")) return ".mha";
  if (starts("\x89PNG\r\n\x1a\n")) return ".png";
  if (head.size() >= 348 && head.compare(344, 4, std::string("n+1\0", 4)) == 0) return ".nii";
  return "";
}

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};

}  // namespace

Result<std::string> stdin_to_file(const std::string& dir) {
  if (isatty(STDIN_FILENO) == 1) {
    return Status::InvalidArgument(
        "standard input is a terminal: pipe an image into it (- reads it)");
  }
  const std::string tmp = dir + "/stdin";
  std::unique_ptr<FILE, FileCloser> out(std::fopen(tmp.c_str(), "wbx"));
  if (!out) return errno_status("cannot create " + tmp);
  std::string head;  // the first bytes, for the magic
  std::vector<char> buf(1 << 16);
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), stdin)) > 0) {
    if (head.size() < 352) head.append(buf.data(), std::min(n, 352 - head.size()));
    if (std::fwrite(buf.data(), 1, n, out.get()) != n) return errno_status("cannot write " + tmp);
  }
  if (std::ferror(stdin)) return errno_status("cannot read standard input");
  if (std::fclose(out.release()) != 0) return errno_status("cannot write " + tmp);
  const std::string ext = extension_of(head);
  if (ext.empty()) {
    return Status::NotSupported(head.empty() ? "standard input is empty"
                                             : std::string("standard input holds none of ") +
                                                   kStreamFormats +
                                                   " (NIfTI-1, NRRD, MetaImage, PNG); name a file");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, tmp + ext, ec);
  if (ec) return Status::IOError("cannot rename " + tmp + ": " + ec.message());
  return tmp + ext;
}

bool is_stream_format(const std::string& f) {
  return f == "nii" || f == "nii.gz" || f == "nrrd" || f == "mha" || f == "png";
}

Status check_stdout_free() {
  if (isatty(STDOUT_FILENO) == 1) {
    return Status::InvalidArgument(
        "standard output is a terminal: redirect it (> image.nii) or name a file");
  }
  return Status::OK();
}

Status file_to_stdout(const std::string& path) {
  // A reader that stops early (| head) closes the pipe: EPIPE from fwrite,
  // an error this command reports and cleans up after, not SIGPIPE killing
  // it with the scratch file left behind.
  std::signal(SIGPIPE, SIG_IGN);
  std::unique_ptr<FILE, FileCloser> in(std::fopen(path.c_str(), "rb"));
  if (!in) return errno_status("cannot read " + path);
  std::vector<char> buf(1 << 16);
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), in.get())) > 0) {
    if (std::fwrite(buf.data(), 1, n, stdout) != n)
      return errno_status("cannot write standard output");
  }
  if (std::ferror(in.get())) return errno_status("cannot read " + path);
  if (std::fflush(stdout) != 0) return errno_status("cannot write standard output");
  return Status::OK();
}

}  // namespace voxcache::cli
