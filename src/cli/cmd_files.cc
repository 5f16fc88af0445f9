// import, export, thumbnail: volumes in and out of the cache through ITK.

#include <nlohmann/json.hpp>

#include <array>
#include <filesystem>
#include <iostream>
#include <optional>

#include "cli/commands.h"
#include "cli/format.h"
#include "cli/parse.h"
#include "cli/progress.h"
#include "cli/thumbnail.h"
#include "voxcache/itk.h"

namespace voxcache::cli {

int cmd_import(const Globals& g, const std::vector<std::string>& files) {
  auto cache = open_cache(g, true);
  if (!cache.ok()) return fail(cache.status());
  int rc = 0;
  Progress progress("import", files.size());
  for (const std::string& file : files) {
    progress.tick();
    Result<Volume> vol = read_image(file);
    if (!vol.ok()) {
      rc = std::max(rc, vol.status().is_not_found() ? kExitUsage : kExitFailure);
      std::cerr << "voxcache: " << vol.status().to_string() << "\n";
      continue;
    }
    const OperationKey key = content_key(*vol);
    nlohmann::json meta = {{"source", std::filesystem::absolute(file).string()}};
    Status s = (*cache)->put(key, *vol, dump(meta));
    if (!s.ok()) {
      rc = std::max(rc, kExitFailure);
      std::cerr << "voxcache: " << s.to_string() << "\n";
      continue;
    }
    std::cout << key.hex() << "  " << file << "\n";
  }
  return rc;
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
  auto cache = open_cache(g, false);
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
    if (!v.ok()) return key_error(v.status());
    if (!v->as_volume()) {
      return usage_error(Status::InvalidArgument("entry " + key->hex() + " holds a " +
                                                 v->type_tag() + ", not a volume"));
    }
    vol = *v->as_volume();
  }
  if (!vol.ok()) return key_error(vol.status());
  Status s = write_image(*vol, file, compress);
  if (!s.ok()) return fail(s);
  const auto& d = vol->size();
  std::cerr << "wrote " << file << " (" << d[0] << "x" << d[1] << "x" << d[2] << ", "
            << human_bytes(vol->byte_size()) << " of voxels)\n";
  return 0;
}

int cmd_thumbnail(const Globals& g, const std::string& key_text, const std::string& file,
                  const std::string& slice_text) {
  std::optional<std::pair<int, uint64_t>> slice;
  if (!slice_text.empty()) {
    int axis = 0;
    uint64_t index = 0;
    if (Status s = parse_slice(slice_text, &axis, &index); !s.ok()) return usage_error(s);
    slice = std::make_pair(axis, index);
  }
  auto cache = open_cache(g, false);
  if (!cache.ok()) return fail(cache.status());
  Result<OperationKey> key = resolve(cache->get(), key_text);
  if (!key.ok()) return usage_error(key.status());
  auto wh = write_thumbnail(cache->get(), *key, file, slice);
  if (!wh.ok()) return key_error(wh.status());
  std::cerr << "wrote " << file << " (" << wh->first << "x" << wh->second << ", "
            << (slice ? "slice" : "maximum-intensity projection along z") << ")\n";
  return 0;
}

}  // namespace voxcache::cli
