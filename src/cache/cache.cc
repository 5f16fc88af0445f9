// The Cache facade: the in-memory tier of decoded values in front of the
// TierStack (the local SQLite tier, then any tiers below it, the Redis remote
// among them), and everything else handed to the unit that owns it: the
// chunk pipeline, single flight, usage records, limits, region reads,
// administration and the remote's pushes and counters.

#include "voxcache/cache.h"

#include <algorithm>
#include <atomic>
#include <thread>

#include "cache/admin.h"
#include "cache/limits.h"
#include "cache/open.h"
#include "cache/pipeline.h"
#include "cache/region.h"
#include "cache/remote.h"
#include "cache/single_flight.h"
#include "cache/streams.h"
#include "cache/tier_stack.h"
#include "cache/usage_recorder.h"
#include "store/catalog.h"
#include "tier/local_tier.h"
#include "tier/memory_tier.h"
#include "util/thread_pool.h"

namespace voxcache {

namespace cache {
namespace {

class CacheImpl final : public Cache {
 public:
  CacheImpl(std::string path, const Options& options, util::Env* env,
            std::unique_ptr<store::Catalog> catalog, std::vector<std::unique_ptr<tier::Tier>> below)
      : path_(std::move(path)),
        options_(options),
        catalog_(std::move(catalog)),
        local_(catalog_.get()),
        below_(std::move(below)),
        threads_(options.threads ? options.threads
                                 : std::max(1u, std::thread::hardware_concurrency())),
        pipeline_(options_, &threads_, env, catalog_->max_value_bytes()),
        memory_(options.memory_budget_bytes),
        usage_(catalog_.get(), options.record_reads),
        limits_(catalog_.get(), options_, &usage_,
                [this](const OperationKey& k) { memory_.erase(k); }),
        claims_(catalog_.get()),
        stack_(&local_, &pipeline_, options.verify_checksums),
        admin_({&local_, &pipeline_, &limits_, &usage_, &stack_}),
        env_(env) {
    for (const auto& t : below_) stack_.add_below(t.get());
  }

  // Connects the remote tier, if one is configured; InvalidArgument for a
  // malformed URL (a server that does not answer is not an error).
  Status init() {
    Result<std::unique_ptr<Remote>> remote = Remote::Open(options_, env_, &usage_);
    if (!remote.ok()) return remote.status();
    remote_ = std::move(remote).value();
    admin_.attach_remote(remote_.get());
    ClaimTable* claims = &claims_;
    if (remote_) {
      stack_.add_below(remote_->tier());
      if (!remote_->read_only()) claims = remote_->claims(&claims_);
    }
    flight_ = std::make_unique<SingleFlight>(claims, env_, options_.claim_lease,
                                             options_.compute_wait_timeout);
    return Status::OK();
  }

  Status put(const OperationKey& key, const Value& value, const PutOptions& options) override {
    return put_payload(key, codec::serialize(value, options_.types.get()), options, options.stored);
  }
  Status put(const OperationKey& key, const Volume& volume, const PutOptions& options) override {
    return put_payload(key, codec::serialize_volume(volume), options, options.stored);
  }

  Result<Value> get(const OperationKey& key) override { return lookup(key, /*count_miss=*/true); }

  // A get; `count_miss` false for get_or_compute's lookups, which count one
  // miss for the call when it computes, however often it looked.
  Result<Value> lookup(const OperationKey& key, bool count_miss) {
    const uint64_t generation = check_replacements();
    if (std::optional<Value> hot = memory_.get(key)) {
      ++memory_hits_;
      usage_.note_access(key, hot->type_tag(), "hits_memory", 0);
      usage_.maybe_flush();  // a process served from memory still shows its use to gc elsewhere
      return std::move(*hot);
    }
    Result<TierStack::Read> r = stack_.read(key.hex(), /*copy_up=*/!catalog_->read_only());
    if (!r.ok()) {
      if (r.status().is_not_found() && count_miss) count_miss_now();
      return r.status();
    }
    memory_.put(key, r->value, r->payload_bytes, generation);
    if (r->tier > 0 && remote_) remote_->count_hit(r->data_type, r->stored_bytes);
    if (r->tier == 0) ++disk_hits_;
    usage_.note_access(key, r->data_type, r->tier == 0 ? "hits_disk" : "hits_remote",
                       static_cast<int64_t>(r->stored_bytes), r->last_access_ms);
    usage_.maybe_flush();
    return std::move(r->value);
  }

  // Drops the memory tier when an entry was replaced or erased since it was
  // filled, by any handle of any process (store/replacements.h), and
  // returns the tier's generation: what a lookup reads after this is kept
  // only if no other lookup dropped the tier meanwhile. Nothing is served
  // from memory when the count cannot be read.
  uint64_t check_replacements() {
    Result<int64_t> n = catalog_->replacements();
    if (!n.ok() || *n != seen_replacements_.load()) {
      memory_.clear();  // before the count is taken as seen, so no get serves it
      if (n.ok()) seen_replacements_ = *n;
    }
    return memory_.generation();
  }

  Result<bool> contains(const OperationKey& key) override { return stack_.contains(key.hex()); }

  // Erases the key from every tier that will (not a read-only remote), so
  // that no get finds it afterwards.
  Status erase(const OperationKey& key) override {
    Status s = catalog_->check_writable();
    if (!s.ok()) return s;
    memory_.erase(key);
    Result<bool> gone = stack_.erase(key.hex());
    if (!gone.ok()) return gone.status().with_context("erase " + key.hex());
    return *gone ? Status::OK() : Status::NotFound("no entry " + key.hex());
  }

  Result<Value> get_or_compute(const OperationKey& key,
                               const std::function<Result<Value>()>& compute,
                               const PutOptions& options, Status* store_status) override {
    if (store_status) *store_status = Status::OK();
    // Options checked before computing: a bad one would make a good
    // computation fail to store.
    Status s = check_put_options(key, options);
    if (s.ok() && options.replace) {
      s = Status::InvalidArgument(
          "PutOptions::replace is for put and write_volume: a "
          "get_or_compute that finds the key computes nothing to replace it");
    }
    if (!s.ok()) return s.with_context("get_or_compute " + key.hex());
    return memoize(key, compute, options, store_status);
  }

  Result<EntryInfo> info(const OperationKey& key) override {
    usage_.flush();  // show this process's recent gets too
    return admin_.info(key.hex());
  }

  Result<Volume> read_region(const OperationKey& key, const std::array<uint64_t, 3>& start,
                             const std::array<uint64_t, 3>& size) override {
    Result<std::unique_ptr<EntryReader>> r = stack_.reader(key.hex());
    if (!r.ok()) return r.status();
    Result<Volume> v = read_box(r->get(), start, size);
    return v.ok() ? v : v.status().with_context("entry " + key.hex());
  }

  Result<Volume> read_region(const OperationKey& key, const std::array<uint64_t, 3>& start,
                             const std::array<uint64_t, 3>& size, uint64_t first_frame,
                             uint64_t frame_count) override {
    Result<std::unique_ptr<EntryReader>> r = stack_.reader(key.hex());
    if (!r.ok()) return r.status();
    Result<Volume> v = read_box(r->get(), start, size, std::pair{first_frame, frame_count});
    return v.ok() ? v : v.status().with_context("entry " + key.hex());
  }

  Result<Volume> read_slice(const OperationKey& key, int axis, uint64_t index) override {
    Result<std::unique_ptr<EntryReader>> r = stack_.reader(key.hex());
    if (!r.ok()) return r.status();
    Result<VolumeLayout> layout = volume_layout(**r);
    Result<std::pair<Box, Box>> box = layout.ok() ? slice_box(*layout, axis, index)
                                                  : Result<std::pair<Box, Box>>(layout.status());
    Result<Volume> v =
        box.ok() ? read_box(r->get(), box->first, box->second) : Result<Volume>(box.status());
    return v.ok() ? v : v.status().with_context("entry " + key.hex());
  }

  Result<std::unique_ptr<VolumeWriter>> write_volume(const OperationKey& key,
                                                     const VolumeLayout& layout,
                                                     const PutOptions& options) override {
    const std::string id = key.hex();
    Status s = catalog_->check_writable();
    if (s.ok()) s = layout.validate();
    if (s.ok()) s = check_put_options(key, options);
    Result<std::optional<std::string>> meta =
        s.ok() ? normalize_metadata(options.metadata_json) : s;
    if (!meta.ok()) return meta.status().with_context("write_volume " + id);
    Result<std::unique_ptr<tier::EntrySink>> sink = sink_for(key, options, /*look_first=*/true);
    if (!sink.ok()) return sink.status().with_context("write_volume " + id);
    const codec::Payload payload = codec::describe_volume(layout);
    Result<std::unique_ptr<EntryWriter>> w = pipeline_.writer(
        std::move(sink).value(), payload, layout.byte_size(),
        {id, std::move(meta).value(), lineage_of(options), options_.compression_level,
         options.layout ? *options.layout : options_.layout});
    if (!w.ok()) return w.status().with_context("write_volume " + id);
    return std::unique_ptr<VolumeWriter>(
        new StreamWriter(std::move(w).value(), &threads_,
                         [this, id](uint64_t stored) { return stored_one(id, "volume", stored); }));
  }

  Result<std::unique_ptr<VolumeReader>> read_volume(const OperationKey& key) override {
    const std::string id = key.hex();
    Result<std::unique_ptr<EntryReader>> r = stack_.reader(id);
    if (!r.ok()) return r.status();
    Result<VolumeLayout> layout = volume_layout(**r);
    if (!layout.ok()) return layout.status().with_context("entry " + id);
    Result<std::unique_ptr<StreamReader>> stream =
        StreamReader::Open(std::move(r).value(), *layout);
    if (!stream.ok()) return stream.status().with_context("entry " + id);
    ++disk_hits_;
    return std::unique_ptr<VolumeReader>(std::move(stream).value());
  }

  CacheStats stats() const override {
    CacheStats s;
    s.memory_hits = memory_hits_;
    s.disk_hits = disk_hits_;
    s.misses = misses_;
    s.puts = puts_;
    s.memory_bytes = memory_.bytes();
    s.memory_entries = memory_.entries();
    if (remote_) remote_->fill(&s);
    return s;
  }

  Admin& admin() override { return admin_; }

  const std::string& path() const override { return path_; }

 private:
  // Single flight, except in a read-only cache, which can claim nothing.
  Result<Value> memoize(const OperationKey& key, const std::function<Result<Value>()>& compute,
                        const PutOptions& options, Status* store_status) {
    auto quiet_lookup = [&] { return lookup(key, /*count_miss=*/false); };
    auto compute_and_store = [&]() -> Result<Value> {
      count_miss_now();
      Result<Value> fresh = compute();
      if (!fresh.ok()) return fresh;  // nothing stored: the next caller computes again
      const uint64_t generation = memory_.generation();
      bool wrote = false;
      Status s = put_payload(key, codec::serialize(*fresh, options_.types.get()), options, &wrote);
      if (store_status) *store_status = s;
      // Only what this call stored: an entry another process stored first
      // is the one every later get must see, from memory too.
      if (s.ok() && wrote) {
        if (std::optional<uint64_t> cost = tier::MemoryTier::cost_of(*fresh))
          memory_.put_computed(key, *fresh, *cost, generation);
      }
      return fresh;
    };
    if (!catalog_->read_only()) return flight_->run(key, quiet_lookup, compute_and_store);
    Result<Value> cached = quiet_lookup();
    return cached.ok() || !cached.status().is_not_found() ? cached : compute_and_store();
  }

  // What PutOptions can get wrong whatever the value: a recipe of another
  // key, inputs beside a recipe (which names its own).
  static Status check_put_options(const OperationKey& key, const PutOptions& options) {
    if (options.recipe && !options.inputs.empty()) {
      return Status::InvalidArgument(
          "PutOptions::inputs is for a key without a recipe; the recipe names its own inputs");
    }
    if (options.recipe && options.recipe->build() != key) {
      return Status::InvalidArgument("PutOptions::recipe builds " + options.recipe->build().hex() +
                                     ", not this key");
    }
    return Status::OK();
  }

  // The sink of a put or write_volume: a replacing one for
  // PutOptions::replace, which the remote tier cannot honour (other nodes
  // keep the copies they pulled), so it is refused when one is configured.
  Result<std::unique_ptr<tier::EntrySink>> sink_for(const OperationKey& key,
                                                    const PutOptions& options, bool look_first) {
    const std::string id = key.hex();
    if (!options.replace)
      return look_first ? local_.create(id, false) : local_.create_unchecked(id);
    if (remote_) {
      return Status::InvalidArgument(
          "PutOptions::replace is refused with a remote tier: other nodes keep the copies of the "
          "old entry they pulled; store the new value under a new key");
    }
    memory_.erase(key);
    return local_.create_replacement(id);
  }

  // `*wrote`, when given, becomes whether the entry was written (false: the
  // key was there).
  Status put_payload(const OperationKey& key, const Result<codec::Payload>& payload,
                     const PutOptions& options, bool* wrote = nullptr) {
    if (wrote) *wrote = false;
    const std::string id = key.hex();
    Status s = catalog_->check_writable();
    if (s.ok()) s = check_put_options(key, options);
    if (s.ok() && payload.ok() && options.layout && !payload->layout) {
      s = Status::InvalidArgument("a chunk layout is for volumes, and this value is a " +
                                  payload->data_type);
    }
    Result<std::optional<std::string>> meta =
        s.ok() ? normalize_metadata(options.metadata_json) : s;
    if (!meta.ok()) return meta.status().with_context("put " + id);
    if (!payload.ok()) return payload.status().with_context("put " + id);
    // A present key's sink says so before any work, without the write lock;
    // a payload cheaper to encode than that lookup skips it.
    constexpr size_t kLookFirstBytes = 64 << 10;
    Result<std::unique_ptr<tier::EntrySink>> sink =
        sink_for(key, options, payload->bytes().size() >= kLookFirstBytes);
    if (!sink.ok()) return sink.status().with_context("put " + id);
    Result<uint64_t> stored = pipeline_.write(std::move(sink).value(), *payload,
                                              {id, std::move(meta).value(), lineage_of(options),
                                               options_.compression_level, options.layout});
    if (!stored.ok()) return stored.status().with_context("put " + id);
    if (*stored == 0) return Status::OK();  // present: written by someone before
    if (wrote) *wrote = true;
    return stored_one(id, payload->data_type, *stored);
  }

  void count_miss_now() {
    ++misses_;
    usage_.note_miss();
  }

  // After an entry was written to the local tier: counted, pushed to the
  // remote (write-through: a failed push is counted, never the put's
  // failure), then the limits.
  Status stored_one(const std::string& id, const std::string& data_type, uint64_t stored) {
    ++puts_;
    usage_.note_put(data_type, stored);
    if (remote_ && !remote_->read_only()) {
      Result<std::unique_ptr<tier::EntrySource>> local = local_.open_with_lineage(id);
      if (local.ok()) (void)remote_->push(local->get());
    }
    return limits_.after_put();
  }

  const std::string path_;
  const Options options_;
  std::unique_ptr<store::Catalog> catalog_;
  tier::LocalTier local_;
  std::vector<std::unique_ptr<tier::Tier>> below_;
  util::ThreadPool threads_;
  Pipeline pipeline_;
  tier::MemoryTier memory_;
  UsageRecorder usage_;
  LimitKeeper limits_;
  LocalClaims claims_;
  TierStack stack_;  // local_, then below_, then the remote: fastest first
  AdminImpl admin_;
  util::Env* const env_;
  std::unique_ptr<Remote> remote_;
  std::unique_ptr<SingleFlight> flight_;
  std::atomic<uint64_t> memory_hits_{0}, disk_hits_{0}, misses_{0}, puts_{0};
  // totals.replaced when the memory tier was last found current; -1: never.
  std::atomic<int64_t> seen_replacements_{-1};
};

}  // namespace

Result<std::unique_ptr<Cache>> OpenCache(const std::string& path, const Options& options,
                                         util::Env* env,
                                         std::vector<std::unique_ptr<tier::Tier>> below) {
  Result<store::Database::OpenOptions> open = database_options(path, options);
  if (!open.ok()) return open.status();
  if (Status s = check_filesystem(path, options, env); !s.ok()) return s;
  Result<std::unique_ptr<store::Catalog>> catalog = store::Catalog::Open(path, *open, env);
  if (!catalog.ok()) return catalog.status();
  Result<StoredConfig> config = read_stored_config(catalog->get());
  if (!config.ok()) return config.status();
  auto cache = std::make_unique<CacheImpl>(path, apply_stored_config(options, *config), env,
                                           std::move(catalog).value(), std::move(below));
  Status s = cache->init();
  if (!s.ok()) return s;
  return std::unique_ptr<Cache>(std::move(cache));
}

}  // namespace cache

Cache::~Cache() = default;
Admin::~Admin() = default;

Result<std::unique_ptr<Cache>> Cache::Open(const std::string& path, const Options& options) {
  return cache::OpenCache(path, options, util::Env::Default());
}

}  // namespace voxcache
