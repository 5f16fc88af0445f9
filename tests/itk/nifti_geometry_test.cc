// NIfTI geometry as nibabel reads it (itk/nifti_geometry.cc), on headers
// built here field by field: which transform wins, the RAS to LPS
// conversion, the axes of series and images, and the refusals.

#include "itk/nifti_geometry.h"

#include <gtest/gtest.h>
#include <nifti1.h>

#include <cmath>
#include <cstring>

#include "test_support.h"

namespace voxcache::itk_io {
namespace {

// A 3D int16 header of 4 x 5 x 6 voxels of 2 x 3 x 4 mm, no transform set.
nifti_1_header header() {
  nifti_1_header h;
  std::memset(&h, 0, sizeof(h));
  h.sizeof_hdr = 348;
  h.dim[0] = 3;
  h.dim[1] = 4, h.dim[2] = 5, h.dim[3] = 6;
  for (int i = 4; i < 8; ++i) h.dim[i] = 1;
  h.datatype = DT_INT16;
  h.bitpix = 16;
  h.pixdim[0] = 1;
  h.pixdim[1] = 2, h.pixdim[2] = 3, h.pixdim[3] = 4;
  h.vox_offset = 352;
  std::memcpy(h.magic, "n+1", 4);
  return h;
}

TEST(NiftiAffine, TheSformWinsOverTheQformAsInNibabel) {
  nifti_1_header h = header();
  h.qform_code = 1;  // identity quaternion: the diagonal of pixdim
  h.sform_code = 2;
  const float rows[3][4] = {{0, -2, 0, 10.5f}, {3, 0, 0, -20}, {0, 0, 4, 30}};
  std::memcpy(h.srow_x, rows[0], sizeof(rows[0]));
  std::memcpy(h.srow_y, rows[1], sizeof(rows[1]));
  std::memcpy(h.srow_z, rows[2], sizeof(rows[2]));
  Result<Affine> a = nifti_affine(h, "t");
  ASSERT_OK(a.status());
  EXPECT_EQ(*a, (Affine{0, -2, 0, 10.5, 3, 0, 0, -20, 0, 0, 4, 30}));
  h.sform_code = 0;
  a = nifti_affine(h, "t");
  ASSERT_OK(a.status());
  EXPECT_EQ(*a, (Affine{2, 0, 0, 0, 0, 3, 0, 0, 0, 0, 4, 0})) << "the qform";
  h.qform_code = 0;
  a = nifti_affine(h, "t");
  ASSERT_OK(a.status());
  // nibabel's base affine: x flipped, the grid's centre at 0.
  EXPECT_EQ(*a, (Affine{-2, 0, 0, 3, 0, 3, 0, -6, 0, 0, 4, -10}));
}

TEST(NiftiAffine, AZeroOrNanSpacingIsRefusedNotSetToOne) {
  for (float bad : {0.0f, std::nanf("")}) {
    nifti_1_header h = header();
    h.pixdim[2] = bad;
    EXPECT_TRUE(nifti_affine(h, "t").status().is_invalid_argument()) << bad;
  }
}

TEST(GeometryOfAffine, RasBecomesLps) {
  Result<Geometry> g = geometry_of_affine({2, 0, 0, 10, 0, 3, 0, 20, 0, 0, 4, 30});
  ASSERT_OK(g.status());
  EXPECT_EQ(g->spacing, (std::array<double, 3>{2, 3, 4}));
  EXPECT_EQ(g->origin, (std::array<double, 3>{-10, -20, 30}));
  EXPECT_EQ(g->direction, (std::array<double, 9>{-1, 0, 0, 0, -1, 0, 0, 0, 1}));
  EXPECT_TRUE(
      geometry_of_affine({0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 4, 0}).status().is_invalid_argument())
      << "an axis of no length";
  EXPECT_TRUE(geometry_of_affine({INFINITY, 0, 0, 0, 0, 3, 0, 0, 0, 0, 4, 0})
                  .status()
                  .is_invalid_argument());
}

TEST(NiftiGeometry, SeriesImagesAndVolumesByTheirDims) {
  nifti_1_header h = header();
  VolumeLayout l;
  ASSERT_OK(nifti_geometry(h, "t", &l));
  EXPECT_EQ(l.dimension, 3u);
  EXPECT_EQ(l.geometry.spacing, (std::array<double, 3>{2, 3, 4}));

  h.dim[0] = 4;
  h.dim[4] = 7;
  h.pixdim[4] = 2.5f;
  h.toffset = -1.25f;
  VolumeLayout series;
  ASSERT_OK(nifti_geometry(h, "t", &series));
  EXPECT_EQ(series.dimension, 4u);
  EXPECT_EQ(series.geometry.time_spacing, 2.5);
  EXPECT_EQ(series.geometry.time_origin, -1.25);

  h = header();
  h.dim[0] = 2;
  h.dim[3] = 1;
  VolumeLayout image;
  ASSERT_OK(nifti_geometry(h, "t", &image));
  EXPECT_EQ(image.dimension, 2u);

  h = header();
  h.dim[0] = 6;
  h.dim[6] = 2;
  VolumeLayout six;
  EXPECT_TRUE(nifti_geometry(h, "t", &six).is_not_supported());
}

TEST(NiftiGeometry, AFileThatIsNotThereIsAnIOError) {
  testing::TempDir dir;
  VolumeLayout l;
  EXPECT_TRUE(read_nifti_geometry(dir.file("none.nii"), &l).is_io_error());
}

}  // namespace
}  // namespace voxcache::itk_io
