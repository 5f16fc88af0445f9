#include "cli/parse.h"

#include <charconv>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <vector>

namespace voxcache::cli {
namespace {

bool all_digits(const std::string& s) {
  return !s.empty() && s.size() <= 19 && s.find_first_not_of("0123456789") == std::string::npos;
}

// The leading decimal number of `text` and the rest; false when there is none.
bool split_number(const std::string& text, double* value, std::string* unit) {
  size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) {
    ++i;
  }
  const std::string number = text.substr(0, i);
  if (number.empty() || std::count(number.begin(), number.end(), '.') > 1 || number == ".") {
    return false;
  }
  *value = std::stod(number);
  *unit = text.substr(i);
  return true;
}

}  // namespace

Result<uint64_t> parse_count(const std::string& text) {
  uint64_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return Status::InvalidArgument("'" + text + "' is not a whole number");
  }
  return v;
}

Result<uint64_t> parse_size(const std::string& text) {
  double v = 0;
  std::string unit;
  if (!split_number(text, &v, &unit)) {
    return Status::InvalidArgument("size '" + text + "' is not a number with an optional unit");
  }
  if (!unit.empty() && (unit.back() == 'B' || unit.back() == 'b')) unit.pop_back();
  if (!unit.empty() && unit.back() == 'i') unit.pop_back();
  static const std::string kUnits = "KMGTP";
  double scale = 1;
  if (unit.size() == 1 && kUnits.find(std::toupper(unit[0])) != std::string::npos) {
    scale = std::pow(1024.0, static_cast<double>(kUnits.find(std::toupper(unit[0])) + 1));
  } else if (!unit.empty()) {
    return Status::InvalidArgument("size '" + text + "' has an unknown unit (use K, M, G, T)");
  }
  const double bytes = v * scale;
  if (bytes >= 1.8e19) return Status::InvalidArgument("size '" + text + "' is too large");
  return static_cast<uint64_t>(bytes);
}

Result<std::chrono::seconds> parse_age(const std::string& text) {
  double v = 0;
  std::string unit;
  if (!split_number(text, &v, &unit) || unit.size() != 1) {
    return Status::InvalidArgument("age '" + text + "' is not a number and a unit (s, m, h, d, w)");
  }
  static const std::string kUnits = "smhdw";
  static const double kSeconds[] = {1, 60, 3600, 86400, 604800};
  const size_t u = kUnits.find(unit[0]);
  if (u == std::string::npos) {
    return Status::InvalidArgument("age '" + text + "' has an unknown unit (use s, m, h, d, w)");
  }
  const double secs = v * kSeconds[u];
  if (secs > 1e15) return Status::InvalidArgument("age '" + text + "' is too large");
  return std::chrono::seconds(static_cast<int64_t>(secs));
}

Status parse_region(const std::string& text, std::array<uint64_t, 3>* start,
                    std::array<uint64_t, 3>* size) {
  std::vector<uint64_t> v;
  size_t at = 0;
  while (at <= text.size()) {
    const size_t comma = std::min(text.find(',', at), text.size());
    const std::string part = text.substr(at, comma - at);
    if (!all_digits(part)) {
      return Status::InvalidArgument("--region wants x,y,z,dx,dy,dz (whole numbers), got '" + text +
                                     "'");
    }
    v.push_back(std::stoull(part));
    at = comma + 1;
  }
  if (v.size() != 6) {
    return Status::InvalidArgument("--region wants 6 numbers x,y,z,dx,dy,dz, got '" + text + "'");
  }
  *start = {v[0], v[1], v[2]};
  *size = {v[3], v[4], v[5]};
  return Status::OK();
}

Status parse_slice(const std::string& text, int* axis, uint64_t* index) {
  static const std::string kAxes = "xyz012";
  const size_t eq = text.find('=');
  const std::string number = eq == std::string::npos ? "" : text.substr(eq + 1);
  if (eq != 1 || kAxes.find(text[0]) == std::string::npos || !all_digits(number)) {
    return Status::InvalidArgument("--slice wants axis=index with axis x, y or z, got '" + text +
                                   "'");
  }
  *axis = static_cast<int>(kAxes.find(text[0]) % 3);
  *index = std::stoull(number);
  return Status::OK();
}

Status parse_frames(const std::string& text, uint64_t* first, uint64_t* count) {
  const size_t comma = text.find(',');
  const std::string a = text.substr(0, comma);
  const std::string b = comma == std::string::npos ? "1" : text.substr(comma + 1);
  if (!all_digits(a) || !all_digits(b) || a.size() > 18 || b.size() > 18 || std::stoull(b) == 0) {
    return Status::InvalidArgument("--frames wants FIRST or FIRST,COUNT (COUNT >= 1), got '" +
                                   text + "'");
  }
  *first = std::stoull(a);
  *count = std::stoull(b);
  return Status::OK();
}

Status parse_window(const std::string& text, bool* automatic, double* lo, double* hi) {
  *automatic = text == "auto";
  if (*automatic) return Status::OK();
  const size_t comma = text.find(',');
  auto number = [](const std::string& t, double* out) {
    if (t.empty()) return false;
    char* end = nullptr;
    *out = std::strtod(t.c_str(), &end);
    return end == t.c_str() + t.size() && std::isfinite(*out);
  };
  if (comma == std::string::npos || !number(text.substr(0, comma), lo) ||
      !number(text.substr(comma + 1), hi) || !(*lo < *hi)) {
    return Status::InvalidArgument("--window wants auto or MIN,MAX with MIN < MAX, got '" + text +
                                   "'");
  }
  return Status::OK();
}

}  // namespace voxcache::cli
