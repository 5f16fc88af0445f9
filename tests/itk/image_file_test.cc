#include <gtest/gtest.h>
#include <itkImageFileReader.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "test_support.h"
#include "voxcache/itk.h"

namespace voxcache {
namespace {

std::string mricron(const std::string& name) {
  return std::string(VOXCACHE_TEMPLATES_DIR) + "/" + name;
}

template <typename T>
void expect_matches_itk_reader(const std::string& path) {
  using Image = itk::Image<T, 3>;
  auto reader = itk::ImageFileReader<Image>::New();
  reader->SetFileName(path);
  reader->Update();
  Result<Volume> expected = from_itk(reader->GetOutput());
  ASSERT_OK(expected.status());
  Result<Volume> got = read_image(path);
  ASSERT_OK(got.status());
  EXPECT_EQ(got->pixel_type(), PixelTypeOf<T>::value);
  EXPECT_TRUE(*got == *expected) << path << ": read_image differs from itk::ImageFileReader";
}

TEST(ReadImage, MatchesItkImageFileReaderOnRealVolumes) {
  expect_matches_itk_reader<uint8_t>(mricron("ch2.nii.gz"));
  expect_matches_itk_reader<float>(mricron("inia19-t1-brain.nii.gz"));
  expect_matches_itk_reader<int16_t>(mricron("inia19-NeuroMaps.nii.gz"));
  expect_matches_itk_reader<uint8_t>(mricron("aal.nii.gz"));
}

TEST(WriteImage, EveryPixelTypeRoundTripsThroughNrrdMetaAndNifti) {
  testing::TempDir dir;
  for (int t = 1; t <= 10; ++t) {
    for (uint32_t comps : {1u, 3u}) {
      const auto type = static_cast<PixelType>(t);
      const Volume vol = testing::make_ramp_volume(type, comps, {9, 7, 5});
      for (const char* ext : {".nrrd", ".mha", ".nii.gz"}) {
        SCOPED_TRACE(std::string(pixel_type_name(type)) + " x" + std::to_string(comps) + ext);
        const std::string path =
            dir.file("v" + std::to_string(t) + "_" + std::to_string(comps) + ext);
        Status s = write_image(vol, path);
        if (std::string(ext) == ".nii.gz" && pixel_type_size(type) == 8 &&
            type != PixelType::kFloat64) {
          // NIfTI-1 has 64-bit integers; accept either a clean write or a clean refusal.
          if (!s.ok()) continue;
        }
        ASSERT_OK(s);
        Result<Volume> back = read_image(path);
        ASSERT_OK(back.status());
        EXPECT_EQ(back->pixel_type(), type);
        EXPECT_EQ(back->components(), comps);
        EXPECT_EQ(back->size(), vol.size());
        ASSERT_EQ(back->byte_size(), vol.byte_size());
        EXPECT_EQ(std::memcmp(back->data(), vol.data(), vol.byte_size()), 0);
        // MetaImage keeps every double to the bit. NIfTI stores float32, and
        // NRRD stores spacing x direction and re-normalizes on reading, which
        // moves the deliberately non-orthonormal test directions by ~1e-7.
        if (std::string(ext) == ".mha") {
          EXPECT_TRUE(back->geometry().bit_equal(vol.geometry()));
        } else {
          const Geometry& a = back->geometry();
          const Geometry& b = vol.geometry();
          for (int i = 0; i < 3; ++i) {
            EXPECT_NEAR(a.spacing[i], b.spacing[i], 1e-6);
            EXPECT_NEAR(a.origin[i], b.origin[i], 1e-4);
          }
          for (int i = 0; i < 9; ++i) EXPECT_NEAR(a.direction[i], b.direction[i], 1e-6);
        }
      }
    }
  }
}

TEST(ImageFileErrors, AreClearStatuses) {
  testing::TempDir dir;
  EXPECT_TRUE(read_image(dir.file("missing.nii.gz")).status().is_not_found());
  std::ofstream(dir.file("notes.txt")) << "hello";
  EXPECT_TRUE(read_image(dir.file("notes.txt")).status().is_not_supported());
  std::ofstream(dir.file("fake.nii.gz")) << "not gzip at all";
  Status fake = read_image(dir.file("fake.nii.gz")).status();
  EXPECT_FALSE(fake.ok());
  EXPECT_TRUE(fake.is_not_supported() || fake.is_io_error()) << fake.to_string();

  const Volume vol = testing::make_volume(PixelType::kUInt8, 1, {4, 4, 4});
  EXPECT_TRUE(write_image(vol, dir.file("out.unknownext")).is_not_supported());
  EXPECT_TRUE(write_image(vol, dir.file("slices.png")).is_not_supported());
  const Volume slice = testing::make_volume(PixelType::kUInt8, 1, {4, 4, 1});
  ASSERT_OK(write_image(slice, dir.file("slice.png")));
  Result<Volume> png = read_image(dir.file("slice.png"));
  ASSERT_OK(png.status());
  EXPECT_EQ(png->size(), slice.size());
  EXPECT_TRUE(write_image(vol, dir.file("no/such/dir/x.nrrd")).is_io_error());
}

// Nothing in `dir` but `keep`: no temporary file is left behind.
void expect_only(const testing::TempDir& dir, const std::set<std::string>& keep) {
  std::set<std::string> names;
  for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
    names.insert(e.path().filename().string());
  }
  EXPECT_EQ(names, keep);
}

// ITK's NIfTI writer reports an unopenable file on stderr only; write_image
// must not call that a success.
TEST(WriteImage, AFileThatCannotBeWrittenIsAnErrorInEveryFormat) {
  testing::TempDir dir;
  const Volume vol = testing::make_ramp_volume(PixelType::kInt16, 1, {6, 5, 4});
  for (const char* name : {"out.nii.gz", "out.nii", "out.nrrd", "out.mha", "out.hdr"}) {
    SCOPED_TRACE(name);
    Status s = write_image(vol, dir.file(std::string("nodir/") + name));
    EXPECT_TRUE(s.is_io_error()) << s.to_string();
    EXPECT_NE(s.message().find("nodir"), std::string::npos) << s.message();
    s = write_image(vol, std::string("/proc/") + name);
    EXPECT_TRUE(s.is_io_error()) << s.to_string();
    EXPECT_FALSE(std::filesystem::exists(std::string("/proc/") + name));
  }
  expect_only(dir, {});
}

TEST(WriteImage, AFailedWriteLeavesAnExistingFileAsItWas) {
  testing::TempDir dir;
  const std::string keep = dir.file("keep.png");
  const Volume slice = testing::make_ramp_volume(PixelType::kUInt8, 1, {16, 12, 1});
  ASSERT_OK(write_image(slice, keep));
  const auto before = std::filesystem::file_size(keep);
  ASSERT_GT(before, 0u);
  // int32 pixels: the PNG writer refuses them half way.
  const Volume wide = testing::make_ramp_volume(PixelType::kInt32, 1, {16, 12, 1});
  Status s = write_image(wide, keep);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(std::filesystem::file_size(keep), before) << "untouched";
  Result<Volume> back = read_image(keep);  // PNG keeps voxels, not geometry
  ASSERT_OK(back.status());
  EXPECT_EQ(std::memcmp(back->data(), slice.data(), slice.byte_size()), 0);
  expect_only(dir, {"keep.png"});
}

TEST(WriteImage, TwoFileFormatsArriveWithTheirCompanion) {
  testing::TempDir dir;
  const Volume vol = testing::make_ramp_volume(PixelType::kFloat32, 1, {6, 5, 4});
  ASSERT_OK(write_image(vol, dir.file("pair.hdr")));
  expect_only(dir, {"pair.hdr", "pair.img"});
  Result<Volume> back = read_image(dir.file("pair.hdr"));
  ASSERT_OK(back.status());
  EXPECT_EQ(std::memcmp(back->data(), vol.data(), vol.byte_size()), 0);
}

TEST(WriteImage, AHeaderNamesTheDataFileBesideIt) {
  // .nhdr and .mhd headers name their data file: it must be the one that
  // arrives beside them, not the temporary one they were written as.
  const Volume vol = testing::make_ramp_volume(PixelType::kInt16, 1, {6, 5, 4});
  for (const char* name : {"split.nhdr", "split.mhd"}) {
    testing::TempDir dir;
    ASSERT_OK(write_image(vol, dir.file(name)));
    Result<Volume> back = read_image(dir.file(name));
    ASSERT_OK(back.status()) << name;
    EXPECT_TRUE(*back == vol || std::memcmp(back->data(), vol.data(), vol.byte_size()) == 0);
    std::ifstream header(dir.file(name));
    const std::string text((std::istreambuf_iterator<char>(header)), {});
    EXPECT_EQ(text.find(".voxcache-tmp"), std::string::npos) << text;
    size_t files = 0;
    for (const auto& e : std::filesystem::directory_iterator(dir.path())) {
      EXPECT_EQ(e.path().filename().string().rfind(".voxcache-tmp", 0), std::string::npos);
      ++files;
    }
    EXPECT_EQ(files, 2u) << name << ": the header and its data file";
  }
}

}  // namespace
}  // namespace voxcache
