#include "cli/serve/inspector.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>
#include <vector>

#include "cli/commands.h"
#include "cli/format.h"
#include "cli/parse.h"
#include "cli/thumbnail.h"
#include "voxcache/itk.h"
#include "voxcache/stream.h"

namespace voxcache::cli::serve {
namespace {

Reply json_reply(const nlohmann::json& j, int status = 200) {
  Reply r;
  r.status = status;
  r.body = dump(j);
  return r;
}

// A query parameter as a whole number in [lo, hi]; `fallback` when absent.
Result<uint64_t> number(const Params& q, const std::string& name, uint64_t fallback, uint64_t lo,
                        uint64_t hi) {
  auto it = q.find(name);
  if (it == q.end() || it->second.empty()) return fallback;
  const std::string& t = it->second;
  uint64_t v = 0;
  for (char c : t) {
    if (c < '0' || c > '9' || v > (UINT64_MAX - 9) / 10) {
      return Status::InvalidArgument(name + " must be a whole number, not '" + t + "'");
    }
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  if (v < lo || v > hi) {
    return Status::InvalidArgument(name + " must be from " + std::to_string(lo) + " to " +
                                   std::to_string(hi));
  }
  return v;
}

std::string param(const Params& q, const std::string& name) {
  auto it = q.find(name);
  return it == q.end() ? std::string() : it->second;
}

Result<VolumeLayout> volume_layout(Cache* cache, const OperationKey& key) {
  Result<EntryInfo> info = cache->info(key);
  if (!info.ok()) return info.status();
  if (!info->volume) {
    return Status::InvalidArgument("entry " + key.hex() + " holds a " + info->data_type +
                                   ", not a volume");
  }
  return *info->volume;
}

// Every `step`-th voxel of frame 0 along each axis, read slab by slab so
// that memory holds the result and one slab, never the whole volume.
Result<Volume> every_nth_voxel(Cache* cache, const OperationKey& key, uint64_t step) {
  Result<std::unique_ptr<VolumeReader>> r = cache->read_volume(key);
  if (!r.ok()) return r.status();
  const VolumeLayout& in = (*r)->layout();
  VolumeLayout out = in;
  for (int a = 0; a < 3; ++a) {
    out.size[a] = (in.size[a] + step - 1) / step;
    out.geometry.spacing[a] = in.geometry.spacing[a] * static_cast<double>(step);
  }
  if (in.dimension == 4) {  // the viewer's volume is the first frame
    out.dimension = 3;
    out.frames = 1;
    out.geometry.time_spacing = 1.0;
    out.geometry.time_origin = 0.0;
  }
  Result<Volume> v = Volume::CreateUninitialized(out);
  if (!v.ok()) return v.status();
  const uint64_t vb = pixel_type_size(in.pixel_type) * in.components;
  const uint64_t nx = in.size[0], ny = in.size[1], nz = in.size[2];
  const uint64_t frame_bytes = nx * ny * nz * vb;
  uint8_t* dst = v->mutable_data();
  for (;;) {
    Result<VolumeReader::Slab> s = (*r)->next();
    if (!s.ok()) return s.status();
    if (s->bytes == 0 || s->offset >= frame_bytes) break;
    const uint64_t first = s->offset / vb;  // slabs hold whole voxels
    const uint64_t end = std::min(s->offset + s->bytes, frame_bytes) / vb;
    for (uint64_t row = first / nx; row * nx < end; ++row) {
      const uint64_t y = row % ny, z = row / ny;
      if (y % step || z % step) continue;
      uint64_t x = row * nx < first ? first - row * nx : 0;
      x = (x + step - 1) / step * step;
      for (; x < nx && row * nx + x < end; x += step) {
        const uint64_t o = ((z / step) * out.size[1] + y / step) * out.size[0] + x / step;
        std::memcpy(dst + o * vb, s->data + (row * nx + x - first) * vb, vb);
      }
    }
  }
  return v;
}

}  // namespace

Inspector::Inspector(Cache* cache, std::string scratch_dir)
    : cache_(cache), scratch_dir_(std::move(scratch_dir)) {}

Reply Inspector::Error(const Status& s) {
  int status = 500;
  std::string kind = "error";
  if (s.is_not_found()) {
    status = 404;
    kind = "not_found";
  } else if (s.is_invalid_argument()) {
    status = 400;
    kind = "bad_request";
  } else if (s.is_corruption()) {
    kind = "corruption";
  } else if (s.is_io_error()) {
    kind = "io_error";
  } else if (s.is_not_supported()) {
    kind = "not_supported";
  }
  return json_reply({{"error", s.to_string()}, {"kind", kind}}, status);
}

Result<OperationKey> Inspector::resolve(const std::string& key_text) {
  if (key_text.size() < 8 || key_text.size() > OperationKey::kHexChars ||
      key_text.find_first_not_of("0123456789abcdef") != std::string::npos) {
    return Status::InvalidArgument("a key is 8 to 64 lowercase hex digits");
  }
  Result<OperationKey> key = cli::resolve(cache_, key_text);
  if (!key.ok()) return key.status();
  if (Result<bool> there = cache_->contains(*key); !there.ok() || !*there) {
    return there.ok() ? Status::NotFound("no entry " + key->hex()) : there.status();
  }
  return key;
}

Reply Inspector::written(const char* extension, const std::string& type,
                         const std::function<Status(const std::string&)>& write) {
  const std::string path = scratch_dir_ + "/" + std::to_string(next_file_++) + extension;
  Status s = write(path);
  Reply r;
  if (s.ok()) {
    std::ifstream in(path, std::ios::binary);
    r.type = type;
    r.body.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) s = Status::IOError("reading back " + path);
  }
  ::unlink(path.c_str());
  return s.ok() ? r : Error(s);
}

Reply Inspector::entries(const Params& q) {
  LsFilter f;
  f.type = param(q, "type");
  f.op = param(q, "op");
  f.larger_than = param(q, "larger_than");
  f.older_than = param(q, "older_than");
  f.pinned = param(q, "pinned") == "1" || param(q, "pinned") == "true";
  if (!param(q, "sort").empty()) f.sort = param(q, "sort");
  Result<uint64_t> offset = number(q, "offset", 0, 0, UINT64_MAX);
  Result<uint64_t> limit = number(q, "limit", kDefaultPageEntries, 1, kMaxPageEntries);
  if (!offset.ok()) return Error(offset.status());
  if (!limit.ok()) return Error(limit.status());
  Result<std::vector<EntryInfo>> all = select_entries(cache_, f);
  if (!all.ok()) return Error(all.status());
  nlohmann::json page = nlohmann::json::array();
  for (uint64_t i = *offset; i < all->size() && i < *offset + *limit; ++i) {
    nlohmann::json e = entry_json((*all)[i]);
    // A listing reads no lineage (Admin::list): left out rather than shown
    // empty. /api/entries/<key> has it.
    e.erase("inputs");
    e.erase("dependents");
    page.push_back(std::move(e));
  }
  uint64_t stored = 0, raw = 0;
  for (const EntryInfo& e : *all) {
    stored += e.stored_bytes;
    raw += e.raw_bytes;
  }
  return json_reply({{"total", all->size()},
                     {"offset", *offset},
                     {"limit", *limit},
                     {"stored_bytes", stored},
                     {"raw_bytes", raw},
                     {"entries", std::move(page)}});
}

Reply Inspector::entry(const std::string& key_text) {
  Result<OperationKey> key = resolve(key_text);
  if (!key.ok()) return Error(key.status());
  EntryInfo info;
  Result<nlohmann::json> record = entry_record(cache_, *key, &info);
  if (!record.ok()) return Error(record.status());
  return json_reply(*record);
}

Reply Inspector::lineage(const std::string& key_text) {
  Result<OperationKey> key = resolve(key_text);
  if (!key.ok()) return Error(key.status());
  // Breadth first through the inputs: every node once, the graph bounded.
  nlohmann::json nodes = nlohmann::json::array(), edges = nlohmann::json::array();
  std::set<std::string> seen{key->hex()};
  std::vector<OperationKey> todo{*key};
  bool truncated = false;
  for (size_t i = 0; i < todo.size(); ++i) {
    const OperationKey k = todo[i];
    nlohmann::json node = {{"key", k.hex()}};
    Result<EntryInfo> info = cache_->info(k);
    if (info.ok()) {
      node["present"] = true;
      node["data_type"] = info->data_type;
      node["operation"] =
          info->operation.empty() ? nlohmann::json() : nlohmann::json(info->operation);
      node["recipe"] = nlohmann::json::parse(info->recipe_json, nullptr, false);
      if (node["recipe"].is_discarded()) node["recipe"] = nullptr;
      for (const OperationKey& in : info->inputs) {
        edges.push_back({{"from", in.hex()}, {"to", k.hex()}});
        if (seen.count(in.hex())) continue;
        if (seen.size() >= kMaxLineageNodes) {
          truncated = true;
          continue;
        }
        seen.insert(in.hex());
        todo.push_back(in);
      }
    } else if (info.status().is_not_found()) {
      node["present"] = false;  // an input that was never stored, or was evicted
    } else {
      return Error(info.status());
    }
    nodes.push_back(std::move(node));
  }
  return json_reply(
      {{"root", key->hex()}, {"nodes", nodes}, {"edges", edges}, {"truncated", truncated}});
}

Reply Inspector::stats() {
  Result<StoredStats> st = cache_->admin().stored_stats();
  if (!st.ok()) return Error(st.status());
  return json_reply(nlohmann::json::parse(st->ToJson()));
}

Reply Inspector::slice_png(const std::string& key_text, const Params& q) {
  Result<OperationKey> key = resolve(key_text);
  if (!key.ok()) return Error(key.status());
  Result<VolumeLayout> l = volume_layout(cache_, *key);
  if (!l.ok()) return Error(l.status());
  const std::string axis_text = param(q, "axis").empty() ? "z" : param(q, "axis");
  const int axis = axis_text == "x" ? 0 : axis_text == "y" ? 1 : axis_text == "z" ? 2 : -1;
  if (axis < 0) return Error(Status::InvalidArgument("axis is x, y or z"));
  Result<uint64_t> index = number(q, "index", l->size[axis] / 2, 0, l->size[axis] - 1);
  if (!index.ok()) return Error(index.status());
  return written(".png", "image/png", [&](const std::string& file) {
    return write_thumbnail(cache_, *key, file, std::make_pair(axis, *index)).status();
  });
}

Reply Inspector::thumbnail_png(const std::string& key_text) {
  Result<OperationKey> key = resolve(key_text);
  if (!key.ok()) return Error(key.status());
  if (Result<VolumeLayout> l = volume_layout(cache_, *key); !l.ok()) return Error(l.status());
  Reply r = written(".png", "image/png", [&](const std::string& file) {
    return write_thumbnail(cache_, *key, file, std::nullopt).status();
  });
  r.headers["Cache-Control"] = "private, max-age=3600";  // an entry never changes under its key
  return r;
}

Reply Inspector::volume_nifti(const std::string& key_text, const Params& q) {
  Result<OperationKey> key = resolve(key_text);
  if (!key.ok()) return Error(key.status());
  Result<VolumeLayout> l = volume_layout(cache_, *key);
  if (!l.ok()) return Error(l.status());
  // The smallest step that brings the viewer's volume under its bound,
  // unless the request asks for a coarser one.
  uint64_t step = 1;
  auto voxels = [&](uint64_t s) {
    uint64_t n = 1;
    for (int a = 0; a < 3; ++a) n *= (l->size[a] + s - 1) / s;
    return n;
  };
  while (voxels(step) > kMaxViewerVoxels) ++step;
  Result<uint64_t> asked = number(q, "step", step, step, 1u << 20);
  if (!asked.ok()) return Error(asked.status());
  step = *asked;
  Result<Volume> vol = Status::InvalidArgument("unreached");
  std::string header;  // the imported file's own, for a whole 3D volume sent as it is
  if (step == 1 && l->dimension != 4) {
    Result<Value> v = cache_->get(*key);
    if (!v.ok()) return Error(v.status());
    // Replaced meanwhile by another process with another kind of value.
    if (!v->as_volume())
      return Error(Status::InvalidArgument("entry " + key->hex() + " no longer holds a volume"));
    vol = *v->as_volume();
    header = stored_nifti_header(cache_, *key);
  } else {
    vol = every_nth_voxel(cache_, *key, step);
  }
  if (!vol.ok()) return Error(vol.status());
  Reply r = written(".nii", "application/octet-stream", [&](const std::string& file) {
    return write_image(*vol, file, /*compress=*/false, header);
  });
  if (r.status == 200) r.headers["X-Voxcache-Step"] = std::to_string(step);
  return r;
}

Reply Inspector::region(const std::string& key_text, const Params& q) {
  Result<OperationKey> key = resolve(key_text);
  if (!key.ok()) return Error(key.status());
  Result<VolumeLayout> l = volume_layout(cache_, *key);
  if (!l.ok()) return Error(l.status());
  std::array<uint64_t, 3> start{}, size{};
  if (Status s = parse_region(param(q, "box"), &start, &size); !s.ok()) return Error(s);
  for (int a = 0; a < 3; ++a) {
    if (size[a] == 0 || start[a] >= l->size[a] || size[a] > l->size[a] - start[a]) {
      return Error(Status::InvalidArgument("the box leaves the volume (" + dims_text(*l) + ")"));
    }
  }
  const uint64_t bytes =
      size[0] * size[1] * size[2] * l->frames * l->components * pixel_type_size(l->pixel_type);
  if (bytes > kMaxReplyBytes) {
    return Error(Status::InvalidArgument("the box holds " + human_bytes(bytes) + ", over the " +
                                         human_bytes(kMaxReplyBytes) + " a reply may hold"));
  }
  Result<Volume> v = cache_->read_region(*key, start, size);
  if (!v.ok()) return Error(v.status());
  const std::string format = param(q, "format").empty() ? "raw" : param(q, "format");
  if (format == "nii") {
    return written(".nii", "application/octet-stream", [&](const std::string& file) {
      return write_image(*v, file, /*compress=*/false, "");
    });
  }
  if (format != "raw") return Error(Status::InvalidArgument("format is raw or nii"));
  Reply r;
  r.type = "application/octet-stream";
  r.body.assign(reinterpret_cast<const char*>(v->data()), v->byte_size());
  r.headers["X-Voxcache-Pixel-Type"] = std::string(pixel_type_name(v->pixel_type()));
  r.headers["X-Voxcache-Components"] = std::to_string(v->components());
  r.headers["X-Voxcache-Size"] = std::to_string(v->size()[0]) + "," + std::to_string(v->size()[1]) +
                                 "," + std::to_string(v->size()[2]) + "," +
                                 std::to_string(v->frames());
  return r;
}

}  // namespace voxcache::cli::serve
