// The voxcache commands, one function each; main.cc parses the command line
// into these calls. docs/cli.md documents every command.

#ifndef VOXCACHE_CLI_COMMANDS_H_
#define VOXCACHE_CLI_COMMANDS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "cli/common.h"

namespace voxcache::cli {

// Files (cmd_files.cc): volumes in and out through ITK.
// `layout`: a ChunkLayout name ("z-slabs", "bricks", "bricks 32x32x16"), or
// empty for the cache's default.
int cmd_import(const Globals& g, const std::vector<std::string>& files, const std::string& layout,
               bool json);
struct ExportArgs {
  std::string key, file, region, slice, frames;
  // For 8-bit picture formats (.png, .jpg, .bmp): "auto" or "MIN,MAX"; empty:
  // exact voxels when the format holds the pixel type, else "auto".
  std::string window;
  // For FILE "-" (standard output): nii (default), nii.gz, nrrd, mha or png.
  std::string format;
  bool compress = true, json = false;
};
int cmd_export(const Globals& g, const ExportArgs& args);
// The header of the NIfTI file an entry was imported from, when it has one
// (metadata "nifti_header"); empty otherwise. A whole volume written to .nii
// with it comes out as that file was.
std::string stored_nifti_header(Cache* cache, const OperationKey& key);
int cmd_thumbnail(const Globals& g, const std::string& key_text, const std::string& file,
                  const std::string& slice_text, bool json);

// Looking inside (cmd_inspect.cc).
struct LsFilter {
  std::string type, larger_than, older_than, op, sort = "created";
  bool pinned = false;
  bool all = false;  // also run:file-identity records
};
// The entries `f` selects, in its order (newest first for "created"):
// InvalidArgument for a filter that does not parse. ls and serve list these.
Result<std::vector<EntryInfo>> select_entries(Cache* cache, const LsFilter& f);
int cmd_ls(const Globals& g, const LsFilter& f, bool json);
// What show prints of an entry, as JSON: the record, and the value of a
// small built-in scalar or a list's items. `info` receives the record.
Result<nlohmann::json> entry_record(Cache* cache, const OperationKey& key, EntryInfo* info);
int cmd_show(const Globals& g, const std::string& key_text, bool json,
             const std::string& thumbnail);
int cmd_stats(const Globals& g, bool json, bool zero);

// Looking after it (cmd_manage.cc).
int cmd_verify(const Globals& g, const std::vector<std::string>& key_texts, bool repair, bool json);
int cmd_rm(const Globals& g, const std::vector<std::string>& key_texts, const std::string& op,
           bool json);
// Without limits, the ones stored with `voxcache config`.
int cmd_gc(const Globals& g, const std::string& max_size, const std::string& max_age,
           uint64_t max_entries, bool json);
int cmd_vacuum(const Globals& g, bool json);
// `level` -1 keeps each entry's level; `layout` empty keeps each volume's.
int cmd_recompress(const Globals& g, const std::vector<std::string>& key_texts, int level,
                   const std::string& layout, const std::string& codec, bool json);
int cmd_pin(const Globals& g, const std::vector<std::string>& key_texts, bool pinned, bool json);
int cmd_clear(const Globals& g, bool keep_pinned, bool json);
// The remote tier (cmd_remote.cc).
int cmd_remote_stats(const Globals& g, bool json);
int cmd_remote_copy(const Globals& g, const std::vector<std::string>& key_texts, bool push,
                    bool json);

// Memoized commands (cmd_run.cc, docs/run.md).
struct RunArgs {
  std::vector<std::string> ins, outs;  // --in PATH, --out PATH: files or directories
  std::vector<std::string> args;       // --arg NAME=VALUE
  std::vector<std::string> envs;       // --env NAME
  std::string op, version_cmd;
  bool read_stdin = false;  // --stdin: the command reads its input, keyed by content
  bool no_store = false, refresh = false;
  bool verbose = false, json = false;  // say what happened, on stderr
  std::vector<std::string> command;    // everything after the first --
};
int cmd_run(const Globals& g, const RunArgs& args);
// Prints the content key of each file, storing nothing.
int cmd_key(const std::vector<std::string>& files, bool json);

// Another tool's results store copied in (cmd_import_store.cc): runs the
// Python package's importer, whose exit code it becomes.
int cmd_import_store(const Globals& g, const std::string& tool, const std::string& path,
                     bool dry_run, bool json);

// A read-only web inspector over the database (serve/server.cc, docs/serve.md).
struct ServeArgs {
  std::string bind = "127.0.0.1";
  int port = 8765;      // 0: any free port, printed on the first line
  std::string token;    // required in every request; needed for a bind off loopback
  std::string web_dir;  // where niivue.umd.js is; empty: next to the binary, then installed
};
int cmd_serve(const Globals& g, const ServeArgs& args);

// Lists the stored configuration, or sets (or unsets) one setting.
int cmd_config(const Globals& g, const std::string& name, const std::string& value, bool unset,
               bool json);

}  // namespace voxcache::cli

#endif  // VOXCACHE_CLI_COMMANDS_H_
