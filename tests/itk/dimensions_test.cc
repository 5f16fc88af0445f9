// 2D and 4D images and masks through the ITK adapter and ITK's files (issue
// 24): itk::Image<T, 2> and <T, 4> round-trip bit for bit, with the time
// axis; what an ITK image of another dimension cannot hold is refused, never
// dropped; and files of 2 and 4 dimensions come back as they went.

#include <gtest/gtest.h>
#include <itkImageFileReader.h>
#include <itkRGBPixel.h>

#include <cstring>

#include "test_support.h"
#include "voxcache/cache.h"
#include "voxcache/itk.h"

namespace voxcache {
namespace {

using testing::TempDir;

template <typename TPixel, unsigned VDim>
typename itk::Image<TPixel, VDim>::Pointer make_itk_image(const std::array<uint64_t, VDim>& size) {
  using Image = itk::Image<TPixel, VDim>;
  auto image = Image::New();
  typename Image::RegionType region;
  typename Image::SpacingType spacing;
  typename Image::PointType origin;
  for (unsigned i = 0; i < VDim; ++i) {
    region.SetSize(i, size[i]);
    spacing[i] = 0.7 + 0.3 * i;
    origin[i] = -12.25 + 3.1 * i;
  }
  image->SetRegions(region);
  image->SetSpacing(spacing);
  image->SetOrigin(origin);
  typename Image::DirectionType d;
  d.SetIdentity();
  d(0, 0) = 0.0;  // a rotation in the first plane
  d(0, 1) = -1.0;
  d(1, 0) = 1.0;
  d(1, 1) = 0.0;
  image->SetDirection(d);
  image->Allocate();
  auto* p = reinterpret_cast<uint8_t*>(image->GetBufferPointer());
  const size_t bytes = image->GetPixelContainer()->Size() * sizeof(TPixel);
  for (size_t i = 0; i < bytes; ++i) p[i] = static_cast<uint8_t>((i * 31 + i / 7) % 251);
  return image;
}

template <typename TImage>
void expect_same_image(const TImage* a, const TImage* b) {
  constexpr unsigned kDim = TImage::ImageDimension;
  for (unsigned i = 0; i < kDim; ++i) {
    EXPECT_EQ(a->GetLargestPossibleRegion().GetSize(i), b->GetLargestPossibleRegion().GetSize(i));
    EXPECT_EQ(a->GetSpacing()[i], b->GetSpacing()[i]);
    EXPECT_EQ(a->GetOrigin()[i], b->GetOrigin()[i]);
    for (unsigned j = 0; j < kDim; ++j) EXPECT_EQ(a->GetDirection()(i, j), b->GetDirection()(i, j));
  }
  const size_t bytes = a->GetPixelContainer()->Size() * sizeof(typename TImage::PixelType);
  EXPECT_EQ(std::memcmp(a->GetBufferPointer(), b->GetBufferPointer(), bytes), 0);
}

TEST(ItkDimensions, A2DRgbImageRoundTripsThroughTheCache) {
  using Pixel = itk::RGBPixel<uint8_t>;
  auto image = make_itk_image<Pixel, 2>({41, 29});
  Result<Volume> v = from_itk(image.GetPointer());
  ASSERT_OK(v.status());
  EXPECT_EQ(v->dimension(), 2u);
  EXPECT_EQ(v->components(), 3u);
  EXPECT_EQ(v->size(), (std::array<uint64_t, 3>{41, 29, 1}));
  EXPECT_EQ(v->geometry().direction[1], -1.0);  // d(0, 1)
  TempDir dir;
  auto cache = testing::open_cache(dir.file("c.db"));
  const OperationKey k = content_key(*v);
  ASSERT_OK(cache->put(k, *v));
  Result<Value> got = cache->get(k);
  ASSERT_OK(got.status());
  auto back = to_itk<Pixel, 2>(*got->as_volume());
  ASSERT_OK(back.status());
  expect_same_image(image.GetPointer(), back->GetPointer());
}

TEST(ItkDimensions, A4DSeriesRoundTripsWithItsTimeAxis) {
  auto image = make_itk_image<float, 4>({9, 8, 5, 12});
  Result<Volume> v = from_itk(image.GetPointer());
  ASSERT_OK(v.status());
  EXPECT_EQ(v->dimension(), 4u);
  EXPECT_EQ(v->frames(), 12u);
  EXPECT_EQ(v->geometry().time_spacing, image->GetSpacing()[3]);
  EXPECT_EQ(v->geometry().time_origin, image->GetOrigin()[3]);
  TempDir dir;
  auto cache = testing::open_cache(dir.file("c.db"));
  const OperationKey k = content_key(*v);
  ASSERT_OK(cache->put(k, *v));
  auto back = to_itk<float, 4>(*cache->get(k)->as_volume());
  ASSERT_OK(back.status());
  expect_same_image(image.GetPointer(), back->GetPointer());
  // One frame, read alone, is frame 7 of the image.
  Result<Volume> frame = cache->read_region(k, {0, 0, 0}, {9, 8, 5}, 7, 1);
  ASSERT_OK(frame.status());
  const size_t frame_bytes = 9 * 8 * 5 * sizeof(float);
  EXPECT_EQ(
      std::memcmp(frame->data(),
                  reinterpret_cast<const uint8_t*>(image->GetBufferPointer()) + 7 * frame_bytes,
                  frame_bytes),
      0);
  EXPECT_EQ(frame->geometry().time_origin, image->GetOrigin()[3] + 7 * image->GetSpacing()[3]);
}

TEST(ItkDimensions, ABoolMaskRoundTrips) {
  auto image = make_itk_image<bool, 3>({6, 5, 4});
  auto* p = reinterpret_cast<uint8_t*>(image->GetBufferPointer());
  for (size_t i = 0; i < 6 * 5 * 4; ++i) p[i] &= 1;  // bools
  Result<Volume> v = from_itk(image.GetPointer());
  ASSERT_OK(v.status());
  EXPECT_EQ(v->pixel_type(), PixelType::kBool);
  auto back = to_itk<bool>(*v);
  ASSERT_OK(back.status());
  expect_same_image(image.GetPointer(), back->GetPointer());
}

TEST(ItkDimensions, WhatAnImageOfAnotherDimensionCannotHoldIsRefused) {
  // A series mixing time with space has no place in voxcache.
  auto mixed = make_itk_image<float, 4>({3, 3, 3, 3});
  auto d = mixed->GetDirection();
  d(0, 3) = 0.5;
  d(3, 0) = 0.5;
  d(3, 3) = 0.5;
  d(0, 0) = 0.5;
  mixed->SetDirection(d);
  Status s = from_itk(mixed.GetPointer()).status();
  EXPECT_TRUE(s.is_invalid_argument()) << s.to_string();
  // A volume of 5 slices is no 2D image; a series no 3D one.
  const Volume v3 = testing::make_ramp_volume(PixelType::kFloat32, 1, {4, 4, 5});
  s = to_itk<float, 2>(v3).status();
  EXPECT_TRUE(s.is_invalid_argument()) << s.to_string();
  Result<Volume> series = from_itk(make_itk_image<float, 4>({3, 3, 3, 2}).GetPointer());
  ASSERT_OK(series.status());
  s = to_itk<float, 3>(*series).status();
  EXPECT_TRUE(s.is_invalid_argument()) << s.to_string();
  // A 2D image whose plane is not z = 0 (from a NIfTI slice) stays 3D in ITK.
  Result<Volume> flat = from_itk(make_itk_image<float, 2>({4, 4}).GetPointer());
  ASSERT_OK(flat.status());
  Geometry g = flat->geometry();
  g.origin[2] = 40.0;
  Volume lifted = *flat;
  lifted.set_geometry(g);
  s = to_itk<float, 2>(lifted).status();
  EXPECT_TRUE(s.is_invalid_argument()) << s.to_string();
  ASSERT_OK((to_itk<float, 3>(lifted).status()));
  // Any volume is a series of one frame.
  auto one = to_itk<float, 4>(v3);
  ASSERT_OK(one.status());
  EXPECT_EQ((*one)->GetLargestPossibleRegion().GetSize(3), 1u);
}

TEST(ItkDimensions, FilesOfTwoAndFourDimensionsComeBackAsTheyWent) {
  TempDir dir;
  Result<Volume> series = from_itk(make_itk_image<int16_t, 4>({9, 8, 5, 6}).GetPointer());
  ASSERT_OK(series.status());
  Volume axial = *series;  // NIfTI holds an orthonormal direction as a quaternion too
  Geometry g = axial.geometry();
  g.direction = {1, 0, 0, 0, 1, 0, 0, 0, 1};
  g.time_spacing = 2.5;  // float-exact values: NIfTI keeps floats
  g.time_origin = 1.5;
  axial.set_geometry(g);
  for (const char* name : {"bold.nii.gz", "bold.nrrd", "bold.mha"}) {
    SCOPED_TRACE(name);
    const std::string path = dir.file(name);
    ASSERT_OK(write_image(axial, path));
    Result<Volume> back = read_image(path);
    ASSERT_OK(back.status());
    EXPECT_EQ(back->dimension(), 4u);
    EXPECT_EQ(back->frames(), 6u);
    EXPECT_EQ(back->geometry().time_spacing, 2.5);
    if (std::string(name) != "bold.nrrd") EXPECT_EQ(back->geometry().time_origin, 1.5);
    ASSERT_EQ(back->byte_size(), axial.byte_size());
    EXPECT_EQ(std::memcmp(back->data(), axial.data(), axial.byte_size()), 0);
  }
  // A 2D RGB image to PNG and back: an image, its voxels exact.
  Result<Volume> rgb = from_itk(make_itk_image<itk::RGBPixel<uint8_t>, 2>({33, 17}).GetPointer());
  ASSERT_OK(rgb.status());
  Volume plain = *rgb;  // PNG has no geometry
  plain.set_geometry(Geometry());
  const std::string png = dir.file("photo.png");
  ASSERT_OK(write_image(plain, png));
  Result<Volume> back = read_image(png);
  ASSERT_OK(back.status());
  EXPECT_TRUE(*back == plain);
  // A mask is written as u8 0 and 1: the formats have no bool.
  const std::string mask_path = dir.file("mask.nii.gz");
  Result<Volume> mask = from_itk(make_itk_image<bool, 3>({4, 4, 4}).GetPointer());
  ASSERT_OK(mask.status());
  for (uint64_t i = 0; i < mask->byte_size(); ++i) mask->mutable_data()[i] &= 1;
  ASSERT_OK(write_image(*mask, mask_path));
  Result<Volume> read_mask = read_image(mask_path);
  ASSERT_OK(read_mask.status());
  EXPECT_EQ(read_mask->pixel_type(), PixelType::kUInt8);
  EXPECT_EQ(std::memcmp(read_mask->data(), mask->data(), mask->byte_size()), 0);
}

}  // namespace
}  // namespace voxcache
