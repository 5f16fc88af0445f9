// The entry reader (cache/entry_reader.cc): ranges in ordered batches of
// their own chunks, and the checks only a whole read can make, the count of
// chunks among them, before anything is sized from the header.

#include "cache/entry_reader.h"

#include <gtest/gtest.h>

#include <cstring>

#include "cache/pipeline_fixture.h"

namespace voxcache::cache {
namespace {

TEST_F(PipelineTest, APartialRangeComesInOrderedBatchesOfItsChunksOnly) {
  ASSERT_OK(write(id_, volume_).status());
  std::unique_ptr<EntryReader> r = reader(id_);
  const uint64_t cb = r->header().chunk_bytes;
  ASSERT_GE(r->header().chunk_count, 19u);
  ASSERT_OK(r->start(2, 19, nullptr));
  uint64_t next = 2;
  uint64_t batches = 0;
  const uint64_t per_batch = chunks_per_batch(cb, 2);
  for (;;) {
    Result<EntryReader::Batch> b = r->next();
    ASSERT_OK(b.status());
    if (b->chunks == 0) break;
    EXPECT_EQ(b->first_chunk, next);
    EXPECT_LE(b->chunks, per_batch);
    EXPECT_EQ(std::memcmp(b->data, volume_.data() + next * cb, b->bytes), 0);
    next += b->chunks;
    ++batches;
  }
  EXPECT_EQ(next, 19u);
  EXPECT_EQ(batches, (17 + per_batch - 1) / per_batch);
}

TEST_F(PipelineTest, AWholeReadCatchesAnExtraChunkRowAPartialOneNeedNot) {
  ASSERT_OK(write(id_, volume_).status());
  testing::raw_sql(path_,
                   "INSERT INTO chunks SELECT operation_id, 99, data FROM chunks WHERE "
                   "chunk_index = 0");
  std::unique_ptr<EntryReader> partial = reader(id_);
  ASSERT_OK(partial->start(0, 3, nullptr));
  ASSERT_OK(partial->next().status());
  Status s = pipeline().check_all(reader(id_).get());
  EXPECT_TRUE(s.is_corruption()) << s.to_string();
  EXPECT_NE(s.message().find("22 chunk rows"), std::string::npos) << s.message();
}

TEST_F(PipelineTest, AWholeReadCountsTheChunksBeforeSizingAnything) {
  ASSERT_OK(write(id_, volume_).status());
  testing::raw_sql(path_, "DELETE FROM chunks WHERE chunk_index = 4");
  std::unique_ptr<EntryReader> r = reader(id_);
  Status s = r->check_chunk_count();
  EXPECT_TRUE(s.is_corruption()) << s.to_string();
  EXPECT_NE(s.message().find("chunk 4 is missing"), std::string::npos) << s.message();
  EXPECT_TRUE(pipeline().read_value(reader(id_).get()).status().is_corruption());
}

}  // namespace
}  // namespace voxcache::cache
