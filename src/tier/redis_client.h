// A thin RAII wrapper over hiredis: a parsed address, a connection that
// authenticates, selects its database and checks it speaks to Redis, and
// binary-safe commands, one at a time or pipelined. No hiredis type leaves
// this file's .cc. Not thread-safe: one connection per thread at a time.

#ifndef VOXCACHE_TIER_REDIS_CLIENT_H_
#define VOXCACHE_TIER_REDIS_CLIENT_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "tier/redis_url.h"
#include "voxcache/status.h"

struct redisContext;
struct redisReply;

namespace voxcache::tier {

class RedisReply {
 public:
  enum class Type { kString, kArray, kInteger, kNil, kStatus, kError };
  explicit RedisReply(redisReply* r) : r_(r) {}
  RedisReply(RedisReply&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
  RedisReply& operator=(RedisReply&&) = delete;
  ~RedisReply();

  // Replies are a server's word: every accessor is safe on any reply, so a
  // caller checks type() and size() and never reads past what arrived.
  Type type() const;
  std::string_view str() const;  // strings, statuses and errors; empty for others
  int64_t integer() const;       // 0 unless an integer
  size_t size() const;           // elements of an array; 0 for others
  // A non-owning view of element i; a nil reply past the end.
  RedisReply element(size_t i) const;
  bool is_nil() const { return type() == Type::kNil; }

 private:
  RedisReply(redisReply* r, bool owned) : r_(r), owned_(owned) {}
  redisReply* r_;
  bool owned_ = true;
};

// Parses `bytes` as one whole reply, with the checks and caps a
// connection's replies get (RedisConnection::kMaxReplyBytes and
// kMaxReplyElements). IOError for bytes that are not one whole reply within
// them. For the reply-parser fuzzer, which feeds it what a hostile server
// could send.
Result<RedisReply> parse_reply(std::string_view bytes);

class RedisConnection {
 public:
  // Connects within `timeout`, then sends AUTH (when the address has a
  // password), SELECT (db other than 0) and PING, each bounded by `timeout`.
  // IOError when nothing answers or the answer is not Redis's;
  // InvalidArgument when the server refuses the credentials.
  static Result<std::unique_ptr<RedisConnection>> Connect(const RedisAddress& address,
                                                          std::chrono::milliseconds timeout);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Sends one command and waits for its reply, for at most the connection's
  // timeout in all (not per read: a server trickling a byte at a time is cut
  // off), and for at most kMaxReplyBytes buffered and kMaxReplyElements per
  // array. A Redis error reply is a non-OK status; a connection that failed
  // stays broken().
  Result<RedisReply> command(const std::vector<std::string_view>& args);
  // Pipelining: queue commands, then read their replies in order.
  void append(const std::vector<std::string_view>& args);
  Result<RedisReply> reply();

  bool broken() const { return broken_; }

  // Larger than any reply voxcache asks for (a chunk is at most 512 MiB).
  static constexpr size_t kMaxReplyBytes = size_t{640} << 20;
  // Far above any reply voxcache reads (a manifest has ~40 fields, SCAN
  // returns about its COUNT of 500), and small enough that arrays nested as
  // deep as hiredis allows (7) stay under 64 MiB of element vectors.
  static constexpr int kMaxReplyElements = 1 << 20;
  // For the tests of the cap, which would otherwise send 640 MiB.
  void set_max_reply_bytes(size_t n) { max_reply_bytes_ = n; }

 private:
  struct ReaderCheck {
    long long refused_elements = -1;
  };
  RedisConnection(redisContext* c, std::string name, std::chrono::milliseconds timeout)
      : c_(c), name_(std::move(name)), timeout_(timeout), check_(new ReaderCheck) {}
  Status io_error(const std::string& what);
  // Waits until the socket is ready for `events` (poll), or the deadline.
  Status wait(short events, std::chrono::steady_clock::time_point deadline, const char* what);
  Status check_limits();

  redisContext* c_;
  std::string name_;  // redacted address, for messages
  std::chrono::milliseconds timeout_;
  size_t max_reply_bytes_ = kMaxReplyBytes;
  std::unique_ptr<ReaderCheck> check_;  // the reader's privdata: what create_array refused
  bool broken_ = false;
};

// Connections to one address, each used by one thread at a time and made on
// demand; a broken one is dropped when it comes back, and the idle ones with
// it. Thread-safe.
class RedisPool {
 public:
  RedisPool(RedisAddress address, std::chrono::milliseconds timeout)
      : address_(std::move(address)), timeout_(timeout) {}

  class Lease {
   public:
    Lease(RedisPool* pool, std::unique_ptr<RedisConnection> c) : pool_(pool), c_(std::move(c)) {}
    Lease(Lease&&) = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    RedisConnection* operator->() const { return c_.get(); }
    RedisConnection& operator*() const { return *c_; }

   private:
    RedisPool* pool_;
    std::unique_ptr<RedisConnection> c_;
  };
  Result<Lease> acquire();
  const RedisAddress& address() const { return address_; }

 private:
  const RedisAddress address_;
  const std::chrono::milliseconds timeout_;
  std::mutex mu_;
  std::vector<std::unique_ptr<RedisConnection>> idle_;
};

}  // namespace voxcache::tier

#endif  // VOXCACHE_TIER_REDIS_CLIENT_H_
