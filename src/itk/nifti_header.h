// NIfTI-1 headers kept and written back: `voxcache import` stores the header
// bytes of a .nii file, `export` writes them again in front of the voxels
// when they still describe the volume (voxcache/itk.h, write_image).

#ifndef VOXCACHE_ITK_NIFTI_HEADER_H_
#define VOXCACHE_ITK_NIFTI_HEADER_H_

#include <string>

#include "voxcache/status.h"
#include "voxcache/volume.h"

namespace voxcache::itk_io {

// The bytes [0, vox_offset) of a single-file NIfTI-1 image; empty for
// anything else (another format, a .hdr/.img pair, Analyze).
Result<std::string> nifti_header_bytes(const std::string& path);

// Writes `v` to `path` (.nii, or gzip when `gz`) as `header` followed by
// its voxels in the header's byte order and layout. false, writing
// nothing, when the header does not describe `v`: another size, component
// count or voxel type, a scaling, another geometry.
Result<bool> write_with_nifti_header(const Volume& v, const std::string& path,
                                     const std::string& header, bool gz);

}  // namespace voxcache::itk_io

#endif  // VOXCACHE_ITK_NIFTI_HEADER_H_
