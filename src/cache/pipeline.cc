#include "cache/pipeline.h"

#include <nlohmann/json.hpp>

#include <algorithm>

#include "cache/brick_io.h"

namespace voxcache::cache {

namespace {

// The chunks at a quarter and three quarters of the payload (one chunk when
// those coincide): the first chunks of a volume are often background,
// which says little about the rest.
std::vector<std::string_view> sample_chunks(std::string_view bytes, uint64_t chunk) {
  std::vector<std::string_view> out;
  if (bytes.empty()) return out;
  const uint64_t n = (bytes.size() - 1) / chunk + 1;
  auto at = [&](uint64_t i) { return bytes.substr(i * chunk, chunk); };
  out.push_back(at(n / 4));
  if (3 * n / 4 != n / 4) out.push_back(at(3 * n / 4));
  return out;
}

}  // namespace

tier::Entry lineage_of(const PutOptions& options) {
  tier::Entry carry;
  for (const OperationKey& in : options.inputs) carry.inputs.push_back(in.hex());
  const KeyBuilder* recipe = options.recipe;
  if (!recipe) return carry;
  carry.operation = recipe->operation();
  carry.recipe = recipe->canonical_encoding();
  for (const OperationKey& in : recipe->inputs()) carry.inputs.push_back(in.hex());
  return carry;
}

Result<std::optional<std::string>> normalize_metadata(std::string_view text) {
  if (text.empty()) return std::optional<std::string>();
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::InvalidArgument("metadata is not valid JSON");
  return std::optional<std::string>(j.dump());
}

Pipeline::Pipeline(const Options& options, util::ThreadPool* threads, util::Env* env,
                   uint64_t max_value_bytes)
    : options_(options), threads_(threads), env_(env) {
  // A chunk blob is at most its raw bytes plus the chunk header, because a
  // chunk zstd cannot shrink is stored raw; so this bound keeps every blob
  // within SQLite's value limit.
  max_chunk_ = max_value_bytes > 2 * codec::kChunkHeaderBytes
                   ? max_value_bytes - codec::kChunkHeaderBytes
                   : 1;
  max_inline_ = std::min<uint64_t>(codec::kMaxInlineChunkBytes, max_value_bytes / 2);
}

uint64_t Pipeline::plan(const codec::Payload& payload, uint64_t payload_bytes) const {
  uint64_t target = std::max<uint64_t>(1, std::min(options_.chunk_bytes, max_chunk_));
  // A payload of fewer chunks than threads is cut finer (not below 64 KiB),
  // so that every thread compresses a part: one 512 KiB chunk kept a 64^3
  // int16 put on one core.
  const uint64_t threads = threads_->size();
  constexpr uint64_t kMinSplitChunk = 64 << 10;
  if (threads > 1 && payload_bytes < target * threads) {
    target = std::min(target, std::max(kMinSplitChunk, (payload_bytes + threads - 1) / threads));
  }
  return codec::plan_chunk_bytes(payload, target);
}

Result<std::unique_ptr<EntryWriter>> Pipeline::writer(std::unique_ptr<tier::EntrySink> sink,
                                                      const codec::Payload& payload,
                                                      uint64_t payload_bytes,
                                                      NewEntry entry) const {
  EntrySpec spec;
  spec.id = std::move(entry.id);
  spec.kind = payload.kind;
  spec.data_type = payload.data_type;
  spec.kind_header = payload.kind_header;
  spec.payload_bytes = payload_bytes;
  spec.chunk_bytes = plan(payload, payload_bytes);
  if (payload.kind == Value::Kind::kVolume) {
    Result<codec::BrickShape> shape =
        brick_shape(*payload.layout, entry.layout ? *entry.layout : options_.layout);
    if (!shape.ok()) return shape.status();
    if ((*shape)[0] != 0) {
      spec.brick = *shape;
      spec.chunk_bytes =
          codec::BrickGrid(payload.layout->size, *shape, payload.voxel_bytes).full_brick_bytes();
    }
  }
  // Volumes, and lists holding one (codec::Payload::element_bytes).
  spec.shuffle_element = payload.element_bytes > 1 ? payload.element_bytes : 0;
  spec.metadata = std::move(entry.metadata);
  spec.volume = payload.layout;
  spec.carry = std::move(entry.carry);
  WriterConfig config;
  config.level = entry.level;
  config.codec = entry.codec.value_or(options_.codec) == Codec::kLz4 ? codec::ChunkCodec::kLz4
                                                                     : codec::ChunkCodec::kZstd;
  config.shuffle = options_.shuffle;
  config.max_inline_bytes = max_inline_;
  config.pool = threads_;
  config.env = env_;
  return EntryWriter::Begin(std::move(sink), std::move(spec), config);
}

Result<codec::BrickShape> Pipeline::brick_shape(const VolumeLayout& volume,
                                                const ChunkLayout& layout) const {
  if (layout.kind != ChunkLayout::Kind::kBricks) return codec::BrickShape{0, 0, 0};
  return codec::choose_brick(volume, layout.brick, options_.chunk_bytes,
                             std::min<uint64_t>(max_chunk_, codec::kMaxChunkBytes));
}

Result<uint64_t> Pipeline::write(std::unique_ptr<tier::EntrySink> sink,
                                 const codec::Payload& payload, NewEntry entry) const {
  const std::string_view bytes = payload.bytes();
  Result<std::unique_ptr<EntryWriter>> w =
      writer(std::move(sink), payload, bytes.size(), std::move(entry));
  if (!w.ok()) return w.status();
  if ((*w)->present()) return uint64_t{0};
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  Status s;
  if (bricked(**w)) {
    const codec::BrickGrid& grid = (*w)->plan().grid();
    const std::vector<std::string> samples = BrickWriter::samples(grid, data, 0, grid.size()[2]);
    (*w)->choose_filter({samples.begin(), samples.end()});
    BrickWriter bw(w->get(), threads_);
    s = bw.append(data, bytes.size());
    if (s.ok()) s = bw.commit();
  } else {
    (*w)->choose_filter(sample_chunks(bytes, (*w)->chunk_bytes()));
    s = (*w)->append(data, bytes.size());
    if (s.ok()) s = (*w)->commit();
  }
  if (!s.ok()) return s;
  return (*w)->stored_bytes();
}

Result<std::unique_ptr<EntryReader>> Pipeline::reader(std::unique_ptr<tier::EntrySource> source,
                                                      bool verify) const {
  return EntryReader::Open(std::move(source), threads_, verify);
}

Result<Value> Pipeline::read_value(EntryReader* r) const {
  Status counted = r->check_chunk_count();  // before the payload's buffer is sized
  if (!counted.ok()) return counted;
  Result<codec::ValueBuilder> builder =
      codec::ValueBuilder::Create(r->header(), r->entry().data_type, options_.types.get());
  if (!builder.ok()) return builder.status();
  if (r->header().bricked()) {
    Status s = read_all_bricks(r, builder->buffer());
    if (!s.ok()) return s;
    return std::move(builder).value().finish();
  }
  Status s = r->start(0, r->header().chunk_count, builder->buffer());
  while (s.ok()) {
    Result<EntryReader::Batch> b = r->next();
    if (!b.ok()) return b.status();
    if (b->chunks == 0) return std::move(builder).value().finish();
  }
  return s;
}

Status Pipeline::check_all(EntryReader* r) const {
  Status counted = r->check_chunk_count();
  if (!counted.ok()) return counted;
  Result<codec::ValueBuilder> builder =  // checks data_type and the layout
      codec::ValueBuilder::Create(r->header(), r->entry().data_type, nullptr);
  if (!builder.ok() && !builder.status().is_not_supported()) return builder.status();
  Status s = r->start(0, r->header().chunk_count, nullptr);
  while (s.ok()) {
    Result<EntryReader::Batch> b = r->next();
    if (!b.ok()) return b.status();
    if (b->chunks == 0) break;
  }
  return s;
}

}  // namespace voxcache::cache
