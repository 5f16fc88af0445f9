// Entry: what every tier keeps of an entry besides its chunk blobs, and so
// what tiers exchange: the encoded header with any inline chunks
// (docs/format.md) and the facts a listing shows without decoding it. A
// tier's own records stay in the tier: the local database's access count,
// pin and layout column are columns of store::EntryRow, which only
// tier/local_tier converts to and from, so a new SQLite column reaches no
// other tier (the Redis manifest, docs/format.md 2.8).

#ifndef VOXCACHE_TIER_ENTRY_H_
#define VOXCACHE_TIER_ENTRY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace voxcache::tier {

struct Entry {
  std::string id;         // 64 lower-case hex digits
  std::string data;       // entry header, plus inline chunks
  std::string data_type;  // Value::type_tag()
  int64_t created_at_ms = 0;
  int64_t size_bytes = 0;  // stored: header plus every chunk blob
  int64_t raw_bytes = 0;   // the payload before compression
  int64_t chunk_count = 0;
  std::string codec;  // the names codec/entry_format gives its choices
  std::string filter = "none";
  int level = 0;
  std::string checksum;
  std::optional<std::string> metadata;  // JSON
  // Lineage, when the entry was stored with a recipe.
  std::optional<std::string> operation;  // the recipe's operation name
  std::optional<std::string> recipe;     // KeyBuilder::canonical_encoding()
  std::vector<std::string> inputs;       // input keys (hex); only where asked for
  std::optional<std::string> intensity;  // JSON, docs/format.md
  // When the tier last saw the entry put or read, where it records that (the
  // local tier; 0 elsewhere): single flight and eviction start from it.
  int64_t last_access_ms = 0;
};

}  // namespace voxcache::tier

#endif  // VOXCACHE_TIER_ENTRY_H_
