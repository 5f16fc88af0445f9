// The voxels of a NIfTI file of float32 or float64 data, exactly as stored.
//
// ITK's NIfTI reader loads voxels through niftilib, whose nifti_read_buffer
// replaces every NaN and infinity of float data with 0 (its IS_GOOD_FLOAT
// fix-up) and says so only at a debug level. SPM and FSL write statistical
// maps with NaN outside the brain, so that is a silent wrong voxel. For such
// files read_image takes the geometry from ITK, as for every file, and the
// voxel bytes from here: the same niftilib's header reader finds them, znzlib
// reads them (gzip or not), and nothing alters them but the byte order and
// the header's own scaling (docs/reliability.md, "Float values").

#ifndef VOXCACHE_ITK_NIFTI_VOXELS_H_
#define VOXCACHE_ITK_NIFTI_VOXELS_H_

#include <string>

#include "voxcache/status.h"
#include "voxcache/volume.h"

namespace voxcache::itk_io {

// Whether `path`, a file ITK's NIfTI reader accepts, holds float32 or
// float64 voxels, which read_nifti_float_voxels must read.
Result<bool> nifti_holds_floats(const std::string& path);

// Fills `v`, whose layout ITK reported for `path`, with the file's voxels
// bit for bit. When the header scales (scl_slope not 0, and not exactly 1
// with scl_inter 0: NIfTI-1 "DATA SCALING"), each value becomes
// value * scl_slope + scl_inter computed in double, as ITK and nibabel do;
// a NaN stays a NaN. IOError for a file shorter than its header says,
// Corruption when the header's voxel count or size disagrees with `v`.
Status read_nifti_float_voxels(const std::string& path, Volume* v);

}  // namespace voxcache::itk_io

#endif  // VOXCACHE_ITK_NIFTI_VOXELS_H_
