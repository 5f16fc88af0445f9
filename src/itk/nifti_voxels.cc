#include "itk/nifti_voxels.h"

#include "itk/nifti_geometry.h"

// ITK's own copy of niftilib and znzlib (modules ITKNIFTI), the ones its
// NIfTI reader uses: one copy of the library in the process.
#include <nifti1_io.h>
#include <znzlib.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <optional>
#include <type_traits>
#include <vector>

namespace voxcache::itk_io {
namespace {

struct NiftiFree {
  void operator()(nifti_image* nim) const { nifti_image_free(nim); }
};
using NiftiHeader = std::unique_ptr<nifti_image, NiftiFree>;

Result<NiftiHeader> read_header(const std::string& path) {
  NiftiHeader nim(nifti_image_read(path.c_str(), /*read_data=*/0));
  if (!nim) return Status::IOError("niftilib cannot read the header of " + path);
  return nim;
}

// A znzFile closed on every path out.
struct ZnzClose {
  void operator()(znzptr* f) const {
    znzFile file = f;
    znzclose(file);
  }
};

}  // namespace

std::optional<PixelType> plain_type(int datatype) {
  switch (datatype) {
    case NIFTI_TYPE_UINT8:
      return PixelType::kUInt8;
    case NIFTI_TYPE_INT8:
      return PixelType::kInt8;
    case NIFTI_TYPE_UINT16:
      return PixelType::kUInt16;
    case NIFTI_TYPE_INT16:
      return PixelType::kInt16;
    case NIFTI_TYPE_UINT32:
      return PixelType::kUInt32;
    case NIFTI_TYPE_INT32:
      return PixelType::kInt32;
    case NIFTI_TYPE_UINT64:
      return PixelType::kUInt64;
    case NIFTI_TYPE_INT64:
      return PixelType::kInt64;
    case NIFTI_TYPE_FLOAT32:
      return PixelType::kFloat32;
    case NIFTI_TYPE_FLOAT64:
      return PixelType::kFloat64;
    default:
      return std::nullopt;
  }
}

bool nifti_scales(double slope, double inter) {
  return std::isfinite(slope) && slope != 0.0 && (slope != 1.0 || inter != 0.0);
}

namespace {

// nibabel's apply_read_scaling, operation for operation: a product only when
// the slope is not 1 and a sum only when the intercept is not 0, in double.
double scaled_value(double raw, double slope, double inter) {
  if (slope != 1.0) raw *= slope;
  if (inter != 0.0) raw += inter;
  return raw;
}

}  // namespace

Result<Volume> apply_scaling(const Volume& raw, double slope, double inter) {
  VolumeLayout l = raw.layout();
  l.pixel_type = PixelType::kFloat64;
  Result<Volume> out = Volume::CreateUninitialized(l);
  if (!out.ok()) return out.status();
  double* to = out->mutable_pixels<double>();
  const uint64_t n = raw.voxel_count() * raw.components();
  visit_pixel_type(raw.pixel_type(), [&](auto t) {
    const auto* from = raw.pixels<decltype(t)>();
    for (uint64_t i = 0; i < n; ++i) to[i] = scaled_value(from[i], slope, inter);
  });
  return out;
}

std::optional<Volume> invert_scaling(const Volume& scaled, PixelType raw_type, double slope,
                                     double inter) {
  if (scaled.pixel_type() != PixelType::kFloat64) return std::nullopt;
  VolumeLayout l = scaled.layout();
  l.pixel_type = raw_type;
  Result<Volume> raw = Volume::CreateUninitialized(l);
  if (!raw.ok()) return std::nullopt;
  const double* from = scaled.pixels<double>();
  const uint64_t n = scaled.voxel_count() * scaled.components();
  bool exact = true;
  visit_pixel_type(raw_type, [&](auto t) {
    using T = decltype(t);
    T* to = raw->mutable_pixels<T>();
    for (uint64_t i = 0; i < n && exact; ++i) {
      const double x = (from[i] - inter) / slope;
      T r{};
      if constexpr (std::is_integral_v<T>) {
        const double rounded = std::nearbyint(x);
        // Inside T's range (the upper bound as the first double past it).
        if (!(rounded >= static_cast<double>(std::numeric_limits<T>::min()) &&
              rounded < 2.0 * static_cast<double>(std::numeric_limits<T>::max() / 2 + 1))) {
          exact = false;
          break;
        }
        r = static_cast<T>(rounded);
      } else {
        r = static_cast<T>(x);
      }
      const double back = scaled_value(static_cast<double>(r), slope, inter);
      exact = std::memcmp(&back, &from[i], sizeof(double)) == 0;
      to[i] = r;
    }
  });
  if (!exact) return std::nullopt;
  return std::move(raw).value();
}

namespace {

// read_nifti_voxels with the header read already.
Status read_voxels(const nifti_image& nim, const std::string& path, Volume* v, bool* read) {
  *read = false;
  if (plain_type(nim.datatype) != v->pixel_type()) {
    // ITK converts these voxels (a scaled integer file becomes float32):
    // it reads them, but only once the file is known to hold them all.
    if (nim.nvox < 0 || nim.nbyper <= 0) return Status::Corruption(path + ": no voxel count");
    const uint64_t need = static_cast<uint64_t>(nim.nvox) * static_cast<uint64_t>(nim.nbyper);
    std::unique_ptr<znzptr, ZnzClose> file(znzopen(nim.iname, "rb", nifti_is_gzfile(nim.iname)));
    if (znz_isnull(file.get())) return Status::IOError("cannot open " + std::string(nim.iname));
    char last = 0;
    if (need > 0 &&
        (znzseek(file.get(), static_cast<long>(nim.iname_offset + need - 1), SEEK_SET) < 0 ||
         znzread(&last, 1, 1, file.get()) != 1)) {
      return Status::IOError(path + ": the file ends before the " + std::to_string(need) +
                             " bytes of voxels its header promises (a truncated file?)");
    }
    return Status::OK();
  }
  *read = true;
  const size_t elem = pixel_type_size(v->pixel_type());
  const uint64_t values = v->voxel_count() * v->components();
  if (nim.nbyper < 0 || static_cast<size_t>(nim.nbyper) != elem || nim.nvox < 0 ||
      static_cast<uint64_t>(nim.nvox) != values) {
    return Status::Corruption(path + ": its NIfTI header describes " + std::to_string(nim.nvox) +
                              " values of " + std::to_string(nim.nbyper) +
                              " bytes, not the volume ITK reported");
  }
  std::unique_ptr<znzptr, ZnzClose> file(znzopen(nim.iname, "rb", nifti_is_gzfile(nim.iname)));
  if (znz_isnull(file.get())) return Status::IOError("cannot open " + std::string(nim.iname));
  if (znzseek(file.get(), nim.iname_offset, SEEK_SET) < 0) {
    return Status::IOError(path + ": cannot seek to its voxels");
  }
  // NIfTI keeps the components of a vector image as separate volumes
  // (x y z t vec); a Volume interleaves them.
  const uint32_t comps = v->components();
  std::vector<uint8_t> planar;
  uint8_t* into = v->mutable_data();
  if (comps > 1) {
    planar.resize(v->byte_size());
    into = planar.data();
  }
  const size_t got = znzread(into, 1, v->byte_size(), file.get());
  if (got != v->byte_size()) {
    return Status::IOError(path + ": " + std::to_string(got) +
                           " bytes of voxels, its header says " + std::to_string(v->byte_size()) +
                           " (a truncated file?)");
  }
  if (nim.byteorder != nifti_short_order()) nifti_swap_Nbytes(values, nim.swapsize, into);
  if (comps > 1) {
    const uint64_t n = v->voxel_count();
    for (uint64_t c = 0; c < comps; ++c) {
      for (uint64_t i = 0; i < n; ++i) {
        std::memcpy(v->mutable_data() + (i * comps + c) * elem, planar.data() + (c * n + i) * elem,
                    elem);
      }
    }
  }
  return Status::OK();
}

}  // namespace

namespace {

// Deflate never makes data more than 1032 times smaller (RFC 1951: a
// 258-byte match in 2 bits at best); with the header and the gzip framing
// on top, this bounds what a .nii.gz of n bytes can hold.
constexpr uint64_t kMaxDeflateRatio = 1032;

}  // namespace

Status check_voxel_bytes(const nifti_image& nim, const std::string& path, const VolumeLayout& l) {
  // Before any buffer is sized from the header: a 348-byte file claiming a
  // terabyte of voxels is an error, not an allocation of a terabyte.
  Status s = l.validate();
  if (!s.ok()) return Status::Corruption(path + ": its header describes no volume: " + s.message());
  const uint64_t need = l.byte_size();
  std::error_code ec;
  const uint64_t size = std::filesystem::file_size(nim.iname, ec);
  if (ec) return Status::IOError("cannot read the size of " + std::string(nim.iname));
  const uint64_t offset = nim.iname_offset > 0 ? static_cast<uint64_t>(nim.iname_offset) : 0;
  const bool gz = nifti_is_gzfile(nim.iname);
  const uint64_t most =
      gz ? (size > UINT64_MAX / kMaxDeflateRatio ? UINT64_MAX : size * kMaxDeflateRatio)
         : (size > offset ? size - offset : 0);
  if (need > most) {
    return Status::IOError(
        path + ": its header promises " + std::to_string(need) + " bytes of voxels, the file " +
        (gz ? "cannot hold more than " : "holds ") + std::to_string(most) + " (a truncated file?)");
  }
  return Status::OK();
}

Status check_voxel_bytes(const std::string& path, const VolumeLayout& l) {
  Result<NiftiHeader> header = read_header(path);
  if (!header.ok()) return header.status();
  return check_voxel_bytes(**header, path, l);
}

Status read_nifti_voxels(const std::string& path, Volume* v, bool* read) {
  Result<NiftiHeader> header = read_header(path);
  if (!header.ok()) return header.status();
  return read_voxels(**header, path, v, read);
}

Result<std::optional<Volume>> read_nifti(const std::string& path) {
  if (is_nifti_file(path.c_str()) <= 0) return std::optional<Volume>();  // Analyze, or not a header
  Result<NiftiHeader> header = read_header(path);
  if (!header.ok()) return header.status();
  const nifti_image& nim = **header;
  const std::optional<PixelType> type = plain_type(nim.datatype);
  if (!type) return std::optional<Volume>();
  VolumeLayout l;
  l.pixel_type = *type;
  l.components = static_cast<uint32_t>(nim.nu < 1 ? 1 : nim.nu);
  const int size[3] = {nim.nx, nim.ny, nim.nz};
  for (int i = 0; i < 3; ++i) {
    if (size[i] < 1) return Status::Corruption(path + ": dim[" + std::to_string(i + 1) + "] < 1");
    l.size[i] = static_cast<uint64_t>(size[i]);
  }
  Status geometry = read_nifti_geometry(path, &l);
  if (!geometry.ok()) return geometry;
  Status holds = check_voxel_bytes(nim, path, l);
  if (!holds.ok()) return holds;
  Result<Volume> v = Volume::CreateUninitialized(l);  // every byte is read into
  if (!v.ok()) return v.status().with_context(path);
  bool read = false;
  Status s = read_voxels(nim, path, &*v, &read);
  if (!s.ok()) return s;
  if (!read) return Status::Corruption(path + ": its voxels are not of the type its header says");
  // niftilib gives 0 for a non-finite scl_slope or scl_inter: "no scaling".
  if (!nifti_scales(nim.scl_slope, nim.scl_inter)) return std::optional<Volume>(std::move(*v));
  Result<Volume> scaled = apply_scaling(*v, nim.scl_slope, nim.scl_inter);
  if (!scaled.ok()) return scaled.status().with_context(path);
  return std::optional<Volume>(std::move(scaled).value());
}

}  // namespace voxcache::itk_io
