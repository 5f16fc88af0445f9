#include "cache/streams.h"

#include <utility>

namespace voxcache {

VolumeWriter::~VolumeWriter() = default;
VolumeReader::~VolumeReader() = default;

namespace cache {

StreamWriter::StreamWriter(std::unique_ptr<EntryWriter> w, util::ThreadPool* pool,
                           std::function<Status(uint64_t)> committed)
    : w_(std::move(w)), committed_(std::move(committed)) {
  if (w_->plan().bricked()) bricks_ = std::make_unique<BrickWriter>(w_.get(), pool);
  mask_ = w_->volume() && w_->volume()->pixel_type == PixelType::kBool;
}

Status StreamWriter::write(const void* data, uint64_t bytes) {
  if (!w_) return Status::InvalidArgument("entry is committed already");
  const auto* p = static_cast<const uint8_t*>(data);
  if (mask_) {
    Status s = codec::check_bool_voxels(p, bytes, written_);
    if (!s.ok()) return s;
  }
  written_ += bytes;
  return bricks_ ? bricks_->append(p, bytes) : w_->append(p, bytes);
}

Status StreamWriter::commit() {
  if (!w_) return Status::OK();
  Status s = bricks_ ? bricks_->commit() : w_->commit();
  if (!s.ok() || w_->present() || !committed_) return s;
  const uint64_t stored = w_->stored_bytes();
  bricks_.reset();
  w_.reset();                 // end the write before the callback's own work
  if (stored == 0) return s;  // another writer stored the entry first
  return std::exchange(committed_, nullptr)(stored);
}

Result<std::unique_ptr<StreamReader>> StreamReader::Open(std::unique_ptr<EntryReader> r,
                                                         VolumeLayout layout) {
  // A stream reads the whole entry: its chunk count first.
  Status s = r->check_chunk_count();
  if (!s.ok()) return s;
  // Bricks start a row at a time, in next().
  s = r->header().bricked() ? Status::OK() : r->start(0, r->header().chunk_count, nullptr);
  if (!s.ok()) return s;
  return std::unique_ptr<StreamReader>(new StreamReader(std::move(r), layout));
}

Result<VolumeReader::Slab> StreamReader::next() {
  const codec::EntryHeader& h = r_->header();
  if (!h.bricked()) {
    Result<EntryReader::Batch> b = r_->next();
    if (!b.ok()) return b.status().with_context("entry " + r_->entry().id);
    return Slab{b->first_chunk * h.chunk_bytes, b->bytes, b->data};
  }
  const codec::BrickGrid& g = h.grid();
  if (row_ >= g.bricks()[2]) return Slab{h.payload_bytes, 0, nullptr};
  const uint64_t slice = g.size()[0] * g.size()[1] * g.voxel_bytes();
  codec::Box3 start, size;
  g.row_box(row_, &start, &size);
  const uint64_t z0 = start[2], bytes = slice * size[2];
  slab_.resize(bytes);
  Status s = start_brick_row(r_.get(), row_, reinterpret_cast<uint8_t*>(slab_.data()));
  for (;;) {
    if (!s.ok()) return s.with_context("entry " + r_->entry().id);
    Result<EntryReader::Batch> b = r_->next();
    if (!b.ok()) return b.status().with_context("entry " + r_->entry().id);
    if (b->chunks == 0) break;
  }
  ++row_;
  return Slab{z0 * slice, bytes, reinterpret_cast<const uint8_t*>(slab_.data())};
}

}  // namespace cache
}  // namespace voxcache
