// LocalTier: the Tier over the local SQLite database (store::Catalog).
// A source holds a read transaction for its life, so an entry's row and every
// chunk come from one snapshot even while another connection erases it; a
// sink holds the write transaction from create() to commit().

#ifndef VOXCACHE_TIER_LOCAL_TIER_H_
#define VOXCACHE_TIER_LOCAL_TIER_H_

#include "store/catalog.h"
#include "tier/tier.h"

namespace voxcache::tier {

// What a local sink does with an entry already under its key: nothing is
// written (kNew), or it is replaced by the same value re-encoded
// (kSameValue: recompress) or by another value (kNewValue, counted in
// totals.replaced: store/replacements.h).
enum class SinkMode { kNew, kSameValue, kNewValue };

class LocalTier final : public Tier {
 public:
  explicit LocalTier(store::Catalog* catalog) : catalog_(catalog) {}

  const char* name() const override { return "local"; }
  // The entry comes without its lineage (entry().inputs): a get needs none, and
  // it costs a query.
  Result<std::unique_ptr<EntrySource>> open(std::string_view id) override;
  // The same with entry().inputs filled, for copies that must keep lineage
  // (a push to another tier, a rewrite).
  Result<std::unique_ptr<EntrySource>> open_with_lineage(std::string_view id);
  Result<std::unique_ptr<EntrySink>> create(std::string_view id, bool replace) override;
  // The same without looking for the key first: for a payload cheaper to
  // encode than a lookup costs, the check under the write lock suffices.
  Result<std::unique_ptr<EntrySink>> create_unchecked(std::string_view id);
  // A sink that replaces the entry under `id`, if any, with another value
  // (PutOptions::replace): the swap is one transaction, and counted in
  // totals.replaced so that other handles' memory tiers drop the old value
  // (store/replacements.h). create(id, true) is for the same value again.
  Result<std::unique_ptr<EntrySink>> create_replacement(std::string_view id);
  Result<bool> contains(std::string_view id) override;
  Result<bool> erase(std::string_view id) override;
  Result<std::vector<Entry>> list(std::string_view prefix, int limit) override;

  store::Catalog* catalog() const { return catalog_; }

 private:
  Result<std::unique_ptr<EntrySource>> open_entry(std::string_view id, bool lineage);
  Result<std::unique_ptr<EntrySink>> create_sink(std::string_view id, SinkMode mode, bool check);

  store::Catalog* catalog_;
};

}  // namespace voxcache::tier

#endif  // VOXCACHE_TIER_LOCAL_TIER_H_
