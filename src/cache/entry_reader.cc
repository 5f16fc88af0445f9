#include "cache/entry_reader.h"

#include <algorithm>
#include <mutex>

namespace voxcache::cache {

EntryReader::~EntryReader() = default;

Result<std::unique_ptr<EntryReader>> EntryReader::Open(std::unique_ptr<tier::EntrySource> source,
                                                       util::ThreadPool* pool, bool verify) {
  std::unique_ptr<EntryReader> r(new EntryReader(std::move(source), pool, verify));
  size_t header_len = 0;
  Result<codec::EntryHeader> h = codec::decode_header(r->row().data, &header_len);
  if (!h.ok()) return h.status();
  r->header_ = std::move(h).value();
  if (r->header_.inline_chunks()) {
    Result<std::vector<std::string_view>> blobs = codec::split_inline_chunks(
        std::string_view(r->row().data).substr(header_len), r->header_.chunk_count);
    if (!blobs.ok()) return blobs.status();
    r->inline_blobs_ = std::move(blobs).value();
  }
  return r;
}

Status EntryReader::start(uint64_t first, uint64_t end, uint8_t* dst) {
  next_ = first;
  end_ = std::min(end, header_.chunk_count);
  dst_ = dst;
  whole_read_ = first == 0 && end_ == header_.chunk_count;
  whole_.reset();
  if (!header_.inline_chunks() && next_ < end_) return source_->seek(next_, end_);
  return Status::OK();
}

Result<std::string_view> EntryReader::next_blob(uint64_t index) {
  if (header_.inline_chunks()) return inline_blobs_[index];
  return source_->next_chunk();
}

Result<EntryReader::Batch> EntryReader::next() {
  Batch b;
  b.first_chunk = next_;
  if (next_ >= end_) return b;
  // Four chunks per thread, as the writer: a 1 MiB-chunk entry of 8 MiB or
  // less is one batch on 2 threads.
  const uint64_t per_batch = 4 * std::max(1u, pool_->size());
  const size_t n = static_cast<size_t>(std::min(per_batch, end_ - next_));
  blobs_.resize(n);
  views_.resize(n);
  const uint64_t cb = header_.chunk_bytes;
  uint64_t bytes = 0;
  for (size_t i = 0; i < n; ++i) bytes += header_.chunk_raw_size(next_ + i);
  uint8_t* out = dst_ ? dst_ + next_ * cb : nullptr;
  if (!out) {
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
        Result<std::string_view> blob = next_blob(next_ + read);
        if (!blob.ok()) {
          read_status = blob.status();
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
    statuses_[i] =
        codec::decode_chunk(views_[i], header_.chunk_raw_size(next_ + i), verify_, out + i * cb);
  });
  if (!read_status.ok()) return read_status;
  for (size_t i = 0; i < n; ++i) {
    if (!statuses_[i].ok()) return statuses_[i].with_context("chunk " + std::to_string(next_ + i));
  }
  if (whole_read_ && verify_) whole_.update(out, bytes);
  next_ += n;
  if (whole_read_ && next_ == end_) {
    if (!header_.inline_chunks()) {
      Result<uint64_t> rows = source_->stored_chunks();
      if (!rows.ok()) return rows.status();
      if (*rows != header_.chunk_count) {
        return Status::Corruption(std::to_string(*rows) + " chunk rows, the header records " +
                                  std::to_string(header_.chunk_count));
      }
    }
    if (verify_ && whole_.digest() != header_.payload_xxh3_128) {
      return Status::Corruption("payload checksum mismatch");
    }
  }
  b.chunks = n;
  b.data = out;
  b.bytes = bytes;
  return b;
}

}  // namespace voxcache::cache
