// The voxels of a NIfTI file, exactly as stored, and all of them.
//
// ITK's NIfTI reader loads voxels through niftilib, whose nifti_read_buffer
// replaces every NaN and infinity of float data with 0 (its IS_GOOD_FLOAT
// fix-up) and says so only at a debug level. SPM and FSL write statistical
// maps with NaN outside the brain, so that is a silent wrong voxel. And it
// reads a file cut short, or whose vox_offset points past its end, without
// an error, the missing voxels zeros. So read_image takes the voxel bytes
// from here: the same niftilib's header reader finds them, znzlib reads them
// (gzip or not) and counts them, and nothing alters them but the byte order
// and the header's own scaling (docs/reliability.md, "Float values").

#ifndef VOXCACHE_ITK_NIFTI_VOXELS_H_
#define VOXCACHE_ITK_NIFTI_VOXELS_H_

#include <nifti1_io.h>

#include <optional>
#include <string>

#include "voxcache/status.h"
#include "voxcache/volume.h"

namespace voxcache::itk_io {

// Fills `v`, whose layout ITK reported for `path`, with the file's voxels
// bit for bit, unscaled, and sets `*read`, when the file's NIfTI datatype
// stores voxels of v's pixel type as they are (every integer and float
// type). For other datatypes (RGB, complex) it leaves `*read` false for ITK
// to read them, having checked that the file holds every byte of voxels its
// header promises: ITK fills a truncated file's missing part with zeros. IOError for a file shorter
// than its header says (or a vox_offset past its end), Corruption when the header's voxel count or
// size disagrees with `v`.
Status read_nifti_voxels(const std::string& path, Volume* v, bool* read);

// IOError unless the data file of `nim` (read from `path`) can hold the
// voxels of `l`: its bytes past vox_offset, or for gzip at most 1032 times
// its size (deflate's limit). Called before a buffer is sized from a
// header; Corruption for a layout that is no volume.
Status check_voxel_bytes(const nifti_image& nim, const std::string& path, const VolumeLayout& l);
// The same, reading the header of `path`.
Status check_voxel_bytes(const std::string& path, const VolumeLayout& l);

// Whether scl_slope and scl_inter scale the voxels (NIfTI-1 "DATA
// SCALING"): a finite slope that is not 0, and not exactly 1 with inter 0.
bool nifti_scales(double slope, double inter);

// The values a scaling header gives `raw`'s voxels, as nibabel computes
// them (its dataobj): float64, raw * slope (unless slope is 1) + inter
// (unless inter is 0), in double. So a scaled file has one content key from
// `voxcache import` and from Volume.from_nibabel.
Result<Volume> apply_scaling(const Volume& raw, double slope, double inter);
// The voxels of type `raw_type` that apply_scaling turns into `scaled`
// exactly, bit for bit; nullopt when some value has none (a volume computed
// from the file, or one the scaling cannot give): an export of an imported
// scaled file then writes its own voxels, not the float64 values.
std::optional<Volume> invert_scaling(const Volume& scaled, PixelType raw_type, double slope,
                                     double inter);

// The pixel type whose bytes a NIfTI datatype stores as they are; nullopt
// for RGB, complex and the like, which ITK converts.
std::optional<PixelType> plain_type(int datatype);

// The whole volume of a NIfTI-1 file (single .nii or .hdr/.img pair) read
// without ITK's reader: layout from niftilib's header, geometry as nibabel
// reads it (itk/nifti_geometry.h), voxels by read_nifti_voxels. ITK refuses
// a sheared sform ("only supports orthonormal direction cosines"); this
// keeps it. nullopt when ITK must read the file: Analyze 7.5 (no NIfTI
// magic), or voxels ITK converts (RGB, complex). Voxels the header scales
// (scl_slope not 0, and not exactly 1 with scl_inter 0: NIfTI-1 "DATA
// SCALING") are apply_scaling's float64, as nibabel reads them; a NaN stays
// a NaN. (ITK made scaled integers float32 and scaled floats in their own
// type: neither is what nibabel reads.)
// A fourth dimension over 1 makes a series (read_nifti_geometry); a vector
// dimension (dim[5]) is the volume's components, as ITK reads it;
// NotSupported for dim[6] or dim[7] over 1.
Result<std::optional<Volume>> read_nifti(const std::string& path);

}  // namespace voxcache::itk_io

#endif  // VOXCACHE_ITK_NIFTI_VOXELS_H_
