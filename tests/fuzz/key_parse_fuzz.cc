// libFuzzer target: parsing keys and recipes, the text a user or a database
// hands voxcache. Any input must give a clean Status or an empty result.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "key/recipe.h"
#include "voxcache/key.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  voxcache::Result<voxcache::OperationKey> k = voxcache::OperationKey::FromHex(in);
  if (k.ok() && voxcache::OperationKey::FromHex(k->hex()).value() != *k) __builtin_trap();
  (void)voxcache::key::recipe_to_json(in);
  return 0;
}
