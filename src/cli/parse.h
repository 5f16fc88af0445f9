// Parsing of the CLI's value syntaxes: sizes, ages, regions, slices, windows.

#ifndef VOXCACHE_CLI_PARSE_H_
#define VOXCACHE_CLI_PARSE_H_

#include <array>
#include <chrono>
#include <cstdint>
#include <string>

#include "voxcache/status.h"

namespace voxcache::cli {

// "1048576", "512K", "10M", "1.5G", "2T", also "10MB", "10MiB" (powers of 1024).
Result<uint64_t> parse_size(const std::string& text);
// A whole number: "1000".
Result<uint64_t> parse_count(const std::string& text);
// "90s", "30m", "12h", "7d", "2w".
Result<std::chrono::seconds> parse_age(const std::string& text);
// "x,y,z,dx,dy,dz" -> start and size.
Status parse_region(const std::string& text, std::array<uint64_t, 3>* start,
                    std::array<uint64_t, 3>* size);
// "z=90" (or x=, y=) -> axis and index.
Status parse_slice(const std::string& text, int* axis, uint64_t* index);
// "5" (one frame) or "5,10" (ten frames from 5) -> first frame and count.
Status parse_frames(const std::string& text, uint64_t* first, uint64_t* count);
// "MIN,MAX" (finite, MIN < MAX) -> the two; "auto" -> *automatic = true.
Status parse_window(const std::string& text, bool* automatic, double* lo, double* hi);

}  // namespace voxcache::cli

#endif  // VOXCACHE_CLI_PARSE_H_
