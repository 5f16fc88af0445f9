// The pipeline (cache/pipeline.cc) over a real local tier: writing, reading
// back, checking, chunk planning, metadata.

#include "cache/pipeline.h"

#include <gtest/gtest.h>

#include "cache/pipeline_fixture.h"

namespace voxcache::cache {
namespace {

TEST_F(PipelineTest, WritesReadsBackAndReportsAPresentKeyAsZeroBytes) {
  Result<uint64_t> stored = write(id_, volume_);
  ASSERT_OK(stored.status());
  EXPECT_GT(*stored, 0u);
  EXPECT_EQ(*write(id_, volume_), 0u) << "present: nothing written";
  std::unique_ptr<EntryReader> r = reader(id_);
  EXPECT_EQ(r->header().chunk_count, 21u);
  Result<Value> v = pipeline().read_value(r.get());
  ASSERT_OK(v.status());
  EXPECT_EQ(*v->as_volume(), volume_);
}

TEST_F(PipelineTest, CheckAllNamesTheBadChunk) {
  ASSERT_OK(write(id_, volume_).status());
  testing::flip_blob_byte(path_, "chunks", "chunk_index = 7", 30);
  Status s = pipeline().check_all(reader(id_).get());
  EXPECT_TRUE(s.is_corruption()) << s.to_string();
  EXPECT_NE(s.message().find("chunk 7"), std::string::npos) << s.message();
}

TEST_F(PipelineTest, ChunksStayWithinTheLargestValueTheStoreTakes) {
  Pipeline small(options_, &threads_, util::Env::Default(), /*max_value_bytes=*/2048);
  Result<codec::Payload> payload = codec::serialize_volume(volume_);
  ASSERT_OK(small
                .write(std::move(local_->create(id_, false)).value(), *payload,
                       {id_, std::nullopt, {}, 3})
                .status());
  std::unique_ptr<EntryReader> r = reader(id_);
  EXPECT_LE(r->header().chunk_bytes, 2048u - codec::kChunkHeaderBytes);
  EXPECT_EQ(*pipeline().read_value(r.get())->as_volume(), volume_);
}

TEST(NormalizeMetadata, EmptyStaysEmptyJsonIsReserializedAnythingElseIsRefused) {
  EXPECT_FALSE(normalize_metadata("")->has_value());
  EXPECT_EQ(**normalize_metadata(R"({ "a" : [1, 2] })"), R"({"a":[1,2]})");
  EXPECT_TRUE(normalize_metadata("{nope").status().is_invalid_argument());
}

}  // namespace
}  // namespace voxcache::cache
