// voxcache: look into, manage, and move volumes in and out of a voxcache
// database. A thin shell over the library; every command is a few library
// calls. docs/cli.md documents every command.
//
// Exit codes: 0 success; 1 the operation failed (I/O, corruption, a bad entry
// found by verify, a write to a read-only database, ...); 2 bad usage, or a
// key that is unknown, ambiguous or malformed.

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "cli/commands.h"

namespace voxcache::cli {
namespace {

int run(int argc, char** argv) {
  CLI::App app{"voxcache: inspect and manage a voxcache database, and move volumes in and out"};
  app.require_subcommand(1);
  Globals g;
  app.add_option("--db", g.db,
                 "Database file (default: $VOXCACHE_DIR/cache.db, else "
                 "$XDG_CACHE_HOME/voxcache/cache.db, else ~/.cache/voxcache/cache.db)");
  app.add_flag("--read-only", g.read_only,
               "Open read-only (automatic for read commands when the file is not writable)");

  std::vector<std::string> files, keys;
  std::string key_text, out_file, region_text, slice_text, thumb;
  bool json = false, no_compress = false, zero = false, repair = false;

  CLI::App* import = app.add_subcommand(
      "import", "Store volume files (.nii.gz, .nrrd, .mha, ...) under their content keys");
  import->add_option("files", files, "Files to import")->required();

  CLI::App* exp = app.add_subcommand(
      "export", "Write a cached volume, a box or a slice of it, to a file (format by extension)");
  exp->add_option("key", key_text, "Key or unique prefix (8+ hex digits)")->required();
  exp->add_option("file", out_file, "Output file")->required();
  exp->add_flag("--no-compress", no_compress, "Ask the writer not to compress");
  exp->add_option("--region", region_text,
                  "Export only the box x,y,z,dx,dy,dz (voxel start and size); reads only the "
                  "chunks it touches");
  exp->add_option("--slice", slice_text, "Export one slice, e.g. z=90 (axial), y=100, x=90");

  LsFilter filter;
  CLI::App* ls = app.add_subcommand("ls", "List entries (newest first unless --sort)");
  ls->add_flag("--json", json, "Print JSON with exact values");
  ls->add_option("--type", filter.type, "Only this data type (volume, float64, ...)");
  ls->add_option("--larger-than", filter.larger_than, "Only entries storing more, e.g. 10M");
  ls->add_option("--older-than", filter.older_than, "Only entries created longer ago, e.g. 7d");
  ls->add_option("--op", filter.op, "Only results of this operation");
  ls->add_flag("--pinned", filter.pinned, "Only pinned entries");
  ls->add_option("--sort", filter.sort, "size, created, accessed or ratio (largest first)")
      ->check(CLI::IsMember({"size", "created", "accessed", "ratio"}));

  CLI::App* show = app.add_subcommand("show", "Everything known about one entry");
  show->add_option("key", key_text, "Key or unique prefix (8+ hex digits)")->required();
  show->add_flag("--json", json, "Print JSON with exact values");
  show->add_option("--thumbnail", thumb, "Also write a maximum-intensity projection PNG here");

  CLI::App* stats = app.add_subcommand("stats", "Entries, sizes, hit rate, counters by type");
  stats->add_flag("--json", json, "Print JSON with exact values");
  stats->add_flag("--zero", zero, "Zero the counters");

  CLI::App* verify = app.add_subcommand(
      "verify", "Decompress and checksum every chunk of the given entries (default: all)");
  verify->add_option("keys", keys, "Keys or prefixes");
  verify->add_flag("--repair", repair, "Remove bad entries (they will be recomputed)");
  verify->add_flag("--json", json, "Print JSON");

  std::string op;
  CLI::App* rm = app.add_subcommand("rm", "Remove entries");
  rm->add_option("keys", keys, "Keys or prefixes");
  rm->add_option("--op", op, "Remove every result of this operation");

  std::string max_size, max_age;
  uint64_t max_entries = 0;
  CLI::App* gc =
      app.add_subcommand("gc", "Evict least recently used, unpinned entries until the limits hold");
  gc->add_option("--max-size", max_size, "Stored bytes to keep at most, e.g. 10G");
  gc->add_option("--max-age", max_age, "Evict entries unused for longer, e.g. 7d");
  gc->add_option("--max-entries", max_entries, "Entries to keep at most");
  gc->add_flag("--json", json, "Print JSON");

  CLI::App* vacuum = app.add_subcommand(
      "vacuum", "Give freed space back to the file system; checkpoint and truncate the WAL");

  int level = 3;
  CLI::App* recompress = app.add_subcommand(
      "recompress", "Re-encode entries stored at another level or uncompressed, in place");
  recompress->add_option("--level", level, "zstd level 0-19 (0: uncompressed)")
      ->required()
      ->check(CLI::Range(0, 19));
  recompress->add_flag("--json", json, "Print JSON");

  CLI::App* thumbnail = app.add_subcommand(
      "thumbnail", "Render a maximum-intensity projection (or one slice) as an 8-bit PNG");
  thumbnail->add_option("key", key_text, "Key or unique prefix (8+ hex digits)")->required();
  thumbnail->add_option("file", out_file, "Output PNG")->required();
  thumbnail->add_option("--slice", slice_text, "One slice instead, e.g. z=90");

  CLI::App* pin = app.add_subcommand("pin", "Keep entries through eviction");
  pin->add_option("keys", keys, "Keys or prefixes")->required();
  CLI::App* unpin = app.add_subcommand("unpin", "Let pinned entries be evicted again");
  unpin->add_option("keys", keys, "Keys or prefixes")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : kExitUsage;
  }
  if (*import) return cmd_import(g, files);
  if (*exp) return cmd_export(g, key_text, out_file, !no_compress, region_text, slice_text);
  if (*ls) return cmd_ls(g, filter, json);
  if (*show) return cmd_show(g, key_text, json, thumb);
  if (*stats) return cmd_stats(g, json, zero);
  if (*verify) return cmd_verify(g, keys, repair, json);
  if (*rm) return cmd_rm(g, keys, op);
  if (*gc) return cmd_gc(g, max_size, max_age, max_entries, json);
  if (*vacuum) return cmd_vacuum(g);
  if (*recompress) return cmd_recompress(g, level, json);
  if (*thumbnail) return cmd_thumbnail(g, key_text, out_file, slice_text);
  if (*pin) return cmd_pin(g, keys, true);
  if (*unpin) return cmd_pin(g, keys, false);
  return kExitUsage;
}

}  // namespace
}  // namespace voxcache::cli

int main(int argc, char** argv) { return voxcache::cli::run(argc, argv); }
