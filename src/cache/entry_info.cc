// EntryInfo::ToJson: the one rendering of an entry's record, for the CLI's
// JSON and Python's dicts alike.

#include <nlohmann/json.hpp>

#include "voxcache/records.h"

namespace voxcache {

namespace {

// JSON the library stored, as JSON; a text that does not parse (a crafted
// row) as a string, never an exception or a "<discarded>".
nlohmann::json embedded(const std::string& text) {
  if (text.empty()) return nullptr;
  nlohmann::json j = nlohmann::json::parse(text, nullptr, false);
  return j.is_discarded() ? nlohmann::json(text) : j;
}

}  // namespace

std::string EntryInfo::ToJson() const {
  nlohmann::json j;
  j["key"] = key.hex();
  j["data_type"] = data_type;
  if (!problem.empty()) j["problem"] = problem;
  j["created_at_ms"] = created_at_ms;
  j["raw_bytes"] = raw_bytes;
  j["stored_bytes"] = stored_bytes;
  j["ratio"] = ratio();
  j["chunk_count"] = chunk_count;
  j["chunk_bytes"] = chunk_bytes;
  j["layout"] = volume ? nlohmann::json(layout.ToString()) : nlohmann::json(nullptr);
  j["codec"] = codec;
  j["filter"] = filter;
  j["level"] = level;
  j["checksum"] = checksum;
  j["metadata"] = embedded(metadata);
  j["last_access_ms"] = last_access_ms;
  j["access_count"] = access_count;
  j["pinned"] = pinned;
  j["operation"] = operation.empty() ? nlohmann::json(nullptr) : nlohmann::json(operation);
  j["recipe"] = embedded(recipe_json);
  j["inputs"] = nlohmann::json::array();
  for (const OperationKey& k : inputs) j["inputs"].push_back(k.hex());
  j["dependents"] = nlohmann::json::array();
  for (const OperationKey& k : dependents) j["dependents"].push_back(k.hex());
  j["intensity"] = embedded(intensity_json);
  if (volume) {
    const VolumeLayout& l = *volume;
    j["volume"] = {{"pixel_type", std::string(pixel_type_name(l.pixel_type))},
                   {"components", l.components},
                   {"size", l.size},
                   {"spacing", l.geometry.spacing},
                   {"origin", l.geometry.origin},
                   {"direction", l.geometry.direction},
                   {"dimension", l.dimension},
                   {"frames", l.frames},
                   {"time_spacing", l.geometry.time_spacing},
                   {"time_origin", l.geometry.time_origin}};
  } else {
    j["volume"] = nullptr;
  }
  // A crafted row may hold bytes that are not UTF-8: replaced, not thrown.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace voxcache
