// voxcache: look into, manage, and move volumes in and out of a voxcache
// database. A thin shell over the library; every command is a few library
// calls (commands.h). docs/cli.md documents every command.
//
// Exit codes: 0 success; 1 the operation failed (I/O, corruption, a bad entry
// found by verify, a write to a read-only database, ...); 2 bad usage, or a
// key that is unknown, ambiguous or malformed; 3 gc or clear could not meet
// the limits because pinned entries exceed them.

#include <itkVersion.h>

#include <CLI/CLI.hpp>

#include <cstdint>
#include <iostream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cli/commands.h"
#include "cli/manual.h"
#include "voxcache/version.h"

namespace voxcache::cli {
namespace {

std::string version_text() {
  const VersionInfo v = version();
  return "voxcache " + v.voxcache + " (database schema " + std::to_string(v.schema) + ")\nSQLite " +
         v.sqlite + ", zstd " + v.zstd + ", xxHash " + v.xxhash + ", ITK " +
         itk::Version::GetITKVersion();
}

// The first word of the command line that is not an option or the value of
// --db: the command the user meant, known or not.
std::optional<std::string> command_word(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--db" || a == "--remote" || a == "--remote-password-file") {
      ++i;
    } else if (a.empty() || a[0] != '-') {
      return a;
    }
  }
  return std::nullopt;
}

int run(int argc, char** argv) {
  CLI::App app{"voxcache: inspect and manage a voxcache database, and move volumes in and out"};
  app.name("voxcache");
  app.require_subcommand(1);
  app.fallthrough();  // --db and --read-only after the command too
  app.set_version_flag("--version", version_text(),
                       "Print the versions of voxcache and its libraries");
  Globals g;
  app.add_option("--db", g.db,
                 "Database file (default: $VOXCACHE_DIR/cache.db, else "
                 "$XDG_CACHE_HOME/voxcache/cache.db, else ~/.cache/voxcache/cache.db)");
  app.add_flag("--read-only", g.read_only,
               "Open read-only (automatic for read commands when the file is not writable)");
  app.add_option("--remote", g.remote,
                 "Shared remote tier: redis://[user:password@]host[:port][/db] or "
                 "unix:///path.sock (default: $VOXCACHE_REMOTE)");
  app.add_option("--remote-password-file", g.remote_password_file,
                 "Read the remote's password from the first line of this file, so that it "
                 "shows in no process list (it replaces one in the URL)");

  std::vector<std::string> files, keys;
  std::string key_text, out_file, slice_text, thumb;
  bool json = false, zero = false, repair = false, keep_pinned = false;
  const char* kJsonHelp = "Print JSON with exact values";

  CLI::App* import = app.add_subcommand(
      "import", "Store volume files (.nii.gz, .nrrd, .mha, ...) under their content keys");
  import
      ->add_option("files", files,
                   "Files to import; - reads one image from standard input (NIfTI-1, "
                   "NRRD, MetaImage or PNG, told by its first bytes)")
      ->required();
  std::string layout;
  import->add_option("--layout", layout,
                     "Chunk layout of new entries: z-slabs, bricks (automatic shape), bricks N or "
                     "bricks XxYxZ (default: z-slabs)");
  import->add_flag("--json", json, kJsonHelp);

  std::string store_tool, store_path;
  bool dry_run = false;
  CLI::App* import_store = app.add_subcommand(
      "import-store",
      "Copy another tool's results store in (VoxLogicA-2's; the source is only read)");
  import_store->add_option("tool", store_tool, "The store's tool: voxlogica")
      ->required()
      ->check(CLI::IsMember({"voxlogica"}));
  import_store
      ->add_option("path", store_path,
                   "The store: VoxLogicA-2's storage.db (legacy, pickles) or results.db "
                   "(current, with its results.db.files folder)")
      ->required();
  import_store->add_flag("--dry-run", dry_run, "Decode and check every entry; write nothing");
  import_store->add_flag("--json", json, "Print the summary as JSON");

  ExportArgs ex;
  bool no_compress = false;
  CLI::App* exp = app.add_subcommand(
      "export", "Write a cached volume, a box or a slice of it, to a file (format by extension)");
  exp->add_option("key", ex.key, "Key or unique prefix (8+ hex digits)")->required();
  exp->add_option("file", ex.file, "Output file; - for standard output (see --format)")->required();
  exp->add_option("--format", ex.format, "With FILE -: nii (default), nii.gz, nrrd, mha or png");
  exp->add_flag("--no-compress", no_compress, "Ask the writer not to compress");
  exp->add_option("--region", ex.region,
                  "Export only the box x,y,z,dx,dy,dz (voxel start and size); reads only the "
                  "chunks it touches");
  exp->add_option("--slice", ex.slice,
                  "Export one slice, e.g. z=90 (axial), y=100, x=90; also to .png");
  exp->add_option("--frames", ex.frames,
                  "Of a 4D series, export frames FIRST[,COUNT] only (one volume: --frames 5); "
                  "with --region or --slice, that box in those frames");
  exp->add_option("--window", ex.window,
                  "For .png, .jpg, .bmp: draw values MIN,MAX (or auto: the 0.5th to 99.5th "
                  "percentile) as 0..255 (default: exact for u8, and u16 to .png; auto otherwise)");
  exp->add_flag("--json", ex.json, "Print what was written as JSON");

  LsFilter filter;
  CLI::App* ls = app.add_subcommand("ls", "List entries (newest first unless --sort)");
  ls->add_flag("--json", json, kJsonHelp);
  ls->add_option("--type", filter.type,
                 "Only this data type (volume, float64, ...) or volumes of this pixel type (u8, "
                 "f32, i16x3, ...)");
  ls->add_option("--larger-than", filter.larger_than, "Only entries storing more, e.g. 10M");
  ls->add_option("--older-than", filter.older_than, "Only entries created longer ago, e.g. 7d");
  ls->add_option("--op", filter.op, "Only results of this operation");
  ls->add_flag("--pinned", filter.pinned, "Only pinned entries");
  ls->add_flag("--all", filter.all,
               "Also the records voxcache run keeps of files' content keys (run:file-identity)");
  ls->add_option("--sort", filter.sort, "size, created, accessed or ratio (largest first)")
      ->check(CLI::IsMember({"size", "created", "accessed", "ratio"}));

  CLI::App* show = app.add_subcommand("show", "Everything known about one entry");
  show->add_option("key", key_text, "Key or unique prefix (8+ hex digits)")->required();
  show->add_flag("--json", json, kJsonHelp);
  show->add_option("--thumbnail", thumb, "Also write a maximum-intensity projection PNG here");

  CLI::App* stats = app.add_subcommand("stats", "Entries, sizes, hit rate, counters by type");
  stats->add_flag("--json", json, kJsonHelp);
  stats->add_flag("--zero", zero, "Zero the counters");

  CLI::App* verify = app.add_subcommand(
      "verify", "Decompress and checksum every chunk of the given entries (default: all)");
  verify->add_option("keys", keys, "Keys or prefixes");
  verify->add_flag("--repair", repair, "Remove bad entries (they will be recomputed)");
  verify->add_flag("--json", json, kJsonHelp);

  std::string op;
  CLI::App* rm = app.add_subcommand("rm", "Remove entries");
  rm->add_option("keys", keys, "Keys or prefixes");
  rm->add_option("--op", op, "Remove every result of this operation");
  rm->add_flag("--json", json, "Print the removed keys as JSON");

  std::string max_size, max_age;
  uint64_t max_entries = 0;
  CLI::App* gc = app.add_subcommand(
      "gc",
      "Evict least recently used, unpinned entries until the limits hold (default: the limits "
      "stored with config)");
  gc->add_option("--max-size", max_size, "Stored bytes to keep at most, e.g. 10G");
  gc->add_option("--max-age", max_age, "Evict entries unused for longer, e.g. 7d");
  gc->add_option("--max-entries", max_entries, "Entries to keep at most");
  gc->add_flag("--json", json, kJsonHelp);

  CLI::App* clear = app.add_subcommand("clear", "Remove every entry (ccache -C)");
  clear->add_flag("--keep-pinned", keep_pinned, "Keep pinned entries");
  clear->add_flag("--json", json, kJsonHelp);

  std::string setting, setting_value;
  bool unset = false;
  CLI::App* config = app.add_subcommand(
      "config",
      "Show the settings stored in the database, or set one: max-size, max-entries, max-age, "
      "level, codec. Every program that opens the database honours them");
  config->add_option("name", setting, "max-size, max-entries, max-age, level or codec");
  config->add_option("value", setting_value, "e.g. 10G, 1000, 30d, 5, lz4");
  config->add_flag("--unset", unset, "Remove the setting NAME");
  config->add_flag("--json", json, kJsonHelp);

  CLI::App* vacuum = app.add_subcommand(
      "vacuum", "Give freed space back to the file system; checkpoint and truncate the WAL");
  vacuum->add_flag("--json", json, "Print the sizes before and after as JSON");

  int level = -1;
  CLI::App* recompress = app.add_subcommand(
      "recompress",
      "Re-encode entries (default: all) at another codec, zstd level or chunk layout, each in "
      "one transaction");
  recompress->add_option("keys", keys, "Keys or prefixes");
  recompress->add_option("--level", level, "zstd level 0-19 (0: uncompressed); default: keep")
      ->check(CLI::Range(0, 19));
  std::string codec_name;
  recompress
      ->add_option("--codec", codec_name,
                   "zstd (smaller) or lz4 (faster to write and read); default: keep")
      ->check(CLI::IsMember({"zstd", "lz4"}));
  recompress->add_option("--layout", layout,
                         "Chunk layout for volumes: z-slabs, bricks, bricks N or bricks XxYxZ; "
                         "default: keep");
  recompress->add_flag("--json", json, kJsonHelp);

  CLI::App* thumbnail = app.add_subcommand(
      "thumbnail", "Render a maximum-intensity projection (or one slice) as an 8-bit PNG");
  thumbnail->add_option("key", key_text, "Key or unique prefix (8+ hex digits)")->required();
  thumbnail->add_option("file", out_file, "Output PNG")->required();
  thumbnail->add_option("--slice", slice_text, "One slice instead, e.g. z=90");
  thumbnail->add_flag("--json", json, "Print what was written as JSON");

  CLI::App* pin = app.add_subcommand("pin", "Keep entries through eviction");
  pin->add_option("keys", keys, "Keys or prefixes")->required();
  pin->add_flag("--json", json, "Print the pinned keys as JSON");
  CLI::App* unpin = app.add_subcommand("unpin", "Let pinned entries be evicted again");
  unpin->add_option("keys", keys, "Keys or prefixes")->required();
  unpin->add_flag("--json", json, "Print the unpinned keys as JSON");

  CLI::App* remote = app.add_subcommand(
      "remote", "The shared remote tier (--remote URL): stats, push KEY..., pull KEY...");
  remote->require_subcommand(1);
  CLI::App* remote_stats =
      remote->add_subcommand("stats", "The remote's entries, memory, eviction policy and state");
  remote_stats->add_flag("--json", json, kJsonHelp);
  CLI::App* push = remote->add_subcommand("push", "Copy local entries to the remote (seed it)");
  push->add_option("keys", keys, "Keys or prefixes")->required();
  push->add_flag("--json", json, "Print each key and whether it was copied as JSON");
  CLI::App* pull = remote->add_subcommand("pull", "Copy remote entries here (warm this node)");
  pull->add_option("keys", keys, "Full keys, or prefixes of keys known here")->required();
  pull->add_flag("--json", json, "Print each key and whether it was copied as JSON");

  std::string help_for;
  RunArgs run_args;
  CLI::App* run = app.add_subcommand(
      "run",
      "Run a command, or write its outputs from the cache when the same command ran on inputs "
      "of the same content: voxcache run --in IN --out OUT -- COMMAND ARGS... (docs/run.md)");
  run->add_option("--in", run_args.ins,
                  "An input file or directory of the command (repeatable); its content counts, "
                  "not its name");
  run->add_option("--out", run_args.outs,
                  "An output file or directory the command writes (repeatable); moved aside "
                  "before it runs, written back byte for byte on a hit");
  run->add_option(
      "--arg", run_args.args,
      "NAME=VALUE in the key besides the command line (repeatable), e.g. version=6.0.7");
  run->add_option("--env", run_args.envs,
                  "An environment variable the command's result depends on (repeatable), e.g. "
                  "FSLOUTPUTTYPE; its value goes into the key");
  run->add_option("--op", run_args.op, "Operation name in the key (default: the command's name)");
  run->add_option("--version-cmd", run_args.version_cmd,
                  "A shell command whose output (the tool's version) goes into the key; it prints "
                  "nothing");
  run->add_flag("--stdin", run_args.read_stdin,
                "The command reads standard input: read it whole, key on it, feed it to the "
                "command (without it, the command's input is /dev/null)");
  run->add_flag("--no-store", run_args.no_store, "Use a hit, but store nothing on a miss");
  run->add_flag("--refresh", run_args.refresh, "Forget a stored run and run the command again");
  run->add_flag("-v,--verbose", run_args.verbose,
                "Say on stderr whether it was a hit, a miss, or why it was not cached "
                "(also: VOXCACHE_RUN_LOG=1, or =FILE to append JSON lines to FILE)");
  run->add_flag("--json", run_args.json, "Say the same as one JSON line on stderr");
  bool replay_output = false;  // replay is what a hit always does now
  run->add_flag("--replay-output", replay_output)->group("");
  run->footer("Everything after the first -- is the command's, never voxcache's.");
  for (const char* name : {"--in", "--out"}) run->get_option(name)->type_name("PATH");
  run->get_option("--env")->type_name("NAME");
  run->get_option("--arg")->type_name("NAME=VALUE");
  run->get_option("--version-cmd")->type_name("CMD");
  std::vector<std::string> key_files;
  CLI::App* key_cmd = app.add_subcommand(
      "key", "Print the content key of files without storing them (for scripts)");
  key_cmd->add_option("files", key_files, "Files: volumes ITK reads, or any file's bytes")
      ->required();
  key_cmd->add_flag("--json", json, kJsonHelp);

  ServeArgs serve_args;
  CLI::App* serve = app.add_subcommand(
      "serve",
      "Look at the cache in a browser: a read-only web inspector with a 3-plane viewer "
      "(NiiVue) and an HTTP JSON API (docs/serve.md)");
  serve->add_option("--port", serve_args.port, "Port to listen on; 0: any free one (default 8765)")
      ->check(CLI::Range(0, 65535));
  serve->add_option("--bind", serve_args.bind,
                    "Address to listen on (default 127.0.0.1); any other needs --token");
  serve
      ->add_option("--token", serve_args.token,
                   "A secret every request must carry (?token= or Authorization: Bearer); "
                   "default: $VOXCACHE_SERVE_TOKEN, which no process list shows")
      ->envname("VOXCACHE_SERVE_TOKEN");
  serve->add_option("--web-dir", serve_args.web_dir,
                    "Folder holding NiiVue's niivue.umd.js (default: web/ beside the binary, "
                    "then ../share/voxcache/web)");

  // The value's meaning in --help and the manual, where CLI11 would say TEXT.
  const std::vector<std::pair<const char*, const char*>> kValueNames = {
      {"--db", "FILE"},
      {"--remote", "URL"},
      {"--remote-password-file", "FILE"},
      {"--layout", "LAYOUT"},
      {"--region", "X,Y,Z,DX,DY,DZ"},
      {"--slice", "AXIS=INDEX"},
      {"--frames", "FIRST[,COUNT]"},
      {"--window", "auto|MIN,MAX"},
      {"--type", "TYPE"},
      {"--larger-than", "SIZE"},
      {"--older-than", "AGE"},
      {"--op", "NAME"},
      {"--thumbnail", "FILE.png"},
      {"--max-size", "SIZE"},
      {"--max-age", "AGE"},
      {"--max-entries", "N"},
      {"--port", "N"},
      {"--bind", "ADDRESS"},
      {"--token", "SECRET"},
      {"--web-dir", "DIR"},
  };
  std::vector<CLI::App*> all = app.get_subcommands([](CLI::App*) { return true; });
  all.push_back(&app);
  for (CLI::App* c : all) {
    for (const auto& [name, value] : kValueNames) {
      if (CLI::Option* o = c->get_option_no_throw(name)) o->type_name(value);
    }
  }

  CLI::App* help = app.add_subcommand("help", "Show the commands, or one command's options");
  help->add_option("command", help_for, "A command");
  bool roff_commands = false;  // for cmake/make_manpage.cmake
  help->add_flag("--roff", roff_commands, "The manual's OPTIONS and COMMANDS sections, in roff")
      ->group("");

  auto usage = [](const std::string& what) {
    std::cerr << "voxcache: " << what << "\n"
              << "Run 'voxcache help' for the commands, 'voxcache help COMMAND' for one.\n";
    return kExitUsage;
  };
  auto find_command = [&](const std::string& name) -> CLI::App* {
    for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
      if (sub->get_name() == name) return sub;
    }
    return nullptr;
  };
  const std::optional<std::string> word = command_word(argc, argv);
  if (word && !find_command(*word)) return usage("unknown command '" + *word + "'");
  // Everything after run's first -- is the command's: CLI11 never sees it,
  // so no word of it is taken for an option of voxcache.
  if (word == "run") {
    for (int i = 1; i < argc; ++i) {
      if (std::string(argv[i]) != "--") continue;
      run_args.command.assign(argv + i + 1, argv + argc);
      argc = i;
      break;
    }
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::RequiredError& e) {
    if (app.get_subcommands().empty()) return usage("no command given");
    return usage(e.what());
  } catch (const CLI::ParseError& e) {
    return usage(e.what());
  }
  if (*help && roff_commands) {
    std::cout << manual_commands(&app);
    return 0;
  }
  if (*help) {
    // App::help() would describe the selected subcommand, `help` itself.
    CLI::App* about = help_for.empty() ? &app : find_command(help_for);
    if (!about || about == help) return usage("unknown command '" + help_for + "'");
    const std::string name = help_for.empty() ? "voxcache" : "voxcache " + help_for;
    std::cout << about->get_formatter()->make_help(about, name, CLI::AppFormatMode::Normal);
    return 0;
  }
  ex.compress = !no_compress;
  if (*import) return cmd_import(g, files, layout, json);
  if (*import_store) return cmd_import_store(g, store_tool, store_path, dry_run, json);
  if (*exp) return cmd_export(g, ex);
  if (*ls) return cmd_ls(g, filter, json);
  if (*show) return cmd_show(g, key_text, json, thumb);
  if (*stats) return cmd_stats(g, json, zero);
  if (*verify) return cmd_verify(g, keys, repair, json);
  if (*rm) return cmd_rm(g, keys, op, json);
  if (*gc) return cmd_gc(g, max_size, max_age, max_entries, json);
  if (*clear) return cmd_clear(g, keep_pinned, json);
  if (*config) return cmd_config(g, setting, setting_value, unset, json);
  if (*vacuum) return cmd_vacuum(g, json);
  if (*recompress) return cmd_recompress(g, keys, level, layout, codec_name, json);
  if (*thumbnail) return cmd_thumbnail(g, key_text, out_file, slice_text, json);
  if (*remote_stats) return cmd_remote_stats(g, json);
  if (*push) return cmd_remote_copy(g, keys, true, json);
  if (*pull) return cmd_remote_copy(g, keys, false, json);
  if (*run) return cmd_run(g, run_args);
  if (*key_cmd) return cmd_key(key_files, json);
  if (*serve) return cmd_serve(g, serve_args);
  if (*pin) return cmd_pin(g, keys, true, json);
  if (*unpin) return cmd_pin(g, keys, false, json);
  return kExitUsage;
}

}  // namespace
}  // namespace voxcache::cli

int main(int argc, char** argv) { return voxcache::cli::run(argc, argv); }
