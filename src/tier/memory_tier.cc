#include "tier/memory_tier.h"

namespace voxcache::tier {

std::optional<Value> MemoryTier::get(const OperationKey& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = index_.find(key);
  if (it == index_.end()) return std::nullopt;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->value;
}

void MemoryTier::put(const OperationKey& key, const Value& value, uint64_t bytes,
                     std::optional<uint64_t> read_at) {
  if (bytes > budget_) return;
  std::lock_guard<std::mutex> lock(mu_);
  if (read_at && *read_at != generation_) return;
  auto it = index_.find(key);
  if (it != index_.end()) {  // entries are immutable: just refresh its place
    lru_.splice(lru_.begin(), lru_, it->second);
    return;
  }
  while (bytes_ + bytes > budget_ && !lru_.empty()) {
    bytes_ -= lru_.back().bytes;
    index_.erase(lru_.back().key);
    lru_.pop_back();
  }
  lru_.push_front(Item{key, value, bytes});
  index_[key] = lru_.begin();
  bytes_ += bytes;
}

void MemoryTier::put_computed(const OperationKey& key, const Value& value, uint64_t bytes,
                              std::optional<uint64_t> read_at) {
  if (bytes > budget_) return;
  std::shared_ptr<const Volume> volume = value.shared_volume();
  // Two holders: `value` and `volume` here. A third could be anyone's.
  if (!volume || (volume.use_count() == 2 && volume->owns_buffer())) {
    return put(key, value, bytes, read_at);
  }
  Result<Volume> own = Volume::Copy(volume->layout(), volume->data(), volume->byte_size());
  if (own.ok()) put(key, Value(std::move(own).value()), bytes, read_at);
}

void MemoryTier::clear() {
  std::lock_guard<std::mutex> lock(mu_);
  index_.clear();
  lru_.clear();
  bytes_ = 0;
  ++generation_;
}

uint64_t MemoryTier::generation() const {
  std::lock_guard<std::mutex> lock(mu_);
  return generation_;
}

void MemoryTier::erase(const OperationKey& key) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = index_.find(key);
  if (it == index_.end()) return;
  bytes_ -= it->second->bytes;
  lru_.erase(it->second);
  index_.erase(it);
}

uint64_t MemoryTier::bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return bytes_;
}

uint64_t MemoryTier::entries() const {
  std::lock_guard<std::mutex> lock(mu_);
  return lru_.size();
}

std::optional<uint64_t> MemoryTier::cost_of(const Value& v) {
  if (const Volume* vol = v.as_volume()) return vol->byte_size();
  if (const std::string* s = v.as_string()) return s->size();
  // A computed list may hold volumes that view a caller's buffer, which
  // put_computed copies only at the top: such values too are kept once read
  // back (as owned, decoded items).
  if (v.kind() == Value::Kind::kCustom || v.items()) return std::nullopt;
  return sizeof(Value);
}

}  // namespace voxcache::tier
