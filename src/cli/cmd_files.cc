// import, export, thumbnail: volumes in and out of the cache through ITK.

#include <nlohmann/json.hpp>

#include <algorithm>
#include <array>
#include <filesystem>
#include <iostream>
#include <optional>

#include "cli/commands.h"
#include "cli/format.h"
#include "cli/parse.h"
#include "cli/progress.h"
#include "cli/stdio.h"
#include "cli/thumbnail.h"
#include "voxcache/itk.h"

namespace voxcache::cli {

namespace {

nlohmann::json size_json(const std::array<uint64_t, 3>& d) {
  return nlohmann::json::array({d[0], d[1], d[2]});
}

std::string to_hex(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(2 * bytes.size());
  for (unsigned char c : bytes) {
    out.push_back(digits[c >> 4]);
    out.push_back(digits[c & 15]);
  }
  return out;
}

// Empty for text that is not hex: a header that does not decode is not written.
std::string from_hex(const std::string& hex) {
  auto nibble = [](char c) {
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
  };
  std::string out;
  if (hex.size() % 2) return out;
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::string();
    out.push_back(static_cast<char>(hi << 4 | lo));
  }
  return out;
}

}  // namespace

int cmd_import(const Globals& g, const std::vector<std::string>& files, const std::string& layout,
               bool json) {
  std::optional<ChunkLayout> chunks;
  if (!layout.empty()) {
    Result<ChunkLayout> l = ChunkLayout::Parse(layout);
    if (!l.ok()) return usage_error(l.status());
    chunks = *l;
  }
  // The database is opened at the first file that reads, so an import of
  // nothing importable leaves no new database behind.
  std::unique_ptr<Cache> cache;
  int rc = 0;
  // One item per file, in the order given: its key, or why it failed.
  nlohmann::json items = nlohmann::json::array();
  std::vector<std::pair<OperationKey, size_t>> stored;  // key, item
  // "-": standard input, through a file (ITK reads files).
  ScratchDir scratch;
  std::string stdin_file;
  const auto stdin_count = std::count(files.begin(), files.end(), "-");
  if (stdin_count > 1) {
    return usage_error(Status::InvalidArgument("- (standard input) can be imported once"));
  }
  if (stdin_count == 1) {
    Status s = scratch.Create("voxcache-stdin");
    Result<std::string> got = s.ok() ? stdin_to_file(scratch.path()) : Result<std::string>(s);
    if (!got.ok()) {
      return got.status().is_io_error() ? fail(got.status()) : usage_error(got.status());
    }
    stdin_file = *got;
  }
  Progress progress("import", files.size());
  for (const std::string& file : files) {
    const std::string path = file == "-" ? stdin_file : file;
    Result<Volume> vol = read_image(path);
    if (vol.ok() && !cache) {
      Result<std::unique_ptr<Cache>> opened = open_cache(g, true);
      if (!opened.ok()) {
        progress.wipe();
        return fail(opened.status());
      }
      cache = std::move(opened).value();
    }
    Status s = vol.status();
    OperationKey key;
    // A NIfTI file's header, for export to write back (docs/format.md 2.10).
    Result<std::string> header = s.ok() ? read_nifti_header(path) : Result<std::string>("");
    if (s.ok()) s = header.status();
    if (s.ok()) {
      key = content_key(*vol);
      nlohmann::json meta = {
          {"source", file == "-" ? "<stdin>" : std::filesystem::absolute(file).string()}};
      if (!header->empty()) meta["nifti_header"] = to_hex(*header);
      s = cache->put(key, *vol, PutOptions{dump(meta), chunks});
    }
    progress.done_one();
    if (!s.ok() && file == "-") s = s.with_context("standard input");
    if (!s.ok()) {
      rc = std::max(rc, s.is_not_found() ? kExitUsage : kExitFailure);
      items.push_back({{"file", file}, {"error", s.to_string()}});
      progress.note("voxcache: " + s.to_string());
      continue;
    }
    stored.emplace_back(key, items.size());
    items.push_back({{"key", key.hex()},
                     {"file", file},
                     {"size", size_json(vol->size())},
                     {"dimension", vol->dimension()},
                     {"frames", vol->frames()}});
    if (!json) progress.line(key.hex() + "  " + file);
  }
  progress.wipe();
  // The cache's size limits are kept after every put, so a later file may
  // have pushed out an earlier one (or a file larger than the limit itself):
  // a key printed for an entry that is gone would be a promise broken.
  std::vector<std::string> evicted;
  for (const auto& [key, item] : stored) {
    Result<bool> there = cache->contains(key);
    if (there.ok() && !*there) {
      items[item]["evicted"] = true;
      evicted.push_back(items[item]["file"].get<std::string>());
    }
  }
  if (!evicted.empty()) {
    rc = std::max(rc, kExitFailure);
    std::cerr << "voxcache: the cache's size limits evicted "
              << count_text(evicted.size(), "file", "files") << " of the " << stored.size()
              << " just imported:";
    for (const std::string& f : evicted) std::cerr << " " << f;
    std::cerr << "\nRaise them ('voxcache config max-size 20G'), or import fewer at a time.\n";
  }
  if (json) print_json(items);
  if (cache) warn_failed_pushes(cache.get());
  return rc;
}

int cmd_export(const Globals& g, const ExportArgs& a) {
  if (!a.region.empty() && !a.slice.empty()) {
    return usage_error(Status::InvalidArgument("give --region or --slice, not both"));
  }
  std::array<uint64_t, 3> start{}, size{};
  int axis = 0;
  uint64_t index = 0;
  if (!a.region.empty()) {
    if (Status s = parse_region(a.region, &start, &size); !s.ok()) return usage_error(s);
  }
  if (!a.slice.empty()) {
    if (Status s = parse_slice(a.slice, &axis, &index); !s.ok()) return usage_error(s);
  }
  // "-": standard output, in --format, through a file ITK writes.
  const bool to_stdout = a.file == "-";
  ScratchDir scratch;
  std::string target = a.file;
  if (!a.format.empty() && !to_stdout) {
    return usage_error(Status::InvalidArgument(
        "--format is for standard output (-); a file's extension chooses its format"));
  }
  if (to_stdout) {
    const std::string format = a.format.empty() ? "nii" : a.format;
    if (!is_stream_format(format)) {
      return usage_error(Status::InvalidArgument("--format " + format + ": standard output takes " +
                                                 kStreamFormats));
    }
    if (a.json) {
      return usage_error(Status::InvalidArgument(
          "--json prints to standard output, where the image goes; name a file"));
    }
    if (Status s = check_stdout_free(); !s.ok()) return usage_error(s);
    if (Status s = scratch.Create("voxcache-stdout"); !s.ok()) return fail(s);
    target = scratch.path() + "/image." + format;
  }
  const std::string ext = std::filesystem::path(target).extension().string();
  const bool picture = ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp";
  std::optional<Window> asked;  // MIN,MAX given; none: the automatic window
  if (!a.window.empty()) {
    if (!picture) {
      return usage_error(Status::InvalidArgument("--window is for pictures (.png, .jpg, .bmp); " +
                                                 a.file + " keeps the voxels exact"));
    }
    bool automatic = false;
    Window w{0, 1};
    if (Status s = parse_window(a.window, &automatic, &w.lo, &w.hi); !s.ok()) {
      return usage_error(s);
    }
    if (!automatic) asked = w;
  }
  uint64_t first_frame = 0, frame_count = 0;
  if (!a.frames.empty()) {
    if (Status s = parse_frames(a.frames, &first_frame, &frame_count); !s.ok()) {
      return usage_error(s);
    }
  }
  auto cache = open_cache(g, false);
  if (!cache.ok()) return fail(cache.status());
  Result<OperationKey> key = resolve(cache->get(), a.key);
  if (!key.ok()) return usage_error(key.status());
  // Region, slice and frame reads decompress only the chunks they touch.
  Result<Volume> vol = Status::InvalidArgument("unreached");
  if (!a.frames.empty()) {
    Result<EntryInfo> info = (*cache)->info(*key);
    if (!info.ok()) return key_error(info.status());
    if (!info->volume) {
      return usage_error(Status::InvalidArgument("entry " + key->hex() + " holds a " +
                                                 info->data_type + ", not a volume"));
    }
    if (a.region.empty()) {
      start = {0, 0, 0};
      size = info->volume->size;
    }
    if (!a.slice.empty()) {
      if (axis < 0 || axis > 2 || index >= size[axis]) {
        return usage_error(Status::InvalidArgument("--slice " + a.slice + " leaves the volume"));
      }
      start[axis] = index;
      size[axis] = 1;
    }
    vol = (*cache)->read_region(*key, start, size, first_frame, frame_count);
  } else if (!a.region.empty()) {
    vol = (*cache)->read_region(*key, start, size);
  } else if (!a.slice.empty()) {
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
  // The header of the NIfTI file it was imported from, when it has one: a
  // whole volume written to .nii comes out as that file was.
  const std::string header = a.region.empty() && a.slice.empty() && a.frames.empty()
                                 ? stored_nifti_header(cache->get(), *key)
                                 : std::string();
  // A picture format holds u8 (PNG also u16) exactly, and a mask as u8 0
  // and 1; other voxels go through a window, the one asked for or an
  // automatic one, and say so.
  const PixelType pt = vol->pixel_type();
  const bool exact = pt == PixelType::kUInt8 || pt == PixelType::kBool ||
                     (ext == ".png" && pt == PixelType::kUInt16);
  std::optional<Window> used;
  const auto& d = vol->size();
  const bool flat = vol->frames() == 1 && (d[0] == 1 || d[1] == 1 || d[2] == 1);
  if (picture && flat && (!a.window.empty() || !exact)) {
    Window w;
    Result<Volume> pic = windowed(*vol, asked, &w);
    if (!pic.ok()) return fail(pic.status());
    vol = std::move(pic);
    used = w;
  }
  Status s = write_image(*vol, target, a.compress, header);
  if (s.ok() && to_stdout) s = file_to_stdout(target);
  if (!s.ok() && to_stdout) {
    // The scratch file is voxcache's business: the user asked for stdout.
    const std::string shown = "standard output";
    std::string msg = s.message();
    for (size_t at = msg.find(target); at != std::string::npos;
         at = msg.find(target, at + shown.size())) {
      msg.replace(at, target.size(), shown);
    }
    s = s.with_message(std::move(msg));
  }
  if (!s.ok()) return fail(s);
  if (a.json) {
    nlohmann::json j = {{"key", key->hex()},
                        {"file", a.file},
                        {"size", size_json(vol->size())},
                        {"voxel_bytes", vol->byte_size()},
                        {"file_bytes", std::filesystem::file_size(a.file)}};
    if (!a.region.empty()) j["region"] = {{"start", size_json(start)}, {"size", size_json(size)}};
    if (!a.slice.empty()) j["slice"] = {{"axis", std::string(1, "xyz"[axis])}, {"index", index}};
    if (!a.frames.empty()) j["frames"] = {{"first", first_frame}, {"count", frame_count}};
    if (vol->dimension() == 4) j["frames_written"] = vol->frames();
    if (used) j["window"] = {used->lo, used->hi};
    print_json(j);
    return 0;
  }
  std::cerr << "wrote " << (to_stdout ? "standard output" : a.file) << " ("
            << dims_text(vol->layout()) << ", " << human_bytes(vol->byte_size()) << " of voxels";
  if (used) {
    std::cerr << ", " << pixel_type_name(pt) << " values " << used->lo << ".." << used->hi
              << " drawn as 0..255";
  }
  std::cerr << ")\n";
  return 0;
}

int cmd_thumbnail(const Globals& g, const std::string& key_text, const std::string& file,
                  const std::string& slice_text, bool json) {
  std::optional<std::pair<int, uint64_t>> slice;
  if (!slice_text.empty()) {
    int axis = 0;
    uint64_t index = 0;
    if (Status s = parse_slice(slice_text, &axis, &index); !s.ok()) return usage_error(s);
    slice = std::make_pair(axis, index);
  }
  auto cache = open_cache(g, false, /*record_reads=*/false);
  if (!cache.ok()) return fail(cache.status());
  Result<OperationKey> key = resolve(cache->get(), key_text);
  if (!key.ok()) return usage_error(key.status());
  auto wh = write_thumbnail(cache->get(), *key, file, slice);
  if (!wh.ok()) return key_error(wh.status());
  const std::string what = slice ? "slice" : "maximum-intensity projection along z";
  if (json) {
    nlohmann::json j = {{"key", key->hex()},
                        {"file", file},
                        {"width", wh->first},
                        {"height", wh->second},
                        {"picture", slice ? "slice" : "mip"}};
    if (slice) {
      j["slice"] = {{"axis", std::string(1, "xyz"[slice->first])}, {"index", slice->second}};
    }
    print_json(j);
    return 0;
  }
  std::cerr << "wrote " << file << " (" << wh->first << "x" << wh->second << ", " << what << ")\n";
  return 0;
}

std::string stored_nifti_header(Cache* cache, const OperationKey& key) {
  Result<EntryInfo> info = cache->info(key);
  const nlohmann::json meta =
      info.ok() ? nlohmann::json::parse(info->metadata, nullptr, false) : nlohmann::json();
  if (meta.is_object() && meta.contains("nifti_header") && meta["nifti_header"].is_string()) {
    return from_hex(meta["nifti_header"].get<std::string>());
  }
  return std::string();
}

}  // namespace voxcache::cli
