#include "cache/admin.h"

#include <algorithm>
#include <cerrno>
#include <cstdlib>

#include "cache/limits.h"
#include "cache/region.h"
#include "cache/remote.h"
#include "cache/tier_stack.h"
#include "cache/usage_recorder.h"
#include "codec/entry_format.h"
#include "key/recipe.h"
#include "store/config.h"
#include "store/entry_store.h"
#include "store/stats.h"

namespace voxcache::cache {

Result<EntryInfo> info_from_row(const store::EntryRow& row, bool keep_bad) {
  Result<OperationKey> key = OperationKey::FromHex(row.operation_id);
  if (!key.ok()) return Status::Corruption("stored key is malformed: " + key.status().message());
  EntryInfo info;
  info.key = *key;
  info.data_type = row.data_type;
  info.created_at_ms = row.created_at_ms;
  // A row is input like any other: a negative size reads as 0.
  info.stored_bytes = static_cast<uint64_t>(std::max<int64_t>(row.size_bytes, 0));
  info.last_access_ms = row.last_access_ms;
  info.access_count = static_cast<uint64_t>(std::max<int64_t>(row.access_count, 0));
  info.pinned = row.pinned;
  size_t header_len = 0;
  Result<codec::EntryHeader> h = codec::decode_header(row.data, &header_len);
  Result<VolumeLayout> layout = Status::NotFound("");
  if (h.ok()) {
    Status bound = h->check_key(row.operation_id);
    if (!bound.ok()) h = bound;
  }
  if (h.ok() && h->kind == Value::Kind::kVolume) {
    layout = codec::decode_layout(h->kind_header);
    if (!layout.ok()) h = layout.status();
  }
  if (!h.ok()) {
    Status bad = h.status().with_context("entry " + row.operation_id);
    if (!keep_bad) return bad;
    info.problem = bad.message();
    return info;
  }
  info.raw_bytes = h->payload_bytes;
  info.chunk_count = h->chunk_count;
  info.chunk_bytes = h->chunk_bytes;
  info.codec = row.codec;
  info.filter = row.filter;
  info.level = row.level;
  info.checksum = row.checksum;
  info.metadata = row.metadata.value_or("");
  info.operation = row.operation.value_or("");
  info.recipe_json = row.recipe ? key::recipe_to_json(*row.recipe) : "";
  info.intensity_json = row.intensity.value_or("");
  if (layout.ok()) {
    info.volume = *layout;
    info.layout = h->chunk_layout();
  }
  return info;
}

namespace {

Status append_keys(const Result<std::vector<std::string>>& ids, const std::string& of,
                   std::vector<OperationKey>* out) {
  if (!ids.ok()) return ids.status();
  for (const std::string& id : *ids) {
    Result<OperationKey> k = OperationKey::FromHex(id);
    if (!k.ok()) return Status::Corruption("lineage of " + of + ": bad key");
    out->push_back(*k);
  }
  return Status::OK();
}

}  // namespace

Result<EntryInfo> AdminImpl::info(const std::string& id) {
  EntryInfo info;
  Status s = catalog_->read([&](store::Database* db) {
    Result<store::EntryRow> row = store::read_entry(db, id);
    if (!row.ok()) return row.status();
    Result<EntryInfo> i = info_from_row(*row, /*keep_bad=*/false);
    if (!i.ok()) return i.status();
    info = std::move(i).value();
    Status st = append_keys(store::inputs_of(db, id), id, &info.inputs);
    return st.ok() ? append_keys(store::dependents_of(db, id), id, &info.dependents) : st;
  });
  if (!s.ok()) return s;
  return info;
}

Result<std::vector<EntryInfo>> AdminImpl::list() {
  // The database's rows, not the tier's entries: an EntryInfo shows the
  // local records too (pins, access counts).
  Result<std::vector<store::EntryRow>> rows = Status::NotFound("");
  Status s = catalog_->read([&](store::Database* db) {
    rows = store::list_entries(db);
    return rows.status();
  });
  if (!s.ok()) return s;
  std::vector<EntryInfo> out;
  out.reserve(rows->size());
  for (const store::EntryRow& row : *rows) {
    Result<EntryInfo> info = info_from_row(row, /*keep_bad=*/true);
    if (!info.ok()) return info.status();
    out.push_back(std::move(info).value());
  }
  return out;
}

Result<OperationKey> AdminImpl::resolve_prefix(std::string_view prefix) {
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
  Result<std::vector<tier::Entry>> rows = local_->list(lower, 2);
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return Status::NotFound("no entry starts with " + lower);
  if (rows->size() > 1) {
    return Status::InvalidArgument("key prefix " + lower + " is ambiguous: " + (*rows)[0].id +
                                   ", " + (*rows)[1].id + ", ...");
  }
  return OperationKey::FromHex((*rows)[0].id);
}

Status AdminImpl::set_pinned(const std::string& id, bool pinned) {
  bool found = false;
  Status s = catalog_->write(
      "pin", [&](store::Database* db) { return store::set_pinned(db, id, pinned, &found); });
  if (!s.ok()) return s;
  return found ? Status::OK() : Status::NotFound("no entry " + id);
}

Result<StoredStats> AdminImpl::stored_stats() {
  usage_->flush();  // this process's recent use too
  StoredStats out;
  Status s = catalog_->read([&](store::Database* db) {
    Result<store::Totals> t = store::totals(db);
    if (!t.ok()) return t.status();
    out.entries = static_cast<uint64_t>(t->entries);
    out.stored_bytes = static_cast<uint64_t>(t->stored_bytes);
    out.raw_bytes = static_cast<uint64_t>(t->raw_bytes);
    Result<std::vector<store::TypeTotals>> types = store::totals_by_type(db);
    if (!types.ok()) return types.status();
    for (const store::TypeTotals& k : *types) {
      out.by_type.push_back({k.data_type, static_cast<uint64_t>(k.entries),
                             static_cast<uint64_t>(k.stored_bytes),
                             static_cast<uint64_t>(k.raw_bytes)});
    }
    Result<std::vector<store::Counter>> cs = store::counters(db);
    if (!cs.ok()) return cs.status();
    for (const store::Counter& c : *cs) {
      out.counters.push_back({c.name, c.data_type, static_cast<uint64_t>(c.value)});
    }
    return Status::OK();
  });
  if (!s.ok()) return s;
  return out;
}

Status AdminImpl::zero_stats() {
  Status s = catalog_->check_writable();
  if (!s.ok()) return s;
  usage_->forget_counters();
  return catalog_->write("zero counters",
                         [](store::Database* db) { return store::zero_counters(db); });
}

Status AdminImpl::verify(const OperationKey& key) {
  const std::string id = key.hex();
  Result<std::unique_ptr<tier::EntrySource>> source = local_->open(id);
  if (!source.ok()) {
    return source.status().is_not_found() ? source.status()
                                          : source.status().with_context("entry " + id);
  }
  Result<std::unique_ptr<EntryReader>> r =
      pipeline_->reader(std::move(source).value(), /*verify=*/true);
  Status s = r.ok() ? pipeline_->check_all(r->get()) : r.status();
  return s.ok() ? s : s.with_context("entry " + id);
}

Result<RecompressReport> AdminImpl::recompress(const OperationKey& key,
                                               const RecompressOptions& options) {
  const std::string id = key.hex();
  int level = options.level;
  const std::optional<ChunkLayout>& layout = options.layout;
  Status s = catalog_->check_writable();
  if (!s.ok()) return s;
  if (level < -1 || level > 19) {
    return Status::InvalidArgument("level must be 0 to 19 (or -1: keep), got " +
                                   std::to_string(level));
  }
  RecompressReport report;
  Pipeline::NewEntry entry;
  entry.id = id;
  entry.level = level;
  Result<Value> value = Status::NotFound(id);
  {
    Result<std::unique_ptr<tier::EntrySource>> source = local_->open_with_lineage(id);
    if (!source.ok()) return source.status();
    Result<std::unique_ptr<EntryReader>> r = pipeline_->reader(std::move(source).value(), true);
    if (!r.ok()) return r.status().with_context("entry " + id);
    entry.carry = (*r)->entry();  // lineage and times; the local tier keeps pin and count
    report.bytes_before = report.bytes_after = static_cast<uint64_t>(entry.carry.size_bytes);
    if (level == -1) entry.level = level = entry.carry.level;
    const Codec had = (*r)->header().lz4 ? Codec::kLz4 : Codec::kZstd;
    const Codec codec = options.codec && *options.codec != Codec::kDefault ? *options.codec : had;
    entry.codec = codec;
    // LZ4 has one level: every level above 0 is recorded as 1. That 1 is
    // no zstd level anyone asked for: from LZ4 to zstd, the automatic one.
    if (codec == Codec::kLz4 && level > 0) entry.level = level = 1;
    if (codec == Codec::kZstd && had == Codec::kLz4 && options.level == -1 && level > 0) {
      entry.level = level = kAutoLevel;
    }
    bool same_layout = true;
    if (layout) {
      Result<VolumeLayout> volume = volume_layout(**r);
      if (!volume.ok()) return volume.status().with_context("recompress " + id);
      Result<codec::BrickShape> shape = pipeline_->brick_shape(*volume, *layout);
      if (!shape.ok()) return shape.status().with_context("recompress " + id);
      same_layout = *shape == (*r)->header().brick;
      entry.layout = layout;
    } else if ((*r)->header().kind == Value::Kind::kVolume) {
      entry.layout = (*r)->header().chunk_layout();  // kept as it is
    }
    // Nothing to do at the level and codec it was written with, in the
    // layout it has.
    if (entry.carry.level == level && same_layout && (codec == had || level == 0)) return report;
    value = pipeline_->read_value(r->get());
    if (!value.ok()) return value.status().with_context("entry " + id);
  }
  entry.metadata = entry.carry.metadata;
  Result<codec::Payload> payload = codec::serialize(*value, pipeline_->types());
  if (!payload.ok()) return payload.status().with_context("entry " + id);
  // The old and the new form swap in the sink's one transaction.
  Result<std::unique_ptr<tier::EntrySink>> sink = local_->create(id, /*replace=*/true);
  if (!sink.ok()) return sink.status().with_context("recompress " + id);
  Result<uint64_t> stored = pipeline_->write(std::move(sink).value(), *payload, std::move(entry));
  if (!stored.ok()) return stored.status().with_context("recompress " + id);
  report.changed = true;
  report.bytes_after = *stored;
  return report;
}

Status AdminImpl::vacuum() {
  usage_->flush();
  return catalog_->vacuum();
}

Result<GcReport> AdminImpl::gc(const Limits& limits) {
  Status s = catalog_->check_writable();
  if (!s.ok()) return s;
  return limits_->evict(limits);
}

Result<GcReport> AdminImpl::clear(bool keep_pinned) {
  Status s = catalog_->check_writable();
  if (!s.ok()) return s;
  return limits_->clear(keep_pinned);
}

Status AdminImpl::push(const OperationKey& key) {
  if (!remote_) return Status::NotFound("no remote tier is configured");
  Result<std::unique_ptr<tier::EntrySource>> local = local_->open_with_lineage(key.hex());
  if (!local.ok()) return local.status();
  return remote_->push(local->get());
}

Status AdminImpl::pull(const OperationKey& key) {
  Status s = catalog_->check_writable();
  if (!s.ok()) return s;
  if (!remote_) return Status::NotFound("no remote tier is configured");
  Result<bool> here = local_->contains(key.hex());
  if (!here.ok() || *here) return here.status();  // warm already
  // From the remote, the lowest tier, through the reader: the entry is
  // checked before it is kept, and an unreachable remote is an IOError.
  Result<TierStack::Read> r = stack_->read_tier(stack_->tiers() - 1, key.hex(), /*copy_up=*/true);
  return r.ok() ? Status::OK() : r.status();
}

Result<RemoteStats> AdminImpl::remote_stats() {
  if (!remote_) return Status::NotFound("no remote tier is configured");
  return remote_->stats();
}

namespace {
// Names in the config table (docs/format.md).
constexpr const char* kMaxBytes = "max_bytes";
constexpr const char* kMaxEntries = "max_entries";
constexpr const char* kMaxAgeSeconds = "max_age_seconds";
constexpr const char* kCompressionLevel = "compression_level";
constexpr const char* kCodec = "codec";  // 'zstd' or 'lz4'
}  // namespace

Result<StoredConfig> read_stored_config(store::Catalog* catalog) {
  StoredConfig config;
  Status s = catalog->read([&](store::Database* db) {
    Result<std::vector<std::pair<std::string, std::string>>> rows = store::read_config(db);
    if (!rows.ok()) return rows.status();
    for (const auto& [name, text] : *rows) {
      if (name == kCodec) {
        config.codec = parse_codec(text);
        if (!config.codec)
          config.problems.push_back("codec = '" + text + "' is neither zstd nor lz4");
        continue;
      }
      char* end = nullptr;
      errno = 0;
      const long long v = std::strtoll(text.c_str(), &end, 10);
      // A row is untrusted input: a bad value is reported and left unset
      // (its default applies), never a database no command can open, the
      // one that would rewrite it included.
      if (errno != 0 || end == text.c_str() || *end != '\0' || v < 0) {
        config.problems.push_back(name + " = '" + text + "' is not a count");
        continue;
      }
      if (name == kMaxBytes) config.max_bytes = static_cast<uint64_t>(v);
      if (name == kMaxEntries) config.max_entries = static_cast<uint64_t>(v);
      if (name == kMaxAgeSeconds) config.max_age = std::chrono::seconds(v);
      if (name == kCompressionLevel) {
        if (v > 19) {
          config.problems.push_back("compression_level = '" + text + "' is over 19");
          continue;
        }
        config.compression_level = static_cast<int>(v);
      }
    }
    return Status::OK();
  });
  if (!s.ok()) return s;
  return config;
}

Status AdminImpl::set_stored_config(const StoredConfig& c) {
  if (c.compression_level && (*c.compression_level < 0 || *c.compression_level > 19)) {
    return Status::InvalidArgument("level must be 0 to 19, got " +
                                   std::to_string(*c.compression_level));
  }
  auto text = [](auto v) {
    return v ? std::optional<std::string>(std::to_string(*v)) : std::optional<std::string>();
  };
  std::optional<int64_t> age;
  if (c.max_age) age = c.max_age->count();
  if (c.codec == Codec::kDefault) {
    return Status::InvalidArgument("codec must be zstd or lz4 (unset: zstd)");
  }
  std::optional<std::string> codec;
  if (c.codec) codec = std::string(codec_name(*c.codec));
  return catalog_->write("config", [&](store::Database* db) {
    Status written = store::write_config(db, kCodec, codec);
    if (!written.ok()) return written;
    for (const auto& [name, value] :
         {std::pair{kMaxBytes, text(c.max_bytes)}, std::pair{kMaxEntries, text(c.max_entries)},
          std::pair{kMaxAgeSeconds, text(age)},
          std::pair{kCompressionLevel, text(c.compression_level)}}) {
      Status s = store::write_config(db, name, value);
      if (!s.ok()) return s;
    }
    return Status::OK();
  });
}

}  // namespace voxcache::cache
