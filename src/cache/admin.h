// AdminImpl: the Cache's admin() handle, and the entry info with lineage that
// Cache::info returns.

#ifndef VOXCACHE_CACHE_ADMIN_H_
#define VOXCACHE_CACHE_ADMIN_H_

#include <string>
#include <string_view>
#include <vector>

#include "cache/pipeline.h"
#include "store/catalog.h"
#include "tier/local_tier.h"
#include "voxcache/admin.h"
#include "voxcache/records.h"

namespace voxcache::cache {

// The EntryInfo of a row, without lineage.
// `keep_bad`: an entry whose header does not decode is an EntryInfo with
// `problem` set (for list()), else Corruption.
Result<EntryInfo> info_from_row(const store::EntryRow& row, bool keep_bad);

// The database's stored configuration (table `config`).
Result<StoredConfig> read_stored_config(store::Catalog* catalog);

class LimitKeeper;
class Remote;
class TierStack;
class UsageRecorder;

// The Cache's admin() handle (voxcache/admin.h), over the units that own
// each record: the local tier and its catalog, the chunk pipeline, the
// limits, the usage recorder, and the remote when there is one.
class AdminImpl final : public Admin {
 public:
  struct Parts {
    tier::LocalTier* local;
    const Pipeline* pipeline;
    LimitKeeper* limits;
    UsageRecorder* usage;
    TierStack* stack;  // pull reads the remote through it
  };
  explicit AdminImpl(const Parts& parts)
      : local_(parts.local),
        catalog_(parts.local->catalog()),
        pipeline_(parts.pipeline),
        limits_(parts.limits),
        usage_(parts.usage),
        stack_(parts.stack) {}

  // Set once the remote is connected (after construction); null: none.
  void attach_remote(Remote* remote) { remote_ = remote; }

  // Cache::info: the entry with its lineage; NotFound on a miss.
  Result<EntryInfo> info(const std::string& id);

  Status pin(const OperationKey& key) override { return set_pinned(key.hex(), true); }
  Status unpin(const OperationKey& key) override { return set_pinned(key.hex(), false); }
  Result<GcReport> gc(const Limits& limits) override;
  Result<GcReport> clear(bool keep_pinned) override;
  Status verify(const OperationKey& key) override;
  Result<RecompressReport> recompress(const OperationKey& key,
                                      const RecompressOptions& options) override;
  Status vacuum() override;
  Result<std::vector<EntryInfo>> list() override;
  Result<OperationKey> resolve_prefix(std::string_view hex_prefix) override;
  Result<StoredConfig> stored_config() override { return read_stored_config(catalog_); }
  Status set_stored_config(const StoredConfig& config) override;
  Result<StoredStats> stored_stats() override;
  Status zero_stats() override;
  Status push(const OperationKey& key) override;
  Status pull(const OperationKey& key) override;
  Result<RemoteStats> remote_stats() override;

 private:
  Status set_pinned(const std::string& id, bool pinned);

  tier::LocalTier* const local_;
  store::Catalog* const catalog_;
  const Pipeline* const pipeline_;
  LimitKeeper* const limits_;
  UsageRecorder* const usage_;
  TierStack* const stack_;  // pull reads the remote through it
  Remote* remote_ = nullptr;
};

}  // namespace voxcache::cache

#endif  // VOXCACHE_CACHE_ADMIN_H_
