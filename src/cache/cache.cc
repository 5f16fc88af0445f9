// CacheImpl: the Cache interface over the entry writer and reader (chunk
// pipeline), the in-memory tier, the connection pool and the thread pool.

#include "voxcache/cache.h"

#include <nlohmann/json.hpp>

#include <unistd.h>
#include <algorithm>

#include <atomic>
#include <chrono>
#include <climits>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_map>
#include <vector>

#include "cache/connection_pool.h"
#include "cache/entry_reader.h"
#include "cache/entry_writer.h"
#include "cache/memory_tier.h"
#include "codec/entry_format.h"
#include "codec/value_codec.h"
#include "key/recipe.h"
#include "store/entry_store.h"
#include "store/sqlite.h"
#include "util/thread_pool.h"

namespace voxcache {

uint64_t StoredStats::counter(const std::string& name, const std::string& data_type) const {
  for (const Counter& c : counters) {
    if (c.name == name && c.data_type == data_type) return c.value;
  }
  return 0;
}

VolumeWriter::~VolumeWriter() = default;
VolumeReader::~VolumeReader() = default;

namespace {

using cache::ConnectionPool;
using cache::EntryReader;
using cache::EntryWriter;
using store::Database;

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
  info.last_access_ms = row.last_access_ms;
  info.access_count = static_cast<uint64_t>(row.access_count);
  info.pinned = row.pinned;
  info.operation = row.operation.value_or("");
  info.recipe_json = row.recipe ? key::recipe_to_json(*row.recipe) : "";
  info.intensity_json = row.intensity.value_or("");
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
  // `committed(stored_bytes)` runs once, after a commit that wrote the entry.
  VolumeWriterImpl(std::unique_ptr<EntryWriter> w, std::function<Status(uint64_t)> committed)
      : w_(std::move(w)), committed_(std::move(committed)) {}
  Status write(const void* data, uint64_t bytes) override {
    if (!w_) return Status::InvalidArgument("entry is committed already");
    return w_->append(static_cast<const uint8_t*>(data), bytes);
  }
  Status commit() override {
    if (!w_) return Status::OK();
    Status s = w_->commit();
    if (!s.ok() || w_->present() || !committed_) return s;
    const uint64_t stored = w_->stored_bytes();
    w_.reset();  // return the connection first
    std::function<Status(uint64_t)> done = std::move(committed_);
    committed_ = nullptr;
    return done(stored);
  }

 private:
  std::unique_ptr<EntryWriter> w_;
  std::function<Status(uint64_t)> committed_;
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
  // A batch of gets of one entry not yet written to the database.
  struct Pending {
    int64_t at_ms = 0;
    int64_t count = 0;
  };

  // One computation of a key in this process; its followers wait on it.
  struct Flight {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
  };

  // Ends a Flight: forgets it and wakes its followers, whatever happened.
  class FlightGuard {
   public:
    FlightGuard(CacheImpl* c, const OperationKey& key, std::shared_ptr<Flight> f)
        : c_(c), key_(key), f_(std::move(f)) {}
    ~FlightGuard() {
      {
        std::lock_guard<std::mutex> lock(c_->flights_mu_);
        c_->flights_.erase(key_);
      }
      std::lock_guard<std::mutex> lock(f_->mu);
      f_->done = true;
      f_->cv.notify_all();
    }

   private:
    CacheImpl* c_;
    OperationKey key_;
    std::shared_ptr<Flight> f_;
  };

  // Holds a claim: renews its lease from a thread while the computation runs,
  // and releases it at the end, also when the computation fails or throws.
  class ClaimGuard {
   public:
    ClaimGuard(CacheImpl* c, std::string id) : c_(c), id_(std::move(id)) {
      renewer_ = std::thread([this] {
        std::unique_lock<std::mutex> lock(mu_);
        const auto every = std::max(std::chrono::milliseconds(1), c_->options_.claim_lease / 3);
        while (!cv_.wait_for(lock, every, [this] { return stop_; })) {
          lock.unlock();
          (void)c_->with_write([&](Database* db) {
            return store::renew_claim(db, id_, c_->owner_,
                                      now_ms() + c_->options_.claim_lease.count())
                .status();
          });
          lock.lock();
        }
      });
    }
    ~ClaimGuard() {
      {
        std::lock_guard<std::mutex> lock(mu_);
        stop_ = true;
      }
      cv_.notify_all();
      renewer_.join();
      // If this fails the lease runs out and another process takes over.
      (void)c_->with_write([&](Database* db) { return store::release_claim(db, id_, c_->owner_); });
    }

   private:
    CacheImpl* c_;
    std::string id_;
    std::mutex mu_;
    std::condition_variable cv_;
    bool stop_ = false;
    std::thread renewer_;
  };

 public:
  CacheImpl(std::string path, const Options& options, Database::OpenOptions open)
      : path_(std::move(path)),
        options_(options),
        pool_(path_, open),
        threads_(options.threads ? options.threads
                                 : std::max(1u, std::thread::hardware_concurrency())),
        tier_(options.memory_budget_bytes) {}

  ~CacheImpl() override { flush(); }

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
    return put_payload(key, codec::serialize(value, options_.types.get()), metadata, nullptr);
  }

  Status put(const OperationKey& key, const Volume& volume, std::string_view metadata) override {
    return put_payload(key, codec::serialize_volume(volume), metadata, nullptr);
  }

  Status put(const KeyBuilder& recipe, const Value& value, std::string_view metadata) override {
    return put_payload(recipe.build(), codec::serialize(value, options_.types.get()), metadata,
                       &recipe);
  }

  Result<Value> get(const OperationKey& key) override {
    if (std::optional<Value> hot = tier_.get(key)) {
      ++memory_hits_;
      note_access(key, hot->type_tag(), "hits_memory", 0);
      maybe_flush();  // a process served from memory still shows its use to gc elsewhere
      return std::move(*hot);
    }
    const std::string id = key.hex();
    Result<std::unique_ptr<EntryReader>> r = open_reader(id);
    if (!r.ok()) {
      if (r.status().is_not_found()) {
        ++misses_;
        count("misses", "", 1);
      }
      return r.status();
    }
    Result<Value> v = read_whole(r->get());
    if (!v.ok()) return v.status().with_context("entry " + id);
    tier_.put(key, *v, (*r)->header().payload_bytes);
    ++disk_hits_;
    note_access(key, (*r)->row().data_type, "hits_disk", (*r)->row().size_bytes);
    r->reset();  // end the read transaction before a flush may write
    maybe_flush();
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
    return memoize(key, nullptr, compute, metadata, store_status);
  }

  Result<Value> get_or_compute(const KeyBuilder& recipe,
                               const std::function<Result<Value>()>& compute,
                               std::string_view metadata, Status* store_status) override {
    return memoize(recipe.build(), &recipe, compute, metadata, store_status);
  }

  // Single flight: one computation per key across this process's threads
  // (a Flight) and across processes (a claim row with a renewed lease).
  Result<Value> memoize(const OperationKey& key, const KeyBuilder* recipe,
                        const std::function<Result<Value>()>& compute, std::string_view metadata,
                        Status* store_status) {
    if (store_status) *store_status = Status::OK();
    const auto deadline = std::chrono::steady_clock::now() + options_.compute_wait_timeout;
    auto waited_too_long = [&](const std::string& owner) {
      return Status::Busy("gave up after " + std::to_string(options_.compute_wait_timeout.count()) +
                          " ms waiting for " + owner + " to compute " + key.hex());
    };
    std::chrono::milliseconds backoff{5};
    for (;;) {
      Result<Value> cached = get(key);
      if (cached.ok() || !cached.status().is_not_found()) return cached;
      if (options_.read_only)
        return compute_and_store(key, recipe, compute, metadata, store_status);

      std::shared_ptr<Flight> flight;
      bool leader = false;
      {
        std::lock_guard<std::mutex> lock(flights_mu_);
        std::shared_ptr<Flight>& f = flights_[key];
        if (!f) {
          f = std::make_shared<Flight>();
          leader = true;
        }
        flight = f;
      }
      if (!leader) {  // another thread of ours computes or waits for us: wait for it
        std::unique_lock<std::mutex> lock(flight->mu);
        if (!flight->cv.wait_until(lock, deadline, [&] { return flight->done; })) {
          return waited_too_long("another thread");
        }
        continue;
      }
      FlightGuard flight_guard(this, key, flight);
      std::string owner;
      Result<bool> claimed = claim(key.hex(), &owner);
      if (!claimed.ok()) return claimed.status().with_context("claiming " + key.hex());
      if (!*claimed) {  // another process computes it: poll, backing off
        if (std::chrono::steady_clock::now() + backoff > deadline) return waited_too_long(owner);
        std::this_thread::sleep_for(backoff);
        backoff = std::min(backoff * 2, std::chrono::milliseconds(250));
        continue;
      }
      ClaimGuard claim_guard(this, key.hex());
      // The claim's previous holder may have stored it just before we took over.
      Result<Value> again = get(key);
      if (again.ok() || !again.status().is_not_found()) return again;
      return compute_and_store(key, recipe, compute, metadata, store_status);
    }
  }

  Result<Value> compute_and_store(const OperationKey& key, const KeyBuilder* recipe,
                                  const std::function<Result<Value>()>& compute,
                                  std::string_view metadata, Status* store_status) {
    Result<Value> fresh = compute();
    if (!fresh.ok()) return fresh;  // nothing stored: the next caller computes again
    Status s = put_payload(key, codec::serialize(*fresh, options_.types.get()), metadata, recipe);
    if (store_status) *store_status = s;
    if (s.ok()) {
      if (std::optional<uint64_t> cost = memory_cost(*fresh)) tier_.put(key, *fresh, *cost);
    }
    return fresh;
  }

  Result<EntryInfo> info(const OperationKey& key) override {
    flush();  // show this process's recent gets too
    Result<ConnectionPool::Lease> db = pool_.acquire();
    if (!db.ok()) return db.status();
    Result<store::EntryRow> row = store::read_entry(db->get(), key.hex());
    if (!row.ok()) return row.status();
    Result<EntryInfo> info = info_from_row(*row);
    if (!info.ok()) return info;
    for (auto [ids, out] :
         {std::pair{store::inputs_of(db->get(), row->operation_id), &info->inputs},
          std::pair{store::dependents_of(db->get(), row->operation_id), &info->dependents}}) {
      if (!ids.ok()) return ids.status();
      for (const std::string& id : *ids) {
        Result<OperationKey> k = OperationKey::FromHex(id);
        if (!k.ok()) return Status::Corruption("lineage of " + row->operation_id + ": bad key");
        out->push_back(*k);
      }
    }
    return info;
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
        begin_entry(id, payload, layout.byte_size(), std::move(meta).value(), store::EntryRow(),
                    options_.compression_level, false);
    if (!w.ok()) return w.status().with_context("write_volume " + id);
    return std::unique_ptr<VolumeWriter>(
        new VolumeWriterImpl(std::move(w).value(), [this](uint64_t stored) {
          note_put("volume", stored);
          bound_wal();
          return enforce_limits();
        }));
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

  Status pin(const OperationKey& key, bool pinned) override {
    if (options_.read_only) return Status::InvalidArgument("cache is open read-only");
    Result<ConnectionPool::Lease> db = pool_.acquire();
    if (!db.ok()) return db.status();
    bool found = false;
    Status s = store::set_pinned(db->get(), key.hex(), pinned, &found);
    if (!s.ok()) return s;
    return found ? Status::OK() : Status::NotFound("no entry " + key.hex());
  }

  Result<GcReport> gc(const Limits& limits) override {
    if (options_.read_only) return Status::InvalidArgument("cache is open read-only");
    return evict(limits);
  }

  Result<StoredStats> stored_stats() override {
    flush();
    Result<ConnectionPool::Lease> db = pool_.acquire();
    if (!db.ok()) return db.status();
    StoredStats out;
    Result<store::Totals> t = store::totals(db->get());
    if (!t.ok()) return t.status();
    out.entries = static_cast<uint64_t>(t->entries);
    out.stored_bytes = static_cast<uint64_t>(t->stored_bytes);
    out.raw_bytes = static_cast<uint64_t>(t->raw_bytes);
    Result<std::vector<store::TypeTotals>> types = store::totals_by_type(db->get());
    if (!types.ok()) return types.status();
    for (const store::TypeTotals& k : *types) {
      out.by_type.push_back({k.data_type, static_cast<uint64_t>(k.entries),
                             static_cast<uint64_t>(k.stored_bytes),
                             static_cast<uint64_t>(k.raw_bytes)});
    }
    Result<std::vector<store::Counter>> cs = store::counters(db->get());
    if (!cs.ok()) return cs.status();
    for (const store::Counter& c : *cs) {
      out.counters.push_back({c.name, c.data_type, static_cast<uint64_t>(c.value)});
    }
    return out;
  }

  Status zero_stats() override {
    if (options_.read_only) return Status::InvalidArgument("cache is open read-only");
    {
      std::lock_guard<std::mutex> lock(pending_mu_);
      pending_counters_.clear();
    }
    Result<ConnectionPool::Lease> db = pool_.acquire();
    if (!db.ok()) return db.status();
    return store::zero_counters(db->get());
  }

  Status verify(const OperationKey& key) override {
    const std::string id = key.hex();
    Result<ConnectionPool::Lease> db = pool_.acquire();
    if (!db.ok()) return db.status();
    Result<std::unique_ptr<EntryReader>> r =
        EntryReader::Open(std::move(db).value(), id, &threads_, /*verify=*/true);
    if (!r.ok())
      return r.status().is_not_found() ? r.status() : r.status().with_context("entry " + id);
    Result<codec::ValueBuilder> builder =  // checks data_type and the layout
        codec::ValueBuilder::Create((*r)->header(), (*r)->row().data_type, nullptr);
    if (!builder.ok() && !builder.status().is_not_supported()) {
      return builder.status().with_context("entry " + id);
    }
    Status s = (*r)->start(0, (*r)->header().chunk_count, nullptr);
    while (s.ok()) {
      Result<EntryReader::Batch> b = (*r)->next();
      if (!b.ok())
        s = b.status();
      else if (b->chunks == 0)
        break;
    }
    return s.ok() ? s : s.with_context("entry " + id);
  }

  Result<RecompressReport> recompress(const OperationKey& key, int level) override {
    if (options_.read_only) return Status::InvalidArgument("cache is open read-only");
    if (level < 0 || level > 19) {
      return Status::InvalidArgument("level must be 0 to 19, got " + std::to_string(level));
    }
    const std::string id = key.hex();
    RecompressReport report;
    store::EntryRow carry;
    Result<Value> value = Status::NotFound(id);
    {
      Result<std::unique_ptr<EntryReader>> r = open_reader(id);
      if (!r.ok()) return r.status();
      carry = (*r)->row();
      report.bytes_before = report.bytes_after = static_cast<uint64_t>(carry.size_bytes);
      const bool same = carry.level == level;  // the level it was written with
      if (same) return report;
      value = read_whole(r->get());
      if (!value.ok()) return value.status().with_context("entry " + id);
      Result<std::vector<std::string>> inputs = store::inputs_of(r->get()->lease_db(), id);
      if (!inputs.ok()) return inputs.status();
      carry.inputs = std::move(inputs).value();
    }
    Result<codec::Payload> payload = codec::serialize(*value, options_.types.get());
    if (!payload.ok()) return payload.status().with_context("entry " + id);
    std::optional<std::string> metadata = carry.metadata;
    Result<std::unique_ptr<EntryWriter>> w = begin_entry(id, *payload, payload->bytes().size(),
                                                         metadata, carry, level, /*replace=*/true);
    if (!w.ok()) return w.status().with_context("recompress " + id);
    const std::string_view bytes = payload->bytes();
    (*w)->choose_filter(sample_chunks(bytes, plan(*payload)));
    Status s = (*w)->append(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    if (s.ok()) s = (*w)->commit();
    if (!s.ok()) return s.with_context("recompress " + id);
    report.changed = true;
    report.bytes_after = (*w)->stored_bytes();
    return report;
  }

  Status vacuum() override {
    if (options_.read_only) return Status::InvalidArgument("cache is open read-only");
    flush();
    Result<ConnectionPool::Lease> db = pool_.acquire();
    if (!db.ok()) return db.status();
    Status s = (*db)->exec("VACUUM");
    if (s.ok()) s = (*db)->exec("PRAGMA wal_checkpoint(TRUNCATE)");
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
                     std::string_view metadata, const KeyBuilder* recipe) {
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
    store::EntryRow carry;
    if (recipe) {
      carry.operation = recipe->operation();
      carry.recipe = recipe->canonical_encoding();
      for (const OperationKey& in : recipe->inputs()) carry.inputs.push_back(in.hex());
    }
    Result<std::unique_ptr<EntryWriter>> w =
        begin_entry(id, *payload, payload->bytes().size(), std::move(meta).value(),
                    std::move(carry), options_.compression_level, false);
    if (!w.ok()) return w.status().with_context("put " + id);
    if ((*w)->present()) return Status::OK();
    const std::string_view bytes = payload->bytes();
    (*w)->choose_filter(sample_chunks(bytes, plan(*payload)));
    Status s = (*w)->append(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    if (s.ok()) s = (*w)->commit();
    if (!s.ok()) return s.with_context("put " + id);
    if (!(*w)->present()) note_put(payload->data_type, (*w)->stored_bytes());
    w->reset();  // give the connection back before eviction needs one
    bound_wal();
    return enforce_limits();
  }

  // --- single flight ------------------------------------------------------------

  // Runs `fn` in a write transaction on a pooled connection.
  Status with_write(const std::function<Status(Database*)>& fn) {
    Result<ConnectionPool::Lease> db = pool_.acquire();
    if (!db.ok()) return db.status();
    Result<std::unique_ptr<store::Transaction>> txn =
        store::Transaction::Begin(db->get(), store::Transaction::Mode::kWrite);
    if (!txn.ok()) return txn.status();
    Status s = fn(db->get());
    return s.ok() ? (*txn)->commit() : s;
  }

  Result<bool> claim(const std::string& id, std::string* owner) {
    bool claimed = false;
    Status s = with_write([&](Database* db) {
      Result<bool> r =
          store::try_claim(db, id, owner_, now_ms(), options_.claim_lease.count(), owner);
      if (r.ok()) claimed = *r;
      return r.status();
    });
    if (!s.ok()) return s;
    return claimed;
  }

  // --- use recording: batched so a get costs no write of its own ---------------

  void count(const std::string& name, const std::string& data_type, int64_t delta) {
    if (options_.read_only) return;
    std::lock_guard<std::mutex> lock(pending_mu_);
    pending_counters_[{name, ""}] += delta;
    if (!data_type.empty()) pending_counters_[{name, data_type}] += delta;
  }

  void note_access(const OperationKey& key, const std::string& data_type, const char* hit,
                   int64_t bytes_read) {
    if (options_.read_only) return;
    count(hit, data_type, 1);
    if (bytes_read) count("bytes_read", data_type, bytes_read);
    std::lock_guard<std::mutex> lock(pending_mu_);
    Pending& p = pending_access_[key];
    p.at_ms = now_ms();
    ++p.count;
  }

  void note_put(const std::string& data_type, uint64_t stored) {
    ++puts_;
    count("puts", data_type, 1);
    count("bytes_written", data_type, static_cast<int64_t>(stored));
  }

  // Writes pending records every 256 gets or every 2 seconds.
  void maybe_flush() {
    {
      std::lock_guard<std::mutex> lock(pending_mu_);
      if (pending_access_.size() < 256 &&
          std::chrono::steady_clock::now() - last_flush_ < std::chrono::seconds(2)) {
        return;
      }
    }
    flush();
  }

  // Best effort: records that cannot be written now (a busy database) are
  // kept for the next flush; a failure never fails the caller's operation.
  void flush() {
    if (options_.read_only) return;
    std::unordered_map<OperationKey, Pending> access;
    std::map<std::pair<std::string, std::string>, int64_t> counters;
    {
      std::lock_guard<std::mutex> lock(pending_mu_);
      last_flush_ = std::chrono::steady_clock::now();
      if (pending_access_.empty() && pending_counters_.empty()) return;
      access.swap(pending_access_);
      counters.swap(pending_counters_);
    }
    Status s = write_records(access, counters);
    if (s.ok()) return;
    std::lock_guard<std::mutex> lock(pending_mu_);
    for (const auto& [k, p] : access) {
      Pending& q = pending_access_[k];
      q.at_ms = std::max(q.at_ms, p.at_ms);
      q.count += p.count;
    }
    for (const auto& [k, v] : counters) pending_counters_[k] += v;
  }

  Status write_records(const std::unordered_map<OperationKey, Pending>& access,
                       const std::map<std::pair<std::string, std::string>, int64_t>& counters) {
    Result<ConnectionPool::Lease> db = pool_.acquire();
    if (!db.ok()) return db.status();
    Result<std::unique_ptr<store::Transaction>> txn =
        store::Transaction::Begin(db->get(), store::Transaction::Mode::kWrite);
    if (!txn.ok()) return txn.status();
    for (const auto& [k, p] : access) {
      Status s = store::touch(db->get(), k.hex(), p.at_ms, p.count);
      if (!s.ok()) return s;
    }
    for (const auto& [k, v] : counters) {
      Status s = store::add_counter(db->get(), k.first, k.second, v);
      if (!s.ok()) return s;
    }
    return (*txn)->commit();
  }

  // SQLite checkpoints after commits on its own (PASSIVE, every 1000 pages),
  // but a checkpoint cannot start the log over while a reader still uses its
  // end, so under a continuous mix of readers and writers the file only
  // grows. Past the limit, a RESTART checkpoint waits (busy handler, up to
  // busy_timeout) for those readers to move on, then the log starts over and
  // journal_size_limit truncates it. A reader that never ends (a VolumeReader
  // kept open) still holds the log at its snapshot; that is documented.
  void bound_wal() {
    if (options_.wal_limit_bytes == 0) return;
    std::error_code ec;
    const uint64_t wal = std::filesystem::file_size(path_ + "-wal", ec);
    if (ec || wal <= options_.wal_limit_bytes) return;
    Result<ConnectionPool::Lease> db = pool_.acquire();
    if (db.ok()) (void)(*db)->exec("PRAGMA wal_checkpoint(RESTART)");  // Busy: next put tries again
  }

  // --- limits -------------------------------------------------------------------

  Status enforce_limits() {
    if (!options_.max_bytes && !options_.max_entries && options_.max_age.count() == 0) {
      return Status::OK();
    }
    bool over = false;
    {
      Result<ConnectionPool::Lease> db = pool_.acquire();
      if (!db.ok()) return db.status();
      Result<store::Totals> t = store::totals(db->get());
      if (!t.ok()) return t.status();
      over = (options_.max_bytes && static_cast<uint64_t>(t->stored_bytes) > options_.max_bytes) ||
             (options_.max_entries && static_cast<uint64_t>(t->entries) > options_.max_entries);
      if (!over && options_.max_age.count() > 0) {
        Result<std::optional<int64_t>> oldest = store::oldest_unpinned_access(db->get());
        if (!oldest.ok()) return oldest.status();
        over = *oldest && **oldest < now_ms() - options_.max_age.count() * 1000;
      }
    }
    if (!over) return Status::OK();
    // Down to 90% (rounded down, never to 0, which would mean "no limit"),
    // so that the next puts do not each evict again.
    auto ninety = [](uint64_t m) { return m ? std::max<uint64_t>(1, m - (m + 9) / 10) : 0; };
    const Limits target{ninety(options_.max_bytes), ninety(options_.max_entries), options_.max_age};
    Result<GcReport> r = evict(target);
    return r.ok() ? Status::OK() : r.status().with_context("evicting to the cache's limits");
  }

  Result<GcReport> evict(const Limits& limits) {
    flush();  // recent gets count as use
    Result<ConnectionPool::Lease> db = pool_.acquire();
    if (!db.ok()) return db.status();
    Result<std::unique_ptr<store::Transaction>> txn =
        store::Transaction::Begin(db->get(), store::Transaction::Mode::kWrite);
    if (!txn.ok()) return txn.status();
    Result<store::Totals> t = store::totals(db->get());
    if (!t.ok()) return t.status();
    uint64_t bytes = static_cast<uint64_t>(t->stored_bytes),
             entries = static_cast<uint64_t>(t->entries);
    const int64_t cutoff =
        limits.max_age.count() > 0 ? now_ms() - limits.max_age.count() * 1000 : INT64_MIN;
    std::vector<store::LruEntry> victims;
    Status s = store::for_each_lru(db->get(), [&](const store::LruEntry& e) {
      const bool over = (limits.max_bytes && bytes > limits.max_bytes) ||
                        (limits.max_entries && entries > limits.max_entries) ||
                        e.last_access_ms < cutoff;
      if (!over) return false;  // the rest are more recently used
      victims.push_back(e);
      bytes -= static_cast<uint64_t>(e.size_bytes);
      --entries;
      return true;
    });
    if (!s.ok()) return s;
    GcReport report;
    for (const store::LruEntry& e : victims) {
      Result<bool> gone = store::delete_entry(db->get(), e.operation_id);
      if (!gone.ok()) return gone.status();
      s = store::add_counter(db->get(), "evictions", "", 1);
      if (s.ok()) s = store::add_counter(db->get(), "evictions", e.data_type, 1);
      if (!s.ok()) return s;
      Result<OperationKey> k = OperationKey::FromHex(e.operation_id);
      if (k.ok()) report.removed.push_back(*k);
      report.freed_bytes += static_cast<uint64_t>(e.size_bytes);
    }
    s = (*txn)->commit();
    if (!s.ok()) return s;
    for (const OperationKey& k : report.removed) tier_.erase(k);
    report.entries_left = entries;
    report.bytes_left = bytes;
    return report;
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
                                                   std::optional<std::string> metadata,
                                                   store::EntryRow carry, int level, bool replace) {
    cache::EntrySpec spec;
    spec.id = id;
    spec.kind = payload.kind;
    spec.data_type = payload.data_type;
    spec.kind_header = payload.kind_header;
    spec.payload_bytes = payload_bytes;
    spec.chunk_bytes = plan(payload);
    spec.shuffle_element = payload.kind == Value::Kind::kVolume ? payload.element_bytes : 0;
    spec.metadata = std::move(metadata);
    spec.volume = payload.layout;
    spec.carry = std::move(carry);
    spec.replace = replace;
    cache::WriterConfig config;
    config.level = level;
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

  std::mutex flights_mu_;
  std::unordered_map<OperationKey, std::shared_ptr<Flight>> flights_;
  // Names this process in claims: host, pid, and a random part, since a pid
  // is reused after its process dies.
  const std::string owner_ = [] {
    char host[256] = {0};
    gethostname(host, sizeof(host) - 1);
    std::random_device rd;
    return std::string(host) + ":" + std::to_string(getpid()) + ":" + std::to_string(rd());
  }();
  std::mutex pending_mu_;
  std::unordered_map<OperationKey, Pending> pending_access_;
  std::map<std::pair<std::string, std::string>, int64_t> pending_counters_;
  std::chrono::steady_clock::time_point last_flush_ = std::chrono::steady_clock::now();
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
  open.max_database_bytes = options.max_database_bytes;
  open.wal_limit_bytes = options.wal_limit_bytes;
  Result<std::unique_ptr<Database>> first = Database::Open(path, open);
  if (!first.ok()) return first.status();
  auto cache = std::make_unique<CacheImpl>(path, options, open);
  Status s = cache->init(std::move(first).value());
  if (!s.ok()) return s;
  return std::unique_ptr<Cache>(std::move(cache));
}

}  // namespace voxcache
