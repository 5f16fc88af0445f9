// Float voxels stay bit for bit (docs/reliability.md, "Float values"): quiet
// and signalling NaNs with payloads, infinities, -0.0 and denormals, in
// float32 and float64, through every float-capable file format read_image and
// write_image handle, NIfTI with scl_slope NaN, 0 and 1 among them (ITK's
// NIfTI reader turned them into 0: src/itk/nifti_voxels.h), and through the
// ITK adapter.

#include "itk/nifti_voxels.h"

#include <gtest/gtest.h>
#include <nifti1.h>
#include <znzlib.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>

#include "test_support.h"
#include "voxcache/itk.h"

namespace voxcache {
namespace {

template <typename T, typename Bits>
T from_bits(Bits b) {
  static_assert(sizeof(T) == sizeof(Bits));
  T v;
  std::memcpy(&v, &b, sizeof(v));
  return v;
}

// Every special value a statistical map or a computation can hold, then an
// ordinary ramp.
template <typename T>
Volume specials(uint32_t components = 1) {
  VolumeLayout l;
  l.pixel_type = PixelTypeOf<T>::value;
  l.components = components;
  l.size = {5, 4, 3};
  l.geometry = testing::odd_geometry();
  Volume v = Volume::Create(l).value();
  T* p = v.mutable_pixels<T>();
  std::vector<T> special;
  if constexpr (sizeof(T) == 4) {
    special = {from_bits<T>(uint32_t{0x7fc00000}),   // the quiet NaN
               from_bits<T>(uint32_t{0x7fc12345}),   // quiet, with a payload
               from_bits<T>(uint32_t{0xffc00001}),   // negative quiet, with a payload
               from_bits<T>(uint32_t{0x7f800001}),   // signalling
               from_bits<T>(uint32_t{0x7fa0beef}),   // signalling, with a payload
               from_bits<T>(uint32_t{0x00000001}),   // the smallest denormal
               from_bits<T>(uint32_t{0x807fffff})};  // the largest negative denormal
  } else {
    special = {
        from_bits<T>(uint64_t{0x7ff8000000000000}), from_bits<T>(uint64_t{0x7ff8000123456789}),
        from_bits<T>(uint64_t{0xfff8000000000001}), from_bits<T>(uint64_t{0x7ff0000000000001}),
        from_bits<T>(uint64_t{0x7ff4000000beef00}), from_bits<T>(uint64_t{0x0000000000000001}),
        from_bits<T>(uint64_t{0x800fffffffffffff})};
  }
  special.push_back(std::numeric_limits<T>::infinity());
  special.push_back(-std::numeric_limits<T>::infinity());
  special.push_back(T(-0.0));
  special.push_back(std::numeric_limits<T>::max());
  special.push_back(std::numeric_limits<T>::lowest());
  const uint64_t n = v.voxel_count() * components;
  for (uint64_t i = 0; i < n; ++i) p[i] = i < special.size() ? special[i] : T(i) / T(7);
  return v;
}

// Bit for bit: memcmp, since NaN != NaN and -0.0 == 0.0 for ==.
void expect_same_bits(const Volume& got, const Volume& want, const std::string& what) {
  ASSERT_EQ(got.pixel_type(), want.pixel_type()) << what;
  ASSERT_EQ(got.components(), want.components()) << what;
  ASSERT_EQ(got.byte_size(), want.byte_size()) << what;
  EXPECT_EQ(std::memcmp(got.data(), want.data(), want.byte_size()), 0) << what;
}

// Sets the scl_slope and scl_inter of an uncompressed .nii, at the offsets
// niftilib's own header struct gives them.
void set_scaling(const std::string& path, float slope, float inter) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekp(offsetof(nifti_1_header, scl_slope));
  f.write(reinterpret_cast<const char*>(&slope), sizeof slope);
  f.seekp(offsetof(nifti_1_header, scl_inter));
  f.write(reinterpret_cast<const char*>(&inter), sizeof inter);
  ASSERT_TRUE(f.good());
}

template <typename T>
class FloatFiles : public ::testing::Test {};
using FloatTypes = ::testing::Types<float, double>;
TYPED_TEST_SUITE(FloatFiles, FloatTypes);

TYPED_TEST(FloatFiles, SpecialValuesSurviveEveryFormatBitForBit) {
  testing::TempDir dir;
  for (uint32_t comps : {1u, 3u}) {
    const Volume v = specials<TypeParam>(comps);
    for (const char* ext : {".nii", ".nii.gz", ".nrrd", ".nhdr", ".mha", ".mhd", ".hdr"}) {
      const std::string path = dir.file("v" + std::to_string(comps) + ext);
      SCOPED_TRACE(path);
      ASSERT_OK(write_image(v, path));
      Result<Volume> back = read_image(path);
      ASSERT_OK(back.status());
      expect_same_bits(*back, v, path);
    }
  }
}

TYPED_TEST(FloatFiles, NiftiScalingThatMeansNoneLeavesEveryBit) {
  testing::TempDir dir;
  const Volume v = specials<TypeParam>();
  // NaN is what nibabel writes for float data; 0 and 1 (with 0) mean "no
  // scaling" in NIfTI-1; an infinite scl_inter is unusable, so ignored too.
  const float nan = std::numeric_limits<float>::quiet_NaN();
  for (auto [slope, inter] : {std::pair{nan, nan},
                              {0.0f, 0.0f},
                              {1.0f, 0.0f},
                              {0.0f, 5.0f},
                              {1.0f, std::numeric_limits<float>::infinity()}}) {
    const std::string path = dir.file("scaled.nii");
    ASSERT_OK(write_image(v, path));
    set_scaling(path, slope, inter);
    Result<Volume> back = read_image(path);
    ASSERT_OK(back.status());
    expect_same_bits(*back, v, "scl_slope " + std::to_string(slope));
  }
}

TYPED_TEST(FloatFiles, NiftiScalingIsAppliedAndANaNStaysANaN) {
  testing::TempDir dir;
  const Volume v = specials<TypeParam>();
  const std::string path = dir.file("scaled.nii");
  ASSERT_OK(write_image(v, path));
  set_scaling(path, 2.0f, 1.0f);
  Result<Volume> back = read_image(path);
  ASSERT_OK(back.status());
  // float64, computed as nibabel computes its dataobj: the same values, so
  // the same key, from either side.
  ASSERT_EQ(back->pixel_type(), PixelType::kFloat64);
  const TypeParam* in = v.pixels<TypeParam>();
  const double* out = back->pixels<double>();
  for (uint64_t i = 0; i < v.voxel_count(); ++i) {
    const double want = static_cast<double>(in[i]) * 2.0 + 1.0;
    if (std::isnan(in[i])) {
      EXPECT_TRUE(std::isnan(out[i])) << i;
    } else {
      EXPECT_EQ(out[i], want) << i;
    }
  }
}

TEST(FloatFiles, ATruncatedFloatNiftiIsAnIOErrorNotZeros) {
  testing::TempDir dir;
  const std::string path = dir.file("short.nii");
  ASSERT_OK(write_image(specials<float>(), path));
  std::filesystem::resize_file(path, std::filesystem::file_size(path) - 10);
  Result<Volume> back = read_image(path);
  EXPECT_TRUE(back.status().is_io_error()) << back.status().to_string();
}

TYPED_TEST(FloatFiles, TheItkAdapterKeepsEveryBit) {
  const Volume v = specials<TypeParam>();
  auto image = to_itk<TypeParam>(v);
  ASSERT_OK(image.status());
  Result<Volume> back = from_itk(image->GetPointer());
  ASSERT_OK(back.status());
  expect_same_bits(*back, v, "to_itk then from_itk");
}

// Every voxel a header promises is in the file, for every datatype: ITK
// read the missing part of a truncated integer file as zeros (16,560 of
// 32,768 voxels of a .nii cut in half came back 0), and a vox_offset past the
// end as an all-zero volume.
TEST(NiftiFiles, ATruncatedFileOfAnyTypeIsAnIOErrorNotZeros) {
  testing::TempDir dir;
  for (PixelType t :
       {PixelType::kUInt8, PixelType::kInt16, PixelType::kUInt32, PixelType::kFloat64}) {
    for (const char* ext : {".nii", ".nii.gz"}) {
      const std::string path = dir.file(std::string("half") + ext);
      ASSERT_OK(write_image(testing::make_ramp_volume(t, 1, {32, 32, 32}), path));
      if (std::string(ext) == ".nii") {
        std::filesystem::resize_file(path, 352 + std::filesystem::file_size(path) / 2);
      } else {
        // The gzip stream cut: the decompressor runs dry halfway.
        std::filesystem::resize_file(path, std::filesystem::file_size(path) / 2);
      }
      Result<Volume> back = read_image(path);
      EXPECT_FALSE(back.ok()) << pixel_type_name(t) << ext;
    }
  }
  // A scaled int16 file: float64 values, as nibabel reads them (ITK made
  // float32 of them), and checked for truncation like any other.
  const std::string scaled = dir.file("scaled.nii");
  ASSERT_OK(write_image(testing::make_ramp_volume(PixelType::kInt16, 1, {32, 32, 32}), scaled));
  set_scaling(scaled, 2.0f, 0.0f);
  Result<Volume> whole = read_image(scaled);
  ASSERT_OK(whole.status());
  EXPECT_EQ(whole->pixel_type(), PixelType::kFloat64);
  EXPECT_EQ(
      whole->pixels<double>()[1000],
      2.0 * testing::make_ramp_volume(PixelType::kInt16, 1, {32, 32, 32}).pixels<int16_t>()[1000]);
  std::filesystem::resize_file(scaled, 352 + 1000);
  Result<Volume> cut = read_image(scaled);
  EXPECT_TRUE(cut.status().is_io_error()) << cut.status().to_string();
  EXPECT_NE(cut.status().message().find("truncated"), std::string::npos)
      << cut.status().to_string();
}

TEST(NiftiFiles, AVoxOffsetPastTheEndIsAnIOError) {
  testing::TempDir dir;
  const std::string path = dir.file("far.nii");
  ASSERT_OK(write_image(testing::make_ramp_volume(PixelType::kUInt8, 1, {8, 8, 8}), path));
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  const float offset = 1e9f;
  f.seekp(108);  // vox_offset
  f.write(reinterpret_cast<const char*>(&offset), 4);
  f.close();
  Result<Volume> back = read_image(path);
  EXPECT_TRUE(back.status().is_io_error()) << back.status().to_string();
}

// A header claiming far more voxels than its file holds is an IOError before
// any buffer is sized from it (docs/reliability.md): under the sanitizers and
// the fuzzers' memory limit an allocation of what dim[] claims would fail.
TEST(NiftiFiles, AHeaderClaimingMoreVoxelsThanTheFileHoldsIsAnIOErrorNotAnAllocation) {
  testing::TempDir dir;
  for (const char* name : {"huge.nii", "huge.nii.gz"}) {
    SCOPED_TRACE(name);
    const std::string path = dir.file(name);
    ASSERT_OK(write_image(testing::make_ramp_volume(PixelType::kFloat32, 1, {8, 8, 8}), path));
    // dim[1..4] = 30000 x 30000 x 30000 x 1: 108 TB of float32.
    // A .nii.gz: a plain copy is edited, then gzipped with znzlib.
    const bool gz = std::string(name).size() > 8;
    const std::string plain = dir.file("plain.nii");
    if (gz) {
      ASSERT_OK(write_image(testing::make_ramp_volume(PixelType::kFloat32, 1, {8, 8, 8}), plain));
    }
    const std::string& target = gz ? plain : path;
    {
      std::fstream f(target, std::ios::in | std::ios::out | std::ios::binary);
      const int16_t dims[4] = {30000, 30000, 30000, 1};
      f.seekp(42);  // dim[1]
      f.write(reinterpret_cast<const char*>(dims), sizeof(dims));
    }
    if (gz) {
      std::ifstream in(plain, std::ios::binary);
      const std::string bytes(std::istreambuf_iterator<char>(in), {});
      znzFile out = znzopen(path.c_str(), "wb", 1);
      ASSERT_FALSE(znz_isnull(out));
      ASSERT_EQ(znzwrite(bytes.data(), 1, bytes.size(), out), bytes.size());
      znzclose(out);
    }
    Result<Volume> back = read_image(path);
    EXPECT_TRUE(back.status().is_io_error()) << back.status().to_string();
    EXPECT_NE(back.status().message().find("promises"), std::string::npos)
        << back.status().to_string();
  }
}

}  // namespace
}  // namespace voxcache
