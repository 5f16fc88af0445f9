// Volume files through ITK's ImageIOBase: one code path for every component
// type and component count, without instantiating a reader per pixel type.
// The geometry it produces matches itk::ImageFileReader's (tests/itk check
// that bit for bit on the mricron volumes).

#include <itkImageIOBase.h>
#include <itkImageIOFactory.h>
// Registers the IO factories of the ITK modules CMake linked (UseITK generates
// it). ITK includes it only from ImageFileReader/Writer, which this file does
// not use; without it, a program that never names those finds no IO at all.
#ifdef ITK_IO_FACTORY_REGISTER_MANAGER
#include <itkImageIOFactoryRegisterManager.h>
#endif

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "itk/dicom_series.h"
#include "itk/nifti_geometry.h"
#include "itk/nifti_header.h"
#include "itk/nifti_voxels.h"
#include "voxcache/itk.h"

namespace voxcache {

namespace itk_io {

Result<PixelType> pixel_type_of(itk::IOComponentEnum c, size_t bytes) {
  using IOComponent = itk::IOComponentEnum;
  switch (c) {
    case IOComponent::UCHAR:
      return PixelType::kUInt8;
    case IOComponent::CHAR:
      return PixelType::kInt8;
    case IOComponent::USHORT:
      return PixelType::kUInt16;
    case IOComponent::SHORT:
      return PixelType::kInt16;
    case IOComponent::UINT:
    case IOComponent::ULONG:
    case IOComponent::ULONGLONG:
      return bytes == 4 ? PixelType::kUInt32 : PixelType::kUInt64;
    case IOComponent::INT:
    case IOComponent::LONG:
    case IOComponent::LONGLONG:
      return bytes == 4 ? PixelType::kInt32 : PixelType::kInt64;
    case IOComponent::FLOAT:
      return PixelType::kFloat32;
    case IOComponent::DOUBLE:
      return PixelType::kFloat64;
    default:
      return Status::NotSupported("ITK component type " +
                                  itk::ImageIOBase::GetComponentTypeAsString(c) +
                                  " has no voxcache pixel type");
  }
}

}  // namespace itk_io

namespace {

using IOComponent = itk::IOComponentEnum;
using itk_io::pixel_type_of;

IOComponent io_component_of(PixelType t) {
  switch (t) {
    case PixelType::kUInt8:
    case PixelType::kBool:
      return IOComponent::UCHAR;
    case PixelType::kInt8:
      return IOComponent::CHAR;
    case PixelType::kUInt16:
      return IOComponent::USHORT;
    case PixelType::kInt16:
      return IOComponent::SHORT;
    case PixelType::kUInt32:
      return IOComponent::UINT;
    case PixelType::kInt32:
      return IOComponent::INT;
    case PixelType::kUInt64:
      return IOComponent::ULONGLONG;
    case PixelType::kInt64:
      return IOComponent::LONGLONG;
    case PixelType::kFloat32:
      return IOComponent::FLOAT;
    case PixelType::kFloat64:
      return IOComponent::DOUBLE;
  }
  return IOComponent::UNKNOWNCOMPONENTTYPE;
}

Result<Volume> read_with(itk::ImageIOBase* io, const std::string& path) {
  io->SetFileName(path);
  io->ReadImageInformation();
  const unsigned dims = io->GetNumberOfDimensions();
  if (dims < 1) return Status::NotSupported(path + ": image has no dimensions");
  for (unsigned i = 4; i < dims; ++i) {
    if (io->GetDimensions(i) != 1) {
      return Status::NotSupported(path + ": " + std::to_string(dims) +
                                  "-D image; voxcache stores up to 4 dimensions");
    }
  }
  Result<PixelType> type = pixel_type_of(io->GetComponentType(), io->GetComponentSize());
  if (!type.ok()) return type.status().with_context(path);
  VolumeLayout l;
  l.pixel_type = *type;
  l.components = io->GetNumberOfComponents();
  const unsigned used = dims < 3 ? dims : 3;
  for (unsigned i = 0; i < used; ++i) {
    l.size[i] = io->GetDimensions(i);
    l.geometry.spacing[i] = io->GetSpacing(i);
    l.geometry.origin[i] = io->GetOrigin(i);
    // GetDirection(i) is axis i, a column of the direction matrix.
    const std::vector<double> axis = io->GetDirection(i);
    for (unsigned r = 0; r < used && r < axis.size(); ++r)
      l.geometry.direction[3 * r + i] = axis[r];
  }
  for (unsigned i = used; i < 3; ++i) l.size[i] = 1;
  // A 2D file is an image; a fourth axis longer than 1 is time.
  l.dimension = dims <= 2 ? 2 : 3;
  if (dims >= 4 && io->GetDimensions(3) > 1) {
    const std::vector<double> time = io->GetDirection(3);
    for (unsigned r = 0; r < 3; ++r) {
      const std::vector<double> axis = io->GetDirection(r);
      if (time[r] != 0.0 || (axis.size() > 3 && axis[3] != 0.0)) {
        return Status::NotSupported(path + ": its 4D direction mixes time with space");
      }
    }
    l.dimension = 4;
    l.frames = io->GetDimensions(3);
    l.geometry.time_spacing = io->GetSpacing(3);
    l.geometry.time_origin = io->GetOrigin(3);
  }
  // Match itk::ImageFileReader, so that a file's content key does not depend
  // on which of the two loaded it: negative spacing flips its axis, and
  // -0.0 direction entries (NIfTI's quaternion maths makes them) read as +0.0
  // in an itk::Image.
  for (unsigned i = 0; i < 3; ++i) {
    if (l.geometry.spacing[i] < 0) {
      l.geometry.spacing[i] = -l.geometry.spacing[i];
      for (unsigned r = 0; r < 3; ++r) l.geometry.direction[3 * r + i] *= -1.0;
    }
  }
  for (double& d : l.geometry.direction) d += 0.0;  // -0.0 + 0.0 == +0.0
  const bool nifti = std::string(io->GetNameOfClass()) == "NiftiImageIO";
  if (nifti && itk_io::is_nifti(path)) {
    // The sform where there is one, as nibabel and FSL read NIfTI; ITK's
    // geometry above took the qform (itk/nifti_geometry.h).
    // The header's time axis too, not ITK's.
    Status geometry = itk_io::read_nifti_geometry(path, &l);
    if (!geometry.ok()) return geometry;
  }
  // A header's sizes are checked against the file before a buffer is sized
  // from them.
  if (nifti) {
    Status holds = itk_io::check_voxel_bytes(path, l);
    if (!holds.ok()) return holds;
  }
  // A singular direction, once taken for the identity, is refused by
  // Volume::Create.
  Result<Volume> v = Volume::Create(l);
  if (!v.ok()) return v.status().with_context(path);
  itk::ImageIORegion region(dims);
  for (unsigned i = 0; i < dims; ++i) {
    region.SetIndex(i, 0);
    region.SetSize(i, io->GetDimensions(i));
  }
  io->SetIORegion(region);
  // ITK's NIfTI reader turns NaN and infinity into 0, and a truncated file's
  // missing voxels too (itk/nifti_voxels.h).
  if (nifti) {
    bool read = false;
    Status s = itk_io::read_nifti_voxels(path, &*v, &read);
    if (!s.ok()) return s;
    if (read) return v;
  }
  io->Read(v->mutable_data());
  return v;
}

// Writes `v` to `path` through ITK, which decides the format by extension.
Status write_with_itk(const Volume& v, const std::string& path, bool compress) {
  try {
    itk::ImageIOBase::Pointer io =
        itk::ImageIOFactory::CreateImageIO(path.c_str(), itk::CommonEnums::IOFileMode::WriteMode);
    if (!io) return Status::NotSupported("no ITK writer for the extension of " + path);
    // ImageIOBase::SupportsDimension is a base-class default most 3D IOs do not
    // override, so name the 2D-only formats instead.
    const std::string ext = std::filesystem::path(path).extension().string();
    const bool flat = ext == ".png" || ext == ".jpg" || ext == ".jpeg" || ext == ".bmp";
    // The volume's axes the file's axes are: all three, or for a 2D format
    // the two that are not a single voxel thick (a slice on any axis). The
    // voxels are then already in the file's order.
    std::vector<unsigned> axes{0, 1, 2};
    // A 2D image in the plane z = 0 is written as one; another keeps its
    // third axis, which holds where its plane lies.
    const Geometry& g = v.geometry();
    if (v.dimension() == 2 && itk_detail::in_plane_z0(v)) axes = {0, 1};
    if (flat) {
      axes.clear();
      for (unsigned i = 0; i < 3; ++i) {
        if (v.size()[i] != 1) axes.push_back(i);
      }
      if (axes.size() > 2) {
        return Status::NotSupported(
            path + ": this format holds 2D images; the volume is " + std::to_string(v.size()[0]) +
            "x" + std::to_string(v.size()[1]) + "x" + std::to_string(v.size()[2]));
      }
      for (unsigned i = 0; axes.size() < 2; ++i) {  // a row or a voxel: pad with size-1 axes
        if (std::find(axes.begin(), axes.end(), i) == axes.end()) axes.push_back(i);
      }
      std::sort(axes.begin(), axes.end());
    }
    if (v.dimension() == 4 && flat) {
      return Status::NotSupported(path + ": this format holds 2D images; the volume is a series");
    }
    const unsigned space = static_cast<unsigned>(axes.size());
    const unsigned dims = space + (v.dimension() == 4 ? 1 : 0);
    io->SetNumberOfDimensions(dims);
    // NIfTI, NRRD and MetaImage have no bool: a mask is written as u8 0/1.
    io->SetComponentType(io_component_of(v.pixel_type()));
    io->SetNumberOfComponents(v.components());
    io->SetPixelType(v.components() == 1 ? itk::CommonEnums::IOPixel::SCALAR
                                         : itk::CommonEnums::IOPixel::VECTOR);
    itk::ImageIORegion region(dims);
    for (unsigned i = 0; i < space; ++i) {
      const unsigned a = axes[i];
      io->SetDimensions(i, v.size()[a]);
      io->SetSpacing(i, g.spacing[a]);
      io->SetOrigin(i, g.origin[a]);
      std::vector<double> axis(dims, 0.0);
      for (unsigned r = 0; r < space; ++r) axis[r] = g.direction[3 * axes[r] + a];
      io->SetDirection(i, axis);
      region.SetIndex(i, 0);
      region.SetSize(i, v.size()[a]);
    }
    if (dims > space) {  // the time axis of a series
      io->SetDimensions(space, v.frames());
      io->SetSpacing(space, g.time_spacing);
      io->SetOrigin(space, g.time_origin);
      std::vector<double> axis(dims, 0.0);
      axis[space] = 1.0;
      io->SetDirection(space, axis);
      region.SetIndex(space, 0);
      region.SetSize(space, v.frames());
    }
    io->SetIORegion(region);
    io->SetFileName(path);
    io->SetUseCompression(compress);
    io->WriteImageInformation();
    io->Write(v.data());
    if (std::string(io->GetNameOfClass()) != "NiftiImageIO" || flat) return Status::OK();
    Status fixed;
    if (!itk_io::orthonormal(g)) fixed = itk_io::write_exact_sform(path, g);
    if (fixed.ok() && v.dimension() == 4 && g.time_origin != 0.0) {
      fixed = itk_io::write_time_offset(path, g.time_origin);
    }
    return fixed;
  } catch (const itk::ExceptionObject& e) {
    return Status::IOError("ITK cannot write " + path + ": " + e.GetDescription());
  } catch (const std::exception& e) {
    return Status::IOError("writing " + path + ": " + e.what());
  }
}

// A folder name beside the target that is this process's alone: the writer
// writes there under the target's own file name, so that a header naming its
// data file (.nhdr, .mhd) names the file that will stand beside it.
std::string temporary_folder_name() {
  std::random_device rd;
  return ".voxcache-tmp-" + std::to_string(getpid()) + "-" + std::to_string(rd());
}

// `s` with every mention of the temporary file replaced by the target the
// user named: the temporary folder is voxcache's business, not theirs.
Status naming_target(const Status& s, const std::string& tmp, const std::string& target) {
  std::string msg = s.message();
  for (size_t at = msg.find(tmp); at != std::string::npos; at = msg.find(tmp, at + target.size())) {
    msg.replace(at, tmp.size(), target);
  }
  return s.with_message(std::move(msg));
}

}  // namespace

Result<Volume> read_image(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return Status::NotFound("no file " + path);
  try {
    if (std::filesystem::is_directory(path, ec)) return itk_io::read_dicom_series(path);
    itk::ImageIOBase::Pointer io =
        itk::ImageIOFactory::CreateImageIO(path.c_str(), itk::CommonEnums::IOFileMode::ReadMode);
    if (!io) {
      const std::string ext = std::filesystem::path(path).extension().string();
      // Debian's ITK has no MGH module; nibabel reads FreeSurfer's files.
      const bool mgh = ext == ".mgz" || ext == ".mgh";
      const char* what = mgh ? "FreeSurfer MGH" : itk_io::is_nifti2(path) ? "NIfTI-2" : nullptr;
      return Status::NotSupported(
          "no ITK reader accepts " + path +
          (what ? std::string(" (this ITK reads no ") + what +
                      "; in Python, voxcache.Volume.from_nibabel(nibabel.load(path)) stores it)"
                : std::string()));
    }
    if (std::string(io->GetNameOfClass()) == "NiftiImageIO") {
      Result<std::optional<Volume>> own = itk_io::read_nifti(path);
      if (!own.ok()) return own.status();
      if (*own) return std::move(**own);
    }
    return read_with(io.GetPointer(), path);
  } catch (const itk::ExceptionObject& e) {
    return Status::IOError("ITK cannot read " + path + ": " + e.GetDescription());
  } catch (const std::exception& e) {
    return Status::IOError("reading " + path + ": " + e.what());
  }
}

// ITK's NIfTI writer reports a file it cannot open on stderr, not by an
// exception, and any writer truncates the target before it fails. So the
// file is written into a temporary folder beside the target, under its own
// name, checked, and each file the writer made (two for .hdr/.img, .nhdr
// and .mhd with their data files) renamed beside it: the target is the new
// image or untouched, never half written, and "written" is said only of a
// file that exists.
Status write_image(const Volume& v, const std::string& path, bool compress) {
  return write_image(v, path, compress, std::string());
}

Result<std::string> read_nifti_header(const std::string& path) {
  return itk_io::nifti_header_bytes(path);
}

Status write_image(const Volume& v, const std::string& path, bool compress,
                   const std::string& nifti_header) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path target(path);
  const fs::path dir = target.has_parent_path() ? target.parent_path() : fs::path(".");
  if (!fs::is_directory(dir, ec)) {
    return Status::IOError("cannot write " + path + ": no directory " + dir.string());
  }
  if (access(dir.c_str(), W_OK) != 0) {
    return Status::IOError("cannot write " + path + ": " + dir.string() + " is not writable");
  }
  const fs::path tmp_dir = dir / temporary_folder_name();
  if (!fs::create_directory(tmp_dir, ec)) {
    return Status::IOError("cannot write " + path + ": " + ec.message());
  }
  const fs::path tmp = tmp_dir / target.filename();
  const std::string name = target.filename().string();
  const bool gz = name.size() > 7 && name.compare(name.size() - 7, 7, ".nii.gz") == 0;
  const bool nii = gz || (name.size() > 4 && name.compare(name.size() - 4, 4, ".nii") == 0);
  Result<bool> exact = false;
  if (nii && !nifti_header.empty()) {
    exact = itk_io::write_with_nifti_header(v, tmp.string(), nifti_header, gz);
  }
  Status s = exact.status();
  if (s.ok() && !*exact) s = write_with_itk(v, tmp.string(), compress);
  s = naming_target(s, tmp.string(), path);
  if (s.ok() && (!fs::exists(tmp, ec) || fs::file_size(tmp, ec) == 0)) {
    s = Status::IOError("cannot write " + path + ": the ITK writer produced no file");
  }
  // The companions first, the named file last: a reader that finds the
  // target finds its data beside it.
  std::vector<fs::path> made;
  for (const fs::directory_entry& e : fs::directory_iterator(tmp_dir, ec)) made.push_back(e.path());
  std::stable_partition(made.begin(), made.end(), [&](const fs::path& p) { return p != tmp; });
  for (const fs::path& p : made) {
    if (!s.ok()) break;
    fs::rename(p, dir / p.filename(), ec);
    if (ec) s = Status::IOError("cannot write " + path + ": " + ec.message());
  }
  fs::remove_all(tmp_dir, ec);
  return s;
}

}  // namespace voxcache
