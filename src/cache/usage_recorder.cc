#include "cache/usage_recorder.h"

#include <algorithm>

#include "store/entry_store.h"
#include "store/stats.h"

namespace voxcache::cache {

UsageRecorder::UsageRecorder(store::Catalog* catalog, bool record_reads)
    : catalog_(catalog),
      enabled_(!catalog->read_only()),
      record_reads_(record_reads),
      last_flush_(catalog->env()->steady_now()) {}

void UsageRecorder::count(const std::string& name, const std::string& data_type, int64_t delta) {
  if (!enabled_) return;
  std::lock_guard<std::mutex> lock(mu_);
  pending_counters_[{name, ""}] += delta;
  if (!data_type.empty()) pending_counters_[{name, data_type}] += delta;
}

void UsageRecorder::note_access(const OperationKey& key, const std::string& data_type,
                                const char* hit, int64_t bytes_read, int64_t recorded_ms) {
  if (!enabled_ || !record_reads_) return;
  count(hit, data_type, 1);
  if (bytes_read) count("bytes_read", data_type, bytes_read);
  const int64_t now = catalog_->env()->now_ms();
  std::lock_guard<std::mutex> lock(mu_);
  auto [it, fresh] = pending_access_.try_emplace(key);
  Pending& p = it->second;
  const bool was_due = !fresh && p.due();
  if (fresh) p.recorded_ms = recorded_ms;
  p.at_ms = std::max(p.at_ms, now);
  ++p.count;
  if (!was_due && p.due()) ++due_;
}

void UsageRecorder::note_put(const std::string& data_type, uint64_t stored_bytes) {
  count("puts", data_type, 1);
  count("bytes_written", data_type, static_cast<int64_t>(stored_bytes));
}

void UsageRecorder::maybe_flush() {
  bool all = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    all = pending_access_.size() >= kMaxPendingKeys;
    const bool late = catalog_->env()->steady_now() - last_flush_ >= kMaxDelay &&
                      (due_ > 0 || !pending_counters_.empty());
    if (!all && due_ < kMaxDueEntries && !late) return;
  }
  flush_pending(all);
}

void UsageRecorder::flush() { flush_pending(/*all=*/true); }

void UsageRecorder::flush_pending(bool all) {
  if (!enabled_) return;
  Accesses access;
  Counters counters;
  {
    std::lock_guard<std::mutex> lock(mu_);
    last_flush_ = catalog_->env()->steady_now();
    if (all) {
      access.swap(pending_access_);
    } else {
      for (auto it = pending_access_.begin(); it != pending_access_.end();) {
        if (it->second.due()) {
          access.insert(*it);
          it = pending_access_.erase(it);
        } else {
          ++it;
        }
      }
    }
    due_ = 0;
    for (const auto& [k, p] : pending_access_) due_ += p.due();
    counters.swap(pending_counters_);
    if (access.empty() && counters.empty()) return;
  }
  if (write(access, counters).ok()) return;
  std::lock_guard<std::mutex> lock(mu_);  // keep them for the next flush
  for (const auto& [k, p] : access) {
    auto [it, fresh] = pending_access_.try_emplace(k, p);
    Pending& q = it->second;
    if (!fresh) {
      if (q.due()) --due_;
      q.at_ms = std::max(q.at_ms, p.at_ms);
      q.count += p.count;
      q.recorded_ms = p.recorded_ms;
    }
    if (q.due()) ++due_;
  }
  for (const auto& [k, v] : counters) pending_counters_[k] += v;
}

void UsageRecorder::forget_counters() {
  std::lock_guard<std::mutex> lock(mu_);
  pending_counters_.clear();
}

Status UsageRecorder::write(const Accesses& access, const Counters& counters) {
  return catalog_->write("usage", [&](store::Database* db) {
    for (const auto& [k, p] : access) {
      Status s = store::touch(db, k.hex(), p.at_ms, p.count);
      if (!s.ok()) return s;
    }
    for (const auto& [k, v] : counters) {
      Status s = store::add_counter(db, k.first, k.second, v);
      if (!s.ok()) return s;
    }
    return Status::OK();
  });
}

}  // namespace voxcache::cache
