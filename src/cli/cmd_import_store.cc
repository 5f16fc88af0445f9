// import-store: copies another tool's results store into the database.
//
// The readers live in the Python package (voxcache.integrations.import_store):
// a VoxLogicA-2 legacy store holds pickles, and the standard library's
// unpickler, closed to all but a few checked globals, is the one to decode
// them with (docs/python.md, "Switching VoxLogicA-2"). This command resolves
// the database as every command does and hands over to it.

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.h"

namespace voxcache::cli {

int cmd_import_store(const Globals& g, const std::string& tool, const std::string& path,
                     bool dry_run, bool json) {
  if (g.read_only && !dry_run) {
    return usage_error(
        Status::InvalidArgument("import-store writes; --read-only allows --dry-run"));
  }
  const std::string db = db_path(g);
  if (db.empty()) {
    return fail(Status::IOError("no database path: give --db, or set $VOXCACHE_DIR or $HOME"));
  }
  const char* env = std::getenv("VOXCACHE_PYTHON");
  const std::string python = env != nullptr && *env != '\0' ? env : "python3";
  // A missing package is told apart from the importer's own errors (exit 1).
  static const char kBootstrap[] =
      "import sys\n"
      "try:\n"
      "    from voxcache.integrations import import_store\n"
      "except ImportError as e:\n"
      "    sys.exit(f'voxcache: import-store needs the voxcache Python package ({e})')\n"
      "sys.exit(import_store.main(sys.argv[1:]))\n";
  std::vector<std::string> args = {python, "-c", kBootstrap, tool, path, "--db", db};
  if (dry_run) args.emplace_back("--dry-run");
  if (json) args.emplace_back("--json");
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::cout.flush();
  execvp(argv[0], argv.data());
  std::cerr << "voxcache: import-store runs the voxcache Python package with " << python
            << " ($VOXCACHE_PYTHON): " << std::strerror(errno) << "\n";
  return kExitFailure;
}

}  // namespace voxcache::cli
