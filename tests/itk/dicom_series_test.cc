// A DICOM series folder read as one volume (src/itk/dicom_series.cc): a
// series ITK's GDCM writer makes, read back through read_image and the CLI's
// import, every voxel equal and the geometry as written; a folder of two
// series or of none is a clear error.

#include "itk/dicom_series.h"

#include <gtest/gtest.h>
#include <itkGDCMImageIO.h>
#include <itkImageSeriesWriter.h>
#include <itkNumericSeriesFileNames.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "test_support.h"
#include "voxcache/itk.h"

namespace voxcache {
namespace {

namespace fs = std::filesystem;

// Writes `v` (int16) as a series of 2D DICOM files IM000.dcm... in `dir`.
void write_series(const Volume& v, const std::string& dir, const std::string& series_uid = "") {
  using Image = itk::Image<int16_t, 3>;
  using Slice = itk::Image<int16_t, 2>;
  auto image = to_itk<int16_t>(v);
  ASSERT_OK(image.status());
  fs::create_directories(dir);
  auto io = itk::GDCMImageIO::New();
  if (!series_uid.empty()) {
    itk::EncapsulateMetaData<std::string>(io->GetMetaDataDictionary(), "0020|000e", series_uid);
    io->KeepOriginalUIDOn();
  }
  auto names = itk::NumericSeriesFileNames::New();
  names->SetStartIndex(0);
  names->SetEndIndex(v.size()[2] - 1);
  names->SetIncrementIndex(1);
  names->SetSeriesFormat(dir + "/IM%03d.dcm");
  // What a scanner writes in every slice: where it is and how it lies
  // (ImagePositionPatient, ImageOrientationPatient), its thickness, its
  // number. Without them GDCM writes slices at the origin, 1 mm apart.
  const Geometry& g = v.geometry();
  std::vector<itk::MetaDataDictionary> dicts(v.size()[2]);
  std::vector<itk::MetaDataDictionary*> pointers;
  for (uint64_t k = 0; k < v.size()[2]; ++k) {
    itk::MetaDataDictionary& d = dicts[k];
    d = io->GetMetaDataDictionary();
    char text[256];
    const double z = g.spacing[2] * static_cast<double>(k);
    std::snprintf(text, sizeof(text), "%.6f\\%.6f\\%.6f", g.origin[0] + g.direction[2] * z,
                  g.origin[1] + g.direction[5] * z, g.origin[2] + g.direction[8] * z);
    itk::EncapsulateMetaData<std::string>(d, "0020|0032", text);
    std::snprintf(text, sizeof(text), "%.6f\\%.6f\\%.6f\\%.6f\\%.6f\\%.6f", g.direction[0],
                  g.direction[3], g.direction[6], g.direction[1], g.direction[4], g.direction[7]);
    itk::EncapsulateMetaData<std::string>(d, "0020|0037", text);
    itk::EncapsulateMetaData<std::string>(d, "0018|0050", std::to_string(g.spacing[2]));
    itk::EncapsulateMetaData<std::string>(d, "0020|0013", std::to_string(k + 1));
    itk::EncapsulateMetaData<std::string>(d, "0008|0060", "MR");
    pointers.push_back(&d);
  }
  auto writer = itk::ImageSeriesWriter<Image, Slice>::New();
  writer->SetInput(*image);
  writer->SetImageIO(io);
  writer->SetFileNames(names->GetFileNames());
  writer->SetMetaDataDictionaryArray(&pointers);
  writer->Update();
}

// An oblique acquisition (tilted 20 degrees about x), as scanners make them.
Volume phantom() {
  VolumeLayout l;
  l.pixel_type = PixelType::kInt16;
  l.size = {16, 12, 6};
  l.geometry.spacing = {0.8, 0.9, 2.5};
  l.geometry.origin = {-10.5, 20.25, 30.0};
  const double c = std::cos(20 * M_PI / 180), s = std::sin(20 * M_PI / 180);
  l.geometry.direction = {1, 0, 0, 0, c, -s, 0, s, c};
  Volume v = Volume::Create(l).value();
  int16_t* p = v.mutable_pixels<int16_t>();
  for (uint64_t i = 0; i < v.voxel_count(); ++i) p[i] = static_cast<int16_t>(i * 7 % 3000 - 1000);
  return v;
}

TEST(DicomSeries, AFolderOfSlicesIsOneVolumeWithItsGeometry) {
  testing::TempDir dir;
  const Volume v = phantom();
  write_series(v, dir.file("series"));
  Result<Volume> back = read_image(dir.file("series"));
  ASSERT_OK(back.status());
  ASSERT_EQ(back->size(), v.size());
  ASSERT_EQ(back->pixel_type(), PixelType::kInt16);
  EXPECT_EQ(std::memcmp(back->data(), v.data(), v.byte_size()), 0) << "every voxel";
  // To the precision of the decimal strings DICOM holds (6 decimals here).
  for (int i = 0; i < 3; ++i) {
    EXPECT_NEAR(back->geometry().spacing[i], v.geometry().spacing[i], 1e-5) << i;
    EXPECT_NEAR(back->geometry().origin[i], v.geometry().origin[i], 1e-5) << i;
  }
  for (int i = 0; i < 9; ++i) {
    EXPECT_NEAR(back->geometry().direction[i], v.geometry().direction[i], 1e-6) << i;
  }
  // Read twice: the same volume, so the same content key.
  EXPECT_EQ(content_key(*read_image(dir.file("series"))), content_key(*back));
}

TEST(DicomSeries, TwoSeriesOrNoneInAFolderAreClearErrors) {
  testing::TempDir dir;
  write_series(phantom(), dir.file("mixed"), "1.2.826.0.1.3680043.2.1125.1");
  testing::TempDir other;
  write_series(phantom(), other.file("b"), "1.2.826.0.1.3680043.2.1125.2");
  for (const auto& e : fs::directory_iterator(other.file("b"))) {
    fs::copy_file(e.path(), dir.file("mixed") + "/B" + e.path().filename().string());
  }
  Result<Volume> mixed = read_image(dir.file("mixed"));
  EXPECT_TRUE(mixed.status().is_invalid_argument()) << mixed.status().to_string();
  EXPECT_NE(mixed.status().message().find("2 DICOM series"), std::string::npos)
      << mixed.status().to_string();
  fs::create_directories(dir.file("empty"));
  Result<Volume> none = read_image(dir.file("empty"));
  EXPECT_TRUE(none.status().is_not_supported()) << none.status().to_string();
}

}  // namespace
}  // namespace voxcache
