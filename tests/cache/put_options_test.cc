// Per-call options (PutOptions, RecompressOptions) on the default Options,
// and the calls of voxcache 0.1 they replace, which forward for one release.

#include <gtest/gtest.h>

#include "test_support.h"
#include "voxcache/admin.h"
#include "voxcache/cache.h"

namespace voxcache {
namespace {

using testing::make_volume;
using testing::TempDir;

class PutOptionsTest : public ::testing::Test {
 protected:
  TempDir dir_;
  std::unique_ptr<Cache> cache_ = testing::open_cache(dir_.file("o.db"));
  const Volume volume_ = make_volume(PixelType::kInt16, 1, {24, 20, 18});
};

TEST_F(PutOptionsTest, EveryFieldReachesTheEntry) {
  const OperationKey src = content_key(volume_);
  const KeyBuilder recipe = KeyBuilder("smooth").arg("sigma", 2.0).input(src);
  PutOptions o;
  o.metadata_json = R"({"by": "test"})";
  o.layout = ChunkLayout::Bricks(8, 8, 8);
  o.recipe = &recipe;
  ASSERT_OK(cache_->put(recipe.build(), volume_, o));
  Result<EntryInfo> info = cache_->info(recipe.build());
  ASSERT_OK(info.status());
  EXPECT_EQ(info->metadata, R"({"by":"test"})");
  EXPECT_EQ(info->layout, ChunkLayout::Bricks(8, 8, 8));
  EXPECT_EQ(info->operation, "smooth");
  ASSERT_EQ(info->inputs.size(), 1u);
  EXPECT_EQ(info->inputs[0], src);
  EXPECT_TRUE(*cache_->get(recipe.build())->as_volume() == volume_);
}

TEST_F(PutOptionsTest, ARecipeOfAnotherKeyIsRefusedAndStoresNothing) {
  const KeyBuilder recipe = KeyBuilder("a");
  const OperationKey other = KeyBuilder("b").build();
  PutOptions o;
  o.recipe = &recipe;
  EXPECT_TRUE(cache_->put(other, Value(1), o).is_invalid_argument());
  EXPECT_TRUE(cache_->write_volume(other, volume_.layout(), o).status().is_invalid_argument());
  bool computed = false;
  Result<Value> v = cache_->get_or_compute(
      other,
      [&]() -> Result<Value> {
        computed = true;
        return Value(1);
      },
      o);
  EXPECT_TRUE(v.status().is_invalid_argument()) << v.status().to_string();
  EXPECT_FALSE(computed) << "options are checked before the work, not after it";
  EXPECT_FALSE(*cache_->contains(other));
  EXPECT_FALSE(*cache_->contains(recipe.build()));
}

TEST_F(PutOptionsTest, InputsGiveAKeyWithoutARecipeItsLineage) {
  const OperationKey a = KeyBuilder("a").build(), b = content_key(volume_);
  ASSERT_OK(cache_->put(a, Value(1)));
  ASSERT_OK(cache_->put(b, volume_));
  const OperationKey node = KeyBuilder("node").arg("id", 17).build();  // a pipeline's own name
  PutOptions o;
  o.inputs = {a, b};
  ASSERT_OK(cache_->put(node, Value(2), o));
  Result<EntryInfo> info = cache_->info(node);
  ASSERT_OK(info.status());
  EXPECT_EQ(info->inputs, (std::vector<OperationKey>{a, b}));
  EXPECT_TRUE(info->operation.empty()) << "no recipe";
  EXPECT_EQ(cache_->info(a)->dependents, std::vector<OperationKey>{node});
  // A recompress (a rewrite through the tier) keeps them.
  ASSERT_OK(cache_->admin().recompress(node, RecompressOptions{1, std::nullopt}).status());
  EXPECT_EQ(cache_->info(node)->inputs, (std::vector<OperationKey>{a, b}));

  const KeyBuilder recipe = KeyBuilder("r").input(a);
  o.recipe = &recipe;
  Status both = cache_->put(recipe.build(), Value(3), o);
  EXPECT_TRUE(both.is_invalid_argument()) << both.to_string();
  EXPECT_FALSE(*cache_->contains(recipe.build()));
}

TEST_F(PutOptionsTest, StoredSaysWhetherThisPutWroteTheEntry) {
  const OperationKey k = KeyBuilder("once").build();
  bool stored = false;
  PutOptions o;
  o.stored = &stored;
  ASSERT_OK(cache_->put(k, volume_, o));
  EXPECT_TRUE(stored);
  ASSERT_OK(cache_->put(k, volume_, o));
  EXPECT_FALSE(stored) << "present: nothing written";
  std::unique_ptr<Cache> other = testing::open_cache(dir_.file("o.db"));  // another handle
  stored = true;
  ASSERT_OK(other->put(k, Value(volume_), o));
  EXPECT_FALSE(stored);
  const OperationKey small = KeyBuilder("small").build();  // below the look-first size
  ASSERT_OK(other->put(small, Value(1), o));
  EXPECT_TRUE(stored);
  ASSERT_OK(cache_->put(small, Value(1), o));
  EXPECT_FALSE(stored);
  EXPECT_EQ(cache_->stats().puts, 1u);
}

TEST_F(PutOptionsTest, AChunkLayoutForAValueThatIsNotAVolumeIsRefused) {
  PutOptions o;
  o.layout = ChunkLayout::Bricks();
  const OperationKey k = KeyBuilder("scalar").build();
  Status s = cache_->put(k, Value(3.5), o);
  EXPECT_TRUE(s.is_invalid_argument()) << s.to_string();
  EXPECT_NE(s.message().find("for volumes"), std::string::npos) << s.to_string();
  EXPECT_FALSE(*cache_->contains(k));
  // A volume held in a Value takes it.
  ASSERT_OK(cache_->put(k, Value(volume_), o));
  EXPECT_EQ(cache_->info(k)->layout.kind, ChunkLayout::Kind::kBricks);
}

TEST_F(PutOptionsTest, AStreamedVolumeRecordsItsRecipeAndMetadata) {
  const KeyBuilder recipe = KeyBuilder("stream").arg("n", 1);
  PutOptions o;
  o.recipe = &recipe;
  o.metadata_json = "[1]";
  Result<std::unique_ptr<VolumeWriter>> w =
      cache_->write_volume(recipe.build(), volume_.layout(), o);
  ASSERT_OK(w.status());
  ASSERT_OK((*w)->write(volume_.data(), volume_.layout().byte_size()));
  ASSERT_OK((*w)->commit());
  Result<EntryInfo> info = cache_->info(recipe.build());
  ASSERT_OK(info.status());
  EXPECT_EQ(info->operation, "stream");
  EXPECT_EQ(info->metadata, "[1]");
  EXPECT_TRUE(*cache_->get(recipe.build())->as_volume() == volume_);
}

TEST_F(PutOptionsTest, RecompressOptionsByDefaultKeepLevelAndLayout) {
  const OperationKey k = KeyBuilder("r").build();
  ASSERT_OK(cache_->put(k, volume_));
  Result<RecompressReport> same = cache_->admin().recompress(k, RecompressOptions());
  ASSERT_OK(same.status());
  EXPECT_FALSE(same->changed);
  Result<RecompressReport> bricks =
      cache_->admin().recompress(k, RecompressOptions{-1, ChunkLayout::Bricks(8, 8, 8)});
  ASSERT_OK(bricks.status());
  EXPECT_TRUE(bricks->changed);
  EXPECT_EQ(cache_->info(k)->layout, ChunkLayout::Bricks(8, 8, 8));
  EXPECT_TRUE(*cache_->get(k)->as_volume() == volume_);
}

// The 0.1 calls, each once, so that a program written against them keeps
// working until they go.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
TEST_F(PutOptionsTest, TheCallsOfTheLastReleaseStillForward) {
  const KeyBuilder recipe = KeyBuilder("old").arg("n", 1);
  const OperationKey a = KeyBuilder("a").build(), b = KeyBuilder("b").build();
  ASSERT_OK(cache_->put(a, Value(1), "[1]"));
  ASSERT_OK(cache_->put(b, volume_, ChunkLayout::Bricks(8, 8, 8), "[2]"));
  ASSERT_OK(cache_->put(recipe, Value(2), "[3]"));
  EXPECT_EQ(cache_->info(a)->metadata, "[1]");
  EXPECT_EQ(cache_->info(b)->layout, ChunkLayout::Bricks(8, 8, 8));
  EXPECT_EQ(cache_->info(recipe.build())->operation, "old");
  Status stored = Status::IOError("unset");
  const OperationKey c = KeyBuilder("c").build();
  ASSERT_OK(cache_
                ->get_or_compute(
                    c, []() -> Result<Value> { return Value(4); }, "[4]", &stored)
                .status());
  ASSERT_OK(stored);
  EXPECT_EQ(cache_->info(c)->metadata, "[4]");

  ASSERT_OK(cache_->pin(a));
  EXPECT_TRUE(cache_->info(a)->pinned);
  ASSERT_OK(cache_->pin(a, false));
  EXPECT_FALSE(cache_->info(a)->pinned);
  ASSERT_OK(cache_->verify(b));
  EXPECT_EQ(cache_->list()->size(), 4u);
  EXPECT_EQ(*cache_->resolve_prefix(a.hex().substr(0, 12)), a);
  EXPECT_TRUE(cache_->recompress(b, 1, ChunkLayout::ZSlabs())->changed);
  EXPECT_EQ(cache_->stored_stats()->entries, 4u);
  EXPECT_TRUE(cache_->remote_stats().status().is_not_found());
  ASSERT_OK(cache_->vacuum());
  EXPECT_EQ(cache_->gc(Limits{0, 2, {}})->entries_left, 2u);
  EXPECT_EQ(cache_->clear(false)->entries_left, 0u);
}
#pragma GCC diagnostic pop

}  // namespace
}  // namespace voxcache
