#include "voxcache/volume.h"

#include <sys/mman.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <string>

namespace voxcache {

size_t pixel_type_size(PixelType type) {
  switch (type) {
    case PixelType::kUInt8:
    case PixelType::kInt8:
    case PixelType::kBool:
      return 1;
    case PixelType::kUInt16:
    case PixelType::kInt16:
      return 2;
    case PixelType::kUInt32:
    case PixelType::kInt32:
    case PixelType::kFloat32:
      return 4;
    case PixelType::kUInt64:
    case PixelType::kInt64:
    case PixelType::kFloat64:
      return 8;
  }
  return 0;
}

static constexpr std::string_view kPixelTypeNames[] = {"",    "u8",  "i8",  "u16", "i16", "u32",
                                                       "i32", "u64", "i64", "f32", "f64", "bool"};

std::string_view pixel_type_name(PixelType type) {
  const auto i = static_cast<size_t>(type);
  return pixel_type_size(type) ? kPixelTypeNames[i] : std::string_view("invalid");
}

Result<PixelType> parse_pixel_type(std::string_view name) {
  for (size_t i = 1; i < std::size(kPixelTypeNames); ++i) {
    if (kPixelTypeNames[i] == name) return static_cast<PixelType>(i);
  }
  return Status::InvalidArgument("unknown pixel type '" + std::string(name) + "'");
}

bool Geometry::bit_equal(const Geometry& o) const {
  return std::memcmp(spacing.data(), o.spacing.data(), sizeof(spacing)) == 0 &&
         std::memcmp(origin.data(), o.origin.data(), sizeof(origin)) == 0 &&
         std::memcmp(direction.data(), o.direction.data(), sizeof(direction)) == 0 &&
         std::memcmp(&time_spacing, &o.time_spacing, sizeof(double)) == 0 &&
         std::memcmp(&time_origin, &o.time_origin, sizeof(double)) == 0;
}

// Exactly 1.0 and +0.0: an image that is not a series has no time axis, and
// no hidden one that would make two equal images differ.
static bool default_time_axis(const Geometry& g) {
  const Geometry d;
  return std::memcmp(&g.time_spacing, &d.time_spacing, sizeof(double)) == 0 &&
         std::memcmp(&g.time_origin, &d.time_origin, sizeof(double)) == 0;
}

Status VolumeLayout::validate() const {
  if (pixel_type_size(pixel_type) == 0) {
    return Status::InvalidArgument("unknown pixel type code " +
                                   std::to_string(static_cast<int>(pixel_type)));
  }
  if (components < 1 || components > 65535) {
    return Status::InvalidArgument("components must be 1 to 65535, got " +
                                   std::to_string(components));
  }
  if (dimension < 2 || dimension > 4) {
    return Status::InvalidArgument("dimension must be 2, 3 or 4, got " + std::to_string(dimension));
  }
  if (dimension == 2 && size[2] != 1) {
    return Status::InvalidArgument("a 2D image has size[2] == 1, got " + std::to_string(size[2]));
  }
  if (dimension != 4 && (frames != 1 || !default_time_axis(geometry))) {
    return Status::InvalidArgument(
        "only a 4D series has frames and a time axis (frames 1, time spacing 1, time origin 0)");
  }
  if (dimension == 4) {
    // Zero is allowed: NIfTI files often leave pixdim[4] 0 for "not known".
    if (!std::isfinite(geometry.time_spacing)) {
      return Status::InvalidArgument("time spacing is not finite");
    }
    if (!std::isfinite(geometry.time_origin)) {
      return Status::InvalidArgument("time origin is not finite");
    }
  }
  // Track the byte count as we multiply so no product can wrap.
  uint64_t bytes = pixel_type_size(pixel_type) * uint64_t{components};
  static constexpr uint64_t kMaxBytes = uint64_t{1} << 62;
  const uint64_t extents[4] = {size[0], size[1], size[2], frames};
  for (int i = 0; i < 4; ++i) {
    if (extents[i] == 0) {
      return Status::InvalidArgument(i < 3 ? "size[" + std::to_string(i) + "] is zero"
                                           : std::string("a series of zero frames"));
    }
    if (extents[i] > kMaxBytes / bytes) {
      return Status::InvalidArgument("volume size " + std::to_string(size[0]) + "x" +
                                     std::to_string(size[1]) + "x" + std::to_string(size[2]) +
                                     (frames > 1 ? "x" + std::to_string(frames) : "") +
                                     " overflows the addressable byte count");
    }
    bytes *= extents[i];
  }
  for (int i = 0; i < 3; ++i) {
    if (!std::isfinite(geometry.spacing[i]) || geometry.spacing[i] == 0.0) {
      return Status::InvalidArgument("spacing[" + std::to_string(i) +
                                     "] must be finite and non-zero, got " +
                                     std::to_string(geometry.spacing[i]));
    }
    if (!std::isfinite(geometry.origin[i])) {
      return Status::InvalidArgument("origin[" + std::to_string(i) + "] is not finite");
    }
  }
  for (int i = 0; i < 9; ++i) {
    if (!std::isfinite(geometry.direction[i])) {
      return Status::InvalidArgument("direction[" + std::to_string(i) + "] is not finite");
    }
  }
  // A singular direction (all zeros, two equal axes) places no voxel; it was
  // once exported as the identity, a silent change. A shear is kept.
  const auto& d = geometry.direction;
  const double det = d[0] * (d[4] * d[8] - d[5] * d[7]) - d[1] * (d[3] * d[8] - d[5] * d[6]) +
                     d[2] * (d[3] * d[7] - d[4] * d[6]);
  if (!(std::fabs(det) > 1e-12)) {
    return Status::InvalidArgument(
        "the direction matrix is singular: its axes do not span 3D space");
  }
  return Status::OK();
}

uint64_t VolumeLayout::voxel_count() const { return size[0] * size[1] * size[2] * frames; }

uint64_t VolumeLayout::byte_size() const {
  return voxel_count() * components * pixel_type_size(pixel_type);
}

// Large volumes are filled by several threads at once; with 4 KiB pages
// that is hundreds of thousands of page faults contending on the kernel's
// memory-map lock (a 2 GiB get spent more time faulting than decoding).
// Huge pages, where the kernel grants them on request, cut that 512-fold.
constexpr uint64_t kHugePage = 2u << 20;
constexpr uint64_t kHugeThreshold = 32u << 20;

static Result<std::shared_ptr<uint8_t>> allocate(uint64_t bytes, bool zero) {
  if (bytes > std::numeric_limits<size_t>::max()) {
    return Status::NotSupported("volume of " + std::to_string(bytes) +
                                " bytes exceeds this platform's address space");
  }
  if (bytes >= kHugeThreshold) {
    void* p = nullptr;
    const size_t rounded = (bytes + kHugePage - 1) / kHugePage * kHugePage;
    if (posix_memalign(&p, kHugePage, rounded) != 0) {
      return Status::IOError("cannot allocate " + std::to_string(bytes) + " bytes");
    }
#ifdef MADV_HUGEPAGE
    madvise(p, rounded, MADV_HUGEPAGE);  // advice only: failure changes nothing
#endif
    if (zero) std::memset(p, 0, bytes);
    return std::shared_ptr<uint8_t>(static_cast<uint8_t*>(p), [](uint8_t* q) { std::free(q); });
  }
  // new[] of a huge size throws; the API promises statuses, not exceptions.
  const size_t n = bytes ? bytes : 1;
  uint8_t* p = zero ? new (std::nothrow) uint8_t[n]() : new (std::nothrow) uint8_t[n];
  if (!p) return Status::IOError("cannot allocate " + std::to_string(bytes) + " bytes");
  return std::shared_ptr<uint8_t>(p, std::default_delete<uint8_t[]>());
}

Result<Volume> Volume::Allocate(const VolumeLayout& layout, bool zero) {
  Status s = layout.validate();
  if (!s.ok()) return s;
  auto buf = allocate(layout.byte_size(), zero);
  if (!buf.ok()) return buf.status();
  return Volume(layout, std::move(buf).value(), layout.byte_size(), /*adopted=*/false);
}

Result<Volume> Volume::Create(const VolumeLayout& layout) { return Allocate(layout, true); }

Result<Volume> Volume::CreateUninitialized(const VolumeLayout& layout) {
  return Allocate(layout, false);
}

Result<Volume> Volume::Adopt(const VolumeLayout& layout, std::shared_ptr<uint8_t> data,
                             uint64_t data_bytes) {
  Status s = layout.validate();
  if (!s.ok()) return s;
  if (data_bytes != layout.byte_size()) {
    return Status::InvalidArgument("buffer holds " + std::to_string(data_bytes) +
                                   " bytes, the layout needs " +
                                   std::to_string(layout.byte_size()));
  }
  if (!data) return Status::InvalidArgument("null voxel buffer");
  return Volume(layout, std::move(data), data_bytes, /*adopted=*/true);
}

Result<Volume> Volume::Copy(const VolumeLayout& layout, const void* bytes, uint64_t data_bytes) {
  Status s = layout.validate();
  if (!s.ok()) return s;
  if (data_bytes != layout.byte_size()) {
    return Status::InvalidArgument("buffer holds " + std::to_string(data_bytes) +
                                   " bytes, the layout needs " +
                                   std::to_string(layout.byte_size()));
  }
  auto buf = allocate(data_bytes, false);
  if (!buf.ok()) return buf.status();
  if (data_bytes) std::memcpy(buf->get(), bytes, data_bytes);
  return Volume(layout, std::move(buf).value(), data_bytes, /*adopted=*/false);
}

Volume::Volume(const Volume& other) : layout_(other.layout_), byte_size_(other.byte_size_) {
  if (other.data_) {
    // Copy is documented as deep; an allocation failure here has no status to
    // report through, so it takes the standard library's route (bad_alloc).
    Result<std::shared_ptr<uint8_t>> buf = allocate(byte_size_, false);
    if (!buf.ok()) throw std::bad_alloc();
    data_ = std::move(buf).value();
    std::memcpy(data_.get(), other.data_.get(), byte_size_);
  }
}

Volume& Volume::operator=(const Volume& other) {
  if (this != &other) *this = Volume(other);
  return *this;
}

bool Volume::operator==(const Volume& o) const {
  return layout_.pixel_type == o.layout_.pixel_type && layout_.components == o.layout_.components &&
         layout_.size == o.layout_.size && layout_.dimension == o.layout_.dimension &&
         layout_.frames == o.layout_.frames && layout_.geometry.bit_equal(o.layout_.geometry) &&
         byte_size_ == o.byte_size_ &&
         (byte_size_ == 0 || std::memcmp(data(), o.data(), byte_size_) == 0);
}

}  // namespace voxcache
