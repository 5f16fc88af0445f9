// libFuzzer target: what a hostile or broken server could send as a reply,
// parsed with the checks and caps of a connection's replies
// (tier::parse_reply), then every accessor walked over the result, one past
// every array's end included. Any input must give a clean Status or a reply
// whose accessors are safe, never a crash, an out-of-bounds read or an
// allocation sized from an announced length.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tier/redis_client.h"

using namespace voxcache;

namespace {

void walk(const tier::RedisReply& r, int depth) {
  (void)r.type();
  (void)r.str().size();
  (void)r.integer();
  (void)r.is_nil();
  if (depth > 16) return;
  for (size_t i = 0; i <= r.size(); ++i) walk(r.element(i), depth + 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Result<tier::RedisReply> r =
      tier::parse_reply(std::string_view(reinterpret_cast<const char*>(data), size));
  if (r.ok()) walk(*r, 0);
  return 0;
}
