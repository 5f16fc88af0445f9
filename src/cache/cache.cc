// CacheImpl: the Cache interface over the entry writer and reader (chunk
// pipeline), the in-memory tier, the connection pool and the thread pool.

#include "voxcache/cache.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>
#include <vector>

#include "cache/connection_pool.h"
#include "cache/entry_reader.h"
#include "cache/entry_writer.h"
#include "cache/memory_tier.h"
#include "codec/entry_format.h"
#include "codec/value_codec.h"
#include "store/entry_store.h"
#include "store/sqlite.h"
#include "util/thread_pool.h"

namespace voxcache {

VolumeWriter::~VolumeWriter() = default;
VolumeReader::~VolumeReader() = default;

namespace {

using cache::ConnectionPool;
using cache::EntryReader;
using cache::EntryWriter;
using store::Database;

// Empty stays empty; anything else must be JSON and is stored re-serialized.
Result<std::optional<std::string>> normalize_metadata(std::string_view text) {
  if (text.empty()) return std::optional<std::string>();
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::InvalidArgument("metadata is not valid JSON");
  return std::optional<std::string>(j.dump());
}

Result<EntryInfo> info_from_row(const store::EntryRow& row) {
  Result<OperationKey> key = OperationKey::FromHex(row.operation_id);
  if (!key.ok()) return Status::Corruption("stored key is malformed: " + key.status().message());
  size_t header_len = 0;
  Result<codec::EntryHeader> h = codec::decode_header(row.data, &header_len);
  if (!h.ok()) return h.status().with_context("entry " + row.operation_id);
  EntryInfo info;
  info.key = *key;
  info.data_type = row.data_type;
  info.created_at_ms = row.created_at_ms;
  info.raw_bytes = h->payload_bytes;
  info.stored_bytes = static_cast<uint64_t>(row.size_bytes);
  info.chunk_count = h->chunk_count;
  info.chunk_bytes = h->chunk_bytes;
  info.codec = row.codec;
  info.filter = row.filter;
  info.level = row.level;
  info.checksum = row.checksum;
  info.metadata = row.metadata.value_or("");
  if (h->kind == Value::Kind::kVolume) {
    Result<VolumeLayout> layout = codec::decode_layout(h->kind_header);
    if (!layout.ok()) return layout.status().with_context("entry " + row.operation_id);
    info.volume = *layout;
  }
  return info;
}

// The layout of a volume entry; InvalidArgument for other kinds.
Result<VolumeLayout> volume_layout(const EntryReader& r) {
  if (r.header().kind != Value::Kind::kVolume) {
    return Status::InvalidArgument("entry " + r.row().operation_id + " holds a " +
                                   r.row().data_type + ", not a volume");
  }
  if (r.row().data_type != "volume") {
    return Status::Corruption("data_type '" + r.row().data_type + "' contradicts the entry header");
  }
  return codec::decode_layout(r.header().kind_header);
}

class VolumeWriterImpl final : public VolumeWriter {
 public:
  explicit VolumeWriterImpl(std::unique_ptr<EntryWriter> w, std::atomic<uint64_t>* puts)
      : w_(std::move(w)), puts_(puts) {}
  Status write(const void* data, uint64_t bytes) override {
    return w_->append(static_cast<const uint8_t*>(data), bytes);
  }
  Status commit() override {
    Status s = w_->commit();
    if (s.ok() && !w_->present() && !counted_) {
      ++*puts_;
      counted_ = true;
    }
    return s;
  }

 private:
  std::unique_ptr<EntryWriter> w_;
  std::atomic<uint64_t>* puts_;
  bool counted_ = false;
};

class VolumeReaderImpl final : public VolumeReader {
 public:
  VolumeReaderImpl(std::unique_ptr<EntryReader> r, VolumeLayout layout)
      : r_(std::move(r)), layout_(layout) {}
  const VolumeLayout& layout() const override { return layout_; }
  Result<Slab> next() override {
    Result<EntryReader::Batch> b = r_->next();
    if (!b.ok()) return b.status().with_context("entry " + r_->row().operation_id);
    Slab s;
    s.offset = b->first_chunk * r_->header().chunk_bytes;
    s.bytes = b->bytes;
    s.data = b->data;
    return s;
  }

 private:
  std::unique_ptr<EntryReader> r_;
  VolumeLayout layout_;
};

class CacheImpl final : public Cache {
 public:
  CacheImpl(std::string path, const Options& options, Database::OpenOptions open)
      : path_(std::move(path)),
        options_(options),
        pool_(path_, open),
        threads_(options.threads ? options.threads
                                 : std::max(1u, std::thread::hardware_concurrency())),
        tier_(options.memory_budget_bytes) {}

  Status init(std::unique_ptr<Database> first) {
    Status s = store::prepare_schema(first.get(), options_.read_only);
    if (!s.ok()) return s;
    // A chunk blob is at most its raw bytes plus the chunk header, because a
    // chunk zstd cannot shrink is stored raw; so this bound keeps every blob
    // within SQLite's value limit.
    const auto limit = static_cast<uint64_t>(first->max_value_bytes());
    max_chunk_ = limit > 2 * codec::kChunkHeaderBytes ? limit - codec::kChunkHeaderBytes : 1;
    max_inline_ = std::min<uint64_t>(codec::kMaxInlineChunkBytes, limit / 2);
    pool_.release(std::move(first));
    return Status::OK();
  }

  Status put(const OperationKey& key, const Value& value, std::string_view metadata) override {
    return put_payload(key, codec::serialize(value, options_.types.get()), metadata);
  }

  Status put(const OperationKey& key, const Volume& volume, std::string_view metadata) override {
    return put_payload(key, codec::serialize_volume(volume), metadata);
  }

  Result<Value> get(const OperationKey& key) override {
    if (std::optional<Value> hot = tier_.get(key)) {
      ++memory_hits_;
      return std::move(*hot);
    }
    const std::string id = key.hex();
    Result<std::unique_ptr<EntryReader>> r = open_reader(id);
    if (!r.ok()) {
      if (r.status().is_not_found()) ++misses_;
      return r.status();
    }
    Result<Value> v = read_whole(r->get());
    if (!v.ok()) return v.status().with_context("entry " + id);
    tier_.put(key, *v, (*r)->header().payload_bytes);
    ++disk_hits_;
    return v;
  }

  Result<bool> contains(const OperationKey& key) override {
    Result<ConnectionPool::Lease> db = pool_.acquire();
    if (!db.ok()) return db.status();
    return store::entry_exists(db->get(), key.hex());
  }

  Status erase(const OperationKey& key) override {
    if (options_.read_only) return Status::InvalidArgument("cache is open read-only");
    const std::string id = key.hex();
    tier_.erase(key);
    Result<ConnectionPool::Lease> db = pool_.acquire();
    if (!db.ok()) return db.status();
    Result<std::unique_ptr<store::Transaction>> txn =
        store::Transaction::Begin(db->get(), store::Transaction::Mode::kWrite);
    if (!txn.ok()) return txn.status();
    Result<bool> deleted = store::delete_entry(db->get(), id);
    if (!deleted.ok()) return deleted.status().with_context("erase " + id);
    if (!*deleted) return Status::NotFound("no entry " + id);
    return (*txn)->commit();
  }

  Result<Value> get_or_compute(const OperationKey& key,
                               const std::function<Result<Value>()>& compute,
                               std::string_view metadata, Status* store_status) override {
    if (store_status) *store_status = Status::OK();
    Result<Value> cached = get(key);
    if (cached.ok() || !cached.status().is_not_found()) return cached;
    Result<Value> fresh = compute();
    if (!fresh.ok()) return fresh;
    Status s = put(key, *fresh, metadata);
    if (store_status) *store_status = s;
    if (s.ok()) {
      if (std::optional<uint64_t> cost = memory_cost(*fresh)) tier_.put(key, *fresh, *cost);
    }
    return fresh;
  }

  Result<EntryInfo> info(const OperationKey& key) override {
    Result<ConnectionPool::Lease> db = pool_.acquire();
    if (!db.ok()) return db.status();
    Result<store::EntryRow> row = store::read_entry(db->get(), key.hex());
    if (!row.ok()) return row.status();
    return info_from_row(*row);
  }

  Result<Volume> read_region(const OperationKey& key, const std::array<uint64_t, 3>& start,
                             const std::array<uint64_t, 3>& size) override {
    const std::string id = key.hex();
    Result<std::unique_ptr<EntryReader>> r = open_reader(id);
    if (!r.ok()) return r.status();
    Result<Volume> v = region(r->get(), start, size);
    return v.ok() ? v : v.status().with_context("entry " + id);
  }

  Result<Volume> read_slice(const OperationKey& key, int axis, uint64_t index) override {
    const std::string id = key.hex();
    if (axis < 0 || axis > 2) {
      return Status::InvalidArgument("slice axis must be 0 (x), 1 (y) or 2 (z), got " +
                                     std::to_string(axis));
    }
    Result<std::unique_ptr<EntryReader>> r = open_reader(id);
    if (!r.ok()) return r.status();
    Result<VolumeLayout> layout = volume_layout(**r);
    if (!layout.ok()) return layout.status();
    std::array<uint64_t, 3> start{0, 0, 0};
    std::array<uint64_t, 3> size = layout->size;
    start[axis] = index;
    size[axis] = 1;
    Result<Volume> v = region(r->get(), start, size);
    return v.ok() ? v : v.status().with_context("entry " + id);
  }

  Result<std::unique_ptr<VolumeWriter>> write_volume(const OperationKey& key,
                                                     const VolumeLayout& layout,
                                                     std::string_view metadata) override {
    const std::string id = key.hex();
    Result<std::optional<std::string>> meta = check_writable_and_metadata(metadata);
    if (!meta.ok()) return meta.status().with_context("write_volume " + id);
    Status s = layout.validate();
    if (!s.ok()) return s.with_context("write_volume " + id);
    const codec::Payload payload = codec::describe_volume(layout);
    Result<std::unique_ptr<EntryWriter>> w =
        begin_entry(id, payload, layout.byte_size(), std::move(meta).value());
    if (!w.ok()) return w.status().with_context("write_volume " + id);
    return std::unique_ptr<VolumeWriter>(new VolumeWriterImpl(std::move(w).value(), &puts_));
  }

  Result<std::unique_ptr<VolumeReader>> read_volume(const OperationKey& key) override {
    const std::string id = key.hex();
    Result<std::unique_ptr<EntryReader>> r = open_reader(id);
    if (!r.ok()) return r.status();
    Result<VolumeLayout> layout = volume_layout(**r);
    if (!layout.ok()) return layout.status().with_context("entry " + id);
    Status s = (*r)->start(0, (*r)->header().chunk_count, nullptr);
    if (!s.ok()) return s.with_context("entry " + id);
    ++disk_hits_;
    return std::unique_ptr<VolumeReader>(new VolumeReaderImpl(std::move(r).value(), *layout));
  }

  CacheStats stats() const override {
    CacheStats s;
    s.memory_hits = memory_hits_;
    s.disk_hits = disk_hits_;
    s.misses = misses_;
    s.puts = puts_;
    s.memory_bytes = tier_.bytes();
    s.memory_entries = tier_.entries();
    return s;
  }

  Result<std::vector<EntryInfo>> list() override {
    Result<ConnectionPool::Lease> db = pool_.acquire();
    if (!db.ok()) return db.status();
    Result<std::vector<store::EntryRow>> rows = store::list_entries(db->get());
    if (!rows.ok()) return rows.status();
    std::vector<EntryInfo> out;
    out.reserve(rows->size());
    for (const store::EntryRow& row : *rows) {
      Result<EntryInfo> info = info_from_row(row);
      if (!info.ok()) return info.status();
      out.push_back(std::move(info).value());
    }
    return out;
  }

  Result<OperationKey> resolve_prefix(std::string_view prefix) override {
    if (prefix.size() < 8 || prefix.size() > OperationKey::kHexChars) {
      return Status::InvalidArgument("a key prefix needs 8 to 64 hex digits, got '" +
                                     std::string(prefix) + "'");
    }
    std::string lower(prefix);
    for (char& c : lower) {
      if (c >= 'A' && c <= 'F') c = static_cast<char>(c - 'A' + 'a');
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        return Status::InvalidArgument("key prefix '" + std::string(prefix) +
                                       "' has a non-hex character");
      }
    }
    Result<ConnectionPool::Lease> db = pool_.acquire();
    if (!db.ok()) return db.status();
    Result<std::vector<store::EntryRow>> rows = store::list_entries(db->get(), lower, 2);
    if (!rows.ok()) return rows.status();
    if (rows->empty()) return Status::NotFound("no entry starts with " + lower);
    if (rows->size() > 1) {
      return Status::InvalidArgument("key prefix " + lower +
                                     " is ambiguous: " + (*rows)[0].operation_id + ", " +
                                     (*rows)[1].operation_id + ", ...");
    }
    return OperationKey::FromHex((*rows)[0].operation_id);
  }

  const std::string& path() const override { return path_; }

 private:
  Status put_payload(const OperationKey& key, const Result<codec::Payload>& payload,
                     std::string_view metadata) {
    const std::string id = key.hex();
    Result<std::optional<std::string>> meta = check_writable_and_metadata(metadata);
    if (!meta.ok()) return meta.status().with_context("put " + id);
    if (!payload.ok()) return payload.status().with_context("put " + id);
    {
      // Content addressing makes a present key's value known already: skip
      // the work, not just the write, without waiting for the write lock.
      Result<ConnectionPool::Lease> db = pool_.acquire();
      if (!db.ok()) return db.status();
      Result<bool> exists = store::entry_exists(db->get(), id);
      if (!exists.ok()) return exists.status().with_context("put " + id);
      if (*exists) return Status::OK();
    }
    Result<std::unique_ptr<EntryWriter>> w =
        begin_entry(id, *payload, payload->bytes().size(), std::move(meta).value());
    if (!w.ok()) return w.status().with_context("put " + id);
    if ((*w)->present()) return Status::OK();
    const std::string_view bytes = payload->bytes();
    (*w)->choose_filter(sample_chunks(bytes, plan(*payload)));
    Status s = (*w)->append(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    if (s.ok()) s = (*w)->commit();
    if (s.ok() && !(*w)->present()) ++puts_;
    return s.with_context("put " + id);
  }

  Result<std::optional<std::string>> check_writable_and_metadata(std::string_view metadata) {
    if (options_.read_only) return Status::InvalidArgument("cache is open read-only");
    return normalize_metadata(metadata);
  }

  uint64_t plan(const codec::Payload& payload) const {
    const uint64_t target = std::max<uint64_t>(1, std::min(options_.chunk_bytes, max_chunk_));
    return codec::plan_chunk_bytes(payload, target);
  }

  // The chunks at a quarter and three quarters of the payload (one chunk when
  // those coincide): the first chunks of a volume are often background,
  // which says little about the rest.
  static std::vector<std::string_view> sample_chunks(std::string_view bytes, uint64_t chunk) {
    std::vector<std::string_view> out;
    if (bytes.empty()) return out;
    const uint64_t n = (bytes.size() - 1) / chunk + 1;
    auto at = [&](uint64_t i) { return bytes.substr(i * chunk, chunk); };
    out.push_back(at(n / 4));
    if (3 * n / 4 != n / 4) out.push_back(at(3 * n / 4));
    return out;
  }

  // What a value costs the in-memory tier, when that is known without
  // encoding it: custom values are kept only once read back from disk.
  static std::optional<uint64_t> memory_cost(const Value& v) {
    if (const Volume* vol = v.as_volume()) return vol->byte_size();
    if (const std::string* s = v.as_string()) return s->size();
    if (v.kind() == Value::Kind::kCustom) return std::nullopt;
    return sizeof(Value);
  }

  Result<std::unique_ptr<EntryWriter>> begin_entry(const std::string& id,
                                                   const codec::Payload& payload,
                                                   uint64_t payload_bytes,
                                                   std::optional<std::string> metadata) {
    cache::EntrySpec spec;
    spec.id = id;
    spec.kind = payload.kind;
    spec.data_type = payload.data_type;
    spec.kind_header = payload.kind_header;
    spec.payload_bytes = payload_bytes;
    spec.chunk_bytes = plan(payload);
    spec.shuffle_element = payload.kind == Value::Kind::kVolume ? payload.element_bytes : 0;
    spec.metadata = std::move(metadata);
    cache::WriterConfig config;
    config.level = options_.compression_level;
    config.shuffle = options_.shuffle;
    config.max_inline_bytes = max_inline_;
    config.pool = &threads_;
    Result<ConnectionPool::Lease> db = pool_.acquire();
    if (!db.ok()) return db.status();
    return EntryWriter::Begin(std::move(db).value(), std::move(spec), config);
  }

  Result<std::unique_ptr<EntryReader>> open_reader(const std::string& id) {
    Result<ConnectionPool::Lease> db = pool_.acquire();
    if (!db.ok()) return db.status();
    Result<std::unique_ptr<EntryReader>> r =
        EntryReader::Open(std::move(db).value(), id, &threads_, options_.verify_checksums);
    if (!r.ok() && !r.status().is_not_found()) return r.status().with_context("entry " + id);
    return r;
  }

  Result<Value> read_whole(EntryReader* r) {
    Result<codec::ValueBuilder> builder =
        codec::ValueBuilder::Create(r->header(), r->row().data_type, options_.types.get());
    if (!builder.ok()) return builder.status();
    Status s = r->start(0, r->header().chunk_count, builder->buffer());
    if (!s.ok()) return s;
    for (;;) {
      Result<EntryReader::Batch> b = r->next();
      if (!b.ok()) return b.status();
      if (b->chunks == 0) break;
    }
    return std::move(builder).value().finish();
  }

  // Copies the box [start, start + size) out of the chunks it intersects.
  Result<Volume> region(EntryReader* r, const std::array<uint64_t, 3>& start,
                        const std::array<uint64_t, 3>& size) {
    Result<VolumeLayout> layout = volume_layout(*r);
    if (!layout.ok()) return layout.status();
    const auto& dims = layout->size;
    for (int i = 0; i < 3; ++i) {
      if (size[i] == 0 || start[i] >= dims[i] || size[i] > dims[i] - start[i]) {
        return Status::InvalidArgument(
            "region [" + std::to_string(start[0]) + "," + std::to_string(start[1]) + "," +
            std::to_string(start[2]) + "]+[" + std::to_string(size[0]) + "," +
            std::to_string(size[1]) + "," + std::to_string(size[2]) + "] is empty or leaves the " +
            std::to_string(dims[0]) + "x" + std::to_string(dims[1]) + "x" +
            std::to_string(dims[2]) + " volume");
      }
    }
    VolumeLayout out_layout = *layout;
    out_layout.size = size;
    const Geometry& g = layout->geometry;
    for (int i = 0; i < 3; ++i) {  // origin of the box's first voxel, as ITK computes it
      double p = g.origin[i];
      for (int j = 0; j < 3; ++j) p += g.direction[3 * i + j] * g.spacing[j] * start[j];
      out_layout.geometry.origin[i] = p;
    }
    Result<Volume> out = Volume::Create(out_layout);
    if (!out.ok()) return out.status();

    const uint64_t voxel = pixel_type_size(layout->pixel_type) * layout->components;
    const uint64_t row_bytes = voxel * dims[0];
    const uint64_t cb = r->header().chunk_bytes;
    auto row_offset = [&](uint64_t y, uint64_t z) { return (z * dims[1] + y) * row_bytes; };
    const uint64_t first_byte = row_offset(start[1], start[2]) + start[0] * voxel;
    const uint64_t last_byte = row_offset(start[1] + size[1] - 1, start[2] + size[2] - 1) +
                               (start[0] + size[0]) * voxel - 1;
    Status s = r->start(first_byte / cb, last_byte / cb + 1, nullptr);
    if (!s.ok()) return s;
    const uint64_t out_row = size[0] * voxel;
    uint8_t* dst = out->mutable_data();
    for (;;) {
      Result<EntryReader::Batch> b = r->next();
      if (!b.ok()) return b.status();
      if (b->chunks == 0) break;
      const uint64_t lo = b->first_chunk * cb;
      const uint64_t hi = lo + b->bytes;
      // Only the volume rows this batch holds, not every row of the box.
      for (uint64_t row = lo / row_bytes; row * row_bytes < hi; ++row) {
        const uint64_t y = row % dims[1], z = row / dims[1];
        if (y < start[1] || y >= start[1] + size[1] || z < start[2] || z >= start[2] + size[2]) {
          continue;
        }
        const uint64_t a = row * row_bytes + start[0] * voxel;  // the box's part of this row
        const uint64_t from = std::max(a, lo), to = std::min(a + out_row, hi);
        if (from >= to) continue;
        const uint64_t out_at = ((z - start[2]) * size[1] + (y - start[1])) * out_row + (from - a);
        std::memcpy(dst + out_at, b->data + (from - lo), to - from);
      }
    }
    return out;
  }

  const std::string path_;
  const Options options_;
  ConnectionPool pool_;
  util::ThreadPool threads_;
  cache::MemoryTier tier_;
  uint64_t max_chunk_ = codec::kMaxChunkBytes;
  uint64_t max_inline_ = codec::kMaxInlineChunkBytes;
  std::atomic<uint64_t> memory_hits_{0}, disk_hits_{0}, misses_{0}, puts_{0};
};

}  // namespace

Cache::~Cache() = default;

Result<std::string> Cache::DefaultPath() {
  namespace fs = std::filesystem;
  auto env = [](const char* name) -> const char* {
    const char* v = std::getenv(name);
    return v && *v ? v : nullptr;
  };
  if (const char* dir = env("VOXCACHE_DIR")) return (fs::path(dir) / "cache.db").string();
  if (const char* xdg = env("XDG_CACHE_HOME")) {
    return (fs::path(xdg) / "voxcache" / "cache.db").string();
  }
  if (const char* home = env("HOME")) {
    return (fs::path(home) / ".cache" / "voxcache" / "cache.db").string();
  }
  return Status::InvalidArgument("none of VOXCACHE_DIR, XDG_CACHE_HOME, HOME is set");
}

Result<std::unique_ptr<Cache>> Cache::Open(const std::string& path, const Options& options) {
  namespace fs = std::filesystem;
  if (path.empty()) return Status::InvalidArgument("empty database path");
  if (options.compression_level < 0 || options.compression_level > 19) {
    return Status::InvalidArgument("compression_level must be 0 to 19, got " +
                                   std::to_string(options.compression_level));
  }
  if (options.threads > 1024) {
    return Status::InvalidArgument("threads must be at most 1024, got " +
                                   std::to_string(options.threads));
  }
  std::error_code ec;
  if (!options.read_only && options.create_if_missing) {
    const fs::path parent = fs::path(path).parent_path();
    if (!parent.empty()) fs::create_directories(parent, ec);
    if (ec) return Status::IOError("cannot create " + parent.string() + ": " + ec.message());
  } else if (!fs::exists(path, ec)) {
    return Status::NotFound("no database at " + path);
  }
  Database::OpenOptions open;
  open.read_only = options.read_only;
  open.create = options.create_if_missing;
  open.busy_timeout = options.busy_timeout;
  open.max_value_bytes = static_cast<int64_t>(options.max_sqlite_value_bytes);
  Result<std::unique_ptr<Database>> first = Database::Open(path, open);
  if (!first.ok()) return first.status();
  auto cache = std::make_unique<CacheImpl>(path, options, open);
  Status s = cache->init(std::move(first).value());
  if (!s.ok()) return s;
  return std::unique_ptr<Cache>(std::move(cache));
}

}  // namespace voxcache
