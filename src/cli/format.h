// How the CLI prints entries: human units for people, exact values in JSON.

#ifndef VOXCACHE_CLI_FORMAT_H_
#define VOXCACHE_CLI_FORMAT_H_

#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

#include "voxcache/cache.h"

namespace voxcache::cli {

std::string human_bytes(uint64_t bytes);  // "9.1 MiB"
// "1 entry", "2 entries", "0 entries": a count with its noun, singular for 1.
std::string count_text(uint64_t n, const char* one, const char* many);
std::string human_age(int64_t seconds);        // "30d", "12h", "90s": parse_age's syntax
std::string iso_time(int64_t unix_ms);         // "2026-11-22T10:40:51Z"
std::string dims_text(const EntryInfo& info);  // "181x217x181" or "-"
// "256x256" (2D), "181x217x181", "64x64x30x200" (a series of 200 frames).
std::string dims_text(const VolumeLayout& layout);
std::string pixel_text(const EntryInfo& info);  // "u8", "f32x3" or "-"
nlohmann::json entry_json(const EntryInfo& info);

}  // namespace voxcache::cli

#endif  // VOXCACHE_CLI_FORMAT_H_
