// StoredStats: its counters by name, and the one rendering of the record,
// for the CLI's `stats --json` and Python's Cache.stats() alike.

#include <algorithm>
#include <nlohmann/json.hpp>

#include "voxcache/records.h"

namespace voxcache {

namespace {

// Every counter reported, present in the JSON even when zero.
constexpr const char* kCounterNames[] = {
    "hits_memory",   "hits_disk",         "hits_remote",         "misses",
    "puts",          "evictions",         "bytes_read",          "bytes_written",
    "remote_errors", "remote_bytes_read", "remote_bytes_written"};

}  // namespace

uint64_t StoredStats::counter(const std::string& name, const std::string& data_type) const {
  for (const Counter& c : counters) {
    if (c.name == name && c.data_type == data_type) return c.value;
  }
  return 0;
}

uint64_t StoredStats::hits(const std::string& data_type) const {
  return counter("hits_memory", data_type) + counter("hits_disk", data_type) +
         counter("hits_remote", data_type);
}

double StoredStats::hit_rate() const {
  const uint64_t lookups = hits() + counter("misses");
  return lookups ? static_cast<double>(hits()) / static_cast<double>(lookups) : 0.0;
}

std::string StoredStats::ToJson() const {
  nlohmann::json j = {{"entries", entries},
                      {"raw_bytes", raw_bytes},
                      {"stored_bytes", stored_bytes},
                      {"ratio", ratio()},
                      {"hit_rate", hit_rate()},
                      {"by_type", nlohmann::json::array()},
                      {"counters", nlohmann::json::object()}};
  std::vector<std::string> groups{""};  // "" is "total"
  for (const ByType& t : by_type) {
    j["by_type"].push_back({{"data_type", t.data_type},
                            {"entries", t.entries},
                            {"raw_bytes", t.raw_bytes},
                            {"stored_bytes", t.stored_bytes}});
    groups.push_back(t.data_type);
  }
  for (const Counter& c : counters) {  // types with counts but no entries left
    if (std::find(groups.begin(), groups.end(), c.data_type) == groups.end()) {
      groups.push_back(c.data_type);
    }
  }
  for (const std::string& group : groups) {
    nlohmann::json& out = j["counters"][group.empty() ? "total" : group];
    for (const char* name : kCounterNames) out[name] = counter(name, group);
  }
  // voxcache run: a hit is a hit of its run record (type "run"), a miss
  // that stored is a put of one; the identity records and output files it
  // reads are in the totals above but say nothing of the runs.
  j["runs"] = {{"hits", hits("run")}, {"stored", counter("puts", "run")}};
  return j.dump();
}

}  // namespace voxcache
