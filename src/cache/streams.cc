#include "cache/streams.h"

#include <utility>

namespace voxcache {

VolumeWriter::~VolumeWriter() = default;
VolumeReader::~VolumeReader() = default;

namespace cache {

Status StreamWriter::write(const void* data, uint64_t bytes) {
  if (!w_) return Status::InvalidArgument("entry is committed already");
  return w_->append(static_cast<const uint8_t*>(data), bytes);
}

Status StreamWriter::commit() {
  if (!w_) return Status::OK();
  Status s = w_->commit();
  if (!s.ok() || w_->present() || !committed_) return s;
  const uint64_t stored = w_->stored_bytes();
  w_.reset();                 // end the write before the callback's own work
  if (stored == 0) return s;  // another writer stored the entry first
  return std::exchange(committed_, nullptr)(stored);
}

Result<VolumeReader::Slab> StreamReader::next() {
  Result<EntryReader::Batch> b = r_->next();
  if (!b.ok()) return b.status().with_context("entry " + r_->row().operation_id);
  return Slab{b->first_chunk * r_->header().chunk_bytes, b->bytes, b->data};
}

}  // namespace cache
}  // namespace voxcache
