#include "tier/redis_url.h"

#include <charconv>

namespace voxcache::tier {

namespace {

Result<int> parse_int(std::string_view text, int lo, int hi, const std::string& what) {
  int v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v < lo || v > hi) {
    return Status::InvalidArgument("redis URL: bad " + what + " '" + std::string(text) + "'");
  }
  return v;
}

// %XX escapes, so a password may hold '@', ':' or '/'.
Result<std::string> percent_decode(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out += s[i];
      continue;
    }
    int v = 0;
    if (i + 2 >= s.size())
      return Status::InvalidArgument("redis URL: a '%' without two hex digits");
    const auto [end, ec] = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
    if (ec != std::errc() || end != s.data() + i + 3) {
      return Status::InvalidArgument("redis URL: a '%' without two hex digits");
    }
    out += static_cast<char>(v);
    i += 2;
  }
  return out;
}

}  // namespace

Result<RedisAddress> parse_redis_url(std::string_view url) {
  RedisAddress a;
  std::string_view rest;
  if (url.rfind("redis://", 0) == 0) {
    rest = url.substr(8);
  } else if (url.rfind("unix://", 0) == 0) {
    a.unix_socket = true;
    rest = url.substr(7);
  } else {
    return Status::InvalidArgument("remote URL '" + std::string(url.substr(0, url.find("://"))) +
                                   "...' is neither redis://host[:port][/db] nor unix:///path");
  }
  // user:password@ comes first; for a socket it ends before the path's '/'.
  const size_t at = rest.find('@');
  if (at != std::string_view::npos && (!a.unix_socket || at < rest.find('/'))) {
    const std::string_view userinfo = rest.substr(0, at);
    const size_t colon = userinfo.find(':');
    if (colon == std::string_view::npos) {
      return Status::InvalidArgument("redis URL: give user:password@ or :password@");
    }
    Result<std::string> user = percent_decode(userinfo.substr(0, colon));
    Result<std::string> password = percent_decode(userinfo.substr(colon + 1));
    if (!user.ok()) return user.status();
    if (!password.ok()) return password.status();
    a.user = *user;
    a.password = *password;
    rest = rest.substr(at + 1);
  }
  if (a.unix_socket) {
    const size_t q = rest.find('?');
    a.host = std::string(rest.substr(0, q));
    if (a.host.empty() || a.host[0] != '/') {
      return Status::InvalidArgument("unix URL needs an absolute socket path: unix:///path");
    }
    if (q != std::string_view::npos) {
      const std::string_view query = rest.substr(q + 1);
      if (query.rfind("db=", 0) != 0) {
        return Status::InvalidArgument("unix URL: only ?db=N is understood");
      }
      Result<int> db = parse_int(query.substr(3), 0, 1 << 20, "database number");
      if (!db.ok()) return db.status();
      a.db = *db;
    }
    return a;
  }
  const size_t slash = rest.find('/');
  std::string_view hostport = rest.substr(0, slash);
  if (slash != std::string_view::npos && slash + 1 < rest.size()) {
    Result<int> db = parse_int(rest.substr(slash + 1), 0, 1 << 20, "database number");
    if (!db.ok()) return db.status();
    a.db = *db;
  }
  size_t colon = std::string_view::npos;
  if (!hostport.empty() && hostport[0] == '[') {  // [::1]:6379
    const size_t close = hostport.find(']');
    if (close == std::string_view::npos) return Status::InvalidArgument("redis URL: bad IPv6 host");
    a.host = std::string(hostport.substr(1, close - 1));
    if (close + 1 < hostport.size()) {
      if (hostport[close + 1] != ':') return Status::InvalidArgument("redis URL: bad host");
      colon = close + 1;
    }
  } else {
    colon = hostport.find(':');
    a.host = std::string(hostport.substr(0, colon));
  }
  if (a.host.empty()) return Status::InvalidArgument("redis URL has no host");
  if (colon != std::string_view::npos) {
    Result<int> port = parse_int(hostport.substr(colon + 1), 1, 65535, "port");
    if (!port.ok()) return port.status();
    a.port = *port;
  }
  return a;
}

std::string RedisAddress::redacted() const {
  std::string auth;
  if (!user.empty() || !password.empty()) auth = user + (password.empty() ? "" : ":***") + "@";
  if (unix_socket) {
    return "unix://" + auth + host + (db ? "?db=" + std::to_string(db) : "");
  }
  const std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return "redis://" + auth + h + ":" + std::to_string(port) + (db ? "/" + std::to_string(db) : "");
}

}  // namespace voxcache::tier
