// The declared outputs of `voxcache run`: moved aside while the command runs,
// taken whole into the cache after it, and written back byte for byte on a
// hit (docs/run.md, docs/format.md 2.9).

#ifndef VOXCACHE_CLI_RUN_OUTPUTS_H_
#define VOXCACHE_CLI_RUN_OUTPUTS_H_

#include <sys/types.h>

#include <nlohmann/json.hpp>

#include <functional>
#include <string>
#include <vector>

#include "cli/run/inputs.h"
#include "voxcache/status.h"

namespace voxcache::cli::run {

// Declared outputs that exist before the command runs are moved into a
// private folder beside them, so that only what the command writes is
// stored. Each old output the command did not write again is put back, as
// running the command without voxcache would have left it.
class Aside {
 public:
  Aside() = default;
  Aside(const Aside&) = delete;
  Aside& operator=(const Aside&) = delete;
  ~Aside() { finish(); }

  // Outputs that are also `inputs` (an in-place step, `fslmaths a -add 1 a`)
  // stay where they are: the command must read them.
  Status move(const std::vector<std::string>& outputs, const std::vector<std::string>& inputs);
  // Puts back what the command did not write again; drops the rest.
  void finish();

 private:
  struct Moved {
    std::string output, folder;
  };
  std::vector<Moved> moved_;
};

// One file of an output: a whole output when `rel` is empty, else a file of
// an output directory at that relative path.
struct OutputFile {
  std::string rel;
  std::string bytes;
};

// An output as the command left it: its manifest item (kind, mode, size,
// digest, the content key it has as the next step's input) and its files.
struct Snapshot {
  nlohmann::json item;
  std::vector<OutputFile> files;
};

// Reads the output at `path` whole; remembers its content key in `keys`.
// NotFound when the command did not write it; InvalidArgument for what
// cannot be restored (a fifo, a device).
Result<Snapshot> snapshot(const std::string& path, InputKeys* keys);

// Corruption unless `item` is an output of the shape docs/format.md 2.9
// gives: known kinds, typed fields, relative paths that stay inside.
Status check_item(const nlohmann::json& item);

// Writes the output described by `item` at `path`, whole or not at all,
// taking each file's bytes from `bytes_of(rel)` (nullptr: there are none,
// Corruption). Checks every file's size and digest against the item:
// Corruption when one differs.
using BytesOf = std::function<const std::string*(const std::string& rel)>;
Status restore(const std::string& path, const nlohmann::json& item, const BytesOf& bytes_of);

}  // namespace voxcache::cli::run

#endif  // VOXCACHE_CLI_RUN_OUTPUTS_H_
