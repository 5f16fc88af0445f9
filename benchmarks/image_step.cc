// image-step: three ITK filters as separate command-line tools, the way
// imaging pipelines call FSL or ANTs, for the `voxcache run` benchmark.
//
//   image-step smooth IN OUT       recursive Gaussian, sigma 1.5 mm -> f32
//   image-step otsu IN OUT         Otsu threshold, 128 bins -> u8 mask
//   image-step components IN OUT   connected components, relabelled -> u32

#include <itkConnectedComponentImageFilter.h>
#include <itkImageFileReader.h>
#include <itkImageFileWriter.h>
#include <itkOtsuThresholdImageFilter.h>
#include <itkRelabelComponentImageFilter.h>
#include <itkSmoothingRecursiveGaussianImageFilter.h>

#include <cstdio>
#include <string>

namespace {

// Reads `in` into `first`, writes what `last` (the end of a chain that
// starts at `first`) makes to `out`.
template <typename TIn, typename TOut, typename TFirst, typename TLast>
int run(const char* in, const char* out, TFirst* first, TLast* last) {
  auto reader = itk::ImageFileReader<TIn>::New();
  reader->SetFileName(in);
  first->SetInput(reader->GetOutput());
  auto writer = itk::ImageFileWriter<TOut>::New();
  writer->SetFileName(out);
  writer->SetInput(last->GetOutput());
  writer->SetUseCompression(true);
  try {
    writer->Update();
  } catch (const itk::ExceptionObject& e) {
    std::fprintf(stderr, "image-step: %s\n", e.GetDescription());
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: image-step smooth|otsu|components IN OUT\n");
    return 2;
  }
  using U8 = itk::Image<uint8_t, 3>;
  using F32 = itk::Image<float, 3>;
  using U32 = itk::Image<uint32_t, 3>;
  const std::string step = argv[1];
  if (step == "smooth") {
    auto f = itk::SmoothingRecursiveGaussianImageFilter<U8, F32>::New();
    f->SetSigma(1.5);
    return run<U8, F32>(argv[2], argv[3], f.GetPointer(), f.GetPointer());
  }
  if (step == "otsu") {
    auto f = itk::OtsuThresholdImageFilter<F32, U8>::New();
    f->SetNumberOfHistogramBins(128);
    f->SetInsideValue(0);
    f->SetOutsideValue(1);
    return run<F32, U8>(argv[2], argv[3], f.GetPointer(), f.GetPointer());
  }
  if (step == "components") {
    // Connected components, then relabelled by size (objects under 1000 voxels dropped).
    auto cc = itk::ConnectedComponentImageFilter<U8, U32>::New();
    auto relabel = itk::RelabelComponentImageFilter<U32, U32>::New();
    relabel->SetMinimumObjectSize(1000);
    relabel->SetInput(cc->GetOutput());
    return run<U8, U32>(argv[2], argv[3], cc.GetPointer(), relabel.GetPointer());
  }
  std::fprintf(stderr, "image-step: unknown step %s\n", step.c_str());
  return 2;
}
