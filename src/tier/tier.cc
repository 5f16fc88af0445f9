#include "tier/tier.h"

namespace voxcache::tier {

Status copy_entry(EntrySource* from, Tier* to) {
  Result<std::unique_ptr<EntrySink>> sink = to->create(from->entry().id, false);
  if (!sink.ok()) return sink.status();
  if ((*sink)->present()) return Status::OK();
  Result<uint64_t> n = from->stored_chunks();
  if (!n.ok()) return n.status();
  Status s = from->seek(0, *n);
  for (uint64_t i = 0; s.ok() && i < *n; ++i) {
    Result<std::string_view> blob = from->next_chunk();
    s = blob.ok() ? (*sink)->add_chunk(i, *blob) : blob.status();
  }
  return s.ok() ? (*sink)->commit(from->entry()) : s;
}

Status CopyingSource::seek(uint64_t first, uint64_t end) {
  if (first != next_) copying_ = false;  // not the whole entry in order: copy nothing
  return from_->seek(first, end);
}

Result<std::string_view> CopyingSource::next_chunk() {
  Result<std::string_view> blob = from_->next_chunk();
  if (!blob.ok() || !copying_) return blob;
  if (blob->empty()) return blob;
  if (!to_->add_chunk(next_, *blob).ok()) copying_ = false;
  ++next_;
  return blob;
}

Status CopyingSource::finish() {
  if (!copying_) return Status::InvalidArgument("the read did not pass every chunk in order");
  Result<uint64_t> n = from_->stored_chunks();
  if (!n.ok()) return n.status();
  if (*n != next_) return Status::InvalidArgument("the read did not pass every chunk");
  copying_ = false;
  return to_->commit(from_->entry());
}

}  // namespace voxcache::tier
