#include "itk/nifti_voxels.h"

#include "itk/nifti_geometry.h"

// ITK's own copy of niftilib and znzlib (modules ITKNIFTI), the ones its
// NIfTI reader uses: one copy of the library in the process.
#include <nifti1_io.h>
#include <znzlib.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
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

bool is_float(const nifti_image& nim) {
  return nim.datatype == NIFTI_TYPE_FLOAT32 || nim.datatype == NIFTI_TYPE_FLOAT64;
}

// A znzFile closed on every path out.
struct ZnzClose {
  void operator()(znzptr* f) const {
    znzFile file = f;
    znzclose(file);
  }
};

template <typename T>
void scale(T* values, size_t n, double slope, double inter) {
  for (size_t i = 0; i < n; ++i) {
    values[i] = static_cast<T>(static_cast<double>(values[i]) * slope + inter);
  }
}

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
  // niftilib gives 0 for a non-finite scl_slope or scl_inter: "no scaling".
  // Integer voxels ITK reports as integers are unscaled (it converts scaled
  // ones to float32, which is another type and read above).
  const double slope = nim.scl_slope, inter = nim.scl_inter;
  if (is_float(nim) && nifti_scales(slope, inter)) {
    if (v->pixel_type() == PixelType::kFloat32) {
      scale(v->mutable_pixels<float>(), values, slope, inter);
    } else {
      scale(v->mutable_pixels<double>(), values, slope, inter);
    }
  }
  return Status::OK();
}

}  // namespace

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
  if (!type || (nifti_scales(nim.scl_slope, nim.scl_inter) && !is_float(nim))) {
    return std::optional<Volume>();
  }
  Result<Affine> affine = nifti_affine(path);
  if (!affine.ok()) return affine.status();
  Result<Geometry> geometry = geometry_of_affine(*affine);
  if (!geometry.ok()) return geometry.status().with_context(path);
  VolumeLayout l;
  l.pixel_type = *type;
  l.components = static_cast<uint32_t>(nim.nu < 1 ? 1 : nim.nu);
  const int size[3] = {nim.nx, nim.ny, nim.nz};
  for (int i = 0; i < 3; ++i) {
    if (size[i] < 1) return Status::Corruption(path + ": dim[" + std::to_string(i + 1) + "] < 1");
    l.size[i] = static_cast<uint64_t>(size[i]);
  }
  l.geometry = *geometry;
  Status axes = nifti_axes(path, &l);
  if (!axes.ok()) return axes;
  Result<Volume> v = Volume::Create(l);
  if (!v.ok()) return v.status().with_context(path);
  bool read = false;
  Status s = read_voxels(nim, path, &*v, &read);
  if (!s.ok()) return s;
  if (!read) return Status::Corruption(path + ": its voxels are not of the type its header says");
  return std::optional<Volume>(std::move(v).value());
}

}  // namespace voxcache::itk_io
