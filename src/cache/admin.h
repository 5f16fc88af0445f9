// Admin: what the Cache does for people looking after it rather than for a
// pipeline: entry info with lineage, listing, key prefixes, pinning, stored
// statistics, verify, recompress and vacuum. All of it concerns the local
// database.

#ifndef VOXCACHE_CACHE_ADMIN_H_
#define VOXCACHE_CACHE_ADMIN_H_

#include <string>
#include <string_view>
#include <vector>

#include "cache/pipeline.h"
#include "store/catalog.h"
#include "tier/local_tier.h"
#include "voxcache/records.h"

namespace voxcache::cache {

// The EntryInfo of a row, without lineage.
// `keep_bad`: an entry whose header does not decode is an EntryInfo with
// `problem` set (for list()), else Corruption.
Result<EntryInfo> info_from_row(const store::EntryRow& row, bool keep_bad);

// The database's stored configuration (table `config`).
Result<StoredConfig> read_stored_config(store::Catalog* catalog);

class Admin {
 public:
  Admin(tier::LocalTier* local, const Pipeline* pipeline)
      : local_(local), catalog_(local->catalog()), pipeline_(pipeline) {}

  // NotFound on a miss.
  Result<EntryInfo> info(const std::string& id);
  Result<std::vector<EntryInfo>> list();
  Result<OperationKey> resolve_prefix(std::string_view hex_prefix);
  Status pin(const std::string& id, bool pinned);
  Result<StoredStats> stored_stats();
  Status zero_counters();
  Status verify(const std::string& id);
  // `level` -1 keeps the entry's; `layout` unset keeps its chunk layout.
  Result<RecompressReport> recompress(const std::string& id, int level,
                                      const std::optional<ChunkLayout>& layout);
  Status vacuum();
  Status set_stored_config(const StoredConfig& config);

 private:
  tier::LocalTier* const local_;
  store::Catalog* const catalog_;
  const Pipeline* const pipeline_;
};

}  // namespace voxcache::cache

#endif  // VOXCACHE_CACHE_ADMIN_H_
