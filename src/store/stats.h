// What the database holds and how it was used: the `totals` row the
// triggers keep, per-type totals, and the `counters` table.

#ifndef VOXCACHE_STORE_STATS_H_
#define VOXCACHE_STORE_STATS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "store/sqlite.h"
#include "voxcache/status.h"

namespace voxcache::store {

struct TypeTotals {
  std::string data_type;
  int64_t entries = 0, stored_bytes = 0, raw_bytes = 0;
};
Result<std::vector<TypeTotals>> totals_by_type(Database* db);

// Running totals kept by triggers: entries, stored and raw bytes.
struct Totals {
  int64_t entries = 0, stored_bytes = 0, raw_bytes = 0;
};
Result<Totals> totals(Database* db);

// Adds `delta` to counter `name` for `data_type` ("" for all types).
Status add_counter(Database* db, std::string_view name, std::string_view data_type, int64_t delta);
struct Counter {
  std::string name, data_type;
  int64_t value = 0;
};
Result<std::vector<Counter>> counters(Database* db);
Status zero_counters(Database* db);

}  // namespace voxcache::store

#endif  // VOXCACHE_STORE_STATS_H_
