#include "itk/nifti_voxels.h"

// ITK's own copy of niftilib and znzlib (modules ITKNIFTI), the ones its
// NIfTI reader uses: one copy of the library in the process.
#include <nifti1_io.h>
#include <znzlib.h>

#include <cstdio>
#include <cstring>
#include <memory>
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

Result<bool> nifti_holds_floats(const std::string& path) {
  Result<NiftiHeader> nim = read_header(path);
  if (!nim.ok()) return nim.status();
  return is_float(**nim);
}

Status read_nifti_float_voxels(const std::string& path, Volume* v) {
  Result<NiftiHeader> header = read_header(path);
  if (!header.ok()) return header.status();
  const nifti_image& nim = **header;
  if (!is_float(nim)) return Status::InvalidArgument(path + " does not hold float voxels");
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
  const double slope = nim.scl_slope, inter = nim.scl_inter;
  if (slope != 0.0 && (slope != 1.0 || inter != 0.0)) {
    if (v->pixel_type() == PixelType::kFloat32) {
      scale(v->mutable_pixels<float>(), values, slope, inter);
    } else {
      scale(v->mutable_pixels<double>(), values, slope, inter);
    }
  }
  return Status::OK();
}

}  // namespace voxcache::itk_io
