// A Pipeline over a real local tier in a temporary database, for the tests
// of the pipeline and of the entry reader it drives.

#ifndef VOXCACHE_TESTS_CACHE_PIPELINE_FIXTURE_H_
#define VOXCACHE_TESTS_CACHE_PIPELINE_FIXTURE_H_

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "cache/pipeline.h"
#include "store/catalog.h"
#include "test_support.h"
#include "tier/local_tier.h"

namespace voxcache::cache {

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    options_.chunk_bytes = 4096;
    options_.threads = 2;
    catalog_ =
        std::move(store::Catalog::Open(path_, store::Database::OpenOptions(), util::Env::Default()))
            .value();
    local_ = std::make_unique<tier::LocalTier>(catalog_.get());
  }
  Result<uint64_t> write(const std::string& id, const Volume& v) {
    Result<codec::Payload> payload = codec::serialize_volume(v);
    EXPECT_TRUE(payload.ok());
    return pipeline().write(std::move(local_->create(id, false)).value(), *payload,
                            {id, std::nullopt, {}, 3});
  }
  std::unique_ptr<EntryReader> reader(const std::string& id) {
    return std::move(pipeline().reader(std::move(local_->open(id)).value(), true)).value();
  }
  Pipeline pipeline() { return Pipeline(options_, &threads_, util::Env::Default(), 1 << 30); }

  testing::TempDir dir_;
  const std::string path_ = dir_.file("p.db");
  Options options_;
  util::ThreadPool threads_{2};
  std::unique_ptr<store::Catalog> catalog_;
  std::unique_ptr<tier::LocalTier> local_;
  const std::string id_ = std::string(64, 'c');
  // 37 x 23 x 41 int16: 1702-byte slices, two a chunk: 21 chunks.
  const Volume volume_ = testing::make_ramp_volume(PixelType::kInt16, 1, {37, 23, 41});
};

}  // namespace voxcache::cache

#endif  // VOXCACHE_TESTS_CACHE_PIPELINE_FIXTURE_H_
