// A DICOM series (a folder of slices, as scanners write them) read as one
// volume through ITK's GDCM reader: slices ordered by position, spacing
// between slices from their positions, direction from their orientation,
// rescale slope and intercept applied as GDCM reports them.

#ifndef VOXCACHE_ITK_DICOM_SERIES_H_
#define VOXCACHE_ITK_DICOM_SERIES_H_

#include <itkImageIOBase.h>

#include <string>

#include "voxcache/status.h"
#include "voxcache/volume.h"

namespace voxcache::itk_io {

// The PixelType of an ITK component type of `bytes` bytes (image_file.cc).
Result<PixelType> pixel_type_of(itk::IOComponentEnum c, size_t bytes);

// The one series in `dir`. NotSupported when it holds none (or only
// slices of more than one component); InvalidArgument when it holds
// several (the folder of one must be given: a volume is never a mix).
Result<Volume> read_dicom_series(const std::string& dir);

}  // namespace voxcache::itk_io

#endif  // VOXCACHE_ITK_DICOM_SERIES_H_
