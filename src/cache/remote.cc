#include "cache/remote.h"

#include "tier/redis_claims.h"

#include <cstdlib>

namespace voxcache::cache {

namespace {

std::string secret_of(const Options& o) {
  if (!o.remote_secret.empty()) return o.remote_secret;
  const char* from_env = std::getenv("VOXCACHE_REMOTE_SECRET");
  return from_env ? from_env : "";
}

}  // namespace

template <typename T, typename Op>
Result<T> Remote::guard(Op op) {
  Status s = available();
  if (!s.ok()) return s;
  Result<T> r = op();
  if (!r.ok() && !r.status().is_not_found() && !r.status().is_corruption()) failed(r.status());
  return r;
}

// Counts failures in the middle of a read, which open() cannot see.
class Remote::GuardedSource final : public tier::EntrySource {
 public:
  GuardedSource(Remote* remote, std::unique_ptr<tier::EntrySource> s)
      : remote_(remote), s_(std::move(s)) {}
  const tier::Entry& entry() const override { return s_->entry(); }
  Status seek(uint64_t first, uint64_t end) override { return check(s_->seek(first, end)); }
  Result<std::string_view> next_chunk() override {
    Result<std::string_view> r = s_->next_chunk();
    if (!r.ok()) (void)check(r.status());
    return r;
  }
  Result<uint64_t> stored_chunks() override { return s_->stored_chunks(); }

 private:
  Status check(Status s) {
    if (!s.ok() && !s.is_not_found() && !s.is_corruption()) remote_->failed(s);
    return s;
  }
  Remote* remote_;
  std::unique_ptr<tier::EntrySource> s_;
};

class Remote::GuardedTier final : public tier::Tier {
 public:
  explicit GuardedTier(Remote* r) : r_(r) {}
  const char* name() const override { return "remote"; }
  Result<std::unique_ptr<tier::EntrySource>> open(std::string_view id) override {
    auto s = r_->guard<std::unique_ptr<tier::EntrySource>>([&] { return r_->redis_.open(id); });
    if (s.status().is_not_found()) ++r_->misses_;
    if (!s.ok()) return s;
    return std::unique_ptr<tier::EntrySource>(new GuardedSource(r_, std::move(s).value()));
  }
  Result<std::unique_ptr<tier::EntrySink>> create(std::string_view id, bool replace) override {
    if (r_->read_only_) return Status::InvalidArgument("the remote is read-only here");
    return r_->guard<std::unique_ptr<tier::EntrySink>>(
        [&] { return r_->redis_.create(id, replace); });
  }
  Result<bool> contains(std::string_view id) override {
    return r_->guard<bool>([&] { return r_->redis_.contains(id); });
  }
  Result<bool> erase(std::string_view id) override {
    if (r_->read_only_) return false;  // a consumer never removes what others publish
    return r_->guard<bool>([&] { return r_->redis_.erase(id); });
  }
  Result<std::vector<tier::Entry>> list(std::string_view prefix, int limit) override {
    return r_->guard<std::vector<tier::Entry>>([&] { return r_->redis_.list(prefix, limit); });
  }

 private:
  Remote* r_;
};

// Redis's claims (tier/redis_claims.h) behind the breaker: a failure opens
// it, and while it is open the claims fail fast, so LayeredClaims falls
// back to the local ones.
class Remote::GuardedClaims final : public ClaimTable {
 public:
  explicit GuardedClaims(Remote* r) : r_(r), redis_(&r->pool_) {}
  Result<bool> try_claim(const std::string& id, const std::string& me, int64_t now_ms,
                         int64_t lease_ms, std::string* holder) override {
    return r_->guard<bool>([&] { return redis_.try_claim(id, me, now_ms, lease_ms, holder); });
  }
  Status renew(const std::string& id, const std::string& me, int64_t) override {
    return r_->guard<bool>([&] { return redis_.renew_for(id, me, r_->lease_ms_); }).status();
  }
  Status release(const std::string& id, const std::string& me) override {
    return r_->guard<bool>([&] { return redis_.release_owned(id, me); }).status();
  }

 private:
  Remote* r_;
  tier::RedisClaims redis_;
};

// Claims in Redis while it answers, else in the local database: while the
// remote is down, single flight still holds among this machine's processes.
class Remote::LayeredClaims final : public ClaimTable {
 public:
  LayeredClaims(ClaimTable* remote, ClaimTable* local) : remote_(remote), local_(local) {}
  Result<bool> try_claim(const std::string& id, const std::string& me, int64_t now_ms,
                         int64_t lease_ms, std::string* holder) override {
    Result<bool> r = remote_->try_claim(id, me, now_ms, lease_ms, holder);
    if (r.ok()) return r;
    return local_->try_claim(id, me, now_ms, lease_ms, holder);
  }
  Status renew(const std::string& id, const std::string& me, int64_t expires_at_ms) override {
    Status r = remote_->renew(id, me, expires_at_ms);
    Status l = local_->renew(id, me, expires_at_ms);
    return r.ok() ? r : l;
  }
  Status release(const std::string& id, const std::string& me) override {
    Status r = remote_->release(id, me);
    Status l = local_->release(id, me);
    return r.ok() ? r : l;
  }

 private:
  ClaimTable* remote_;
  ClaimTable* local_;
};

Result<std::unique_ptr<Remote>> Remote::Open(const Options& options, util::Env* env,
                                             UsageRecorder* usage) {
  std::string url = options.remote;
  if (url.empty()) {
    const char* from_env = std::getenv("VOXCACHE_REMOTE");
    if (from_env) url = from_env;
  }
  if (url.empty()) return std::unique_ptr<Remote>();
  Result<tier::RedisAddress> address = tier::parse_redis_url(url);
  if (!address.ok()) return address.status();
  if (!options.remote_password.empty()) address->password = options.remote_password;
  std::unique_ptr<Remote> r(new Remote(std::move(address).value(), options, env, usage));
  // Connect now, so a wrong password or a server that is not Redis is known
  // (status()) before the first get.
  Result<bool> ping = r->guard<bool>([&]() -> Result<bool> {
    Result<tier::RedisPool::Lease> c = r->pool_.acquire();
    return c.ok() ? Result<bool>(true) : Result<bool>(c.status());
  });
  (void)ping;
  return r;
}

Remote::Remote(tier::RedisAddress address, const Options& options, util::Env* env,
               UsageRecorder* usage)
    : address_(address),
      env_(env),
      usage_(usage),
      read_only_(options.remote_read_only),
      retry_after_(options.remote_retry_after),
      lease_ms_(options.claim_lease.count()),
      pool_(std::move(address), options.remote_timeout),
      redis_(&pool_, secret_of(options)),
      guarded_(new GuardedTier(this)),
      redis_claims_(new GuardedClaims(this)) {}

ClaimTable* Remote::claims(ClaimTable* local) {
  if (!layered_claims_) layered_claims_.reset(new LayeredClaims(redis_claims_.get(), local));
  return layered_claims_.get();
}

Status Remote::available() {
  std::lock_guard<std::mutex> lock(mu_);
  if (disabled_) {
    return Status::IOError("remote " + address_.redacted() +
                           " not in use: " + last_error_.message());
  }
  if (env_->steady_now() < down_until_) {
    return Status::IOError("remote " + address_.redacted() +
                           " not asked again yet after: " + last_error_.message());
  }
  return Status::OK();
}

void Remote::failed(const Status& s) {
  ++errors_;
  usage_->count("remote_errors", "", 1);
  std::lock_guard<std::mutex> lock(mu_);
  last_error_ = s;
  if (s.is_invalid_argument()) disabled_ = true;  // refused credentials stay refused
  down_until_ = env_->steady_now() + retry_after_;
}

Status Remote::push(tier::EntrySource* local_entry) {
  if (read_only_) return Status::InvalidArgument("the remote is read-only here");
  Result<bool> pushed = guard<bool>([&]() -> Result<bool> {
    Status s = tier::copy_entry(local_entry, &redis_);
    if (!s.ok()) return s;
    return true;
  });
  if (!pushed.ok()) {
    ++push_failures_;
    std::lock_guard<std::mutex> lock(mu_);
    last_push_error_ = pushed.status();
    return pushed.status();
  }
  const uint64_t bytes = static_cast<uint64_t>(local_entry->entry().size_bytes);
  bytes_written_ += bytes;
  usage_->count("remote_bytes_written", local_entry->entry().data_type,
                static_cast<int64_t>(bytes));
  return Status::OK();
}

void Remote::count_hit(const std::string& data_type, uint64_t stored_bytes) {
  ++hits_;
  bytes_read_ += stored_bytes;
  usage_->count("remote_bytes_read", data_type, static_cast<int64_t>(stored_bytes));
}

void Remote::fill(CacheStats* s) const {
  s->remote_hits = hits_;
  s->remote_misses = misses_;
  s->remote_errors = errors_;
  s->remote_bytes_read = bytes_read_;
  s->remote_bytes_written = bytes_written_;
  s->remote = address_.redacted();
  s->remote_push_failures = push_failures_;
  s->remote_rejected = redis_.rejected();
  std::lock_guard<std::mutex> lock(mu_);
  s->remote_status = disabled_ || env_->steady_now() < down_until_ ? last_error_.message() : "ok";
  s->remote_push_error = last_push_error_.ok() ? "" : last_push_error_.message();
}

Result<RemoteStats> Remote::stats() {
  RemoteStats out;
  out.url = address_.redacted();
  out.read_only = read_only_;
  Result<std::vector<tier::Entry>> rows =
      guard<std::vector<tier::Entry>>([&] { return redis_.list("", -1); });
  Result<tier::RedisServerInfo> info =
      guard<tier::RedisServerInfo>([&] { return tier::server_info(&pool_); });
  if (!rows.ok() || !info.ok()) {
    out.status = (rows.ok() ? info.status() : rows.status()).message();
    return out;
  }
  out.status = "ok";
  out.entries = rows->size();
  for (const tier::Entry& row : *rows) out.stored_bytes += static_cast<uint64_t>(row.size_bytes);
  out.used_memory = info->used_memory;
  out.max_memory = info->max_memory;
  out.evicted_keys = info->evicted_keys;
  out.eviction_policy = info->eviction_policy;
  return out;
}

}  // namespace voxcache::cache
