#include "tier/local_tier.h"

#include <optional>
#include <utility>
#include <vector>

#include "codec/entry_format.h"
#include "store/entry_store.h"
#include "store/replacements.h"

namespace voxcache::tier {

namespace {

using store::ConnectionPool;
using store::Transaction;

// The database's own records of an entry, which no other tier keeps.
struct LocalRecords {
  int64_t last_access_ms = 0;
  int64_t access_count = 0;
  bool pinned = false;
};

Entry entry_of(store::EntryRow&& r) {
  Entry e;
  e.id = std::move(r.operation_id);
  e.data = std::move(r.data);
  e.data_type = std::move(r.data_type);
  e.created_at_ms = r.created_at_ms;
  e.size_bytes = r.size_bytes;
  e.raw_bytes = r.raw_bytes;
  e.chunk_count = r.chunk_count;
  e.codec = std::move(r.codec);
  e.filter = std::move(r.filter);
  e.level = r.level;
  e.checksum = std::move(r.checksum);
  e.metadata = std::move(r.metadata);
  e.operation = std::move(r.operation);
  e.recipe = std::move(r.recipe);
  e.inputs = std::move(r.inputs);
  e.intensity = std::move(r.intensity);
  e.last_access_ms = r.last_access_ms;
  return e;
}

// The row of an entry written here, `kept` those of the entry it replaces;
// the layout column always follows the header, whichever tier wrote it.
store::EntryRow row_of(const Entry& e, const LocalRecords& kept) {
  store::EntryRow r;
  r.operation_id = e.id;
  r.data = e.data;
  r.data_type = e.data_type;
  r.created_at_ms = e.created_at_ms;
  r.size_bytes = e.size_bytes;
  r.raw_bytes = e.raw_bytes;
  r.chunk_count = e.chunk_count;
  r.codec = e.codec;
  r.filter = e.filter;
  r.level = e.level;
  r.checksum = e.checksum;
  r.metadata = e.metadata;
  r.operation = e.operation;
  r.recipe = e.recipe;
  r.inputs = e.inputs;
  r.intensity = e.intensity;
  r.last_access_ms = kept.last_access_ms;
  r.access_count = kept.access_count;
  r.pinned = kept.pinned;
  r.layout = codec::layout_column(e.data);
  return r;
}

class LocalSource final : public EntrySource {
 public:
  LocalSource(ConnectionPool::Lease lease, std::string id)
      : lease_(std::move(lease)), id_(std::move(id)) {}
  ~LocalSource() override { cursor_.reset(); }  // reset the statement before the snapshot ends

  Status begin(bool lineage) {
    Result<std::unique_ptr<Transaction>> txn =
        Transaction::Begin(lease_.get(), Transaction::Mode::kRead);
    if (!txn.ok()) return txn.status();
    txn_ = std::move(txn).value();
    Result<store::EntryRow> row = store::read_entry(lease_.get(), id_);
    if (!row.ok()) return row.status();
    entry_ = entry_of(std::move(row).value());
    if (!lineage) return Status::OK();
    Result<std::vector<std::string>> inputs = store::inputs_of(lease_.get(), id_);
    if (!inputs.ok()) return inputs.status();
    entry_.inputs = std::move(inputs).value();
    return Status::OK();
  }

  const Entry& entry() const override { return entry_; }

  Status seek(uint64_t first, uint64_t end) override {
    cursor_.reset();
    Result<store::ChunkCursor> c = store::ChunkCursor::Open(lease_.get(), id_, first, end);
    if (!c.ok()) return c.status();
    cursor_.emplace(std::move(c).value());
    return Status::OK();
  }

  Result<std::string_view> next_chunk() override {
    if (!cursor_) return Status::InvalidArgument("next_chunk before seek");
    return cursor_->next();
  }

  Result<uint64_t> stored_chunks() override { return store::count_chunks(lease_.get(), id_); }

 private:
  ConnectionPool::Lease lease_;
  std::unique_ptr<Transaction> txn_;  // after lease_: ends before it
  std::string id_;
  Entry entry_;
  std::optional<store::ChunkCursor> cursor_;
};

// Takes the write lock only when it has something to write: the first
// chunks are compressed before it. When another writer (thread or process)
// holds the lock, chunks wait here, up to kMaxBufferedBytes, instead of
// waiting for it: writers then compress side by side and take turns only to
// insert (docs/format.md, "Writing").
class LocalSink final : public EntrySink {
 public:
  static constexpr uint64_t kMaxBufferedBytes = uint64_t{32} << 20;

  LocalSink(store::Catalog* catalog, ConnectionPool::Lease lease, std::string id, SinkMode mode)
      : catalog_(catalog), lease_(std::move(lease)), id_(std::move(id)), mode_(mode) {}

  // Looks for the key before any work, without the lock.
  Status begin() {
    Result<bool> exists = store::entry_exists(lease_.get(), id_);
    if (!exists.ok()) return exists.status();
    present_ = *exists;  // content-addressed: a present entry needs nothing written
    return Status::OK();
  }

  bool present() const override { return present_; }

  Status add_chunk(uint64_t index, std::string_view blob) override {
    if (!txn_ && !raced_) {
      const bool room = buffered_bytes_ + blob.size() <= kMaxBufferedBytes;
      Status s = lock(room ? Transaction::Mode::kTryWrite : Transaction::Mode::kWrite);
      if (s.is_busy() && room) {
        buffered_.emplace_back(index, std::string(blob));
        buffered_bytes_ += blob.size();
        return Status::OK();
      }
      if (!s.ok()) return s;
    }
    if (raced_) return Status::OK();
    return store::insert_chunk(lease_.get(), id_, index, blob);
  }

  Status commit(const Entry& entry) override {
    Status s = lock(Transaction::Mode::kWrite);
    if (!s.ok() || raced_) return s;
    s = store::insert_entry_row(lease_.get(), row_of(entry, kept_));
    if (s.ok()) s = catalog_->commit(txn_.get(), "put");
    txn_.reset();  // committed, or rolled back now: other writers need not wait
    done_ = true;
    return s;
  }

 private:
  // Begins the write transaction on first use and inserts what waited.
  // Another writer may have stored the entry since begin(): then nothing is
  // written (raced_).
  Status lock(Transaction::Mode mode) {
    if (raced_ || txn_) return Status::OK();
    if (present_ || done_) return Status::InvalidArgument("entry " + id_ + " is not being written");
    Result<std::unique_ptr<Transaction>> txn = Transaction::Begin(lease_.get(), mode);
    if (!txn.ok()) return txn.status();
    Result<bool> exists = store::entry_exists(lease_.get(), id_);
    if (!exists.ok()) return exists.status();
    if (*exists && mode_ != SinkMode::kNew) {
      // A rewrite (recompress) keeps when it was used and whether it is pinned.
      Result<store::EntryRow> old = store::read_entry(lease_.get(), id_);
      if (!old.ok()) return old.status();
      kept_ = {old->last_access_ms, old->access_count, old->pinned};
      Result<bool> gone = store::delete_entry(lease_.get(), id_);  // same transaction
      if (!gone.ok()) return gone.status();
      if (mode_ == SinkMode::kNewValue) {
        Status s = store::note_replacement(lease_.get());
        if (!s.ok()) return s;
      }
    } else if (*exists) {
      raced_ = present_ = true;  // the transaction rolls back now: the lock is free again
      buffered_.clear();
      return Status::OK();
    }
    txn_ = std::move(txn).value();
    for (const auto& [index, blob] : buffered_) {
      Status s = store::insert_chunk(lease_.get(), id_, index, blob);
      if (!s.ok()) return s;
    }
    buffered_.clear();
    buffered_bytes_ = 0;
    return Status::OK();
  }

  store::Catalog* catalog_;
  ConnectionPool::Lease lease_;
  std::unique_ptr<Transaction> txn_;  // after lease_: ends before it
  std::string id_;
  const SinkMode mode_;
  LocalRecords kept_;  // a replaced entry's
  bool present_ = false;
  bool raced_ = false;
  bool done_ = false;
  std::vector<std::pair<uint64_t, std::string>> buffered_;  // chunks waiting for the lock
  uint64_t buffered_bytes_ = 0;
};

}  // namespace

Result<std::unique_ptr<EntrySource>> LocalTier::open(std::string_view id) {
  return open_entry(id, /*lineage=*/false);
}

Result<std::unique_ptr<EntrySource>> LocalTier::open_with_lineage(std::string_view id) {
  return open_entry(id, /*lineage=*/true);
}

Result<std::unique_ptr<EntrySource>> LocalTier::open_entry(std::string_view id, bool lineage) {
  Result<ConnectionPool::Lease> db = catalog_->lease();
  if (!db.ok()) return db.status();
  auto source = std::make_unique<LocalSource>(std::move(db).value(), std::string(id));
  Status s = source->begin(lineage);
  if (!s.ok()) return s;
  return std::unique_ptr<EntrySource>(std::move(source));
}

Result<std::unique_ptr<EntrySink>> LocalTier::create(std::string_view id, bool replace) {
  return create_sink(id, replace ? SinkMode::kSameValue : SinkMode::kNew, /*check=*/!replace);
}

Result<std::unique_ptr<EntrySink>> LocalTier::create_unchecked(std::string_view id) {
  return create_sink(id, SinkMode::kNew, /*check=*/false);
}

Result<std::unique_ptr<EntrySink>> LocalTier::create_replacement(std::string_view id) {
  return create_sink(id, SinkMode::kNewValue, /*check=*/false);
}

Result<std::unique_ptr<EntrySink>> LocalTier::create_sink(std::string_view id, SinkMode mode,
                                                          bool check) {
  Status s = catalog_->check_writable();
  if (!s.ok()) return s;
  Result<ConnectionPool::Lease> db = catalog_->lease();
  if (!db.ok()) return db.status();
  auto sink = std::make_unique<LocalSink>(catalog_, std::move(db).value(), std::string(id), mode);
  if (check) {
    s = sink->begin();
    if (!s.ok()) return s;
  }
  return std::unique_ptr<EntrySink>(std::move(sink));
}

Result<bool> LocalTier::contains(std::string_view id) {
  Result<ConnectionPool::Lease> db = catalog_->lease();
  if (!db.ok()) return db.status();
  return store::entry_exists(db->get(), id);
}

Result<bool> LocalTier::erase(std::string_view id) {
  bool existed = false;
  Status s = catalog_->write_freeing("erase", [&](store::Database* db) {
    Result<bool> deleted = store::delete_entry(db, id);
    if (!deleted.ok()) return deleted.status();
    existed = *deleted;
    // A put may follow with another value: memory tiers must not keep this one.
    return existed ? store::note_replacement(db) : Status::OK();
  });
  if (!s.ok()) return s;
  return existed;
}

Result<std::vector<Entry>> LocalTier::list(std::string_view prefix, int limit) {
  Result<ConnectionPool::Lease> db = catalog_->lease();
  if (!db.ok()) return db.status();
  Result<std::vector<store::EntryRow>> rows = store::list_entries(db->get(), prefix, limit);
  if (!rows.ok()) return rows.status();
  std::vector<Entry> out;
  out.reserve(rows->size());
  for (store::EntryRow& r : *rows) out.push_back(entry_of(std::move(r)));
  return out;
}

}  // namespace voxcache::tier
