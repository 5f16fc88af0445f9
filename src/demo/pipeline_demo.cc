// The quick-start demo: a small segmentation pipeline on the ch2 brain MRI,
// each step memoized with get_or_compute under a key built from the step's
// name, parameters and input keys. Run 1 computes and stores every step;
// run 2 opens the cache afresh, as the next pipeline process would, and
// decodes every step from disk; run 3 repeats in the same process and is
// served by the in-memory tier.

#include <itkConnectedComponentImageFilter.h>
#include <itkImageFileReader.h>
#include <itkOtsuThresholdImageFilter.h>
#include <itkRelabelComponentImageFilter.h>
#include <itkSmoothingRecursiveGaussianImageFilter.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>

#include "voxcache/cache.h"
#include "voxcache/itk.h"

namespace {

using voxcache::Cache;
using voxcache::KeyBuilder;
using voxcache::OperationKey;
using voxcache::Result;
using voxcache::Status;
using voxcache::Value;
using voxcache::Volume;

using U8 = itk::Image<uint8_t, 3>;
using F32 = itk::Image<float, 3>;
using U32 = itk::Image<uint32_t, 3>;

// Runs an ITK filter on `input` and returns its output as a Volume.
template <typename TIn, typename TOut, typename TFilter>
Result<Value> run_filter(const Value& input, TFilter* filter) {
  auto image = voxcache::to_itk<typename TIn::PixelType>(*input.as_volume());
  if (!image.ok()) return image.status();
  try {
    filter->SetInput(*image);
    filter->Update();
  } catch (const itk::ExceptionObject& e) {
    return Status::IOError(std::string("ITK filter failed: ") + e.GetDescription());
  }
  typename TOut::Pointer out = filter->GetOutput();
  out->DisconnectPipeline();
  Result<Volume> v = voxcache::from_itk(out.GetPointer());
  if (!v.ok()) return v.status();
  return Value(std::move(v).value());
}

struct Step {
  const char* name;
  KeyBuilder recipe;  // stored with the result: `voxcache show` lists its inputs
  std::function<Result<Value>(const Value& input)> compute;
};

int run_pipeline(Cache* cache, const Value& source, const OperationKey& source_key, int run,
                 const char* what) {
  // Keys come from the recipe alone: no step needs its input's voxels to know
  // whether its own result is cached.
  const KeyBuilder smooth =
      KeyBuilder("itk.SmoothingRecursiveGaussian").arg("sigma_mm", 1.5).input(source_key);
  const KeyBuilder otsu = KeyBuilder("itk.OtsuThreshold")
                              .arg("bins", 128)
                              .arg("inside", 0)
                              .arg("outside", 1)
                              .input(smooth.build());
  const KeyBuilder cc = KeyBuilder("itk.ConnectedComponents+Relabel")
                            .arg("fully_connected", false)
                            .arg("min_size", 1000)
                            .input(otsu.build());

  const Step steps[] = {
      {"smooth (sigma 1.5 mm, f32)", smooth,
       [](const Value& in) {
         auto f = itk::SmoothingRecursiveGaussianImageFilter<U8, F32>::New();
         f->SetSigma(1.5);
         return run_filter<U8, F32>(in, f.GetPointer());
       }},
      {"otsu threshold (u8 mask)", otsu,
       [](const Value& in) {
         auto f = itk::OtsuThresholdImageFilter<F32, U8>::New();
         f->SetNumberOfHistogramBins(128);
         f->SetInsideValue(0);
         f->SetOutsideValue(1);
         return run_filter<F32, U8>(in, f.GetPointer());
       }},
      {"connected components (u32)", cc,
       [](const Value& in) -> Result<Value> {
         auto image = voxcache::to_itk<uint8_t>(*in.as_volume());
         if (!image.ok()) return image.status();
         auto cc = itk::ConnectedComponentImageFilter<U8, U32>::New();
         cc->SetInput(*image);
         auto relabel = itk::RelabelComponentImageFilter<U32, U32>::New();
         relabel->SetMinimumObjectSize(1000);
         relabel->SetInput(cc->GetOutput());
         try {
           relabel->Update();
         } catch (const itk::ExceptionObject& e) {
           return Status::IOError(std::string("ITK filter failed: ") + e.GetDescription());
         }
         U32::Pointer out = relabel->GetOutput();
         out->DisconnectPipeline();
         Result<Volume> v = voxcache::from_itk(out.GetPointer());
         if (!v.ok()) return v.status();
         return Value(std::move(v).value());
       }},
  };

  std::printf("\nrun %d: %s\n", run, what);
  std::printf("  %-30s %-6s %11s %10s %10s %7s  %s\n", "step", "cache", "time", "raw", "stored",
              "ratio", "key");
  Value current = source;
  for (const Step& step : steps) {
    bool computed = false;
    const uint64_t memory_hits = cache->stats().memory_hits;
    const auto t0 = std::chrono::steady_clock::now();
    const Value input = current;
    Result<Value> out = cache->get_or_compute(
        step.recipe,
        [&]() {
          computed = true;
          return step.compute(input);
        },
        voxcache::PutOptions{R"({"demo": "ch2 segmentation"})"});
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (!out.ok()) {
      std::fprintf(stderr, "step %s failed: %s\n", step.name, out.status().to_string().c_str());
      return 1;
    }
    Result<voxcache::EntryInfo> info = cache->info(step.recipe.build());
    if (!info.ok()) {
      std::fprintf(stderr, "info failed: %s\n", info.status().to_string().c_str());
      return 1;
    }
    const char* outcome = computed                                   ? "miss"
                          : cache->stats().memory_hits > memory_hits ? "memory"
                                                                     : "disk";
    std::printf("  %-30s %-6s %8.2f ms %7.2f MiB %7.2f MiB %6.1fx  %s\n", step.name, outcome, ms,
                info->raw_bytes / 1048576.0, info->stored_bytes / 1048576.0, info->ratio(),
                step.recipe.build().hex().substr(0, 16).c_str());
    current = std::move(out).value();
  }
  if (const uint32_t* labels = current.as_volume()->pixels<uint32_t>()) {
    uint32_t max_label = 0;
    for (uint64_t i = 0; i < current.as_volume()->voxel_count(); ++i) {
      max_label = labels[i] > max_label ? labels[i] : max_label;
    }
    std::printf("  result: %u connected components of at least 1000 voxels\n", max_label);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string db = "demo-cache.db";
  std::string input = "/usr/share/mricron/templates/ch2.nii.gz";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--db")
      db = argv[i + 1];
    else if (flag == "--input")
      input = argv[i + 1];
  }
  if (argc % 2 == 0) {
    std::fprintf(stderr, "usage: voxcache-demo [--db FILE] [--input VOLUME]\n");
    return 2;
  }
  // A cold start, so the first run really computes.
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(db + suffix);

  auto cache = Cache::Open(db);
  if (!cache.ok()) {
    std::fprintf(stderr, "%s\n", cache.status().to_string().c_str());
    return 1;
  }
  using Reader = itk::ImageFileReader<U8>;
  auto reader = Reader::New();
  reader->SetFileName(input);
  try {
    reader->Update();
  } catch (const itk::ExceptionObject& e) {
    std::fprintf(stderr, "cannot read %s: %s\n", input.c_str(), e.GetDescription());
    return 1;
  }
  Result<Volume> vol = voxcache::from_itk(reader->GetOutput());
  if (!vol.ok()) {
    std::fprintf(stderr, "%s\n", vol.status().to_string().c_str());
    return 1;
  }
  const OperationKey source_key = voxcache::content_key(*vol);
  Value source(std::move(vol).value());
  const auto& size = source.as_volume()->size();
  std::printf("voxcache demo: %s (%llux%llux%llu u8), cache %s\n", input.c_str(),
              static_cast<unsigned long long>(size[0]), static_cast<unsigned long long>(size[1]),
              static_cast<unsigned long long>(size[2]), db.c_str());
  std::printf("source content key %s\n", source_key.hex().c_str());
  if (Status s =
          (*cache)->put(source_key, source, voxcache::PutOptions{R"({"demo": "ch2 input"})"});
      !s.ok()) {
    std::fprintf(stderr, "%s\n", s.to_string().c_str());
    return 1;
  }
  if (int rc =
          run_pipeline(cache->get(), source, source_key, 1, "cold cache, every step computed")) {
    return rc;
  }
  cache->reset();  // close, and open again as the next pipeline process would
  cache = Cache::Open(db);
  if (!cache.ok()) {
    std::fprintf(stderr, "%s\n", cache.status().to_string().c_str());
    return 1;
  }
  if (int rc = run_pipeline(cache->get(), source, source_key, 2, "new cache handle, from disk")) {
    return rc;
  }
  return run_pipeline(cache->get(), source, source_key, 3, "same handle, in-memory tier");
}
