// libFuzzer target: NIfTI headers, the two ways hostile ones reach voxcache
// (docs/format.md 2.5 and 2.10).
//
// 1. As a file: `import` reads the header (dims, datatype, pixdim, qform,
//    sform, scaling, time axis, extensions) and the voxels it promises. Any
//    bytes must give a clean Status, never a crash, an out-of-bounds read or
//    an allocation of what dim[] claims; a file that reads is exported with
//    its own header, and that file must read back as the same volume, bit
//    for bit: import, export, import is the identity.
// 2. As entry metadata: `export` writes the kept header in front of a
//    volume's voxels when it still describes the volume. The hex comes from a
//    database row, so any bytes must be refused cleanly or make a file that
//    reads back as the volume given.
//
// Built with ITK's own niftilib and znzlib, without the rest of ITK.

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "itk/nifti_header.h"
#include "itk/nifti_voxels.h"
#include "voxcache/volume.h"

using namespace voxcache;

namespace {

std::string scratch_dir() {
  static const std::string dir = "/tmp/voxcache-nifti-fuzz-" + std::to_string(getpid());
  return dir;
}

const std::string& scratch(const char* what) {
  static const std::string dir = [] {
    std::error_code ec;
    std::filesystem::create_directories(scratch_dir(), ec);
    if (ec) std::abort();
    std::atexit([] {
      std::error_code e;
      std::filesystem::remove_all(scratch_dir(), e);
    });
    return scratch_dir();
  }();
  static std::string paths[2];
  std::string& p = paths[what[0] == 'i' ? 0 : 1];
  p = dir + "/" + what + ".nii";
  return p;
}

void write_file(const std::string& path, const uint8_t* data, size_t size) {
  std::ofstream(path, std::ios::binary | std::ios::trunc)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
}

// Exporting `v` under `header` either declines (false), fails cleanly, or
// writes a file that reads back as `v` exactly.
void export_and_check(const Volume& v, const std::string& header) {
  const std::string& out = scratch("out");
  Result<bool> wrote = itk_io::write_with_nifti_header(v, out, header, false);
  if (!wrote.ok() || !*wrote) return;
  Result<std::optional<Volume>> back = itk_io::read_nifti(out);
  if (!back.ok() || !*back || !(**back == v)) {
    std::fprintf(stderr, "export under a kept header did not read back as the volume: %s\n",
                 back.ok() ? "another volume" : back.status().to_string().c_str());
    std::abort();
  }
}

Volume small_volume(PixelType type, std::array<uint64_t, 3> size, uint32_t dimension,
                    uint64_t frames) {
  VolumeLayout l;
  l.pixel_type = type;
  l.size = size;
  l.dimension = dimension;
  l.frames = frames;
  Volume v = Volume::Create(l).value();
  for (uint64_t i = 0; i < v.byte_size(); ++i) v.mutable_data()[i] = static_cast<uint8_t>(i * 37);
  return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // 1. The bytes as a .nii file.
  const std::string& in = scratch("in");
  write_file(in, data, size);
  Result<std::string> header = itk_io::nifti_header_bytes(in);
  Result<std::optional<Volume>> v = itk_io::read_nifti(in);
  if (v.ok() && *v && header.ok() && !header->empty()) export_and_check(**v, *header);
  // 2. The bytes as a kept header, over volumes it may describe.
  const std::string kept(reinterpret_cast<const char*>(data), size);
  static const Volume volumes[] = {small_volume(PixelType::kInt16, {3, 4, 5}, 3, 1),
                                   small_volume(PixelType::kUInt8, {2, 2, 2}, 4, 3),
                                   small_volume(PixelType::kFloat32, {4, 3, 1}, 2, 1)};
  for (const Volume& vol : volumes) export_and_check(vol, kept);
  return 0;
}
