// The OPTIONS and COMMANDS sections of voxcache(1), in roff, made from the command line's
// own definitions (CLI11's App and Option objects), so the manual cannot
// drift from --help. cmake/make_manpage.cmake puts it into the hand-written
// rest of the page, packaging/voxcache.1.in.

#ifndef VOXCACHE_CLI_MANUAL_H_
#define VOXCACHE_CLI_MANUAL_H_

#include <string>

namespace CLI {
class App;
}

namespace voxcache::cli {

// The OPTIONS section (the global options), then COMMANDS: a .SS subsection
// per command (and per subcommand of `remote`) with its synopsis, its
// description, and a .TP paragraph per option. Hidden options and the
// `help` command are left out.
std::string manual_commands(CLI::App* app);

}  // namespace voxcache::cli

#endif  // VOXCACHE_CLI_MANUAL_H_
