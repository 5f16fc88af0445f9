#include "cache/tier_stack.h"

#include <algorithm>

namespace voxcache::cache {

Result<std::unique_ptr<EntryReader>> TierStack::open(size_t i, const std::string& id,
                                                     tier::CopyingSource** copier) {
  Result<std::unique_ptr<tier::EntrySource>> source = tiers_[i]->open(id);
  if (!source.ok()) {
    return source.status().is_not_found() ? source.status()
                                          : source.status().with_context("entry " + id);
  }
  if (copier) {
    // The local write lock is held while the entry arrives: the copy and
    // the read are one transfer, and the copy commits only if the reader
    // checked every chunk.
    Result<std::unique_ptr<tier::EntrySink>> sink = local_->create(id, false);
    if (sink.ok() && !(*sink)->present()) {
      auto c =
          std::make_unique<tier::CopyingSource>(std::move(source).value(), std::move(sink).value());
      *copier = c.get();
      source = std::unique_ptr<tier::EntrySource>(std::move(c));
    }
  }
  Result<std::unique_ptr<EntryReader>> r =
      pipeline_->reader(std::move(source).value(), i > 0 || verify_local_);
  if (!r.ok()) return r.status().with_context("entry " + id);
  // A shared tier below is written by every node: an entry there must say
  // which key it was written for (format 3). One of an older format could
  // be another key's manifest copied onto this one, so it is a miss, and
  // this node computes and stores a bound one.
  if (i > 0 && !(*r)->header().key) {
    return Status::NotFound("entry " + id + " in a lower tier is of format version 1 or 2, " +
                            "not bound to its key: ignored");
  }
  return r;
}

Result<TierStack::Read> TierStack::read(const std::string& id, bool copy_up) {
  for (size_t i = 0; i < tiers_.size(); ++i) {
    Result<Read> r = read_tier(i, id, copy_up);
    if (!r.ok() && is_miss(i, r.status())) continue;  // e.g. a chunk evicted mid-read
    return r;
  }
  return Status::NotFound("no entry " + id);
}

Result<TierStack::Read> TierStack::read_tier(size_t i, const std::string& id, bool copy_up) {
  tier::CopyingSource* copier = nullptr;
  Result<std::unique_ptr<EntryReader>> r = open(i, id, i > 0 && copy_up ? &copier : nullptr);
  if (!r.ok()) return r.status();
  Result<Value> v = pipeline_->read_value(r->get());
  if (!v.ok()) return v.status().with_context("entry " + id);
  if (copier) (void)copier->finish();  // best effort: the next get asks below again
  const tier::Entry& row = (*r)->entry();
  const int64_t last_access = i == 0 ? std::max(row.last_access_ms, row.created_at_ms) : 0;
  return Read{std::move(v).value(),
              i,
              row.data_type,
              static_cast<uint64_t>(row.size_bytes),
              (*r)->header().payload_bytes,
              last_access};
}

Result<std::unique_ptr<EntryReader>> TierStack::reader(const std::string& id) {
  for (size_t i = 0; i < tiers_.size(); ++i) {
    Result<std::unique_ptr<EntryReader>> r = open(i, id, nullptr);
    if (r.ok() || !is_miss(i, r.status())) return r;
  }
  return Status::NotFound("no entry " + id);
}

Result<bool> TierStack::contains(const std::string& id) {
  for (size_t i = 0; i < tiers_.size(); ++i) {
    Result<bool> has = tiers_[i]->contains(id);
    if (has.ok() && *has) return true;
    if (!has.ok() && !is_miss(i, has.status())) return has;
  }
  return false;
}

Result<bool> TierStack::erase(const std::string& id) {
  bool any = false;
  for (size_t i = 0; i < tiers_.size(); ++i) {
    Result<bool> gone = tiers_[i]->erase(id);
    if (!gone.ok() && !is_miss(i, gone.status())) return gone.status();
    any |= gone.ok() && *gone;
  }
  return any;
}

}  // namespace voxcache::cache
