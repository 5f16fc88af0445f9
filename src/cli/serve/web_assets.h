// The inspector's own pages (web/ in the source tree), compiled into the
// binary by cmake/embed_web.cmake so that serve needs no files of its own.

#ifndef VOXCACHE_CLI_SERVE_WEB_ASSETS_H_
#define VOXCACHE_CLI_SERVE_WEB_ASSETS_H_

#include <cstddef>
#include <string>

namespace voxcache::cli::serve {

struct WebAsset {
  const char* name;  // file name in web/: "index.html", "entry.js"
  const char* type;  // Content-Type
  const unsigned char* data;
  size_t size;
};

// nullptr for a name that is not one of web/'s files.
const WebAsset* find_web_asset(const std::string& name);

}  // namespace voxcache::cli::serve

#endif  // VOXCACHE_CLI_SERVE_WEB_ASSETS_H_
