// CacheImpl: puts Value serialization (codec/), chunk compression and the
// SQLite rows (store/) together behind the Cache interface.

#include "voxcache/cache.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <vector>

#include "codec/entry_format.h"
#include "codec/value_codec.h"
#include "store/entry_store.h"
#include "store/sqlite.h"
#include "util/coding.h"
#include "util/xxhash.h"

namespace voxcache {
namespace {

using store::Database;
using store::Transaction;

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Empty stays empty; anything else must be JSON and is stored re-serialized.
Result<std::optional<std::string>> normalize_metadata(std::string_view text) {
  if (text.empty()) return std::optional<std::string>();
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Status::InvalidArgument("metadata is not valid JSON");
  return std::optional<std::string>(j.dump());
}

std::string checksum_text(const std::array<uint8_t, 16>& digest) {
  return "xxh3-128:" + util::to_hex(digest.data(), digest.size());
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

// Hands out SQLite connections, one thread at a time each, creating them on
// demand. WAL lets the readers among them run in parallel with a writer.
class ConnectionPool {
 public:
  ConnectionPool(std::string path, Database::OpenOptions options)
      : path_(std::move(path)), options_(options) {}

  class Lease {
   public:
    Lease(ConnectionPool* pool, std::unique_ptr<Database> db) : pool_(pool), db_(std::move(db)) {}
    Lease(Lease&&) = default;
    ~Lease() {
      if (db_) pool_->release(std::move(db_));
    }
    Database* operator->() const { return db_.get(); }
    Database* get() const { return db_.get(); }

   private:
    ConnectionPool* pool_;
    std::unique_ptr<Database> db_;
  };

  Result<Lease> acquire() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!idle_.empty()) {
        std::unique_ptr<Database> db = std::move(idle_.back());
        idle_.pop_back();
        return Lease(this, std::move(db));
      }
    }
    Result<std::unique_ptr<Database>> db = Database::Open(path_, options_);
    if (!db.ok()) return db.status();
    return Lease(this, std::move(db).value());
  }

  void release(std::unique_ptr<Database> db) {
    std::lock_guard<std::mutex> lock(mu_);
    idle_.push_back(std::move(db));
  }

 private:
  const std::string path_;
  const Database::OpenOptions options_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Database>> idle_;
};

class CacheImpl final : public Cache {
 public:
  CacheImpl(std::string path, const Options& options, Database::OpenOptions open)
      : path_(std::move(path)), options_(options), pool_(path_, open) {}

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
    if (options_.read_only) return Status::InvalidArgument("cache is open read-only");
    const std::string id = key.hex();
    Result<std::optional<std::string>> meta = normalize_metadata(metadata);
    if (!meta.ok()) return meta.status().with_context("put " + id);
    Result<codec::Payload> payload = codec::serialize(value, options_.types.get());
    if (!payload.ok()) return payload.status().with_context("put " + id);

    // Content addressing makes a present key's value known already: skip the
    // compression work, not just the write.
    {
      Result<ConnectionPool::Lease> db = pool_.acquire();
      if (!db.ok()) return db.status();
      Result<bool> exists = store::entry_exists(db->get(), id);
      if (!exists.ok()) return exists.status().with_context("put " + id);
      if (*exists) return Status::OK();
    }

    codec::EntryHeader h;
    h.kind = payload->kind;
    h.kind_header = payload->kind_header;
    h.payload_bytes = payload->bytes().size();
    const uint64_t target = std::max<uint64_t>(1, std::min(options_.chunk_bytes, max_chunk_));
    h.chunk_bytes = h.payload_bytes ? codec::plan_chunk_bytes(*payload, target) : 0;
    h.chunk_count = h.payload_bytes ? (h.payload_bytes - 1) / h.chunk_bytes + 1 : 0;

    // Compress before taking the write lock: other writers wait only for I/O.
    util::Xxh3_128 whole;
    whole.update(payload->bytes().data(), payload->bytes().size());
    h.payload_xxh3_128 = whole.digest();
    std::vector<std::string> chunks(h.chunk_count);
    bool any_compressed = false;
    uint64_t stored = 0;
    for (uint64_t i = 0; i < h.chunk_count; ++i) {
      Status s =
          codec::encode_chunk(payload->bytes().substr(i * h.chunk_bytes, h.chunk_raw_size(i)),
                              options_.compression_level, &chunks[i]);
      if (!s.ok()) return s.with_context("put " + id + ": chunk " + std::to_string(i));
      any_compressed |= codec::chunk_codec(chunks[i]) == codec::ChunkCodec::kZstd;
      stored += chunks[i].size();
    }

    store::EntryRow row;
    row.operation_id = id;
    if (h.chunk_count == 1 && chunks[0].size() <= max_inline_) {
      h.flags |= codec::kFlagInlineChunks;
    }
    row.data = codec::encode_header(h);
    if (h.inline_chunks()) {
      for (const std::string& c : chunks) codec::append_inline_chunk(c, &row.data);
      chunks.clear();
      stored = 0;
    }
    row.data_type = payload->data_type;
    row.created_at_ms = now_ms();
    row.size_bytes = static_cast<int64_t>(stored + row.data.size());
    row.raw_bytes = static_cast<int64_t>(h.payload_bytes);
    row.chunk_count = static_cast<int64_t>(h.chunk_count);
    row.codec = any_compressed ? "zstd" : "none";
    row.level = any_compressed ? options_.compression_level : 0;
    row.checksum = checksum_text(h.payload_xxh3_128);
    row.metadata = std::move(*meta);

    Result<ConnectionPool::Lease> db = pool_.acquire();
    if (!db.ok()) return db.status();
    Result<std::unique_ptr<Transaction>> txn =
        Transaction::Begin(db->get(), Transaction::Mode::kWrite);
    if (!txn.ok()) return txn.status().with_context("put " + id);
    Result<bool> exists = store::entry_exists(db->get(), id);  // a racing put may have won
    if (!exists.ok()) return exists.status().with_context("put " + id);
    if (*exists) return Status::OK();
    Status s = store::insert_entry(db->get(), row, chunks);
    if (s.ok()) s = (*txn)->commit();
    return s.with_context("put " + id);
  }

  Result<Value> get(const OperationKey& key) override {
    const std::string id = key.hex();
    Result<ConnectionPool::Lease> db = pool_.acquire();
    if (!db.ok()) return db.status();
    // One read transaction: the header and every chunk come from one snapshot
    // even while another connection erases or replaces the entry.
    Result<std::unique_ptr<Transaction>> txn =
        Transaction::Begin(db->get(), Transaction::Mode::kRead);
    if (!txn.ok()) return txn.status().with_context("get " + id);
    Result<Value> v = read_value(db->get(), id);
    if (!v.ok() && !v.status().is_not_found()) return v.status().with_context("entry " + id);
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
    Result<ConnectionPool::Lease> db = pool_.acquire();
    if (!db.ok()) return db.status();
    Result<std::unique_ptr<Transaction>> txn =
        Transaction::Begin(db->get(), Transaction::Mode::kWrite);
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
    return fresh;
  }

  Result<EntryInfo> info(const OperationKey& key) override {
    Result<ConnectionPool::Lease> db = pool_.acquire();
    if (!db.ok()) return db.status();
    Result<store::EntryRow> row = store::read_entry(db->get(), key.hex());
    if (!row.ok()) return row.status();
    return info_from_row(*row);
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
  Result<Value> read_value(Database* db, const std::string& id) {
    Result<store::EntryRow> row = store::read_entry(db, id);
    if (!row.ok()) return row.status();
    size_t header_len = 0;
    Result<codec::EntryHeader> h = codec::decode_header(row->data, &header_len);
    if (!h.ok()) return h.status();
    Result<codec::ValueBuilder> builder =
        codec::ValueBuilder::Create(*h, row->data_type, options_.types.get());
    if (!builder.ok()) return builder.status();
    uint8_t* out = builder->buffer();
    const bool verify = options_.verify_checksums;
    util::Xxh3_128 whole;
    auto decode = [&](uint64_t i, std::string_view blob) -> Status {
      const uint64_t n = h->chunk_raw_size(i);
      uint8_t* dst = out + i * h->chunk_bytes;
      Status s = codec::decode_chunk(blob, n, verify, dst);
      if (s.ok() && verify) whole.update(dst, n);
      return s;
    };
    if (h->inline_chunks()) {
      Result<std::vector<std::string_view>> blobs = codec::split_inline_chunks(
          std::string_view(row->data).substr(header_len), h->chunk_count);
      if (!blobs.ok()) return blobs.status();
      for (uint64_t i = 0; i < h->chunk_count; ++i) {
        Status s = decode(i, (*blobs)[i]);
        if (!s.ok()) return s.with_context("chunk " + std::to_string(i));
      }
    } else {
      Status s = store::for_each_chunk(db, id, h->chunk_count, decode);
      if (!s.ok()) return s;
    }
    if (verify && whole.digest() != h->payload_xxh3_128) {
      return Status::Corruption("payload checksum mismatch");
    }
    return std::move(builder).value().finish();
  }

  const std::string path_;
  const Options options_;
  ConnectionPool pool_;
  uint64_t max_chunk_ = codec::kMaxChunkBytes;
  uint64_t max_inline_ = codec::kMaxInlineChunkBytes;
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
