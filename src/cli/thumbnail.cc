#include "cli/thumbnail.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "voxcache/itk.h"

namespace voxcache::cli {
namespace {

// Component 0 of `count` voxels of `stride` bytes, as doubles, passed to
// `use(i, value)`. The pixel type is resolved once, not once per voxel.
template <typename F>
void for_each_value(PixelType type, const uint8_t* p, uint64_t count, uint64_t stride, F&& use) {
  visit_pixel_type(type, [&](auto t) {
    using T = decltype(t);
    for (uint64_t i = 0; i < count; ++i) {
      T v;
      std::memcpy(&v, p + i * stride, sizeof(T));
      use(i, static_cast<double>(v));
    }
  });
}

// lo..hi to 0..255, clamped; NaN to 0.
uint8_t to_byte(double v, const Window& w) {
  const double t = std::isfinite(v) ? (v - w.lo) / (w.hi - w.lo) : v > 0 ? 1 : 0;
  return static_cast<uint8_t>(std::clamp(t, 0.0, 1.0) * 255.0 + 0.5);
}

Status write_windowed(const std::vector<double>& values, uint64_t w, uint64_t h,
                      const std::string& file) {
  const Window win = auto_window(values);
  VolumeLayout l;
  l.size = {w, h, 1};
  Result<Volume> img = Volume::Create(l);
  if (!img.ok()) return img.status();
  for (uint64_t i = 0; i < values.size(); ++i) img->mutable_data()[i] = to_byte(values[i], win);
  return write_image(*img, file);
}

}  // namespace

Window auto_window(std::vector<double> values) {
  values.erase(
      std::remove_if(values.begin(), values.end(), [](double v) { return !std::isfinite(v); }),
      values.end());
  Window w{0, 1};
  if (values.empty()) return w;
  auto at = [&](double q) {
    const size_t k = static_cast<size_t>(q * (values.size() - 1));
    std::nth_element(values.begin(), values.begin() + k, values.end());
    return values[k];
  };
  w.lo = at(0.005);
  w.hi = at(0.995);
  if (!(w.hi > w.lo)) w.hi = w.lo + 1;
  return w;
}

Result<Volume> windowed(const Volume& v, const std::optional<Window>& window, Window* used) {
  const uint64_t n = v.voxel_count() * v.components();
  std::vector<double> values(n);
  for_each_value(v.pixel_type(), v.data(), n, pixel_type_size(v.pixel_type()),
                 [&](uint64_t i, double x) { values[i] = x; });
  const Window w = window ? *window : auto_window(values);
  VolumeLayout l = v.layout();
  l.pixel_type = PixelType::kUInt8;
  Result<Volume> out = Volume::Create(l);
  if (!out.ok()) return out.status();
  for (uint64_t i = 0; i < n; ++i) out->mutable_data()[i] = to_byte(values[i], w);
  if (used) *used = w;
  return out;
}

Result<std::pair<uint64_t, uint64_t>> write_thumbnail(
    Cache* cache, const OperationKey& key, const std::string& file,
    std::optional<std::pair<int, uint64_t>> slice) {
  if (slice) {
    Result<Volume> v = cache->read_slice(key, slice->first, slice->second);
    if (!v.ok()) return v.status();
    const auto& d = v->size();
    const uint64_t w = slice->first == 0 ? d[1] : d[0];
    const uint64_t h = slice->first == 2 ? d[1] : d[2];
    const uint64_t vb = pixel_type_size(v->pixel_type()) * v->components();
    // A series' slice is read in every frame: its first frame is drawn.
    std::vector<double> values(w * h);
    // Sagittal and coronal slices are drawn head up, as viewers draw them:
    // image row 0 is the most superior z (ITK's physical +z, LPS), so the
    // rows run backwards when z indices grow towards superior.
    const bool flip = slice->first != 2 && v->geometry().direction[8] > 0;
    for_each_value(v->pixel_type(), v->data(), values.size(), vb, [&](uint64_t i, double x) {
      values[flip ? (h - 1 - i / w) * w + i % w : i] = x;
    });
    Status s = write_windowed(values, w, h, file);
    if (!s.ok()) return s;
    return std::make_pair(w, h);
  }
  Result<std::unique_ptr<VolumeReader>> r = cache->read_volume(key);
  if (!r.ok()) return r.status();
  const VolumeLayout& l = (*r)->layout();
  const uint64_t plane = l.size[0] * l.size[1];
  const uint64_t vb = pixel_type_size(l.pixel_type) * l.components;
  std::vector<double> mip(plane, -std::numeric_limits<double>::infinity());
  for (;;) {
    Result<VolumeReader::Slab> s = (*r)->next();
    if (!s.ok()) return s.status();
    if (s->bytes == 0) break;
    const uint64_t first = s->offset / vb;
    for_each_value(l.pixel_type, s->data, s->bytes / vb, vb, [&](uint64_t j, double v) {
      double& m = mip[(first + j) % plane];
      if (v > m) m = v;  // NaN never wins
    });
  }
  Status s = write_windowed(mip, l.size[0], l.size[1], file);
  if (!s.ok()) return s;
  return std::make_pair(l.size[0], l.size[1]);
}

}  // namespace voxcache::cli
