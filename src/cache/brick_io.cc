#include "cache/brick_io.h"

#include <algorithm>

namespace voxcache::cache {

using codec::Box3;

BrickWriter::BrickWriter(EntryWriter* w, util::ThreadPool* pool)
    : w_(w),
      pool_(pool),
      grid_(w->plan().grid()),
      slice_bytes_(grid_.size()[0] * grid_.size()[1] * grid_.voxel_bytes()) {}

uint64_t BrickWriter::row_bytes(uint64_t row) const {
  Box3 start, size;
  grid_.row_box(row, &start, &size);
  return slice_bytes_ * size[2];
}

std::vector<std::string> BrickWriter::samples(const codec::BrickGrid& grid, const uint8_t* slices,
                                              uint64_t z0, uint64_t nz) {
  const Box3 n = grid.size(), shape{grid.shape()[0], grid.shape()[1], grid.shape()[2]};
  const Box3 from{0, 0, z0}, size{n[0], n[1], nz};
  std::vector<std::string> out;
  std::vector<uint64_t> taken;
  // Points as fractions (in quarters) of the buffer's box.
  for (const Box3& q : {Box3{2, 2, 1}, Box3{2, 2, 3}, Box3{1, 3, 2}, Box3{3, 1, 2}}) {
    Box3 at;
    for (int a = 0; a < 3; ++a) at[a] = (from[a] + size[a] * q[a] / 4) / shape[a];
    const uint64_t i = (at[2] * grid.bricks()[1] + at[1]) * grid.bricks()[0] + at[0];
    Box3 start, bsize;
    grid.box(i, &start, &bsize);
    // Only bricks that lie wholly in the buffer, each once.
    if (start[2] < z0 || start[2] + bsize[2] > z0 + nz) continue;
    if (std::find(taken.begin(), taken.end(), i) != taken.end()) continue;
    taken.push_back(i);
    std::string& s = out.emplace_back(grid.brick_bytes(i), '\0');
    codec::copy_box({slices, from, size}, reinterpret_cast<uint8_t*>(s.data()), start, bsize, start,
                    bsize, grid.voxel_bytes());
  }
  return out;
}

Status BrickWriter::emit(const uint8_t* slices) {
  Box3 rs, rz;
  grid_.row_box(row_, &rs, &rz);
  // A stream's rows decide the filter from their central bricks until one
  // says something (EntryWriter::choose_filter).
  if (!w_->decided()) {
    const std::vector<std::string> s = samples(grid_, slices, rs[2], rz[2]);
    w_->choose_filter({s.begin(), s.end()});
  }
  const uint64_t first = row_ * grid_.row_count();
  std::vector<uint64_t> offsets{0};
  for (uint64_t k = 0; k < grid_.row_count(); ++k) {
    offsets.push_back(offsets.back() + grid_.brick_bytes(first + k));
  }
  gathered_.resize(offsets.back());
  uint8_t* out = reinterpret_cast<uint8_t*>(gathered_.data());
  pool_->parallel_for(grid_.row_count(), [&](size_t k) {
    Box3 start, size;
    grid_.box(first + k, &start, &size);
    codec::copy_box({slices, rs, rz}, out + offsets[k], start, size, start, size,
                    grid_.voxel_bytes());
  });
  ++row_;
  return w_->append(out, offsets.back());
}

Status BrickWriter::append(const uint8_t* data, uint64_t bytes) {
  if (!failed_.ok()) return failed_;
  if (w_->present()) return w_->append(data, bytes);  // it only counts the bytes
  const uint64_t rows = grid_.bricks()[2];
  while (bytes > 0) {
    if (row_ >= rows) return w_->append(data, bytes);  // too many bytes: the writer says so
    const uint64_t need = row_bytes(row_);
    Status s;
    if (pending_.empty() && bytes >= need) {  // a whole row straight from the caller
      s = emit(data);
      data += need;
      bytes -= need;
    } else {
      const uint64_t take = std::min(bytes, need - pending_.size());
      pending_.append(reinterpret_cast<const char*>(data), take);
      data += take;
      bytes -= take;
      if (pending_.size() == need) {
        s = emit(reinterpret_cast<const uint8_t*>(pending_.data()));
        pending_.clear();
      }
    }
    if (!s.ok()) return failed_ = s;
  }
  return Status::OK();
}

Status BrickWriter::commit() {
  if (!failed_.ok()) return failed_;
  std::string().swap(pending_);
  std::string().swap(gathered_);
  return w_->commit();
}

Status read_all_bricks(EntryReader* r, uint8_t* volume) {
  const codec::BrickGrid& g = r->header().grid();
  const Box3 origin{0, 0, 0};
  Status s = r->start({{0, g.count()}}, [&](uint64_t i, const uint8_t* data, uint64_t) {
    Box3 start, size;
    g.box(i, &start, &size);
    codec::copy_box({data, start, size}, volume, origin, g.size(), start, size, g.voxel_bytes());
  });
  while (s.ok()) {
    Result<EntryReader::Batch> b = r->next();
    if (!b.ok()) return b.status();
    if (b->chunks == 0) break;
  }
  return s;
}

Status start_brick_row(EntryReader* r, uint64_t row, uint8_t* slab) {
  const codec::BrickGrid& g = r->header().grid();
  Box3 rs, rz;
  g.row_box(row, &rs, &rz);
  const uint64_t first = row * g.row_count();
  return r->start({{first, first + g.row_count()}}, [&g, rs, rz, slab](
                                                        uint64_t i, const uint8_t* data, uint64_t) {
    Box3 start, size;
    g.box(i, &start, &size);
    codec::copy_box({data, start, size}, slab, rs, rz, start, size, g.voxel_bytes());
  });
}

}  // namespace voxcache::cache
