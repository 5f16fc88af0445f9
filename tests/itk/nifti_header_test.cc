// Kept NIfTI headers (itk/nifti_header.cc): the bytes read are the file's
// up to vox_offset, and written back in front of the same volume they give
// the same file byte for byte; a header that does not describe the volume
// writes nothing.

#include "itk/nifti_header.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "test_support.h"
#include "voxcache/itk.h"

namespace voxcache::itk_io {
namespace {

std::string bytes_of(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(NiftiHeader, WrittenBackInFrontOfItsVolumeGivesTheSameFile) {
  testing::TempDir dir;
  const Volume v = testing::make_volume(PixelType::kInt16, 1, {9, 7, 5});
  const std::string original = dir.file("a.nii");
  ASSERT_OK(write_image(v, original, false));
  Result<std::string> header = nifti_header_bytes(original);
  ASSERT_OK(header.status());
  ASSERT_GE(header->size(), 348u);
  EXPECT_EQ(*header, bytes_of(original).substr(0, header->size()));

  // As `voxcache import` has it: the volume as read from the file, whose
  // geometry is the header's float32 one (not the doubles written).
  const Volume read = read_image(original).value();
  EXPECT_FALSE(*write_with_nifti_header(v, dir.file("c.nii"), *header, false))
      << "the doubles written are not what the header holds";
  const std::string again = dir.file("b.nii");
  Result<bool> wrote = write_with_nifti_header(read, again, *header, /*gz=*/false);
  ASSERT_OK(wrote.status());
  ASSERT_TRUE(*wrote);
  EXPECT_EQ(bytes_of(again), bytes_of(original));
}

TEST(NiftiHeader, AHeaderOfAnotherVolumeWritesNothing) {
  testing::TempDir dir;
  const Volume v = testing::make_volume(PixelType::kInt16, 1, {9, 7, 5});
  ASSERT_OK(write_image(v, dir.file("a.nii"), false));
  const std::string header = nifti_header_bytes(dir.file("a.nii")).value();
  const Volume read = read_image(dir.file("a.nii")).value();
  ASSERT_TRUE(*write_with_nifti_header(read, dir.file("same.nii"), header, false));
  // Each differs from the file in one thing only, its geometry the file's.
  auto like = [&](auto change) {
    VolumeLayout l = read.layout();
    change(&l);
    return Volume::Create(l).value();
  };
  for (const Volume& other : {like([](VolumeLayout* l) { l->size[2] = 6; }),
                              like([](VolumeLayout* l) { l->pixel_type = PixelType::kFloat32; }),
                              like([](VolumeLayout* l) { l->components = 2; }),
                              like([](VolumeLayout* l) { l->geometry.spacing[0] *= 2; })}) {
    Result<bool> wrote = write_with_nifti_header(other, dir.file("b.nii"), header, false);
    ASSERT_OK(wrote.status());
    EXPECT_FALSE(*wrote);
    EXPECT_FALSE(std::filesystem::exists(dir.file("b.nii")));
  }
}

TEST(NiftiHeader, OtherFormatsHaveNone) {
  testing::TempDir dir;
  const Volume v = testing::make_volume(PixelType::kUInt8, 1, {4, 4, 4});
  ASSERT_OK(write_image(v, dir.file("a.nrrd")));
  Result<std::string> header = nifti_header_bytes(dir.file("a.nrrd"));
  ASSERT_OK(header.status());
  EXPECT_TRUE(header->empty());
}

}  // namespace
}  // namespace voxcache::itk_io
