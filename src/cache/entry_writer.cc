#include "cache/entry_writer.h"

#include <algorithm>
#include <cstring>
#include <mutex>

#include "voxcache/key.h"

namespace voxcache::cache {

uint64_t chunks_per_batch(uint64_t chunk_bytes, unsigned threads) {
  const uint64_t by_bytes = chunk_bytes ? kBatchBytes / chunk_bytes : 0;
  return std::max<uint64_t>(4 * std::max(1u, threads), std::min<uint64_t>(by_bytes, 1024));
}

bool Trial::informative() const {
  const uint64_t best = shuffled > 0 ? std::min(plain, shuffled) : plain;
  return raw > 0 && best * kUninformativeRatio >= raw;
}

double Trial::ratio(bool shuffle) const {
  const uint64_t stored = shuffle ? shuffled : plain;
  return stored ? static_cast<double>(raw) / static_cast<double>(stored) : 1.0;
}

Trial trial(const std::vector<std::string_view>& samples, size_t element, util::ThreadPool* pool,
            codec::ChunkCodec codec) {
  // Whole chunks: a part of one can mislead (a chunk of whole slices has the
  // image's edge, often air, in its middle, and zstd picks other parameters
  // for a smaller input). The compressions run side by side on the pool.
  const size_t variants = element > 1 ? 2 : 1;
  std::vector<uint64_t> sizes(samples.size() * variants, 0);
  std::vector<char> ok(sizes.size(), 1);
  pool->parallel_for(sizes.size(), [&](size_t i) {
    std::string blob;
    ok[i] =
        codec::encode_chunk(samples[i / variants], 1, i % variants ? element : 0, &blob, 0, codec)
            .ok();
    sizes[i] = blob.size();
  });
  Trial t;
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (!ok[i]) return Trial();
    (i % variants ? t.shuffled : t.plain) += sizes[i];
    if (i % variants == 0) t.raw += samples[i / variants].size();
  }
  return t;
}

EntryWriter::EntryWriter(std::unique_ptr<tier::EntrySink> sink, EntrySpec spec,
                         const WriterConfig& config)
    : sink_(std::move(sink)), spec_(std::move(spec)), config_(config) {
  chunks_per_batch_ = chunks_per_batch(spec_.chunk_bytes, config_.pool->size());
  plan_.kind = spec_.kind;
  plan_.kind_header = spec_.kind_header;
  plan_.payload_bytes = spec_.payload_bytes;
  plan_.chunk_bytes = spec_.payload_bytes ? spec_.chunk_bytes : 0;
  plan_.chunk_count = spec_.payload_bytes ? (spec_.payload_bytes - 1) / spec_.chunk_bytes + 1 : 0;
  if (spec_.brick[0] != 0 && spec_.volume) {
    plan_.set_bricks(*spec_.volume, spec_.brick);
    plan_.chunk_count = plan_.grid().count();
  }
  if (config_.level != kAutoLevel) level_ = config_.level;
  if (config_.codec == codec::ChunkCodec::kLz4) {
    level_ = level_ == 0 ? 0 : 1;  // LZ4 has one level; 0 still means raw chunks
    plan_.lz4 = *level_ != 0;      // format version 6: older builds say "newer format"
  }
  const bool can_shuffle = spec_.shuffle_element > 1 && config_.level != 0;
  if (!can_shuffle || config_.shuffle == ShuffleMode::kNever) shuffle_ = false;
  if (can_shuffle && config_.shuffle == ShuffleMode::kAlways) shuffle_ = true;
  shuffle_given_ = shuffle_.has_value();
  level_given_ = level_.has_value();
  decided_ = shuffle_given_ && level_given_;
}

EntryWriter::~EntryWriter() = default;  // an uncommitted sink discards the entry

uint64_t EntryWriter::next_batch_bytes() const {
  const uint64_t end = std::min(plan_.chunk_count, next_chunk_ + chunks_per_batch_);
  if (!plan_.bricked()) {
    return std::min(spec_.payload_bytes, end * spec_.chunk_bytes) - next_chunk_ * spec_.chunk_bytes;
  }
  uint64_t bytes = 0;
  for (uint64_t i = next_chunk_; i < end; ++i) bytes += plan_.chunk_raw_size(i);
  return bytes;
}

Result<std::unique_ptr<EntryWriter>> EntryWriter::Begin(std::unique_ptr<tier::EntrySink> sink,
                                                        EntrySpec spec,
                                                        const WriterConfig& config) {
  const bool present = sink->present();
  std::unique_ptr<EntryWriter> w(new EntryWriter(std::move(sink), std::move(spec), config));
  if (present) {
    w->present_ = true;  // content-addressed: nothing to write
    w->sink_.reset();
  }
  return w;
}

Status EntryWriter::fail(Status s) {
  failed_ = s;
  sink_.reset();  // discard now: other writers need not wait for our destructor
  return s;
}

void EntryWriter::choose_filter(const std::vector<std::string_view>& samples) {
  if (decided_) return;
  const bool may_shuffle = !shuffle_given_ || *shuffle_;
  const Trial t =
      trial(samples, may_shuffle ? spec_.shuffle_element : 0, config_.pool, config_.codec);
  if (!shuffle_given_) shuffle_ = t.shuffle_helps();
  if (!level_given_) level_ = t.raw > 0 && t.ratio(*shuffle_) < kLowRatio ? 2 : 3;
  // Samples that are nearly all one value (air above a head, the empty
  // first slices of a stream) say nothing: the choice holds for the chunks
  // at hand and is made again on the next batch's.
  decided_ = t.informative();
}

Status EntryWriter::append(const uint8_t* data, uint64_t bytes) {
  if (!failed_.ok()) return failed_;
  if (committed_) return Status::InvalidArgument("entry is committed already");
  if (bytes > spec_.payload_bytes - written_) {
    return fail(Status::InvalidArgument(
        "more data than the layout holds: " + std::to_string(written_ + bytes) + " bytes of " +
        std::to_string(spec_.payload_bytes)));
  }
  written_ += bytes;
  if (present_) return Status::OK();
  while (bytes > 0) {
    const uint64_t batch = next_batch_bytes();
    if (pending_.empty() && bytes >= batch) {  // whole batches straight from the caller
      Status s = process(data, batch);
      if (!s.ok()) return fail(s);
      data += batch;
      bytes -= batch;
      continue;
    }
    const uint64_t take = std::min<uint64_t>(bytes, batch - pending_.size());
    pending_.append(reinterpret_cast<const char*>(data), take);
    data += take;
    bytes -= take;
    if (pending_.size() == batch) {
      Status s = process(reinterpret_cast<const uint8_t*>(pending_.data()), batch);
      if (!s.ok()) return fail(s);
      pending_.clear();
    }
  }
  return Status::OK();
}

// Encodes and stores whole chunks (the last may be short only at the end).
Status EntryWriter::process(const uint8_t* data, uint64_t bytes) {
  std::vector<uint64_t> offsets{0};  // of the batch's chunks in `data`, and its end
  while (offsets.back() < bytes) {
    offsets.push_back(offsets.back() + plan_.chunk_raw_size(next_chunk_ + offsets.size() - 1));
  }
  const size_t n = offsets.size() - 1;
  auto chunk = [&](size_t i) {
    return std::string_view(reinterpret_cast<const char*>(data) + offsets[i],
                            offsets[i + 1] - offsets[i]);
  };
  if (!decided_) {  // streaming: the batch is its own sample
    std::vector<std::string_view> samples{chunk(0)};
    if (n > 1) samples.push_back(chunk(n / 2));
    choose_filter(samples);
  }
  const size_t element = *shuffle_ ? spec_.shuffle_element : 0;
  blobs_.resize(n);
  statuses_.assign(n, Status::OK());
  const std::optional<VolumeLayout>& vol = spec_.volume;
  if (vol) chunk_intensity_.assign(n, codec::Intensity());
  const uint64_t total_chunks = plan_.chunk_count;
  // Chunks go to the sink in index order as soon as they are encoded, by
  // whichever thread finds the next one ready, while the others go on
  // encoding: inserting overlaps compressing. One thread inserts at a time.
  std::mutex mu;
  std::vector<char> ready(n, 0);
  size_t next = 0;
  bool draining = false;
  Status sink_status;
  auto hand_over = [&](size_t i) {  // called with mu held, for chunk `next`
    const uint64_t index = next_chunk_ + i;
    if (codec::chunk_codec(blobs_[i]) != codec::ChunkCodec::kNone) {
      any_compressed_ = codec::chunk_codec(blobs_[i]);
    }
    any_shuffled_ |= codec::chunk_filter(blobs_[i]) == codec::ChunkFilter::kShuffle;
    stored_ += blobs_[i].size();
    if (total_chunks == 1) {
      single_chunk_ = std::move(blobs_[i]);  // commit() decides: inline or a row
      return Status::OK();
    }
    return sink_->add_chunk(index, blobs_[i]);
  };
  config_.pool->parallel_for(n, [&](size_t i) {
    blobs_[i].clear();
    statuses_[i] = codec::encode_chunk(chunk(i), *level_, element, &blobs_[i],
                                       codec::chunk_seed(plan_, next_chunk_ + i), config_.codec);
    if (vol) {
      const std::string_view c = chunk(i);
      chunk_intensity_[i] = codec::Intensity::Of(
          vol->pixel_type, vol->components, reinterpret_cast<const uint8_t*>(c.data()), c.size());
    }
    std::unique_lock<std::mutex> lock(mu);
    ready[i] = 1;
    if (draining) return;  // the draining thread will see it
    draining = true;
    while (next < n && ready[next] && sink_status.ok()) {
      const size_t j = next;
      if (!statuses_[j].ok()) {
        sink_status = statuses_[j].with_context(plan_.chunk_name(next_chunk_ + j));
        break;
      }
      lock.unlock();
      Status s = hand_over(j);
      lock.lock();
      if (!s.ok()) sink_status = s;
      ++next;
    }
    draining = false;
  });
  if (!sink_status.ok()) return sink_status;
  for (const codec::Intensity& k : chunk_intensity_) intensity_.merge(k);  // in chunk order
  chunk_intensity_.clear();
  whole_.update(data, bytes);
  next_chunk_ += n;
  return Status::OK();
}

Status EntryWriter::commit() {
  if (!failed_.ok()) return failed_;
  if (committed_) return Status::OK();
  if (written_ != spec_.payload_bytes) {
    return fail(Status::InvalidArgument("entry got " + std::to_string(written_) + " of its " +
                                        std::to_string(spec_.payload_bytes) + " bytes"));
  }
  committed_ = true;
  if (present_) return Status::OK();
  if (!pending_.empty()) {
    Status s = process(reinterpret_cast<const uint8_t*>(pending_.data()), pending_.size());
    if (!s.ok()) return fail(s);
    pending_.clear();
  }
  codec::EntryHeader h = plan_;
  h.payload_xxh3_128 = whole_.digest();
  // Bound to its key (format version 3): copied onto another, it is Corruption.
  Result<OperationKey> key = OperationKey::FromHex(spec_.id);
  if (!key.ok()) return fail(key.status());
  h.key = key->bytes();
  const bool inline_chunk = single_chunk_ && single_chunk_->size() <= config_.max_inline_bytes;
  if (inline_chunk) h.flags |= codec::kFlagInlineChunks;

  tier::Entry entry = spec_.carry;
  entry.id = spec_.id;
  entry.data = codec::encode_header(h);
  if (inline_chunk) {
    codec::append_inline_chunk(*single_chunk_, &entry.data);
    stored_ -= single_chunk_->size();
  } else if (single_chunk_) {
    Status s = sink_->add_chunk(0, *single_chunk_);
    if (!s.ok()) return fail(s);
  }
  entry.data_type = spec_.data_type;
  if (entry.created_at_ms == 0) entry.created_at_ms = config_.env->now_ms();
  entry.size_bytes = static_cast<int64_t>(stored_ + entry.data.size());
  entry.raw_bytes = static_cast<int64_t>(spec_.payload_bytes);
  entry.chunk_count = static_cast<int64_t>(h.chunk_count);
  entry.codec = codec::codec_name(any_compressed_);
  entry.filter =
      codec::filter_name(any_shuffled_ ? codec::ChunkFilter::kShuffle : codec::ChunkFilter::kNone);
  // The level asked for, even when no chunk shrank: recompress to that level
  // must then find nothing to do.
  entry.level = level_.value_or(3);
  entry.checksum = codec::checksum_name(h.payload_xxh3_128);
  entry.metadata = spec_.metadata;
  if (spec_.volume) entry.intensity = intensity_.to_json();
  Status s = sink_->commit(entry);
  if (!s.ok()) return fail(s);
  // Another writer's copy went in first: ours was dropped, and is not counted.
  committed_bytes_ = sink_->present() ? 0 : static_cast<uint64_t>(entry.size_bytes);
  sink_.reset();
  return Status::OK();
}

}  // namespace voxcache::cache
