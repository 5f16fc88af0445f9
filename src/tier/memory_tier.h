// The in-memory tier: decoded values, least recently used out first, within a
// byte budget. Values are shared, never copied: a Value holds its volume
// through std::shared_ptr<const Volume>, read-only for every holder. A volume
// a caller handed in is kept only when no one outside can write its voxels
// (put_computed). Thread-safe.

#ifndef VOXCACHE_TIER_MEMORY_TIER_H_
#define VOXCACHE_TIER_MEMORY_TIER_H_

#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <unordered_map>
#include <utility>

#include "voxcache/key.h"
#include "voxcache/value.h"

namespace voxcache::tier {

class MemoryTier {
 public:
  explicit MemoryTier(uint64_t budget_bytes) : budget_(budget_bytes) {}

  // The value, now the most recently used; nullopt when absent.
  std::optional<Value> get(const OperationKey& key);
  // Keeps `value`, which costs `bytes`, evicting the least recently used
  // values until it fits. A value larger than the whole budget is not kept.
  // For values the cache made itself (decoded from a tier below): no one
  // else holds their voxels.
  // `read_at`, when given, is generation() before the value was read: it is
  // not kept when the tier was cleared since (it may be what was replaced).
  void put(const OperationKey& key, const Value& value, uint64_t bytes,
           std::optional<uint64_t> read_at = std::nullopt);
  // The same for a value a caller made (a computed result), which the caller
  // may go on holding. Its volume is shared only when this Value is the sole
  // holder of a buffer the Volume allocated itself; otherwise a private copy
  // is kept (or nothing, when the copy cannot be allocated), so that a caller
  // writing into its own NumPy array or itk::Image afterwards changes nothing
  // a later get returns.
  void put_computed(const OperationKey& key, const Value& value, uint64_t bytes,
                    std::optional<uint64_t> read_at = std::nullopt);
  void erase(const OperationKey& key);
  // Drops every value: another handle replaced or erased an entry
  // (store/replacements.h). Each clear starts a new generation.
  void clear();
  uint64_t generation() const;

  uint64_t bytes() const;
  uint64_t entries() const;

  // What `value` costs the tier, when that is known without encoding it;
  // nullopt for custom values, lists and tuples, which are kept only once read
  // back from disk.
  static std::optional<uint64_t> cost_of(const Value& value);

 private:
  struct Item {
    OperationKey key;
    Value value;
    uint64_t bytes;
  };
  const uint64_t budget_;
  mutable std::mutex mu_;
  std::list<Item> lru_;  // front: most recently used
  uint64_t generation_ = 0;
  std::unordered_map<OperationKey, std::list<Item>::iterator> index_;
  uint64_t bytes_ = 0;
};

}  // namespace voxcache::tier

#endif  // VOXCACHE_TIER_MEMORY_TIER_H_
