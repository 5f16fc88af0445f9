// Streaming put and get (cache/streams.cc): pieces of any size in, slabs of
// whole z-slices out, errors, and corruption in the middle of a stream.

#include <gtest/gtest.h>

#include <cstring>

#include "test_support.h"
#include "voxcache/cache.h"

namespace voxcache {
namespace {

using testing::open_cache;
using testing::TempDir;

class StreamTest : public testing::SmallChunkCacheTest {};

TEST_F(StreamTest, StreamingPutThenFullGetEqualsTheVolume) {
  const OperationKey k = KeyBuilder("streamed").build();
  auto w = cache_->write_volume(k, volume_.layout(), PutOptions{R"({"via": "stream"})"});
  ASSERT_OK(w.status());
  // Pieces of odd sizes, not aligned to slices, rows or chunks.
  uint64_t at = 0;
  for (uint64_t piece = 1; at < volume_.byte_size(); piece = piece * 3 + 7) {
    const uint64_t n = std::min(piece, volume_.byte_size() - at);
    ASSERT_OK((*w)->write(volume_.data() + at, n));
    at += n;
  }
  EXPECT_TRUE(cache_->get(k).status().is_not_found()) << "invisible before commit";
  ASSERT_OK((*w)->commit());
  Result<Value> v = cache_->get(k);
  ASSERT_OK(v.status());
  EXPECT_EQ(*v->as_volume(), volume_);
  EXPECT_EQ(cache_->info(k)->metadata, R"({"via":"stream"})");
  // Same stored entry as a plain put of the same volume, given the same
  // filter: a stream decides the filter from its first batch, a put from
  // samples across the payload (docs/format.md 2.4), so the test says which.
  const OperationKey k2 = KeyBuilder("plain").build();
  ASSERT_OK(cache_->put(k2, volume_));
  EXPECT_EQ(cache_->info(k2)->checksum, cache_->info(k)->checksum);
  Options o;
  o.chunk_bytes = 4096;
  o.shuffle = ShuffleMode::kAlways;
  auto fixed = testing::open_cache(dir_.file("fixed-filter.db"), o);
  auto w2 = fixed->write_volume(k, volume_.layout());
  ASSERT_OK(w2.status());
  ASSERT_OK((*w2)->write(volume_.data(), volume_.byte_size()));
  ASSERT_OK((*w2)->commit());
  ASSERT_OK(fixed->put(k2, volume_));
  EXPECT_EQ(fixed->info(k2)->stored_bytes, fixed->info(k)->stored_bytes);
  EXPECT_EQ(fixed->info(k)->filter, "shuffle");
}

TEST_F(StreamTest, FullPutThenStreamingGetEqualsTheVolume) {
  const OperationKey k = KeyBuilder("full").build();
  // Larger than three batches of chunks (at most 8 MiB each).
  const Volume volume = testing::make_ramp_volume(PixelType::kInt16, 1, {128, 128, 300});
  ASSERT_OK(cache_->put(k, volume));
  auto r = cache_->read_volume(k);
  ASSERT_OK(r.status());
  EXPECT_EQ((*r)->layout().size, volume.size());
  std::string got;
  uint64_t slabs = 0;
  const uint64_t slice = 128 * 128 * 2;
  for (;;) {
    Result<VolumeReader::Slab> s = (*r)->next();
    ASSERT_OK(s.status());
    if (s->bytes == 0) break;
    EXPECT_EQ(s->offset, got.size());
    EXPECT_EQ(s->offset % slice, 0u) << "slabs start on whole z-slices";
    got.append(reinterpret_cast<const char*>(s->data), s->bytes);
    ++slabs;
  }
  EXPECT_GT(slabs, 2u);
  ASSERT_EQ(got.size(), volume.byte_size());
  EXPECT_EQ(std::memcmp(got.data(), volume.data(), got.size()), 0);
}

TEST_F(StreamTest, StreamingErrors) {
  const OperationKey k = KeyBuilder("short").build();
  {
    auto w = cache_->write_volume(k, volume_.layout());
    ASSERT_OK(w.status());
    ASSERT_OK((*w)->write(volume_.data(), 100));
    EXPECT_TRUE((*w)->commit().is_invalid_argument()) << "too few bytes";
  }
  EXPECT_TRUE(cache_->get(k).status().is_not_found()) << "nothing stored";
  {
    auto w = cache_->write_volume(k, volume_.layout());
    ASSERT_OK(w.status());
    ASSERT_OK((*w)->write(volume_.data(), volume_.byte_size()));
    EXPECT_TRUE((*w)->write(volume_.data(), 1).is_invalid_argument()) << "too many bytes";
    EXPECT_TRUE((*w)->commit().is_invalid_argument()) << "a failed writer stays failed";
  }
  {
    auto w = cache_->write_volume(k, volume_.layout());
    ASSERT_OK(w.status());
    ASSERT_OK((*w)->write(volume_.data(), 5000));
  }  // dropped without commit
  EXPECT_TRUE(cache_->get(k).status().is_not_found());
  VolumeLayout bad = volume_.layout();
  bad.geometry.spacing[0] = 0;
  EXPECT_TRUE(cache_->write_volume(k, bad).status().is_invalid_argument());
  EXPECT_TRUE(cache_->read_volume(k).status().is_not_found());
  ASSERT_OK(cache_->put(KeyBuilder("scalar").build(), Value(1.5)));
  EXPECT_TRUE(cache_->read_volume(KeyBuilder("scalar").build()).status().is_invalid_argument());

  // A present key: the writer takes the bytes and stores nothing new.
  ASSERT_OK(cache_->put(k, volume_));
  auto again = cache_->write_volume(k, volume_.layout());
  ASSERT_OK(again.status());
  ASSERT_OK((*again)->write(volume_.data(), volume_.byte_size()));
  ASSERT_OK((*again)->commit());
}

TEST_F(StreamTest, CorruptChunkStopsTheStreamWithCorruption) {
  const OperationKey k = KeyBuilder("c").build();
  ASSERT_OK(cache_->put(k, volume_));
  testing::flip_blob_byte(dir_.file("small-chunks.db"), "chunks", "chunk_index = 5", 40);
  auto r = cache_->read_volume(k);
  ASSERT_OK(r.status());
  Status end = Status::OK();
  for (int i = 0; i < 100 && end.ok(); ++i) {
    Result<VolumeReader::Slab> s = (*r)->next();
    if (!s.ok())
      end = s.status();
    else if (s->bytes == 0)
      break;
    else
      EXPECT_LT(s->offset, 5u * 4096 - 4096 % 1702) << "the bad chunk is never handed out";
  }
  EXPECT_TRUE(end.is_corruption()) << end.to_string();
  EXPECT_NE(end.message().find("chunk 5"), std::string::npos) << end.message();
}

}  // namespace
}  // namespace voxcache
