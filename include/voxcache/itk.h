// ITK adapter (target voxcache::itk): itk::Image and itk::VectorImage to and
// from Volume, geometry bit-exact, and volume files read and written with ITK.
//
//   auto vol = voxcache::from_itk(reader->GetOutput());      // no voxel copy
//   cache->put(key, std::move(vol).value());
//   auto img = voxcache::to_itk<float>(*cache->get(key)->as_volume());
//
// Images of dimension 2, 3 and 4 (a 4D image is a series over time).
// Supported pixels: the scalar types of PixelType (bool too); fixed-length ITK pixels
// built on itk::FixedArray (itk::Vector, CovariantVector, RGBPixel, RGBAPixel,
// SymmetricSecondRankTensor) as multi-component volumes; itk::VectorImage.
// Any other pixel type fails to compile rather than storing the wrong bytes.

#ifndef VOXCACHE_ITK_H_
#define VOXCACHE_ITK_H_

#include <itkImage.h>
#include <itkImportImageContainer.h>
#include <itkVectorImage.h>

#include <cstring>
#include <memory>
#include <string>
#include <type_traits>

#include "voxcache/export.h"
#include "voxcache/status.h"
#include "voxcache/volume.h"

namespace voxcache {

// --- files --------------------------------------------------------------------

// Reads any volume ITK can read (.nii, .nii.gz, .nrrd, .nhdr, .mha, .mhd,
// .png, ...) of up to 3 dimensions and any supported component type, or a
// folder holding one DICOM series. NIfTI geometry is read as nibabel reads
// it (the sform first), and a file must hold every voxel its header
// promises (IOError otherwise).
// NotFound when the file does not exist; NotSupported when no ITK reader
// accepts it or its component type has no PixelType; IOError when ITK fails.
VOXCACHE_EXPORT Result<Volume> read_image(const std::string& path);

// Writes with the ITK writer chosen by the file's extension. 2D-only formats
// (PNG) take volumes with one z-slice. `compress` asks the writer for its own
// compression where it has one (.nii.gz is always compressed).
VOXCACHE_EXPORT Status write_image(const Volume& volume, const std::string& path,
                                   bool compress = true);

// The header of a single-file NIfTI-1 image (.nii, .nii.gz): its bytes up to
// vox_offset, extensions included, exactly as stored. Empty for any other
// file. `voxcache import` keeps it in the entry's metadata.
VOXCACHE_EXPORT Result<std::string> read_nifti_header(const std::string& path);

// write_image to .nii or .nii.gz with the header of the file the volume was
// read from: when the volume is still what that header describes (size,
// components, voxel type unscaled, and the geometry the header gives), the
// file is that header and the volume's voxels in the header's byte order,
// so that a .nii comes out byte-identical to the one imported and nibabel
// reads every header field back (sform and qform codes, descrip, aux_file,
// intent, units, cal_min/max, extensions). Otherwise, or for other formats,
// the plain write_image.
VOXCACHE_EXPORT Status write_image(const Volume& volume, const std::string& path, bool compress,
                                   const std::string& nifti_header);

// --- images -------------------------------------------------------------------

namespace itk_detail {

// Component type and count of an ITK pixel type.
template <typename TPixel, typename = void>
struct PixelTraits;
template <typename TPixel>
struct PixelTraits<TPixel, std::enable_if_t<std::is_arithmetic_v<TPixel>>> {
  using Component = TPixel;
  static constexpr unsigned kComponents = 1;
};
template <typename TPixel>
struct PixelTraits<TPixel, std::void_t<typename TPixel::ValueType, decltype(TPixel::Length)>> {
  using Component = typename TPixel::ValueType;
  static constexpr unsigned kComponents = TPixel::Length;
  static_assert(sizeof(TPixel) == sizeof(Component) * TPixel::Length,
                "pixel components must be contiguous");
};

// An ITK pixel container over memory owned by someone else, kept alive here.
template <typename TElement>
class SharedContainer : public itk::ImportImageContainer<itk::SizeValueType, TElement> {
 public:
  using Self = SharedContainer;
  using Superclass = itk::ImportImageContainer<itk::SizeValueType, TElement>;
  using Pointer = itk::SmartPointer<Self>;
  itkNewMacro(Self);
  itkTypeMacro(SharedContainer, ImportImageContainer);

  void share(std::shared_ptr<uint8_t> owner, itk::SizeValueType elements) {
    owner_ = std::move(owner);
    this->SetImportPointer(reinterpret_cast<TElement*>(owner_.get()), elements,
                           /*LetContainerManageMemory=*/false);
  }

 protected:
  SharedContainer() = default;
  ~SharedContainer() override = default;

 private:
  std::shared_ptr<uint8_t> owner_;
};

template <typename TImage>
Status check_buffer_is_whole(const TImage* image) {
  if (!image) return Status::InvalidArgument("null ITK image");
  if (image->GetBufferedRegion() != image->GetLargestPossibleRegion()) {
    return Status::InvalidArgument(
        "ITK image buffers only part of its largest region; update the whole image first");
  }
  return Status::OK();
}

// Geometry of an image of ImageDimension 2, 3 or 4 in voxcache's terms: a 2D
// image is the plane z = 0 (spacing 1 along z), a 4D image a series whose
// fourth axis is time. A 4D direction that mixes time with space has no
// place there and is refused.
template <typename TImage>
Result<VolumeLayout> layout_of(const TImage* image, PixelType type, unsigned components) {
  constexpr unsigned kDim = TImage::ImageDimension;
  static_assert(kDim >= 2 && kDim <= 4, "voxcache stores 2D, 3D and 4D images");
  constexpr unsigned kSpace = kDim < 3 ? kDim : 3;
  VolumeLayout l;
  l.pixel_type = type;
  l.components = components;
  l.dimension = kDim;
  l.size = {1, 1, 1};
  const auto region = image->GetBufferedRegion();
  const auto& d = image->GetDirection();
  for (unsigned i = 0; i < kSpace; ++i) {
    l.size[i] = region.GetSize(i);
    l.geometry.spacing[i] = image->GetSpacing()[i];
    for (unsigned j = 0; j < kSpace; ++j) l.geometry.direction[3 * i + j] = d(i, j);
  }
  // voxcache indices start at 0: a region starting elsewhere moves the origin
  // to the physical point of its first voxel.
  typename TImage::PointType origin = image->GetOrigin();
  typename TImage::IndexType zero;
  zero.Fill(0);
  if (region.GetIndex() != zero) image->TransformIndexToPhysicalPoint(region.GetIndex(), origin);
  for (unsigned i = 0; i < kSpace; ++i) l.geometry.origin[i] = origin[i];
  if constexpr (kDim == 4) {
    for (unsigned i = 0; i < 3; ++i) {
      if (d(i, 3) != 0.0 || d(3, i) != 0.0) {
        return Status::InvalidArgument(
            "the 4D image's direction mixes time with space: voxcache keeps a series as 3D "
            "volumes over time");
      }
    }
    if (d(3, 3) != 1.0) {
      return Status::InvalidArgument("the 4D image's time axis has direction " +
                                     std::to_string(d(3, 3)) + ", not 1");
    }
    l.frames = region.GetSize(3);
    l.geometry.time_spacing = image->GetSpacing()[3];
    l.geometry.time_origin = origin[3];
  }
  Status s = l.validate();
  if (!s.ok()) return s;
  return l;
}

// Whether `v` is the plane z = 0 an ITK 2D image is: one slice of one
// frame, origin z 0, spacing z 1, and a z axis of its own.
inline bool in_plane_z0(const Volume& v) {
  const Geometry& g = v.geometry();
  return v.size()[2] == 1 && v.frames() == 1 && g.direction[2] == 0.0 && g.direction[5] == 0.0 &&
         g.direction[6] == 0.0 && g.direction[7] == 0.0 && g.direction[8] == 1.0 &&
         g.origin[2] == 0.0 && g.spacing[2] == 1.0;
}

template <typename TImage>
Status apply_geometry(const Volume& v, TImage* image) {
  constexpr unsigned kDim = TImage::ImageDimension;
  static_assert(kDim >= 2 && kDim <= 4, "voxcache stores 2D, 3D and 4D images");
  constexpr unsigned kSpace = kDim < 3 ? kDim : 3;
  const Geometry& g = v.geometry();
  if (kDim == 2) {
    // Only an image in the plane z = 0 is an ITK 2D image unchanged.
    if (!in_plane_z0(v)) {
      return Status::InvalidArgument(
          "the volume is not a 2D image in the plane z = 0 (size, origin, spacing and direction "
          "along z): an ITK 2D image would lose that; use an image of dimension 3");
    }
  }
  if (kDim == 3 && v.dimension() == 4) {
    return Status::InvalidArgument("the volume is a series of " + std::to_string(v.frames()) +
                                   " frames: use an image of dimension 4");
  }
  typename TImage::RegionType region;
  typename TImage::SpacingType spacing;
  typename TImage::PointType origin;
  typename TImage::DirectionType direction;
  direction.SetIdentity();
  for (unsigned i = 0; i < kSpace; ++i) {
    region.SetSize(i, v.size()[i]);
    spacing[i] = g.spacing[i];
    origin[i] = g.origin[i];
    for (unsigned j = 0; j < kSpace; ++j) direction(i, j) = g.direction[3 * i + j];
  }
  if constexpr (kDim == 4) {
    region.SetSize(3, v.frames());
    spacing[3] = g.time_spacing;
    origin[3] = g.time_origin;
  }
  try {
    image->SetRegions(region);
    image->SetSpacing(spacing);
    image->SetOrigin(origin);
    image->SetDirection(direction);  // throws for a singular matrix
  } catch (const itk::ExceptionObject& e) {
    return Status::InvalidArgument(std::string("ITK rejects the geometry: ") + e.GetDescription());
  }
  return Status::OK();
}

template <typename TComponent>
Status check_pixels(const Volume& v, unsigned components) {
  if (v.pixel_type() != PixelTypeOf<TComponent>::value) {
    return Status::InvalidArgument("volume holds " + std::string(pixel_type_name(v.pixel_type())) +
                                   " voxels, the image needs " +
                                   std::string(pixel_type_name(PixelTypeOf<TComponent>::value)));
  }
  if (components && v.components() != components) {
    return Status::InvalidArgument("volume has " + std::to_string(v.components()) +
                                   " components per voxel, the image pixel has " +
                                   std::to_string(components) +
                                   (components == 1 ? " (use itk::VectorImage)" : ""));
  }
  return Status::OK();
}

// Gives `v`'s buffer to a new image without copying; the image keeps it alive.
template <typename TImage, typename TElement>
Status adopt_buffer(Volume&& v, TImage* image) {
  Status s = apply_geometry(v, image);
  if (!s.ok()) return s;
  auto container = SharedContainer<TElement>::New();
  container->share(v.shared_data(), v.byte_size() / sizeof(TElement));
  image->SetPixelContainer(container);
  return Status::OK();
}

template <typename TPixel, unsigned VDim>
Result<typename itk::Image<TPixel, VDim>::Pointer> make_image(Volume&& volume) {
  using Traits = PixelTraits<TPixel>;
  Status s = check_pixels<typename Traits::Component>(volume, Traits::kComponents);
  if (!s.ok()) return s;
  auto image = itk::Image<TPixel, VDim>::New();
  s = adopt_buffer<itk::Image<TPixel, VDim>, TPixel>(std::move(volume), image.GetPointer());
  if (!s.ok()) return s;
  return image;
}

template <typename TComponent, unsigned VDim>
Result<typename itk::VectorImage<TComponent, VDim>::Pointer> make_vector_image(Volume&& volume) {
  Status s = check_pixels<TComponent>(volume, 0);
  if (!s.ok()) return s;
  auto image = itk::VectorImage<TComponent, VDim>::New();
  image->SetNumberOfComponentsPerPixel(volume.components());
  s = adopt_buffer<itk::VectorImage<TComponent, VDim>, TComponent>(std::move(volume),
                                                                   image.GetPointer());
  if (!s.ok()) return s;
  return image;
}

template <typename TComponent, typename TImage>
Result<Volume> share_buffer(const TImage* image, unsigned components) {
  Status s = check_buffer_is_whole(image);
  if (!s.ok()) return s;
  Result<VolumeLayout> layout = layout_of(image, PixelTypeOf<TComponent>::value, components);
  if (!layout.ok()) return layout.status();
  auto* p = reinterpret_cast<uint8_t*>(
      const_cast<TComponent*>(reinterpret_cast<const TComponent*>(image->GetBufferPointer())));
  typename TImage::ConstPointer keep(image);
  return Volume::Adopt(*layout, std::shared_ptr<uint8_t>(p, [keep](uint8_t*) {}),
                       layout->byte_size());
}

}  // namespace itk_detail

// An itk::Image as a Volume. No voxels are copied: the volume shares the
// image's buffer and keeps the image alive, so writing into the image
// changes the volume. The cache never keeps such a volume as it is: a put
// reads it during the call, and a computed one is copied before the memory
// tier keeps it (owns_buffer() is false), so an in-place filter run on the
// image afterwards changes nothing the cache returns.
//
// Images of dimension 2, 3 and 4: a 2D image becomes a Volume of dimension 2
// (the plane z = 0), a 4D image a series (dimension 4) whose fourth axis is
// time; a 4D direction that mixes time and space is InvalidArgument.
template <typename TPixel, unsigned VDim>
Result<Volume> from_itk(const itk::Image<TPixel, VDim>* image) {
  using Traits = itk_detail::PixelTraits<TPixel>;
  return itk_detail::share_buffer<typename Traits::Component>(image, Traits::kComponents);
}

template <typename TComponent, unsigned VDim>
Result<Volume> from_itk(const itk::VectorImage<TComponent, VDim>* image) {
  return itk_detail::share_buffer<TComponent>(image,
                                              image ? image->GetNumberOfComponentsPerPixel() : 1);
}

// A Volume as itk::Image<TPixel, 3>. From an lvalue the voxels are copied
// once, so the image is the caller's to modify (in-place filters included):
// this is the form for a volume from a get, which the memory tier shares.
// From an rvalue the image takes the volume's buffer without a copy: only
// for a Volume the caller owns outright (one reached through a Value is
// const and cannot be moved from). InvalidArgument when the pixel type or
// component count does not match, or ITK rejects the geometry.
//
// VDim 2 takes a Volume in the plane z = 0 (one a 2D image gave, or any
// with one slice, origin z 0, spacing z 1 and the z axis its own), VDim 4 a
// series (any other volume is a series of one frame); VDim 3 refuses a
// series. Each refusal is InvalidArgument: a geometry is never dropped.
template <typename TPixel, unsigned VDim = 3>
Result<typename itk::Image<TPixel, VDim>::Pointer> to_itk(const Volume& volume) {
  return itk_detail::make_image<TPixel, VDim>(Volume(volume));
}
template <typename TPixel, unsigned VDim = 3>
Result<typename itk::Image<TPixel, VDim>::Pointer> to_itk(Volume&& volume) {
  return itk_detail::make_image<TPixel, VDim>(std::move(volume));
}

// The same for itk::VectorImage<TComponent, VDim>, any number of components.
template <typename TComponent, unsigned VDim = 3>
Result<typename itk::VectorImage<TComponent, VDim>::Pointer> to_itk_vector(const Volume& volume) {
  return itk_detail::make_vector_image<TComponent, VDim>(Volume(volume));
}
template <typename TComponent, unsigned VDim = 3>
Result<typename itk::VectorImage<TComponent, VDim>::Pointer> to_itk_vector(Volume&& volume) {
  return itk_detail::make_vector_image<TComponent, VDim>(std::move(volume));
}

}  // namespace voxcache

#endif  // VOXCACHE_ITK_H_
