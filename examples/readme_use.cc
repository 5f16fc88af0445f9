// The README's "Use" examples as a complete program: the tests build it, run
// it twice on the ch2 brain MRI (computed, then found again) and check that
// README.md shows the two marked blocks below as they are here.
//
//   voxcache-readme-example IMAGE DATABASE

#include <itkOtsuThresholdImageFilter.h>

#include <algorithm>
#include <cstdio>
#include <iostream>

#include "voxcache/cache.h"
#include "voxcache/itk.h"

namespace {

int fail(const voxcache::Status& s) {
  std::cerr << "error: " << s.to_string() << "\n";
  return 1;
}

int run(const char* image_path, const char* db_path) {
  voxcache::Result<voxcache::Volume> volume = voxcache::read_image(image_path);
  if (!volume.ok()) return fail(volume.status());
  // [readme-use]
  auto cache = voxcache::Cache::Open(db_path);  // or Cache::DefaultPath(): ~/.cache/voxcache
  if (!cache.ok()) return fail(cache.status());

  voxcache::OperationKey input = voxcache::content_key(*volume);  // a leaf
  voxcache::KeyBuilder otsu = voxcache::KeyBuilder("otsu")        // a recipe
                                  .arg("bins", 128)
                                  .input(input);

  // Passing the recipe (not just otsu.build()) records lineage: `voxcache show`.
  voxcache::Result<voxcache::Value> mask =
      (*cache)->get_or_compute(otsu, [&]() -> voxcache::Result<voxcache::Value> {
        using Image = itk::Image<uint8_t, 3>;
        auto image = voxcache::to_itk<uint8_t>(*volume);  // Volume -> itk::Image, no copy
        if (!image.ok()) return image.status();           // not u8 voxels: an error, not a crash
        auto filter = itk::OtsuThresholdImageFilter<Image, Image>::New();
        filter->SetInput(*image);
        filter->SetNumberOfHistogramBins(128);
        filter->Update();
        auto out = voxcache::from_itk(filter->GetOutput());  // itk::Image -> Volume, no copy
        if (!out.ok()) return out.status();
        return voxcache::Value(std::move(out).value());
      });
  if (mask.status().is_corruption()) return fail(mask.status());  // never confused with a miss
  if (!mask.ok()) return fail(mask.status());
  // [/readme-use]
  const voxcache::OperationKey key = otsu.build();
  const bool computed = (*cache)->stats().puts == 1;  // stored by this run
  std::printf("mask %s: %s\n", key.hex().substr(0, 16).c_str(),
              computed ? "computed" : "found again");

  const voxcache::VolumeLayout layout = volume->layout();
  const uint64_t slab_bytes = volume->byte_size() / layout.size[2];  // one z-slice
  const voxcache::OperationKey streamed = voxcache::KeyBuilder("streamed").input(input).build();
  // [readme-stream]
  auto writer = (*cache)->write_volume(streamed, layout);  // voxcache/stream.h
  if (!writer.ok()) return fail(writer.status());
  for (uint64_t z = 0; z < layout.size[2]; ++z) {  // pieces of any size, in order
    voxcache::Status s = (*writer)->write(volume->data() + z * slab_bytes, slab_bytes);
    if (!s.ok()) return fail(s);
  }
  if (voxcache::Status s = (*writer)->commit(); !s.ok()) return fail(s);  // one transaction

  voxcache::Result<voxcache::Volume> axial = (*cache)->read_slice(streamed, /*axis z*/ 2, 90);
  if (!axial.ok()) return fail(axial.status());  // decompressed only the chunks of z = 90
  // [/readme-stream]
  const bool same =
      std::equal(axial->data(), axial->data() + slab_bytes, volume->data() + 90 * slab_bytes);
  std::printf("axial slice 90 of the streamed copy: %s\n", same ? "equal" : "DIFFERENT");
  return same ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: voxcache-readme-example IMAGE DATABASE\n";
    return 2;
  }
  return run(argv[1], argv[2]);
}
