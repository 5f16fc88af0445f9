#include "tier/redis_tier.h"

#include <algorithm>
#include <charconv>
#include <map>

#include "util/coding.h"
#include "util/hmac.h"
#include "util/sha256.h"
#include "util/xxhash.h"

namespace voxcache::tier {

namespace {

constexpr size_t kHashHex = 32;       // hex digits of a chunk hash
constexpr size_t kIdHex = 64;         // hex digits of a key
constexpr size_t kBatch = 16;         // chunks a round trip fetches or stores
constexpr const char* kFormat = "1";  // manifest format, docs/format.md

int64_t to_int(std::string_view s) {
  int64_t v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

// The manifest's fields as a map; empty when there is none.
Result<std::map<std::string, std::string, std::less<>>> read_manifest(RedisConnection& c,
                                                                      std::string_view id) {
  const std::string key = RedisTier::entry_key(id);
  Result<RedisReply> r = c.command({"HGETALL", key});
  if (!r.ok()) return r.status();
  if (r->type() != RedisReply::Type::kArray || r->size() % 2 != 0) {
    return Status::IOError("redis: HGETALL " + key + " answered with something not a hash");
  }
  std::map<std::string, std::string, std::less<>> fields;
  for (size_t i = 0; i + 1 < r->size(); i += 2) {
    fields.emplace(std::string(r->element(i).str()), std::string(r->element(i + 1).str()));
  }
  return fields;
}

Result<std::pair<Entry, std::vector<std::string>>> parse_manifest(
    const std::map<std::string, std::string, std::less<>>& f, std::string_view id) {
  auto get = [&](const char* name) -> const std::string* {
    auto it = f.find(name);
    return it == f.end() ? nullptr : &it->second;
  };
  for (const char* need : {"format", "data", "data_type", "chunks", "checksum"}) {
    if (!get(need)) {
      return Status::Corruption("remote manifest of " + std::string(id) + " has no " + need);
    }
  }
  if (*get("format") != kFormat) {
    return Status::NotSupported("remote manifest format " + *get("format") + " of " +
                                std::string(id));
  }
  Entry row;
  row.id = std::string(id);
  row.data = *get("data");
  row.data_type = *get("data_type");
  row.checksum = *get("checksum");
  auto num = [&](const char* name) { return get(name) ? to_int(*get(name)) : 0; };
  row.created_at_ms = num("created_at");
  row.size_bytes = num("size_bytes");
  row.raw_bytes = num("raw_bytes");
  row.chunk_count = num("chunk_count");
  row.level = static_cast<int>(num("level"));
  if (get("codec")) row.codec = *get("codec");
  if (get("filter")) row.filter = *get("filter");
  if (get("metadata")) row.metadata = *get("metadata");
  if (get("operation")) row.operation = *get("operation");
  if (get("recipe")) row.recipe = *get("recipe");
  if (get("intensity")) row.intensity = *get("intensity");
  if (const std::string* inputs = get("inputs")) {
    if (inputs->size() % kIdHex != 0) return Status::Corruption("remote manifest: bad inputs");
    for (size_t i = 0; i < inputs->size(); i += kIdHex) {
      row.inputs.push_back(inputs->substr(i, kIdHex));
    }
  }
  const std::string& chunks = *get("chunks");
  if (chunks.size() % kHashHex != 0) return Status::Corruption("remote manifest: bad chunk list");
  std::vector<std::string> hashes;
  for (size_t i = 0; i < chunks.size(); i += kHashHex) hashes.push_back(chunks.substr(i, kHashHex));
  return std::pair{std::move(row), std::move(hashes)};
}

// A manifest's signature, hex: HMAC-SHA256 under `secret` of its key, data
// type, header and both chunk lists, each length-prefixed so that no two
// manifests share one message (docs/format.md 2.8).
std::string signature(const std::string& secret, std::string_view id, const Entry& row,
                      std::string_view chunks, std::string_view sha256) {
  std::string m = "voxcache.sig.v1";
  for (std::string_view part :
       {id, std::string_view(row.data_type), std::string_view(row.data), chunks, sha256}) {
    util::put_fixed<uint64_t>(&m, part.size());
    m.append(part.data(), part.size());
  }
  const std::array<uint8_t, 32> mac = util::hmac_sha256(secret, m);
  return util::to_hex(mac.data(), mac.size());
}

std::string sha256_hex(std::string_view blob) {
  util::Sha256 h;
  h.update(blob);
  const std::array<uint8_t, 32> d = h.finish();
  return util::to_hex(d.data(), d.size());
}

// How many of `hashes` Redis holds.
Result<uint64_t> count_present(RedisConnection& c, const std::vector<std::string>& hashes) {
  uint64_t present = 0;
  for (size_t at = 0; at < hashes.size(); at += 512) {
    std::vector<std::string> keys{"EXISTS"};
    for (size_t i = at; i < std::min(hashes.size(), at + 512); ++i) {
      keys.push_back(RedisTier::chunk_key(hashes[i]));
    }
    Result<RedisReply> r = c.command(std::vector<std::string_view>(keys.begin(), keys.end()));
    if (!r.ok()) return r.status();
    present += static_cast<uint64_t>(r->integer());
  }
  return present;
}

class RedisSource final : public EntrySource {
 public:
  // `sha256`: each chunk's SHA-256 (hex) from a signed manifest, else empty.
  RedisSource(RedisPool::Lease c, Entry row, std::vector<std::string> hashes,
              std::vector<std::string> sha256)
      : c_(std::move(c)),
        row_(std::move(row)),
        hashes_(std::move(hashes)),
        sha256_(std::move(sha256)) {}

  const Entry& entry() const override { return row_; }

  Status seek(uint64_t first, uint64_t end) override {
    next_ = first;
    end_ = std::min<uint64_t>(end, hashes_.size());
    batch_.clear();
    at_ = 0;
    return Status::OK();
  }

  Result<std::string_view> next_chunk() override {
    if (next_ >= end_) return std::string_view();
    if (at_ == batch_.size()) {
      Status s = fetch();
      if (!s.ok()) return s;
    }
    const uint64_t index = next_++;
    const std::string& blob = batch_[at_++];
    // The key is the hash of the stored bytes: a chunk changed at rest, or
    // one of another entry's, never reaches the decoder unnoticed.
    if (RedisTier::chunk_hash(blob) != hashes_[index]) {
      return Status::Corruption("remote chunk " + std::to_string(index) +
                                " does not match its hash " + hashes_[index]);
    }
    // XXH3 catches damage, not a forger: a signed entry's chunk must also
    // match the SHA-256 its signature covers.
    if (!sha256_.empty() && sha256_hex(blob) != sha256_[index]) {
      return Status::Corruption("remote chunk " + std::to_string(index) + " of " + row_.id +
                                " does not match its signed SHA-256");
    }
    return std::string_view(blob);
  }

  Result<uint64_t> stored_chunks() override { return hashes_.size(); }

 private:
  Status fetch() {
    std::vector<std::string> keys{"MGET"};
    const uint64_t n = std::min<uint64_t>(kBatch, end_ - next_);
    for (uint64_t i = 0; i < n; ++i) keys.push_back(RedisTier::chunk_key(hashes_[next_ + i]));
    Result<RedisReply> r = c_->command(std::vector<std::string_view>(keys.begin(), keys.end()));
    if (!r.ok()) return r.status();
    if (r->type() != RedisReply::Type::kArray || r->size() != n) {
      return Status::IOError("redis: MGET of " + std::to_string(n) + " chunks answered with " +
                             std::to_string(r->size()) + " replies");
    }
    batch_.clear();
    at_ = 0;
    for (size_t i = 0; i < r->size(); ++i) {
      RedisReply e = r->element(i);
      if (e.is_nil()) {  // evicted since open(): the entry is gone, not damaged
        return Status::NotFound("remote chunk " + std::to_string(next_ + i) + " of " + row_.id +
                                " was evicted");
      }
      if (e.type() != RedisReply::Type::kString) {
        return Status::IOError("redis: a chunk of " + row_.id + " is not a string");
      }
      batch_.emplace_back(e.str());
    }
    return Status::OK();
  }

  RedisPool::Lease c_;
  Entry row_;
  std::vector<std::string> hashes_, sha256_;
  uint64_t next_ = 0, end_ = 0;
  std::vector<std::string> batch_;
  size_t at_ = 0;
};

class RedisSink final : public EntrySink {
 public:
  RedisSink(RedisPool::Lease c, std::string id, const std::string& secret)
      : c_(std::move(c)), id_(std::move(id)), secret_(secret) {}
  bool present() const override { return present_; }
  void set_present() { present_ = true; }

  Status add_chunk(uint64_t index, std::string_view blob) override {
    if (index != hashes_.size()) return Status::InvalidArgument("chunks must come in order");
    hashes_.push_back(RedisTier::chunk_hash(blob));
    if (!secret_.empty()) sha256_ += sha256_hex(blob);
    c_->append({"SET", RedisTier::chunk_key(hashes_.back()), blob});
    return ++pending_ >= kBatch ? drain() : Status::OK();
  }

  Status commit(const Entry& row) override {
    Status s = drain();
    if (!s.ok()) return s;
    std::string inputs, chunks;
    for (const std::string& in : row.inputs) inputs += in;
    for (const std::string& h : hashes_) chunks += h;
    const std::string key = RedisTier::entry_key(id_);
    std::vector<std::string> fields = {"format",      kFormat,
                                       "data",        row.data,
                                       "data_type",   row.data_type,
                                       "created_at",  std::to_string(row.created_at_ms),
                                       "size_bytes",  std::to_string(row.size_bytes),
                                       "raw_bytes",   std::to_string(row.raw_bytes),
                                       "chunk_count", std::to_string(row.chunk_count),
                                       "codec",       row.codec,
                                       "filter",      row.filter,
                                       "level",       std::to_string(row.level),
                                       "checksum",    row.checksum,
                                       "inputs",      inputs,
                                       "chunks",      chunks};
    if (!secret_.empty()) {
      fields.insert(fields.end(),
                    {"sha256", sha256_, "sig", signature(secret_, id_, row, chunks, sha256_)});
    }
    for (const auto& [name, value] :
         {std::pair{"metadata", &row.metadata}, std::pair{"operation", &row.operation},
          std::pair{"recipe", &row.recipe}, std::pair{"intensity", &row.intensity}}) {
      if (*value) {
        fields.push_back(name);
        fields.push_back(**value);
      }
    }
    std::vector<std::string_view> hset{"HSET", key};
    hset.insert(hset.end(), fields.begin(), fields.end());
    // One transaction: a reader sees the old manifest or the new one whole.
    c_->append({"MULTI"});
    c_->append({"DEL", key});
    c_->append(hset);
    c_->append({"EXEC"});
    for (int i = 0; i < 4; ++i) {
      Result<RedisReply> r = c_->reply();
      if (!r.ok()) s = r.status();
    }
    return s;
  }

 private:
  Status drain() {
    Status s;
    for (; pending_ > 0; --pending_) {
      Result<RedisReply> r = c_->reply();
      if (!r.ok() && s.ok()) s = r.status();
    }
    return s;
  }

  RedisPool::Lease c_;
  std::string id_;
  const std::string& secret_;
  std::vector<std::string> hashes_;
  std::string sha256_;  // with a secret: each chunk's SHA-256, hex, in order
  size_t pending_ = 0;
  bool present_ = false;
};

}  // namespace

std::string RedisTier::entry_key(std::string_view id) {
  return "voxcache:entry:" + std::string(id);
}
std::string RedisTier::chunk_key(std::string_view h) { return "voxcache:chunk:" + std::string(h); }
std::string RedisTier::claim_key(std::string_view id) {
  return "voxcache:claim:" + std::string(id);
}

std::string RedisTier::chunk_hash(std::string_view blob) {
  util::Xxh3_128 h;
  h.update(blob.data(), blob.size());
  const std::array<uint8_t, 16> d = h.digest();
  return util::to_hex(d.data(), d.size());
}

Result<std::unique_ptr<EntrySource>> RedisTier::open(std::string_view id) {
  Result<RedisPool::Lease> c = pool_->acquire();
  if (!c.ok()) return c.status();
  auto fields = read_manifest(**c, id);
  if (!fields.ok()) return fields.status();
  if (fields->empty()) return Status::NotFound("no remote entry " + std::string(id));
  auto parsed = parse_manifest(*fields, id);
  if (!parsed.ok()) return parsed.status();
  std::vector<std::string> sha256;
  if (!secret_.empty()) {
    auto sig = fields->find("sig");
    auto shas = fields->find("sha256");
    std::string chunks;
    for (const std::string& h : parsed->second) chunks += h;
    const bool signed_right =
        sig != fields->end() && shas != fields->end() &&
        shas->second.size() == parsed->second.size() * 64 &&
        util::equal_in_constant_time(sig->second,
                                     signature(secret_, id, parsed->first, chunks, shas->second));
    if (!signed_right) {
      ++rejected_;
      return Status::NotFound("remote entry " + std::string(id) +
                              (sig == fields->end() ? " is not signed" : " is badly signed") +
                              ": ignored (remote_secret is set)");
    }
    for (size_t i = 0; i < shas->second.size(); i += 64)
      sha256.push_back(shas->second.substr(i, 64));
  }
  Result<uint64_t> present = count_present(**c, parsed->second);
  if (!present.ok()) return present.status();
  if (*present != parsed->second.size()) {
    return Status::NotFound("remote entry " + std::string(id) + " lost " +
                            std::to_string(parsed->second.size() - *present) +
                            " chunks to eviction");
  }
  return std::unique_ptr<EntrySource>(
      new RedisSource(std::move(c).value(), std::move(parsed->first), std::move(parsed->second),
                      std::move(sha256)));
}

Result<std::unique_ptr<EntrySink>> RedisTier::create(std::string_view id, bool replace) {
  Result<bool> has = replace ? Result<bool>(false) : contains(id);
  if (!has.ok()) return has.status();
  Result<RedisPool::Lease> c = pool_->acquire();
  if (!c.ok()) return c.status();
  auto sink = std::make_unique<RedisSink>(std::move(c).value(), std::string(id), secret_);
  if (*has) sink->set_present();
  return std::unique_ptr<EntrySink>(std::move(sink));
}

Result<bool> RedisTier::contains(std::string_view id) {
  Result<std::unique_ptr<EntrySource>> s = open(id);
  if (s.ok()) return true;
  if (s.status().is_not_found()) return false;
  return s.status();
}

Result<bool> RedisTier::erase(std::string_view id) {
  Result<RedisPool::Lease> c = pool_->acquire();
  if (!c.ok()) return c.status();
  Result<RedisReply> r = (*c)->command({"DEL", entry_key(id)});
  if (!r.ok()) return r.status();
  return r->integer() > 0;
}

Result<std::vector<Entry>> RedisTier::list(std::string_view prefix, int limit) {
  Result<RedisPool::Lease> c = pool_->acquire();
  if (!c.ok()) return c.status();
  std::vector<Entry> out;
  std::string cursor = "0";
  const std::string pattern = entry_key(prefix) + "*";
  // Every reply is checked for its shape: a server that is not Redis (or a
  // hostile one) gets an IOError naming the command, never a crash, and a
  // cursor that never comes back to 0 ends after as many rounds as a
  // billion keys would take.
  const std::string entry_prefix = entry_key("");
  constexpr int kMaxRounds = 2'000'000;
  int rounds = 0;
  do {
    Result<RedisReply> r = (*c)->command({"SCAN", cursor, "MATCH", pattern, "COUNT", "500"});
    if (!r.ok()) return r.status();
    RedisReply keys = r->element(1);
    if (r->size() != 2 || r->element(0).type() != RedisReply::Type::kString ||
        keys.type() != RedisReply::Type::kArray || ++rounds > kMaxRounds) {
      return Status::IOError("redis: SCAN answered with something that is not a SCAN reply");
    }
    cursor = std::string(r->element(0).str());
    for (size_t i = 0; i < keys.size(); ++i) {
      const std::string_view name = keys.element(i).str();
      if (keys.element(i).type() != RedisReply::Type::kString || name.rfind(entry_prefix, 0) != 0) {
        return Status::IOError("redis: SCAN MATCH " + pattern + " answered with another key");
      }
      const std::string_view id = name.substr(entry_prefix.size());
      auto fields = read_manifest(**c, id);
      if (!fields.ok()) return fields.status();
      if (fields->empty()) continue;  // erased meanwhile
      auto parsed = parse_manifest(*fields, id);
      if (!parsed.ok()) return parsed.status();
      out.push_back(std::move(parsed->first));
    }
  } while (cursor != "0");
  std::sort(out.begin(), out.end(), [](const Entry& a, const Entry& b) {
    return a.created_at_ms != b.created_at_ms ? a.created_at_ms > b.created_at_ms : a.id < b.id;
  });
  if (limit >= 0 && out.size() > static_cast<size_t>(limit)) out.resize(limit);
  return out;
}

}  // namespace voxcache::tier
