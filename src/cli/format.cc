#include "cli/format.h"

#include <cstdio>
#include <ctime>

namespace voxcache::cli {

std::string human_age(int64_t seconds) {
  static constexpr std::pair<int64_t, const char*> kUnits[] = {
      {7 * 86400, "w"}, {86400, "d"}, {3600, "h"}, {60, "m"}};
  for (const auto& [unit, name] : kUnits) {
    if (seconds != 0 && seconds % unit == 0) return std::to_string(seconds / unit) + name;
  }
  return std::to_string(seconds) + "s";
}

std::string human_bytes(uint64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double v = static_cast<double>(bytes);
  int unit = 0;
  while (v >= 1024.0 && unit < 5) {
    v /= 1024.0;
    ++unit;
  }
  char buf[32];
  if (unit == 0) {
    std::snprintf(buf, sizeof(buf), "%llu B", static_cast<unsigned long long>(bytes));
  } else {
    std::snprintf(buf, sizeof(buf), "%.1f %s", v, kUnits[unit]);
  }
  return buf;
}

std::string iso_time(int64_t unix_ms) {
  const std::time_t secs = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string dims_text(const VolumeLayout& l) {
  const auto& s = l.size;
  std::string t = std::to_string(s[0]) + "x" + std::to_string(s[1]);
  if (l.dimension >= 3) t += "x" + std::to_string(s[2]);
  if (l.dimension == 4) t += "x" + std::to_string(l.frames);
  return t;
}

std::string dims_text(const EntryInfo& info) { return info.volume ? dims_text(*info.volume) : "-"; }

std::string pixel_text(const EntryInfo& info) {
  if (!info.volume) return "-";
  std::string t(pixel_type_name(info.volume->pixel_type));
  if (info.volume->components > 1) t += "x" + std::to_string(info.volume->components);
  return t;
}

std::string count_text(uint64_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

nlohmann::json entry_json(const EntryInfo& info) {
  // EntryInfo::ToJson is the record; the CLI adds the times as ISO 8601.
  nlohmann::json j = nlohmann::json::parse(info.ToJson());
  j["created_at"] = iso_time(info.created_at_ms);
  j["last_access"] = iso_time(info.last_access_ms);
  return j;
}

}  // namespace voxcache::cli
