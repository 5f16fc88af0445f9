#include "cache/entry_reader.h"

#include <algorithm>
#include <mutex>

#include "cache/entry_writer.h"

namespace voxcache::cache {

EntryReader::~EntryReader() = default;

Result<std::unique_ptr<EntryReader>> EntryReader::Open(std::unique_ptr<tier::EntrySource> source,
                                                       util::ThreadPool* pool, bool verify) {
  std::unique_ptr<EntryReader> r(new EntryReader(std::move(source), pool, verify));
  size_t header_len = 0;
  Result<codec::EntryHeader> h = codec::decode_header(r->entry().data, &header_len);
  if (!h.ok()) return h.status();
  Status bound = h->check_key(r->entry().id);
  if (!bound.ok()) return bound;
  r->header_ = std::move(h).value();
  if (r->header_.kind == Value::Kind::kVolume) {
    Result<VolumeLayout> layout = codec::decode_layout(r->header_.kind_header);
    if (!layout.ok()) return layout.status();
    r->layout_ = *layout;
  }
  if (r->header_.inline_chunks()) {
    Result<std::vector<std::string_view>> blobs = codec::split_inline_chunks(
        std::string_view(r->entry().data).substr(header_len), r->header_.chunk_count);
    if (!blobs.ok()) return blobs.status();
    r->inline_blobs_ = std::move(blobs).value();
  }
  return r;
}

Status EntryReader::check_chunk_count() {
  if (header_.inline_chunks()) return Status::OK();  // split_inline_chunks counted them
  Result<uint64_t> rows = source_->stored_chunks();
  if (!rows.ok()) return rows.status();
  if (*rows < header_.chunk_count) {
    // Name the first missing chunk, as a read reaching it would.
    Status s = source_->seek(0, header_.chunk_count);
    for (uint64_t i = 0; s.ok() && i < header_.chunk_count; ++i) s = source_->next_chunk().status();
    if (!s.ok()) return s;
  }
  if (*rows != header_.chunk_count) {
    return Status::Corruption(std::to_string(*rows) + " chunk rows, the header records " +
                              std::to_string(header_.chunk_count));
  }
  return Status::OK();
}

namespace {

uint8_t* chunk_scratch(uint64_t n) {
  thread_local std::string buf;
  if (buf.size() < n) buf.resize(n);
  return reinterpret_cast<uint8_t*>(buf.data());
}

}  // namespace

Status EntryReader::start(uint64_t first, uint64_t end, uint8_t* dst) {
  Status s = start({{first, end}}, nullptr);
  dst_ = dst;
  return s;
}

Status EntryReader::start(std::vector<std::pair<uint64_t, uint64_t>> runs, ChunkFn fn) {
  runs_.clear();
  for (auto [first, end] : runs) {
    end = std::min(end, header_.chunk_count);
    if (first < end) runs_.emplace_back(first, end);
  }
  run_ = 0;
  next_ = runs_.empty() ? 0 : runs_[0].first;
  dst_ = nullptr;
  fn_ = std::move(fn);
  // A read from chunk 0 may cover the entry over several starts (a stream of
  // bricks starts each row): the whole-entry checks follow it as long as the
  // chunks come in order.
  if (!runs_.empty() && runs_[0].first == 0) {
    whole_next_ = 0;
    whole_.reset();
  }
  return Status::OK();
}

Result<std::string_view> EntryReader::next_blob(uint64_t index, uint64_t seek_end) {
  if (header_.inline_chunks()) return inline_blobs_[index];
  if (seek_end) {
    Status s = source_->seek(index, seek_end);
    if (!s.ok()) return s;
  }
  return source_->next_chunk();
}

Result<EntryReader::Batch> EntryReader::next() {
  Batch b;
  b.first_chunk = next_;
  if (run_ >= runs_.size()) return b;
  const uint64_t per_batch = chunks_per_batch(header_.chunk_bytes, pool_->size());
  batch_.clear();
  seeks_.clear();
  while (batch_.size() < per_batch && run_ < runs_.size()) {
    seeks_.push_back(next_ == runs_[run_].first ? runs_[run_].second : 0);
    batch_.push_back(next_++);
    if (next_ == runs_[run_].second && ++run_ < runs_.size()) next_ = runs_[run_].first;
  }
  const size_t n = batch_.size();
  blobs_.resize(n);
  views_.resize(n);
  offsets_.assign(1, 0);
  for (uint64_t index : batch_) offsets_.push_back(offsets_.back() + header_.chunk_raw_size(index));
  const uint64_t bytes = offsets_.back();
  uint8_t* out = dst_ ? dst_ + batch_[0] * header_.chunk_bytes : nullptr;
  if (!out && !fn_) {
    buffer_.resize(bytes);
    out = reinterpret_cast<uint8_t*>(buffer_.data());
  }
  statuses_.assign(n, Status::OK());
  // The source is read in order, one chunk at a time, by the thread that
  // needs the next one; the others decode meanwhile, so reading overlaps
  // decoding. A failed read stops the batch.
  std::mutex mu;
  size_t read = 0;
  Status read_status;
  pool_->parallel_for(n, [&](size_t i) {
    {
      std::lock_guard<std::mutex> lock(mu);
      while (read <= i && read_status.ok()) {
        Result<std::string_view> blob = next_blob(batch_[read], seeks_[read]);
        if (!blob.ok()) {
          read_status = blob.status().with_context(header_.chunk_name(batch_[read]));
          break;
        }
        if (header_.inline_chunks()) {
          views_[read] = *blob;
        } else {  // SQLite's view ends at the next step: keep a copy
          blobs_[read].assign(blob->data(), blob->size());
          views_[read] = blobs_[read];
        }
        ++read;
      }
      if (!read_status.ok()) return;
    }
    const uint64_t size = offsets_[i + 1] - offsets_[i];
    // A chunk handed to fn decodes into this thread's own buffer, still in
    // its cache when fn reads it; nothing else keeps its bytes.
    uint8_t* target = fn_ ? chunk_scratch(size) : out + offsets_[i];
    statuses_[i] = codec::decode_chunk(views_[i], size, verify_, target,
                                       codec::chunk_seed(header_, batch_[i]), header_.lz4);
    // A mask's voxels become C++ and NumPy bools: a byte other than 0 and 1
    // is Corruption whether or not checksums are verified.
    if (layout_ && layout_->pixel_type == PixelType::kBool && statuses_[i].ok()) {
      Status b = codec::check_bool_voxels(target, size, 0);
      if (!b.ok()) statuses_[i] = Status::Corruption("mask: " + b.message());
    }
    if (fn_ && statuses_[i].ok()) fn_(batch_[i], target, size);
  });
  if (!read_status.ok()) return read_status;
  for (size_t i = 0; i < n; ++i) {
    if (!statuses_[i].ok()) return statuses_[i].with_context(header_.chunk_name(batch_[i]));
  }
  const bool in_order = whole_next_ == batch_[0] && batch_[n - 1] == batch_[0] + n - 1;
  whole_next_ = in_order ? whole_next_ + n : kNoWholeRead;
  // Chunks handed to fn are not kept for the payload checksum; each one's own
  // checksum is checked, seeded with its index for bricks.
  if (in_order && verify_ && out) whole_.update(out, bytes);
  // The chunk count was checked before the whole read (check_chunk_count).
  if (in_order && whole_next_ == header_.chunk_count && verify_ && !fn_ &&
      whole_.digest() != header_.payload_xxh3_128) {
    return Status::Corruption("payload checksum mismatch");
  }
  b.first_chunk = batch_[0];
  b.chunks = n;
  b.data = out;
  b.bytes = bytes;
  return b;
}

}  // namespace voxcache::cache
