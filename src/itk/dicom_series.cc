#include "itk/dicom_series.h"

#include <itkGDCMImageIO.h>
#include <itkGDCMSeriesFileNames.h>
#include <itkImageSeriesReader.h>

#include "voxcache/itk.h"

namespace voxcache::itk_io {

Result<Volume> read_dicom_series(const std::string& dir) {
  auto names = itk::GDCMSeriesFileNames::New();
  names->SetUseSeriesDetails(true);  // one UID with two echoes, say, is two series
  names->SetDirectory(dir);
  const std::vector<std::string> uids = names->GetSeriesUIDs();
  if (uids.empty()) return Status::NotSupported(dir + ": a folder without a DICOM series");
  if (uids.size() > 1) {
    return Status::InvalidArgument(dir + " holds " + std::to_string(uids.size()) +
                                   " DICOM series; give the folder of one");
  }
  const std::vector<std::string> files = names->GetFileNames(uids[0]);
  if (files.empty()) return Status::NotSupported(dir + ": a DICOM series without files");
  auto io = itk::GDCMImageIO::New();
  io->SetFileName(files[0]);
  io->ReadImageInformation();
  if (io->GetNumberOfComponents() != 1) {
    return Status::NotSupported(dir + ": DICOM slices of " +
                                std::to_string(io->GetNumberOfComponents()) + " components");
  }
  Result<PixelType> type = pixel_type_of(io->GetComponentType(), io->GetComponentSize());
  if (!type.ok()) return type.status().with_context(dir);
  Result<Volume> out = Status::NotSupported(dir + ": no pixel type");
  visit_pixel_type(*type, [&](auto t) {
    using Image = itk::Image<decltype(t), 3>;
    auto reader = itk::ImageSeriesReader<Image>::New();
    reader->SetImageIO(io);
    reader->SetFileNames(files);
    reader->Update();
    out = from_itk(reader->GetOutput());
  });
  if (!out.ok()) return out.status().with_context(dir);
  return out;
}

}  // namespace voxcache::itk_io
