#include "tier/redis_client.h"

#include <hiredis/hiredis.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>

#include <cstdlib>
#include <cstring>

namespace voxcache::tier {

namespace {

// hiredis writes to its socket without MSG_NOSIGNAL, so a write to a server
// that went away raises SIGPIPE, whose default kills the process. A library
// must not change the process's signal handling: the calling thread blocks
// SIGPIPE while it talks to Redis and swallows one raised meanwhile.
class SigpipeGuard {
 public:
  SigpipeGuard() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    sigset_t pending;
    sigpending(&pending);
    was_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  ~SigpipeGuard() {
    sigset_t pending;
    sigpending(&pending);
    if (!was_pending_ && sigismember(&pending, SIGPIPE) == 1) {
      const timespec zero{0, 0};
      sigtimedwait(&pipe_, nullptr, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

 private:
  sigset_t pipe_, old_;
  bool was_pending_ = false;
};

// Replies are built through hiredis's documented extension point
// (redisReplyObjectFunctions), as its own functions build them but for one
// check: an array header announcing more elements than any voxcache reply
// has is refused before its element vector is allocated (hiredis then
// reports out of memory, which reply() names). A server announcing two
// billion elements made hiredis allocate 16 GB and clear it.
redisReply* attach(const redisReadTask* task, redisReply* r) {
  if (task->parent) static_cast<redisReply*>(task->parent->obj)->element[task->idx] = r;
  return r;
}
redisReply* new_reply(int type) {
  auto* r = static_cast<redisReply*>(std::calloc(1, sizeof(redisReply)));
  if (r) r->type = type;
  return r;
}
void* create_string(const redisReadTask* task, char* str, size_t len) {
  redisReply* r = new_reply(task->type);
  if (!r) return nullptr;
  r->str = static_cast<char*>(std::malloc(len + 1));
  if (!r->str) {
    std::free(r);
    return nullptr;
  }
  std::memcpy(r->str, str, len);
  r->str[len] = '\0';
  r->len = len;
  return attach(task, r);
}
void* create_array(const redisReadTask* task, int elements) {
  if (elements > RedisConnection::kMaxReplyElements) {
    if (task->privdata) *static_cast<long long*>(task->privdata) = elements;
    return nullptr;
  }
  redisReply* r = new_reply(REDIS_REPLY_ARRAY);
  if (!r) return nullptr;
  if (elements > 0) {
    r->element = static_cast<redisReply**>(std::calloc(elements, sizeof(redisReply*)));
    if (!r->element) {
      std::free(r);
      return nullptr;
    }
  }
  r->elements = static_cast<size_t>(elements);
  return attach(task, r);
}
void* create_integer(const redisReadTask* task, long long value) {
  redisReply* r = new_reply(REDIS_REPLY_INTEGER);
  if (!r) return nullptr;
  r->integer = value;
  return attach(task, r);
}
void* create_nil(const redisReadTask* task) {
  redisReply* r = new_reply(REDIS_REPLY_NIL);
  return r ? attach(task, r) : nullptr;
}
void free_object(void* reply) { freeReplyObject(reply); }
redisReplyObjectFunctions g_reply_functions = {create_string, create_array, create_integer,
                                               create_nil, free_object};

timeval to_timeval(std::chrono::milliseconds d) {
  timeval tv;
  tv.tv_sec = static_cast<time_t>(d.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((d.count() % 1000) * 1000);
  return tv;
}

}  // namespace

Result<RedisReply> parse_reply(std::string_view bytes) {
  if (bytes.size() > RedisConnection::kMaxReplyBytes) {
    return Status::IOError("redis: a reply of more than " +
                           std::to_string(RedisConnection::kMaxReplyBytes) + " bytes");
  }
  std::unique_ptr<redisReader, void (*)(redisReader*)> r(
      redisReaderCreateWithFunctions(&g_reply_functions), redisReaderFree);
  if (!r) return Status::IOError("redis: out of memory");
  long long refused = -1;
  r->privdata = &refused;
  void* raw = nullptr;
  if (redisReaderFeed(r.get(), bytes.data(), bytes.size()) != REDIS_OK ||
      redisReaderGetReply(r.get(), &raw) != REDIS_OK) {
    return Status::IOError(refused >= 0 ? "redis: an array of " + std::to_string(refused) +
                                              " elements: not a Redis reply"
                                        : std::string("redis: bad reply: ") + r->errstr);
  }
  if (!raw) return Status::IOError("redis: not a whole reply");
  return RedisReply(static_cast<redisReply*>(raw));
}

RedisReply::~RedisReply() {
  if (r_ && owned_) freeReplyObject(r_);
}

namespace {
// What element() of a non-array, or past an array's end, views.
redisReply* nil_reply() {
  static redisReply nil = [] {
    redisReply r{};
    r.type = REDIS_REPLY_NIL;
    return r;
  }();
  return &nil;
}
}  // namespace

RedisReply::Type RedisReply::type() const {
  switch (r_->type) {
    case REDIS_REPLY_STRING:
      return Type::kString;
    case REDIS_REPLY_ARRAY:
      return Type::kArray;
    case REDIS_REPLY_INTEGER:
      return Type::kInteger;
    case REDIS_REPLY_STATUS:
      return Type::kStatus;
    case REDIS_REPLY_ERROR:
      return Type::kError;
    default:
      return Type::kNil;
  }
}

std::string_view RedisReply::str() const {
  const bool text = r_->type == REDIS_REPLY_STRING || r_->type == REDIS_REPLY_STATUS ||
                    r_->type == REDIS_REPLY_ERROR;
  return text && r_->str ? std::string_view(r_->str, r_->len) : std::string_view();
}
int64_t RedisReply::integer() const { return r_->type == REDIS_REPLY_INTEGER ? r_->integer : 0; }
size_t RedisReply::size() const { return r_->type == REDIS_REPLY_ARRAY ? r_->elements : 0; }
RedisReply RedisReply::element(size_t i) const {
  return RedisReply(i < size() && r_->element[i] ? r_->element[i] : nil_reply(), false);
}

Result<std::unique_ptr<RedisConnection>> RedisConnection::Connect(
    const RedisAddress& a, std::chrono::milliseconds timeout) {
  const timeval tv = to_timeval(timeout);
  redisContext* c = a.unix_socket ? redisConnectUnixWithTimeout(a.host.c_str(), tv)
                                  : redisConnectWithTimeout(a.host.c_str(), a.port, tv);
  if (!c) return Status::IOError("redis " + a.redacted() + ": out of memory connecting");
  std::unique_ptr<RedisConnection> conn(new RedisConnection(c, a.redacted(), timeout));
  if (c->err) return conn->io_error("cannot connect");
  c->reader->fn = &g_reply_functions;
  c->reader->privdata = &conn->check_->refused_elements;
  redisSetTimeout(c, tv);
  if (!a.password.empty()) {
    std::vector<std::string_view> auth{"AUTH"};
    if (!a.user.empty()) auth.push_back(a.user);
    auth.push_back(a.password);
    Result<RedisReply> r = conn->command(auth);
    if (!r.ok()) {
      if (conn->broken()) return r.status();
      return Status::InvalidArgument("redis " + a.redacted() +
                                     ": authentication failed: " + r.status().message());
    }
  }
  if (a.db != 0) {
    Result<RedisReply> r = conn->command({"SELECT", std::to_string(a.db)});
    if (!r.ok()) return r.status();
  }
  Result<RedisReply> pong = conn->command({"PING"});
  if (!pong.ok()) {
    if (!conn->broken() && pong.status().message().find("NOAUTH") != std::string::npos) {
      return Status::InvalidArgument("redis " + a.redacted() +
                                     " needs a password: redis://user:password@host");
    }
    return pong.status();
  }
  if (pong->type() != RedisReply::Type::kStatus || pong->str() != "PONG") {
    return Status::IOError(a.redacted() + " answered PING with something else: not Redis");
  }
  return conn;
}

RedisConnection::~RedisConnection() { redisFree(c_); }

Status RedisConnection::io_error(const std::string& what) {
  broken_ = true;
  std::string msg = "redis " + name_ + ": " + what + ": " + c_->errstr;
  if (c_->err == REDIS_ERR_PROTOCOL) msg += " (is it a Redis server?)";
  return Status::IOError(msg);
}

void RedisConnection::append(const std::vector<std::string_view>& args) {
  std::vector<const char*> argv(args.size());
  std::vector<size_t> lens(args.size());
  for (size_t i = 0; i < args.size(); ++i) {
    argv[i] = args[i].data();
    lens[i] = args[i].size();
  }
  if (redisAppendCommandArgv(c_, static_cast<int>(args.size()), argv.data(), lens.data()) !=
      REDIS_OK) {
    broken_ = true;
  }
}

Status RedisConnection::wait(short events, std::chrono::steady_clock::time_point deadline,
                             const char* what) {
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      broken_ = true;
      return Status::IOError("redis " + name_ + ": no " + what + " within " +
                             std::to_string(timeout_.count()) + " ms");
    }
    pollfd p{c_->fd, events, 0};
    const int n = poll(&p, 1, static_cast<int>(left.count()));
    if (n > 0) return Status::OK();
    if (n < 0 && errno != EINTR) return io_error("poll");
  }
}

// A reply larger than anything voxcache asks for is a server that is not
// Redis or not well: cut off before it fills memory (arrays: create_array).
Status RedisConnection::check_limits() {
  const redisReader* r = c_->reader;
  if (r->len - r->pos > max_reply_bytes_) {
    broken_ = true;
    return Status::IOError("redis " + name_ + ": a reply of more than " +
                           std::to_string(max_reply_bytes_) + " bytes: not a Redis reply");
  }
  return Status::OK();
}

Result<RedisReply> RedisConnection::reply() {
  if (broken_) return Status::IOError("redis " + name_ + ": connection broken");
  SigpipeGuard no_sigpipe;  // the pending commands are written here
  // One deadline for the whole exchange: hiredis's own timeout applies to
  // each read, which a server sending a byte at a time never trips.
  const auto deadline = std::chrono::steady_clock::now() + timeout_;
  for (int done = 0; !done;) {
    if (redisBufferWrite(c_, &done) != REDIS_OK) return io_error("cannot send");
    if (!done) {
      Status s = wait(POLLOUT, deadline, "room to send");
      if (!s.ok()) return s;
    }
  }
  void* raw = nullptr;
  for (;;) {
    if (redisGetReplyFromReader(c_, &raw) != REDIS_OK) {
      if (check_->refused_elements < 0) return io_error("bad reply");
      broken_ = true;
      return Status::IOError("redis " + name_ + ": an array of " +
                             std::to_string(check_->refused_elements) +
                             " elements: not a Redis reply");
    }
    if (raw) break;
    Status s = check_limits();
    if (s.ok()) s = wait(POLLIN, deadline, "whole reply");
    if (!s.ok()) return s;
    if (redisBufferRead(c_) != REDIS_OK) return io_error("no reply");
  }
  RedisReply r(static_cast<redisReply*>(raw));
  if (r.type() == RedisReply::Type::kError) {
    const std::string_view e = r.str();
    if (e.rfind("OOM", 0) == 0) {
      return Status::IOError("redis " + name_ + " is full: " + std::string(e));
    }
    return Status::IOError("redis " + name_ + ": " + std::string(e));
  }
  return r;
}

Result<RedisReply> RedisConnection::command(const std::vector<std::string_view>& args) {
  append(args);
  return reply();
}

RedisPool::Lease::~Lease() {
  if (!c_) return;
  std::lock_guard<std::mutex> lock(pool_->mu_);
  // A broken connection usually means the server went away or restarted: its
  // idle siblings are dead too, so they go with it.
  if (c_->broken()) {
    pool_->idle_.clear();
  } else {
    pool_->idle_.push_back(std::move(c_));
  }
}

Result<RedisPool::Lease> RedisPool::acquire() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      std::unique_ptr<RedisConnection> c = std::move(idle_.back());
      idle_.pop_back();
      return Lease(this, std::move(c));
    }
  }
  Result<std::unique_ptr<RedisConnection>> c = RedisConnection::Connect(address_, timeout_);
  if (!c.ok()) return c.status();
  return Lease(this, std::move(c).value());
}

}  // namespace voxcache::tier
