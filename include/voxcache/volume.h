// Volume: an image with its geometry, the unit voxcache stores: a 3D
// volume, a 2D image (one slice) or a 4D series (3D volumes over time).
//
// Voxels are contiguous with x fastest, then y, then z, then time; each voxel
// holds `components` values of one PixelType, interleaved. Geometry follows
// ITK: physical point = origin + direction * (index .* spacing), with
// direction a row-major 3x3 matrix whose columns are the axis directions.
// Space is always 3D, as in NIfTI: a 2D image has size[2] == 1 and keeps the
// z part of its geometry (the position of its plane); a series adds a time
// axis with its own spacing and origin (NIfTI's TR and toffset).
//
// A Volume owns its voxels (or shares them with an owner it keeps alive, as the
// ITK adapter does). Copying deep-copies the voxels; moving is cheap.
// Not safe for concurrent mutation; const access from many threads is fine.
//
// Who may write the voxels: whoever holds the Volume non-const. A Volume
// reached through const (a Value, which the cache's memory tier may share)
// is read-only for everyone: no const member hands out writable voxels.
// owns_buffer() tells whether anyone outside this Volume can reach them; the
// cache keeps a caller's volume in memory only when nobody can, and copies
// it otherwise, so that what a caller still holds never changes what a later
// get returns (docs/reliability.md, "Aliasing").

#ifndef VOXCACHE_VOLUME_H_
#define VOXCACHE_VOLUME_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <type_traits>

#include "voxcache/export.h"
#include "voxcache/status.h"

namespace voxcache {

// Part of the persistent format (docs/format.md): values never change.
enum class PixelType : uint8_t {
  kUInt8 = 1,
  kInt8 = 2,
  kUInt16 = 3,
  kInt16 = 4,
  kUInt32 = 5,
  kInt32 = 6,
  kUInt64 = 7,
  kInt64 = 8,
  kFloat32 = 9,
  kFloat64 = 10,
  // A mask: one byte a voxel, 0 or 1 and nothing else (checked on every put
  // and every read), the C++ and NumPy `bool`.
  kBool = 11,
};

// Bytes of one component: 1, 2, 4 or 8; 0 for a value that is not a PixelType.
VOXCACHE_EXPORT size_t pixel_type_size(PixelType type);
// "u8", "i8", "u16", "i16", "u32", "i32", "u64", "i64", "f32", "f64", "bool".
VOXCACHE_EXPORT std::string_view pixel_type_name(PixelType type);
// Inverse of pixel_type_name; InvalidArgument for anything else.
VOXCACHE_EXPORT Result<PixelType> parse_pixel_type(std::string_view name);

// The PixelType of a C++ arithmetic type, for templates (ITK adapter, tests).
template <typename T>
struct PixelTypeOf;
#define VOXCACHE_PIXEL_TYPE_OF(T, V)                 \
  template <>                                        \
  struct PixelTypeOf<T> {                            \
    static constexpr PixelType value = PixelType::V; \
  }
VOXCACHE_PIXEL_TYPE_OF(uint8_t, kUInt8);
VOXCACHE_PIXEL_TYPE_OF(int8_t, kInt8);
VOXCACHE_PIXEL_TYPE_OF(uint16_t, kUInt16);
VOXCACHE_PIXEL_TYPE_OF(int16_t, kInt16);
VOXCACHE_PIXEL_TYPE_OF(uint32_t, kUInt32);
VOXCACHE_PIXEL_TYPE_OF(int32_t, kInt32);
VOXCACHE_PIXEL_TYPE_OF(uint64_t, kUInt64);
VOXCACHE_PIXEL_TYPE_OF(int64_t, kInt64);
VOXCACHE_PIXEL_TYPE_OF(float, kFloat32);
VOXCACHE_PIXEL_TYPE_OF(double, kFloat64);
VOXCACHE_PIXEL_TYPE_OF(bool, kBool);
#undef VOXCACHE_PIXEL_TYPE_OF

// Calls f(T{}) with T the C++ type of `type` (uint8_t for kUInt8, ...), so one
// generic lambda serves every pixel type:
//   visit_pixel_type(v.pixel_type(), [&](auto t) { use(v.pixels<decltype(t)>()); });
// For a value that is not a PixelType, f is not called and R{} is returned.
template <typename F>
decltype(auto) visit_pixel_type(PixelType type, F&& f) {
  using R = decltype(f(uint8_t{}));
  switch (type) {
    case PixelType::kUInt8:
      return f(uint8_t{});
    case PixelType::kInt8:
      return f(int8_t{});
    case PixelType::kUInt16:
      return f(uint16_t{});
    case PixelType::kInt16:
      return f(int16_t{});
    case PixelType::kUInt32:
      return f(uint32_t{});
    case PixelType::kInt32:
      return f(int32_t{});
    case PixelType::kUInt64:
      return f(uint64_t{});
    case PixelType::kInt64:
      return f(int64_t{});
    case PixelType::kFloat32:
      return f(float{});
    case PixelType::kFloat64:
      return f(double{});
    case PixelType::kBool:
      return f(bool{});
  }
  if constexpr (!std::is_void_v<R>) return R{};
}

struct VOXCACHE_EXPORT Geometry {
  std::array<double, 3> spacing{1.0, 1.0, 1.0};
  std::array<double, 3> origin{0.0, 0.0, 0.0};
  std::array<double, 9> direction{1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0};
  // The time axis of a 4D series: time between frames (NIfTI's TR,
  // pixdim[4]) and time of the first frame (toffset), in the caller's units.
  // Exactly 1.0 and 0.0 for every image that is not a series.
  double time_spacing = 1.0;
  double time_origin = 0.0;

  // Bit-exact comparison: 0.0 and -0.0 differ, a NaN equals the same NaN.
  bool bit_equal(const Geometry& other) const;
};

// Everything about a volume except its voxels.
struct VOXCACHE_EXPORT VolumeLayout {
  PixelType pixel_type = PixelType::kUInt8;
  uint32_t components = 1;
  std::array<uint64_t, 3> size{0, 0, 0};
  Geometry geometry;
  // How many axes the image has for its callers: 2 (an image, size[2] == 1),
  // 3 (a volume) or 4 (a series of `frames` volumes). ITK's image dimension,
  // NumPy's ndim less the components axis.
  uint32_t dimension = 3;
  // Volumes of a series (the time axis's size); 1 unless dimension is 4.
  uint64_t frames = 1;

  // InvalidArgument unless: a known pixel type, 1 <= components <= 65535,
  // every size >= 1, the byte count fits in 62 bits, spacing finite and
  // non-zero, origin finite, direction finite and not singular; dimension 2,
  // 3 or 4, size[2] == 1 for 2, frames == 1 and the time axis 1.0/0.0 unless
  // 4, time spacing and time origin finite for 4 (a time spacing of 0, as
  // NIfTI files have when they do not know it, is kept).
  Status validate() const;
  // size[0]*size[1]*size[2]*frames; only meaningful after validate() passed.
  uint64_t voxel_count() const;
  // voxel_count() * components * pixel_type_size(pixel_type).
  uint64_t byte_size() const;
};

class VOXCACHE_EXPORT Volume {
 public:
  // A zero-filled volume.
  static Result<Volume> Create(const VolumeLayout& layout);
  // A volume whose voxels are left unset, for a caller that writes every one
  // of them next (a decoder, a reader filling it slab by slab): it saves
  // clearing memory that is overwritten anyway.
  static Result<Volume> CreateUninitialized(const VolumeLayout& layout);
  // A volume over `data`, which must hold exactly layout.byte_size() bytes and
  // stay valid while `data`'s owner lives. No copy is made; the buffer stays
  // the caller's too (owns_buffer() is false).
  static Result<Volume> Adopt(const VolumeLayout& layout, std::shared_ptr<uint8_t> data,
                              uint64_t data_bytes);
  // A volume holding a copy of `bytes`.
  static Result<Volume> Copy(const VolumeLayout& layout, const void* bytes, uint64_t data_bytes);

  Volume(const Volume& other);
  Volume& operator=(const Volume& other);
  Volume(Volume&&) noexcept = default;
  Volume& operator=(Volume&&) noexcept = default;
  ~Volume() = default;

  const VolumeLayout& layout() const { return layout_; }
  PixelType pixel_type() const { return layout_.pixel_type; }
  uint32_t components() const { return layout_.components; }
  const std::array<uint64_t, 3>& size() const { return layout_.size; }
  uint32_t dimension() const { return layout_.dimension; }
  uint64_t frames() const { return layout_.frames; }
  const Geometry& geometry() const { return layout_.geometry; }
  uint64_t voxel_count() const { return layout_.voxel_count(); }
  uint64_t byte_size() const { return byte_size_; }

  const uint8_t* data() const { return data_.get(); }
  uint8_t* mutable_data() { return data_.get(); }
  // Typed access; nullptr when T does not match pixel_type().
  template <typename T>
  const T* pixels() const {
    return PixelTypeOf<T>::value == pixel_type() ? reinterpret_cast<const T*>(data()) : nullptr;
  }
  template <typename T>
  T* mutable_pixels() {
    return PixelTypeOf<T>::value == pixel_type() ? reinterpret_cast<T*>(mutable_data()) : nullptr;
  }

  // Shares ownership of the voxel buffer: read-only through a const Volume,
  // writable through one the caller holds (the ITK adapter's zero-copy
  // hand-off of a Volume it was given by rvalue).
  std::shared_ptr<const uint8_t> shared_data() const { return data_; }
  const std::shared_ptr<uint8_t>& shared_data() { return data_; }

  // True when no one but this Volume can reach its voxels: it allocated them
  // itself (Create, CreateUninitialized, Copy, a copy of another Volume) and
  // no shared_data() hand-out of them is alive. False for Adopt's volumes.
  bool owns_buffer() const { return !adopted_ && data_.use_count() == 1; }

  void set_geometry(const Geometry& geometry) { layout_.geometry = geometry; }

  // Same layout, bit-exact geometry and identical voxel bytes.
  bool operator==(const Volume& other) const;
  bool operator!=(const Volume& other) const { return !(*this == other); }

 private:
  Volume(const VolumeLayout& layout, std::shared_ptr<uint8_t> data, uint64_t bytes, bool adopted)
      : layout_(layout), data_(std::move(data)), byte_size_(bytes), adopted_(adopted) {}
  static Result<Volume> Allocate(const VolumeLayout& layout, bool zero);

  VolumeLayout layout_;
  std::shared_ptr<uint8_t> data_;
  uint64_t byte_size_ = 0;
  bool adopted_ = false;  // the buffer came from Adopt: its owner may still write it
};

}  // namespace voxcache

#endif  // VOXCACHE_VOLUME_H_
