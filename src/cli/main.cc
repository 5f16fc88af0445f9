// voxcache: look into and move volumes in and out of a voxcache database.
// A thin shell over the library; every command is a few library calls.
//
// Exit codes: 0 success; 1 the operation failed (I/O, corruption, ...);
// 2 bad usage, or a key that is unknown, ambiguous or malformed.

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>

#include "cli/format.h"
#include "voxcache/cache.h"
#include "voxcache/itk.h"

namespace voxcache::cli {
namespace {

constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

int fail(const Status& s) {
  std::cerr << "voxcache: " << s.to_string() << "\n";
  return kExitFailure;
}

int usage_error(const Status& s) {
  std::cerr << "voxcache: " << s.to_string() << "\n";
  return kExitUsage;
}

struct Globals {
  std::string db;
};

Result<std::unique_ptr<Cache>> open_cache(const Globals& g, bool read_only) {
  std::string path = g.db;
  if (path.empty()) {
    Result<std::string> def = Cache::DefaultPath();
    if (!def.ok()) return def.status();
    path = *def;
  }
  Options o;
  o.read_only = read_only;
  o.create_if_missing = !read_only;
  return Cache::Open(path, o);
}

// A full key or a unique prefix of at least 8 hex digits.
Result<OperationKey> resolve(Cache* cache, const std::string& text) {
  return text.size() == OperationKey::kHexChars ? OperationKey::FromHex(text)
                                                : cache->resolve_prefix(text);
}

int cmd_import(const Globals& g, const std::vector<std::string>& files) {
  auto cache = open_cache(g, false);
  if (!cache.ok()) return fail(cache.status());
  int rc = 0;
  for (const std::string& file : files) {
    Result<Volume> vol = read_image(file);
    if (!vol.ok()) {
      rc = vol.status().is_not_found() ? kExitUsage : kExitFailure;
      std::cerr << "voxcache: " << vol.status().to_string() << "\n";
      continue;
    }
    const OperationKey key = content_key(*vol);
    nlohmann::json meta = {{"source", std::filesystem::absolute(file).string()}};
    Status s = (*cache)->put(key, Value(std::move(vol).value()), meta.dump());
    if (!s.ok()) {
      rc = kExitFailure;
      std::cerr << "voxcache: " << s.to_string() << "\n";
      continue;
    }
    std::cout << key.hex() << "  " << file << "\n";
  }
  return rc;
}

// "x,y,z,dx,dy,dz" -> start and size.
Status parse_region(const std::string& text, std::array<uint64_t, 3>* start,
                    std::array<uint64_t, 3>* size) {
  std::vector<uint64_t> v;
  size_t at = 0;
  while (at <= text.size()) {
    const size_t comma = std::min(text.find(',', at), text.size());
    const std::string part = text.substr(at, comma - at);
    if (part.empty() || part.find_first_not_of("0123456789") != std::string::npos ||
        part.size() > 19) {
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

// "z=90" (or x=, y=, or 0=, 1=, 2=) -> axis and index.
Status parse_slice(const std::string& text, int* axis, uint64_t* index) {
  static const std::string kAxes = "xyz012";
  const size_t eq = text.find('=');
  const std::string number = eq == std::string::npos ? "" : text.substr(eq + 1);
  if (eq != 1 || kAxes.find(text[0]) == std::string::npos || number.empty() ||
      number.find_first_not_of("0123456789") != std::string::npos || number.size() > 19) {
    return Status::InvalidArgument("--slice wants axis=index with axis x, y or z, got '" + text +
                                   "'");
  }
  *axis = static_cast<int>(kAxes.find(text[0]) % 3);
  *index = std::stoull(number);
  return Status::OK();
}

int cmd_export(const Globals& g, const std::string& key_text, const std::string& file,
               bool compress, const std::string& region_text, const std::string& slice_text) {
  if (!region_text.empty() && !slice_text.empty()) {
    return usage_error(Status::InvalidArgument("give --region or --slice, not both"));
  }
  std::array<uint64_t, 3> start{}, size{};
  int axis = 0;
  uint64_t index = 0;
  if (!region_text.empty()) {
    if (Status s = parse_region(region_text, &start, &size); !s.ok()) return usage_error(s);
  }
  if (!slice_text.empty()) {
    if (Status s = parse_slice(slice_text, &axis, &index); !s.ok()) return usage_error(s);
  }
  auto cache = open_cache(g, true);
  if (!cache.ok()) return fail(cache.status());
  Result<OperationKey> key = resolve(cache->get(), key_text);
  if (!key.ok()) return usage_error(key.status());
  // Region and slice reads decompress only the chunks they touch.
  Result<Volume> vol = Status::InvalidArgument("unreached");
  if (!region_text.empty()) {
    vol = (*cache)->read_region(*key, start, size);
  } else if (!slice_text.empty()) {
    vol = (*cache)->read_slice(*key, axis, index);
  } else {
    Result<Value> v = (*cache)->get(*key);
    if (!v.ok()) return v.status().is_not_found() ? usage_error(v.status()) : fail(v.status());
    if (!v->as_volume()) {
      return usage_error(Status::InvalidArgument("entry " + key->hex() + " holds a " +
                                                 v->type_tag() + ", not a volume"));
    }
    vol = *v->as_volume();
  }
  if (!vol.ok()) {
    const Status& s = vol.status();
    return s.is_not_found() || s.is_invalid_argument() ? usage_error(s) : fail(s);
  }
  Status s = write_image(*vol, file, compress);
  if (!s.ok()) return fail(s);
  const auto& d = vol->size();
  std::cerr << "wrote " << file << " (" << d[0] << "x" << d[1] << "x" << d[2] << ", "
            << human_bytes(vol->byte_size()) << " of voxels)\n";
  return 0;
}

int cmd_ls(const Globals& g, bool json) {
  auto cache = open_cache(g, true);
  if (!cache.ok()) return fail(cache.status());
  Result<std::vector<EntryInfo>> entries = (*cache)->list();
  if (!entries.ok()) return fail(entries.status());
  if (json) {
    nlohmann::json out = nlohmann::json::array();
    for (const EntryInfo& e : *entries) out.push_back(entry_json(e));
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::printf("%-16s %-9s %-13s %-6s %10s %10s %7s  %s\n", "KEY", "TYPE", "DIMS", "PIXEL", "RAW",
              "STORED", "RATIO", "CREATED");
  uint64_t raw = 0, stored = 0;
  for (const EntryInfo& e : *entries) {
    std::printf("%-16s %-9s %-13s %-6s %10s %10s %6.1fx  %s\n", e.key.hex().substr(0, 16).c_str(),
                e.data_type.c_str(), dims_text(e).c_str(), pixel_text(e).c_str(),
                human_bytes(e.raw_bytes).c_str(), human_bytes(e.stored_bytes).c_str(), e.ratio(),
                iso_time(e.created_at_ms).c_str());
    raw += e.raw_bytes;
    stored += e.stored_bytes;
  }
  std::printf("%zu entries, %s raw, %s stored\n", entries->size(), human_bytes(raw).c_str(),
              human_bytes(stored).c_str());
  return 0;
}

int cmd_show(const Globals& g, const std::string& key_text, bool json) {
  auto cache = open_cache(g, true);
  if (!cache.ok()) return fail(cache.status());
  Result<OperationKey> key = resolve(cache->get(), key_text);
  if (!key.ok()) return usage_error(key.status());
  Result<EntryInfo> info = (*cache)->info(*key);
  if (!info.ok()) {
    return info.status().is_not_found() ? usage_error(info.status()) : fail(info.status());
  }
  if (json) {
    std::cout << entry_json(*info).dump(2) << "\n";
    return 0;
  }
  const EntryInfo& e = *info;
  std::printf("key          %s\n", e.key.hex().c_str());
  std::printf("type         %s\n", e.data_type.c_str());
  std::printf("created      %s\n", iso_time(e.created_at_ms).c_str());
  if (e.volume) {
    const VolumeLayout& l = *e.volume;
    const Geometry& geo = l.geometry;
    std::printf("dims         %s\n", dims_text(e).c_str());
    std::printf("pixel        %s (%u component%s)\n",
                std::string(pixel_type_name(l.pixel_type)).c_str(), l.components,
                l.components == 1 ? "" : "s");
    std::printf("spacing      %.17g %.17g %.17g\n", geo.spacing[0], geo.spacing[1], geo.spacing[2]);
    std::printf("origin       %.17g %.17g %.17g\n", geo.origin[0], geo.origin[1], geo.origin[2]);
    for (int r = 0; r < 3; ++r) {
      std::printf("%s %.17g %.17g %.17g\n", r == 0 ? "direction   " : "            ",
                  geo.direction[3 * r], geo.direction[3 * r + 1], geo.direction[3 * r + 2]);
    }
  }
  std::printf("raw          %s (%llu bytes)\n", human_bytes(e.raw_bytes).c_str(),
              static_cast<unsigned long long>(e.raw_bytes));
  std::printf("stored       %s (%llu bytes), ratio %.2fx\n", human_bytes(e.stored_bytes).c_str(),
              static_cast<unsigned long long>(e.stored_bytes), e.ratio());
  std::printf("chunks       %llu of %s\n", static_cast<unsigned long long>(e.chunk_count),
              human_bytes(e.chunk_bytes).c_str());
  std::printf("codec        %s (level %d), filter %s\n", e.codec.c_str(), e.level,
              e.filter.c_str());
  std::printf("checksum     %s\n", e.checksum.c_str());
  std::printf("metadata     %s\n", e.metadata.empty() ? "-" : e.metadata.c_str());
  return 0;
}

int run(int argc, char** argv) {
  CLI::App app{"voxcache: inspect a voxcache database and move volumes in and out of it"};
  app.require_subcommand(1);
  Globals g;
  app.add_option("--db", g.db,
                 "Database file (default: $VOXCACHE_DIR/cache.db, else "
                 "$XDG_CACHE_HOME/voxcache/cache.db, else ~/.cache/voxcache/cache.db)");

  std::vector<std::string> import_files;
  CLI::App* import = app.add_subcommand(
      "import", "Store volume files (.nii.gz, .nrrd, .mha, ...) under their content keys");
  import->add_option("files", import_files, "Files to import")->required();

  std::string key_text, out_file;
  bool no_compress = false;
  CLI::App* exp = app.add_subcommand("export",
                                     "Write a cached volume to a file; ITK picks the "
                                     "format from the extension");
  exp->add_option("key", key_text, "Key or unique prefix (8+ hex digits)")->required();
  exp->add_option("file", out_file, "Output file")->required();
  exp->add_flag("--no-compress", no_compress, "Ask the writer not to compress");
  std::string region_text, slice_text;
  exp->add_option("--region", region_text,
                  "Export only the box x,y,z,dx,dy,dz (voxel start and size); reads only the "
                  "chunks it touches");
  exp->add_option("--slice", slice_text, "Export one slice, e.g. z=90 (axial), y=100, x=90");

  bool json = false;
  CLI::App* ls = app.add_subcommand("ls", "List entries, newest first");
  ls->add_flag("--json", json, "Print JSON with exact values");

  CLI::App* show = app.add_subcommand("show", "Everything known about one entry");
  show->add_option("key", key_text, "Key or unique prefix (8+ hex digits)")->required();
  show->add_flag("--json", json, "Print JSON with exact values");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);
    return rc == 0 ? 0 : kExitUsage;
  }
  if (*import) return cmd_import(g, import_files);
  if (*exp) return cmd_export(g, key_text, out_file, !no_compress, region_text, slice_text);
  if (*ls) return cmd_ls(g, json);
  if (*show) return cmd_show(g, key_text, json);
  return kExitUsage;
}

}  // namespace
}  // namespace voxcache::cli

int main(int argc, char** argv) { return voxcache::cli::run(argc, argv); }
