// The geometry of a NIfTI file as nibabel, FSL and FreeSurfer read it.
//
// A NIfTI-1 header holds two transforms, the sform (srow_x/y/z) and the
// qform (a quaternion), each with a code saying whether it is set; files
// Debian itself ships (mricron's JHU atlas) have both, disagreeing. ITK's
// reader takes the qform; nibabel, FSL and FreeSurfer the sform. voxcache
// follows nibabel exactly (Nifti1Header.get_best_affine), so that a file's
// content key is the same from `voxcache import` and from Python's
// Volume.from_nibabel:
//
//   sform_code != 0  ->  the sform, as stored (float32 widened to double);
//   qform_code != 0  ->  the qform, computed as nibabel computes it (its
//                        quaternion in long double, the rotation times
//                        pixdim, qfac from pixdim[0]);
//   else             ->  nibabel's base affine (pixdim on the diagonal, x
//                        flipped, the centre of the grid at 0).
//
// nibabel repairs some headers as it loads them (qfac not +-1 becomes 1, a
// negative pixdim its absolute value); voxcache does the same. A zero or
// NaN pixdim nibabel sets to 1: voxcache refuses it (a silently wrong
// spacing). The affine then becomes LPS spacing, origin and direction as
// Volume.from_nibabel does it, with the same arithmetic; a sheared affine
// keeps its shear (direction columns of unit length, not orthogonal), one
// that is not finite is an error, and Volume::Create refuses one that is
// singular (docs/format.md 2.5).

#ifndef VOXCACHE_ITK_NIFTI_GEOMETRY_H_
#define VOXCACHE_ITK_NIFTI_GEOMETRY_H_

#include <array>
#include <string>

#include <nifti1.h>

#include "voxcache/status.h"
#include "voxcache/volume.h"

namespace voxcache::itk_io {

// Row-major 3x4: the top of a 4x4 RAS affine.
using Affine = std::array<double, 12>;

// Whether `path` is NIfTI-1 (a .nii, or a .hdr/.img pair with NIfTI magic),
// not Analyze 7.5, whose header has no sform or qform (the same bytes hold
// SPM's origin): its geometry stays ITK's.
bool is_nifti(const std::string& path);

// Whether `path` is NIfTI-2 (a 540-byte header, .nii or .nii.gz). ITK 5.2's
// niftilib reads only NIfTI-1, and Debian's libnifti2, which reads both,
// exports the same unprefixed symbols (nifti_image_read, ...) with another
// nifti_image layout: the two cannot share a process. So the CLI refuses
// NIfTI-2 with a pointer to nibabel, which reads it.
bool is_nifti2(const std::string& path);

// The affine nibabel's img.affine is for a NIfTI-1 header in memory, in
// this machine's byte order; `what` names it in errors. InvalidArgument for
// a header that gives no usable affine.
Result<Affine> nifti_affine(const nifti_1_header& h, const std::string& what);

// Spacing, origin and direction (LPS) of a RAS affine, as
// Volume.from_nibabel computes them. InvalidArgument when an axis has no
// length or a value is not finite; a singular direction is left for
// Volume::Create (VolumeLayout::validate) to refuse, as for every volume.
Result<Geometry> geometry_of_affine(const Affine& a);

// The geometry (geometry_of_affine of nifti_affine) and the axes a NIfTI-1
// header gives, into `l` (its size and components are the caller's): how
// every reader of NIfTI files, and the writer of a kept header, take them.
// The axes follow Volume.from_nibabel's rule: a series when dim[4] is over 1,
// with time spacing pixdim[4] and time origin toffset as stored; an image
// (dimension 2) when dim[0] is at most 2; else a volume. InvalidArgument
// for no usable affine, NotSupported for dim[6] or dim[7] over 1.
Status nifti_geometry(const nifti_1_header& h, const std::string& what, VolumeLayout* l);
// The same from one read of the header of the NIfTI-1 file at `path`;
// IOError for a header that cannot be read.
Status read_nifti_geometry(const std::string& path, VolumeLayout* l);

// Whether the direction's columns are orthonormal (to 1e-6): what ITK's
// NIfTI reader and writer accept unchanged.
bool orthonormal(const Geometry& g);

// After ITK's NIfTI writer wrote `written` (.nii, .nii.gz, .hdr/.img) for a geometry
// that is not orthonormal (a shear): ITK wrote an orthonormalised sform and
// qform, a silent change. This rewrites the sform with the exact affine (as
// float32, all NIfTI holds) and sets qform_code 0, so that no reader takes
// the rotation ITK made up (ITK's own reader then refuses the file rather
// than misplace it).
Status write_exact_sform(const std::string& written, const Geometry& g);

// After ITK's NIfTI writer wrote a series: ITK keeps pixdim[4] (the time
// spacing) but writes toffset 0 whatever the origin of time; this sets it.
Status write_time_offset(const std::string& written, double time_origin);

}  // namespace voxcache::itk_io

#endif  // VOXCACHE_ITK_NIFTI_GEOMETRY_H_
