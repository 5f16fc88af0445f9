// The `config` table (schema 5): settings every process honours.

#ifndef VOXCACHE_STORE_CONFIG_H_
#define VOXCACHE_STORE_CONFIG_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/sqlite.h"
#include "voxcache/status.h"

namespace voxcache::store {

// Settings stored in the database (table `config`, schema 5): name -> value
// text, as docs/format.md lists them. Empty for an older schema.
Result<std::vector<std::pair<std::string, std::string>>> read_config(Database* db);
// Sets `name` to `value`, or removes it when `value` is nullopt.
Status write_config(Database* db, std::string_view name, const std::optional<std::string>& value);

}  // namespace voxcache::store

#endif  // VOXCACHE_STORE_CONFIG_H_
