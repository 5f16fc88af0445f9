#include "key/recipe.h"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstring>
#include <optional>

#include "util/coding.h"

namespace voxcache::key {
namespace {

// Parses one argument value of docs/format.md section 3.1; nullopt when the
// bytes do not follow the grammar (lists nest at most 64 deep).
std::optional<nlohmann::json> value(util::Reader* r, std::string* type, int depth) {
  uint8_t tag = 0;
  if (depth > 64 || !r->get(&tag)) return std::nullopt;
  auto str = [&]() -> std::optional<std::string> {
    uint64_t n = 0;
    std::string_view s;
    if (!r->get(&n) || n > r->remaining() || !r->get_bytes(n, &s)) return std::nullopt;
    return std::string(s);
  };
  switch (tag) {
    case 1: {
      int64_t v;
      *type = "int64";
      if (!r->get(&v)) return std::nullopt;
      return nlohmann::json(v);
    }
    case 2: {
      double v;
      *type = "double";
      if (!r->get(&v)) return std::nullopt;
      return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(std::to_string(v));
    }
    case 3: {
      uint8_t v;
      *type = "bool";
      if (!r->get(&v) || v > 1) return std::nullopt;
      return nlohmann::json(v == 1);
    }
    case 4: {
      *type = "string";
      auto s = str();
      if (!s) return std::nullopt;
      return nlohmann::json(*s);
    }
    case 5: {
      *type = "bytes";
      auto s = str();
      if (!s) return std::nullopt;
      return nlohmann::json(util::to_hex(s->data(), s->size()));
    }
    case 6: {
      *type = "list";
      uint64_t n = 0;
      if (!r->get(&n) || n > r->remaining()) return std::nullopt;
      nlohmann::json list = nlohmann::json::array();
      for (uint64_t i = 0; i < n; ++i) {
        std::string inner;
        auto v = value(r, &inner, depth + 1);
        if (!v) return std::nullopt;
        list.push_back(*v);
      }
      return list;
    }
    default:
      return std::nullopt;
  }
}

}  // namespace

std::string recipe_to_json(std::string_view canonical) {
  util::Reader r(canonical);
  auto str = [&]() -> std::optional<std::string> {
    uint64_t n = 0;
    std::string_view s;
    if (!r.get(&n) || n > r.remaining() || !r.get_bytes(n, &s)) return std::nullopt;
    return std::string(s);
  };
  auto domain = str();
  auto operation = str();
  if (!domain || *domain != "voxcache.op.v1" || !operation) return "";
  nlohmann::json j;
  j["operation"] = *operation;
  j["args"] = nlohmann::json::array();
  uint64_t args = 0;
  if (!r.get(&args) || args > r.remaining()) return "";
  for (uint64_t i = 0; i < args; ++i) {
    auto name = str();
    std::string type;
    if (!name) return "";
    auto v = value(&r, &type, 0);
    if (!v) return "";
    j["args"].push_back({{"name", *name}, {"type", type}, {"value", *v}});
  }
  uint64_t inputs = 0;
  if (!r.get(&inputs) || inputs > r.remaining() / 32) return "";
  j["inputs"] = nlohmann::json::array();
  for (uint64_t i = 0; i < inputs; ++i) {
    std::string_view k;
    if (!r.get_bytes(32, &k)) return "";
    j["inputs"].push_back(util::to_hex(k.data(), k.size()));
  }
  if (r.remaining() != 0) return "";
  // Names and strings are whatever bytes the caller gave KeyBuilder, not
  // necessarily UTF-8: replace what JSON cannot carry instead of throwing.
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace voxcache::key
