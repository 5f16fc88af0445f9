// A program outside this project, as a user writes one: it knows voxcache
// only through an installed prefix (find_package or pkg-config).
//
//   consumer DB IMAGE     prints "consumer ok" when every check held

#include <itkImage.h>

#include <cstdio>
#include <cstring>

#include "voxcache/cache.h"
#include "voxcache/itk.h"
#include "voxcache/version.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: consumer DB IMAGE\n");
    return 2;
  }
  auto fail = [](const char* what, const voxcache::Status& s) {
    std::fprintf(stderr, "consumer: %s: %s\n", what, s.to_string().c_str());
    return 1;
  };
  voxcache::Result<std::unique_ptr<voxcache::Cache>> cache = voxcache::Cache::Open(argv[1]);
  if (!cache.ok()) return fail("open", cache.status());
  voxcache::Result<voxcache::Volume> volume = voxcache::read_image(argv[2]);  // the adapter
  if (!volume.ok()) return fail("read_image", volume.status());
  const voxcache::OperationKey key = voxcache::content_key(*volume);
  voxcache::Status s = (*cache)->put(key, *volume);
  if (!s.ok()) return fail("put", s);
  voxcache::Result<voxcache::Value> back = (*cache)->get(key);
  if (!back.ok()) return fail("get", back.status());
  const voxcache::Volume* v = back->as_volume();
  if (!v || v->byte_size() != volume->byte_size() ||
      std::memcmp(v->data(), volume->data(), v->byte_size()) != 0) {
    std::fprintf(stderr, "consumer: get returned other voxels\n");
    return 1;
  }
  // ITK's own image type, through the adapter's templates.
  auto image = voxcache::to_itk<uint8_t>(*v);
  if (!image.ok()) return fail("to_itk", image.status());
  if ((*image)->GetLargestPossibleRegion().GetNumberOfPixels() != v->voxel_count()) {
    std::fprintf(stderr, "consumer: the ITK image has another size\n");
    return 1;
  }
  std::printf("consumer ok: voxcache %s, %s\n", voxcache::version().voxcache.c_str(),
              key.hex().c_str());
  return 0;
}
