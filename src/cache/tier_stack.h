// TierStack: the storage tiers below the in-memory one, fastest first: the
// local database, then any tiers below it (the remote). Reads walk it from
// the top; an entry a lower tier serves is checked like any other and copied
// into the local tier in the same transfer. A lower tier's I/O errors read
// as misses, so a remote that is down, slow or full never fails a read of
// the local cache (its own counters record them). Thread-safe.

#ifndef VOXCACHE_CACHE_TIER_STACK_H_
#define VOXCACHE_CACHE_TIER_STACK_H_

#include <memory>
#include <string>
#include <vector>

#include "cache/pipeline.h"
#include "tier/local_tier.h"
#include "tier/tier.h"

namespace voxcache::cache {

class TierStack {
 public:
  // `verify_local`: check checksums of local reads (Options::verify_checksums);
  // lower tiers are always checked.
  TierStack(tier::LocalTier* local, const Pipeline* pipeline, bool verify_local)
      : local_(local), pipeline_(pipeline), verify_local_(verify_local), tiers_{local} {}

  void add_below(tier::Tier* t) { tiers_.push_back(t); }
  bool has_lower_tiers() const { return tiers_.size() > 1; }

  // A whole value and where it came from.
  struct Read {
    Value value;
    size_t tier = 0;  // 0: local
    std::string data_type;
    uint64_t stored_bytes = 0, payload_bytes = 0;
    // The entry's last access as its tier records it; 0 when unknown or below.
    int64_t last_access_ms = 0;
  };
  // NotFound when no tier has it (or lower tiers failed). With `copy_up`, an
  // entry read from a lower tier is kept in the local tier.
  Result<Read> read(const std::string& id, bool copy_up);

  // The same from tier `i` only (0: local; tiers() - 1: the lowest), its
  // errors reported as they are rather than read as misses.
  Result<Read> read_tier(size_t i, const std::string& id, bool copy_up);
  size_t tiers() const { return tiers_.size(); }

  // A reader of the first tier that has the entry, for partial reads.
  Result<std::unique_ptr<EntryReader>> reader(const std::string& id);

  Result<bool> contains(const std::string& id);
  // Removes the key from every tier that will; whether any had it.
  Result<bool> erase(const std::string& id);

 private:
  Result<std::unique_ptr<EntryReader>> open(size_t i, const std::string& id,
                                            tier::CopyingSource** copier);
  // A lower tier's failure that reads as a miss.
  bool is_miss(size_t i, const Status& s) const {
    return s.is_not_found() || (i > 0 && !s.is_corruption() && !s.is_not_supported());
  }

  tier::LocalTier* const local_;
  const Pipeline* const pipeline_;
  const bool verify_local_;
  std::vector<tier::Tier*> tiers_;
};

}  // namespace voxcache::cache

#endif  // VOXCACHE_CACHE_TIER_STACK_H_
