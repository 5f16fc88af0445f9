#include "itk/nifti_geometry.h"

// ITK's own copy of niftilib and znzlib (module ITKNIFTI), for the raw header.
#include <nifti1_io.h>
#include <znzlib.h>

#include <cfloat>
#include <cmath>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

namespace voxcache::itk_io {

namespace {

struct Free {
  void operator()(void* p) const { std::free(p); }
};

// nibabel's repairs on load (_chk_qfac, _chk_pixdims), and what voxcache
// refuses instead of repairing.
Status fix_pixdims(const std::string& path, float pixdim[8], int spatial) {
  if (pixdim[0] != 1.0f && pixdim[0] != -1.0f) pixdim[0] = 1.0f;
  for (int j = 1; j <= spatial; ++j) {
    if (!std::isfinite(pixdim[j]) || pixdim[j] == 0.0f) {
      return Status::InvalidArgument(path + ": pixdim[" + std::to_string(j) + "] is " +
                                     std::to_string(pixdim[j]) +
                                     ", not a voxel size (nibabel would take 1 mm)");
    }
    pixdim[j] = std::fabs(pixdim[j]);
  }
  return Status::OK();
}

// Nifti1Header.get_qform: quaternions.fillpositive and quat2mat in numpy's
// longdouble (x87 extended precision here, as in numpy), then
// np.dot(R, diag(pixdim)) summed from 0 as numpy's generic dot does.
Result<Affine> qform_affine(const std::string& path, const nifti_1_header& h,
                            const float pixdim[8]) {
  using L = long double;
  const L x = h.quatern_b, y = h.quatern_c, z = h.quatern_d;
  L dot = 0;
  dot += x * x;
  dot += y * y;
  dot += z * z;
  const L w2 = 1.0L - dot;
  L w = 0;
  if (w2 < 0) {
    if (w2 < static_cast<L>(-static_cast<double>(FLT_EPSILON) * 3)) {
      return Status::InvalidArgument(path + ": its qform quaternion has b^2 + c^2 + d^2 > 1");
    }
  } else {
    w = std::sqrt(w2);
  }
  L r[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
  const L nq = w * w + x * x + y * y + z * z;
  if (!(nq < static_cast<L>(DBL_EPSILON))) {
    const L s = 2.0L / nq;
    const L X = x * s, Y = y * s, Z = z * s;
    const L wX = w * X, wY = w * Y, wZ = w * Z;
    const L xX = x * X, xY = x * Y, xZ = x * Z;
    const L yY = y * Y, yZ = y * Z, zZ = z * Z;
    const L m[3][3] = {{1.0L - (yY + zZ), xY - wZ, xZ + wY},
                       {xY + wZ, 1.0L - (xX + zZ), yZ - wX},
                       {xZ - wY, yZ + wX, 1.0L - (xX + yY)}};
    for (int i = 0; i < 3; ++i) {
      for (int j = 0; j < 3; ++j) r[i][j] = m[i][j];
    }
  }
  const float vox[3] = {pixdim[1], pixdim[2], pixdim[3] * pixdim[0]};
  Affine a{};
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) {
      L t = 0;
      for (int k = 0; k < 3; ++k) t += r[i][k] * static_cast<L>(k == j ? vox[j] : 0.0f);
      a[4 * i + j] = static_cast<double>(t);
    }
  }
  a[3] = h.qoffset_x;
  a[7] = h.qoffset_y;
  a[11] = h.qoffset_z;
  return a;
}

// AnalyzeHeader.get_base_affine: volumeutils.shape_zoom_affine(dim, pixdim,
// x_flip=True).
Affine base_affine(const nifti_1_header& h, const float pixdim[8]) {
  const int ndim = h.dim[0];
  double shape[3] = {1, 1, 1}, zooms[3] = {1, 1, 1};
  for (int j = 0; j < 3 && j < ndim; ++j) {
    shape[j] = h.dim[j + 1];
    zooms[j] = pixdim[j + 1];  // float32 (or the float64 ones of short shapes)
  }
  zooms[0] *= -1;
  Affine a{};
  for (int j = 0; j < 3; ++j) {
    a[4 * j + j] = zooms[j];
    const double origin = (shape[j] - 1) / 2.0;
    a[4 * j + 3] = -origin * zooms[j];
  }
  return a;
}

}  // namespace

bool is_nifti(const std::string& path) { return is_nifti_file(path.c_str()) > 0; }

Result<Affine> nifti_affine(const nifti_1_header& header, const std::string& path) {
  const nifti_1_header* h = &header;
  if (h->sform_code != 0) {
    const float* rows[3] = {h->srow_x, h->srow_y, h->srow_z};
    Affine a{};
    for (int i = 0; i < 3; ++i) {
      for (int j = 0; j < 4; ++j) a[4 * i + j] = rows[i][j];
    }
    return a;
  }
  float pixdim[8];
  for (int j = 0; j < 8; ++j) pixdim[j] = h->pixdim[j];
  const int spatial = h->dim[0] < 1 ? 0 : h->dim[0] < 3 ? h->dim[0] : 3;
  Status s = fix_pixdims(path, pixdim, spatial);
  if (!s.ok()) return s;
  if (h->qform_code != 0) return qform_affine(path, *h, pixdim);
  return base_affine(*h, pixdim);
}

Result<Geometry> geometry_of_affine(const Affine& a) {
  Geometry g;
  double m[3][3];
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) m[i][j] = i < 2 ? -a[4 * i + j] : a[4 * i + j];  // RAS -> LPS
  }
  for (int j = 0; j < 3; ++j) {
    const double sum = (m[0][j] * m[0][j] + m[1][j] * m[1][j]) + m[2][j] * m[2][j];
    g.spacing[j] = std::sqrt(sum);
    if (!(g.spacing[j] > 0) || !std::isfinite(g.spacing[j])) {
      return Status::InvalidArgument("the affine's axis " + std::to_string(j) +
                                     " has no length (or is not finite)");
    }
  }
  for (int i = 0; i < 3; ++i) {
    for (int j = 0; j < 3; ++j) g.direction[3 * i + j] = m[i][j] / g.spacing[j] + 0.0;  // no -0
    g.origin[i] = (i < 2 ? -a[4 * i + 3] : a[4 * i + 3]) + 0.0;
    if (!std::isfinite(g.origin[i]))
      return Status::InvalidArgument("the affine's origin is not finite");
  }
  return g;  // a singular one is refused by Volume::Create
}

bool orthonormal(const Geometry& g) {
  const auto& d = g.direction;
  for (int a = 0; a < 3; ++a) {
    for (int b = 0; b < 3; ++b) {
      const double dot = d[a] * d[b] + d[3 + a] * d[3 + b] + d[6 + a] * d[6 + b];
      if (std::fabs(dot - (a == b ? 1.0 : 0.0)) > 1e-6) return false;
    }
  }
  return true;
}

namespace {

// Reads the header ITK wrote for `written`, lets `edit` change it and writes
// the file back.
template <typename Edit>
Status rewrite_header(const std::string& written, Edit edit) {
  // The header of a .hdr/.img pair is the .hdr, whichever name was given.
  std::unique_ptr<char, Free> hname(nifti_findhdrname(written.c_str()));
  if (!hname) return Status::IOError("no NIfTI header beside " + written);
  const std::string path = hname.get();
  const int gz = nifti_is_gzfile(path.c_str());
  std::string bytes;
  {
    znzFile in = znzopen(path.c_str(), "rb", gz);
    if (znz_isnull(in)) return Status::IOError("cannot reopen " + path);
    char buf[1 << 16];
    size_t n;
    while ((n = znzread(buf, 1, sizeof(buf), in)) > 0) bytes.append(buf, n);
    znzclose(in);
  }
  nifti_1_header h;
  if (bytes.size() < sizeof(h)) return Status::IOError(path + ": ITK wrote no whole header");
  std::memcpy(&h, bytes.data(), sizeof(h));
  edit(&h);
  std::memcpy(bytes.data(), &h, sizeof(h));
  znzFile out = znzopen(path.c_str(), "wb", gz);
  if (znz_isnull(out)) return Status::IOError("cannot rewrite " + path);
  const size_t put = znzwrite(bytes.data(), 1, bytes.size(), out);
  znzclose(out);
  if (put != bytes.size()) return Status::IOError("cannot rewrite " + path);
  return Status::OK();
}

}  // namespace

Status write_exact_sform(const std::string& written, const Geometry& g) {
  return rewrite_header(written, [&](nifti_1_header* h) {
    for (int i = 0; i < 3; ++i) {
      float* row = i == 0 ? h->srow_x : i == 1 ? h->srow_y : h->srow_z;
      const double sign = i < 2 ? -1.0 : 1.0;  // LPS -> RAS
      for (int j = 0; j < 3; ++j)
        row[j] = static_cast<float>(sign * g.direction[3 * i + j] * g.spacing[j]);
      row[3] = static_cast<float>(sign * g.origin[i]);
    }
    if (h->sform_code == 0) h->sform_code = NIFTI_XFORM_ALIGNED_ANAT;
    h->qform_code = 0;
  });
}

Status write_time_offset(const std::string& written, double time_origin) {
  return rewrite_header(written,
                        [&](nifti_1_header* h) { h->toffset = static_cast<float>(time_origin); });
}

namespace {

void set_nifti_axes(const nifti_1_header& h, VolumeLayout* l) {
  const int ndim = h.dim[0];
  const int64_t nt = ndim >= 4 ? h.dim[4] : 1;
  l->dimension = nt > 1 ? 4 : ndim <= 2 ? 2 : 3;
  l->frames = nt > 1 ? static_cast<uint64_t>(nt) : 1;
  if (l->dimension == 4) {
    // As stored: niftilib's nifti_image turns a pixdim of 0 into 1, nibabel
    // does not, and the two must agree on a file's key.
    l->geometry.time_spacing = static_cast<double>(h.pixdim[4]) + 0.0;  // no -0.0
    l->geometry.time_origin = static_cast<double>(h.toffset) + 0.0;
  }
}

}  // namespace

Status nifti_geometry(const nifti_1_header& h, const std::string& what, VolumeLayout* l) {
  for (int i = 6; i <= 7 && i <= h.dim[0]; ++i) {
    if (h.dim[i] > 1) {
      return Status::NotSupported(what + ": a " + std::to_string(h.dim[0]) +
                                  "-D image; voxcache stores images of up to 4 dimensions "
                                  "(and components, dim[5])");
    }
  }
  Result<Affine> affine = nifti_affine(h, what);
  if (!affine.ok()) return affine.status();
  Result<Geometry> g = geometry_of_affine(*affine);
  if (!g.ok()) return g.status().with_context(what);
  l->geometry = *g;
  set_nifti_axes(h, l);
  return Status::OK();
}

Status read_nifti_geometry(const std::string& path, VolumeLayout* l) {
  std::unique_ptr<char, Free> hname(nifti_findhdrname(path.c_str()));
  if (!hname) return Status::IOError("no NIfTI header for " + path);
  int swapped = 0;
  std::unique_ptr<nifti_1_header, Free> h(nifti_read_header(hname.get(), &swapped, 1));
  if (!h) return Status::IOError("niftilib cannot read the header of " + path);
  return nifti_geometry(*h, path, l);
}

bool is_nifti2(const std::string& path) {
  znzFile f = znzopen(path.c_str(), "rb", nifti_is_gzfile(path.c_str()));
  if (znz_isnull(f)) return false;
  int32_t sizeof_hdr = 0;
  const bool got = znzread(&sizeof_hdr, 1, 4, f) == 4;
  znzclose(f);
  return got && (sizeof_hdr == 540 || sizeof_hdr == 0x1c020000);  // either byte order
}

}  // namespace voxcache::itk_io
