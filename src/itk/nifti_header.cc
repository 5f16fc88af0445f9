#include "itk/nifti_header.h"

// ITK's own copy of niftilib and znzlib (module ITKNIFTI).
#include <nifti1_io.h>
#include <znzlib.h>

#include <cmath>
#include <cstring>
#include <optional>
#include <vector>

#include "itk/nifti_geometry.h"
#include "itk/nifti_voxels.h"

namespace voxcache::itk_io {

namespace {

// The largest header (and extensions) kept: far beyond any real one.
constexpr float kMaxHeaderBytes = 1 << 24;

// A header's bytes in this machine's order, and its length with extensions
// (vox_offset); nullopt when they are not NIfTI-1 or vox_offset is not a
// length from 348 to 16 MiB (checked before it is converted: a float too
// large for size_t has no conversion).
std::optional<size_t> native_header(const std::string& bytes, nifti_1_header* h, bool* swapped) {
  if (bytes.size() < sizeof(nifti_1_header)) return std::nullopt;
  std::memcpy(h, bytes.data(), sizeof(*h));
  *swapped = h->sizeof_hdr != 348;
  if (*swapped) swap_nifti_header(h, 1);
  if (h->sizeof_hdr != 348 || std::memcmp(h->magic, "n+1", 4) != 0) return std::nullopt;
  if (!(h->vox_offset >= 348 && h->vox_offset <= kMaxHeaderBytes)) return std::nullopt;
  return static_cast<size_t>(h->vox_offset);
}

}  // namespace

Result<std::string> nifti_header_bytes(const std::string& path) {
  if (is_nifti_file(path.c_str()) != 1) return std::string();  // 1: a single-file NIfTI-1
  znzFile f = znzopen(path.c_str(), "rb", nifti_is_gzfile(path.c_str()));
  if (znz_isnull(f)) return Status::IOError("cannot open " + path);
  std::string bytes(sizeof(nifti_1_header), '\0');
  size_t got = znzread(bytes.data(), 1, bytes.size(), f);
  nifti_1_header h;
  bool swapped = false;
  const std::optional<size_t> length =
      got == bytes.size() ? native_header(bytes, &h, &swapped) : std::nullopt;
  if (!length) {
    znzclose(f);
    return std::string();  // nothing to keep: the file is read (and checked) elsewhere
  }
  const size_t total = *length;
  bytes.resize(total);
  got += znzread(bytes.data() + sizeof(nifti_1_header), 1, total - sizeof(nifti_1_header), f);
  znzclose(f);
  if (got != total) return Status::IOError(path + ": the file ends inside its header extensions");
  return bytes;
}

Result<bool> write_with_nifti_header(const Volume& v, const std::string& path,
                                     const std::string& header, bool gz) {
  nifti_1_header h;
  bool swapped = false;
  if (native_header(header, &h, &swapped) != header.size()) return false;
  // The header must still be this volume's: a volume computed from the one
  // imported (or a region of it) carries no header of its own.
  const int comps = h.dim[0] >= 5 ? h.dim[5] : 1;
  const std::optional<PixelType> raw_type = plain_type(h.datatype);
  if (h.dim[0] < 1 || h.dim[0] > 5 || !raw_type || comps < 1 ||
      static_cast<uint32_t>(comps) != v.components()) {
    return false;
  }
  // Voxels of a scaling header were scaled on reading: the file's own
  // voxels are those that scale to them exactly, or there are none.
  std::optional<Volume> unscaled;
  if (nifti_scales(h.scl_slope, h.scl_inter)) {
    unscaled = invert_scaling(v, *raw_type, h.scl_slope, h.scl_inter);
    if (!unscaled) return false;
  } else if (*raw_type != v.pixel_type()) {
    return false;
  }
  const Volume& file_voxels = unscaled ? *unscaled : v;
  for (int i = 0; i < 3; ++i) {
    const uint64_t n = i < h.dim[0] ? static_cast<uint64_t>(h.dim[i + 1]) : 1;
    if (n != v.size()[i]) return false;
  }
  // The geometry and axes too, as read_nifti reads the header: a series of
  // as many frames with the same time axis, or an image of the same dimension.
  VolumeLayout axes;
  if (!nifti_geometry(h, path, &axes).ok() || axes.dimension != v.dimension() ||
      axes.frames != v.frames() || !axes.geometry.bit_equal(v.geometry())) {
    return false;
  }

  // NIfTI keeps components as separate volumes (x y z t vec); a Volume
  // interleaves them.
  const Volume& fv = file_voxels;
  const size_t elem = pixel_type_size(fv.pixel_type());
  std::vector<uint8_t> voxels(fv.data(), fv.data() + fv.byte_size());
  if (fv.components() > 1) {
    const uint64_t n = fv.voxel_count();
    for (uint64_t c = 0; c < fv.components(); ++c) {
      for (uint64_t i = 0; i < n; ++i) {
        std::memcpy(voxels.data() + (c * n + i) * elem,
                    fv.data() + (i * fv.components() + c) * elem, elem);
      }
    }
  }
  if (swapped && elem > 1)
    nifti_swap_Nbytes(voxels.size() / elem, static_cast<int>(elem), voxels.data());
  znzFile f = znzopen(path.c_str(), "wb", gz ? 1 : 0);
  if (znz_isnull(f)) return Status::IOError("cannot write " + path);
  bool ok = znzwrite(header.data(), 1, header.size(), f) == header.size();
  ok = ok && znzwrite(voxels.data(), 1, voxels.size(), f) == voxels.size();
  znzclose(f);
  if (!ok) return Status::IOError("cannot write " + path);
  return true;
}

}  // namespace voxcache::itk_io
