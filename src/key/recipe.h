// Reads a KeyBuilder's canonical encoding back, for lineage display.

#ifndef VOXCACHE_KEY_RECIPE_H_
#define VOXCACHE_KEY_RECIPE_H_

#include <string>
#include <string_view>

namespace voxcache::key {

// {"operation": ..., "args": [{"name", "type", "value"}], "inputs": [hex]} as
// JSON text; bytes values appear as hex. Empty for a malformed encoding.
std::string recipe_to_json(std::string_view canonical);

}  // namespace voxcache::key

#endif  // VOXCACHE_KEY_RECIPE_H_
