// The content keys of what a command of `voxcache run` reads: its declared
// inputs (files and directories), its executable and its script, each keyed
// by content and remembered under the file's identity (docs/run.md).

#ifndef VOXCACHE_CLI_RUN_INPUTS_H_
#define VOXCACHE_CLI_RUN_INPUTS_H_

#include <sys/stat.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "voxcache/cache.h"

namespace voxcache::cli::run {

// How a file's content is keyed: an image ITK reads by its voxels and
// geometry (content_key), so that .nii and .nii.gz of one volume are one
// input; anything else, and every file inside a directory, by its bytes.
enum class Content { kImageOrBytes, kBytes };

// What an image's key covers besides its volume's content key.
enum class Header {
  kNone,  // the content key alone: `voxcache key`, as Python's content_key
  // For a command's input: a tool may read any header field (fslhd prints
  // descrip), so the key also covers a single-file NIfTI's header bytes, and
  // for any other format the bytes of the file named (its header, for a
  // detached one such as .nhdr or .hdr/.img).
  kAll,
};

// The key of bytes as a file's content: KeyBuilder("file").arg("bytes", ...).
OperationKey bytes_key(std::string_view bytes);

// XXH3-128 of bytes, as 32 hex digits: proves that a file is still the one
// whose key is remembered when its identity alone cannot (docs/run.md).
std::string digest(std::string_view bytes);

// The whole file; NotFound when it does not exist.
Result<std::string> read_file(const std::string& path);

// The names in a directory, in byte order: the order of every tree key and
// run record, the same on every machine.
Result<std::vector<std::string>> sorted_names(const std::string& dir);

class InputKeys {
 public:
  // `cache` nullptr: remember nothing (voxcache key, --no-store).
  InputKeys(Cache* cache, Header header) : cache_(cache), header_(header) {}

  // A regular file's key. NotFound when there is none at `path`.
  Result<OperationKey> file(const std::string& path, Content how);
  // A directory's key: a tree of names, kinds, modes and contents.
  Result<OperationKey> tree(const std::string& path);
  // A file (kImageOrBytes) or a directory.
  Result<OperationKey> any(const std::string& path);

  // Records that `path`, whose bytes have `digest`, has content key `key`:
  // for outputs voxcache itself wrote, so the next step need not decode them.
  void remember(const std::string& path, const OperationKey& key, const std::string& digest);

 private:
  Cache* const cache_;
  const Header header_;
};

// The file execvp would run for `word`: a path when it holds a '/', else
// the first executable regular file of that name in $PATH.
std::optional<std::string> resolve_executable(const std::string& word);

// The script an interpreter runs: for `python3 -u step.py ARGS`, step.py.
// nullopt when argv[0] is not a known interpreter or names no file.
std::optional<std::string> script_of(const std::vector<std::string>& argv);

}  // namespace voxcache::cli::run

#endif  // VOXCACHE_CLI_RUN_INPUTS_H_
