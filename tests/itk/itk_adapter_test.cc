#include <gtest/gtest.h>
#include <itkAddImageFilter.h>
#include <itkImageFileReader.h>
#include <itkImageFileWriter.h>
#include <itkVector.h>

#include "test_support.h"
#include "voxcache/cache.h"
#include "voxcache/itk.h"

namespace voxcache {
namespace {

using testing::make_volume;

template <typename TImage>
void expect_same_geometry(const TImage* image, const Volume& v) {
  for (unsigned i = 0; i < 3; ++i) {
    EXPECT_EQ(image->GetLargestPossibleRegion().GetSize(i), v.size()[i]);
    EXPECT_EQ(image->GetSpacing()[i], v.geometry().spacing[i]);
    EXPECT_EQ(image->GetOrigin()[i], v.geometry().origin[i]);
    for (unsigned j = 0; j < 3; ++j) {
      EXPECT_EQ(image->GetDirection()(i, j), v.geometry().direction[3 * i + j]);
    }
  }
}

template <typename T>
class ScalarAdapter : public ::testing::Test {};
using ScalarTypes = ::testing::Types<uint8_t, int8_t, uint16_t, int16_t, uint32_t, int32_t,
                                     uint64_t, int64_t, float, double>;
TYPED_TEST_SUITE(ScalarAdapter, ScalarTypes);

TYPED_TEST(ScalarAdapter, RoundTripsBitExactAndSharesBuffers) {
  const Volume vol = make_volume(PixelTypeOf<TypeParam>::value, 1, {7, 3, 5}, 3, false);
  auto image = to_itk<TypeParam>(vol);
  ASSERT_OK(image.status());
  expect_same_geometry((*image).GetPointer(), vol);
  EXPECT_NE(static_cast<const void*>((*image)->GetBufferPointer()), vol.data()) << "lvalue copies";
  EXPECT_EQ(std::memcmp((*image)->GetBufferPointer(), vol.data(), vol.byte_size()), 0);

  Result<Volume> back = from_itk((*image).GetPointer());
  ASSERT_OK(back.status());
  EXPECT_EQ(*back, vol);
  EXPECT_EQ(static_cast<const void*>(back->data()), (*image)->GetBufferPointer()) << "no copy";

  Volume moved = vol;
  const uint8_t* buffer = moved.data();
  auto adopted = to_itk<TypeParam>(std::move(moved));
  ASSERT_OK(adopted.status());
  EXPECT_EQ(static_cast<const void*>((*adopted)->GetBufferPointer()), buffer) << "rvalue: no copy";
  EXPECT_EQ(*from_itk((*adopted).GetPointer()), vol);
}

TEST(VectorAdapter, VectorImagesOfOneToFourComponents) {
  for (uint32_t comps = 1; comps <= 4; ++comps) {
    const Volume vol = make_volume(PixelType::kFloat32, comps, {6, 5, 4}, comps, false);
    auto image = to_itk_vector<float>(vol);
    ASSERT_OK(image.status());
    EXPECT_EQ((*image)->GetNumberOfComponentsPerPixel(), comps);
    expect_same_geometry((*image).GetPointer(), vol);
    Result<Volume> back = from_itk((*image).GetPointer());
    ASSERT_OK(back.status());
    EXPECT_EQ(*back, vol);
  }
}

TEST(VectorAdapter, FixedArrayPixelsAreMultiComponentVolumes) {
  using Field = itk::Image<itk::Vector<float, 3>, 3>;  // a displacement field
  const Volume vol = make_volume(PixelType::kFloat32, 3, {8, 8, 8}, 2, false);
  auto field = to_itk<itk::Vector<float, 3>>(vol);
  ASSERT_OK(field.status());
  Field::IndexType idx{{1, 2, 3}};
  const float* expect = vol.pixels<float>() + 3 * (1 + 8 * (2 + 8 * 3));
  EXPECT_EQ((*field)->GetPixel(idx)[2], expect[2]);
  Result<Volume> back = from_itk((*field).GetPointer());
  ASSERT_OK(back.status());
  EXPECT_EQ(back->components(), 3u);
  EXPECT_EQ(*back, vol);
}

TEST(AdapterErrors, MismatchedPixelsAndGeometryAreInvalidArgument) {
  const Volume u8 = make_volume(PixelType::kUInt8, 1, {4, 4, 4});
  Status s = to_itk<float>(u8).status();
  EXPECT_TRUE(s.is_invalid_argument());
  EXPECT_NE(s.message().find("u8"), std::string::npos) << s.message();
  const Volume rgb = make_volume(PixelType::kUInt8, 3, {4, 4, 4});
  s = to_itk<uint8_t>(rgb).status();
  EXPECT_TRUE(s.is_invalid_argument());
  EXPECT_NE(s.message().find("VectorImage"), std::string::npos) << s.message();
  using Pair = itk::Vector<uint8_t, 2>;
  EXPECT_TRUE(to_itk<Pair>(rgb).status().is_invalid_argument());

  Volume singular = u8;
  Geometry g;
  g.direction = {1, 0, 0, 1, 0, 0, 0, 0, 1};
  singular.set_geometry(g);
  EXPECT_TRUE(to_itk<uint8_t>(singular).status().is_invalid_argument());
  EXPECT_TRUE(
      from_itk(static_cast<const itk::Image<uint8_t, 3>*>(nullptr)).status().is_invalid_argument());
}

TEST(AdapterRegions, ARegionNotAtIndexZeroMovesTheOrigin) {
  using Image = itk::Image<int16_t, 3>;
  auto image = Image::New();
  Image::RegionType region;
  region.SetIndex({{2, 0, 1}});
  region.SetSize({{3, 3, 3}});
  image->SetRegions(region);
  Image::SpacingType spacing;
  spacing.Fill(0.5);
  image->SetSpacing(spacing);
  image->Allocate(true);
  Result<Volume> v = from_itk(image.GetPointer());
  ASSERT_OK(v.status());
  EXPECT_EQ(v->geometry().origin[0], 1.0);
  EXPECT_EQ(v->geometry().origin[1], 0.0);
  EXPECT_EQ(v->geometry().origin[2], 0.5);
}

// The real ch2 brain MRI: ITK reader -> Volume -> cache file -> Volume -> ITK
// writer -> ITK reader, with voxels and geometry identical at every stage.
TEST(RealMri, Ch2ThroughItkReaderCacheAndWriter) {
  using Image = itk::Image<uint8_t, 3>;
  const std::string src = std::string(VOXCACHE_TEMPLATES_DIR) + "/ch2.nii.gz";
  auto reader = itk::ImageFileReader<Image>::New();
  reader->SetFileName(src);
  reader->Update();
  Image::Pointer original = reader->GetOutput();
  ASSERT_EQ(original->GetLargestPossibleRegion().GetSize(), (Image::SizeType{{181, 217, 181}}));

  testing::TempDir dir;
  Result<Volume> vol = from_itk(original.GetPointer());
  ASSERT_OK(vol.status());
  const OperationKey key = content_key(*vol);
  {
    auto cache = Cache::Open(dir.file("cache.db"));
    ASSERT_OK(cache.status());
    ASSERT_OK((*cache)->put(key, *vol));
  }
  auto cache = Cache::Open(dir.file("cache.db"));
  ASSERT_OK(cache.status());
  Result<Value> stored = (*cache)->get(key);
  ASSERT_OK(stored.status());
  ASSERT_EQ(*stored->as_volume(), *vol);

  auto image = to_itk<uint8_t>(*stored->as_volume());
  ASSERT_OK(image.status());
  const std::string out = dir.file("ch2-copy.nii.gz");
  auto writer = itk::ImageFileWriter<Image>::New();
  writer->SetFileName(out);
  writer->SetInput(*image);
  writer->Update();

  auto again = itk::ImageFileReader<Image>::New();
  again->SetFileName(out);
  again->Update();
  Result<Volume> reread = from_itk(again->GetOutput());
  ASSERT_OK(reread.status());
  EXPECT_EQ(reread->layout().size, vol->layout().size);
  EXPECT_TRUE(reread->geometry().bit_equal(vol->geometry()))
      << "origin " << reread->geometry().origin[0] << " vs " << vol->geometry().origin[0];
  EXPECT_EQ(std::memcmp(reread->data(), vol->data(), vol->byte_size()), 0);
}

// Aliasing (docs/reliability.md): an in-place ITK filter run on an image a
// get gave, or on the image a computation returned, changes nothing a later
// get returns, with the memory tier on (the default).
using AliasImage = itk::Image<int16_t, 3>;

// Adds `c` to every voxel of `image` in place; the result, which holds the
// buffer from now on (the input gives it up).
AliasImage::Pointer add_in_place(AliasImage* image, int16_t c) {
  auto add = itk::AddImageFilter<AliasImage, AliasImage, AliasImage>::New();
  add->SetInput1(image);
  add->SetConstant2(c);
  add->InPlaceOn();
  add->Update();
  return add->GetOutput();
}

TEST(AdapterAliasing, AnInPlaceFilterOnAnImageFromAGetChangesNothingStored) {
  testing::TempDir dir;
  auto cache = Cache::Open(dir.file("cache.db"));
  ASSERT_OK(cache.status());
  const Volume source = testing::make_ramp_volume(PixelType::kInt16, 1, {12, 11, 10});
  const OperationKey key = KeyBuilder("in-place").build();
  ASSERT_OK((*cache)->put(key, source));
  for (int round = 0; round < 3; ++round) {
    Result<Value> got = (*cache)->get(key);  // from disk once, then from memory
    ASSERT_OK(got.status());
    auto image = to_itk<int16_t>(*got->as_volume());
    ASSERT_OK(image.status());
    const int16_t* buffer = (*image)->GetBufferPointer();
    AliasImage::Pointer out = add_in_place(image->GetPointer(), 1000);
    EXPECT_EQ(out->GetBufferPointer(), buffer) << "in place";
    EXPECT_EQ(*out->GetBufferPointer(), source.pixels<int16_t>()[0] + 1000);
    EXPECT_TRUE(*(*cache)->get(key)->as_volume() == source) << "round " << round;
  }
  EXPECT_GE((*cache)->stats().memory_hits, 3u);
}

TEST(AdapterAliasing, AnInPlaceFilterOnAComputedImageChangesNothingStored) {
  testing::TempDir dir;
  auto cache = Cache::Open(dir.file("cache.db"));
  ASSERT_OK(cache.status());
  const Volume source = testing::make_ramp_volume(PixelType::kInt16, 1, {12, 11, 10});
  AliasImage::Pointer result = to_itk<int16_t>(source).value();
  const OperationKey key = KeyBuilder("computed").build();
  // The computation returns a volume over its image's buffer (no copy).
  Result<Value> v = (*cache)->get_or_compute(key, [&]() -> Result<Value> {
    Result<Volume> out = from_itk(result.GetPointer());
    if (!out.ok()) return out.status();
    return Value(std::move(out).value());
  });
  ASSERT_OK(v.status());
  // The caller goes on using its image: an in-place filter writes into it.
  const int16_t* buffer = result->GetBufferPointer();
  AliasImage::Pointer out = add_in_place(result.GetPointer(), -500);
  ASSERT_EQ(out->GetBufferPointer(), buffer) << "in place";
  EXPECT_EQ(*out->GetBufferPointer(), source.pixels<int16_t>()[0] - 500);
  for (int i = 0; i < 3; ++i) {
    Result<Value> hit = (*cache)->get(key);
    ASSERT_OK(hit.status());
    EXPECT_TRUE(*hit->as_volume() == source) << "read " << i;
  }
  EXPECT_GE((*cache)->stats().memory_hits, 3u) << "served from the memory tier";
}

}  // namespace
}  // namespace voxcache
