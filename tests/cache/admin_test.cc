// Administration (cache/admin.cc): lineage, intensity statistics, verify,
// recompress, vacuum, and read-only refusal.

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <nlohmann/json.hpp>

#include "test_support.h"
#include "voxcache/cache.h"

namespace voxcache {
namespace {

using testing::make_volume;
using testing::TempDir;

class AdminTest : public ::testing::Test {
 protected:
  std::unique_ptr<Cache> open(Options o = Options()) {
    Result<std::unique_ptr<Cache>> c = Cache::Open(path_, o);
    EXPECT_TRUE(c.ok()) << c.status().to_string();
    return c.ok() ? std::move(c).value() : nullptr;
  }
  static OperationKey k(int i) { return KeyBuilder("entry").arg("i", i).build(); }
  // ~100 KiB stored each: noise does not compress.
  static Volume noise(int seed) {
    return make_volume(PixelType::kUInt8, 1, {64, 40, 40}, seed, /*smooth=*/false);
  }
  TempDir dir_;
  std::string path_ = dir_.file("m.db");
};

TEST_F(AdminTest, LineageRecordsRecipesInputsAndDependents) {
  auto c = open();
  const Volume src = make_volume(PixelType::kUInt8, 1, {8, 8, 8});
  const OperationKey src_key = content_key(src);
  ASSERT_OK(c->put(src_key, src));
  const KeyBuilder smooth = KeyBuilder("smooth")
                                .arg("sigma", 1.5)
                                .arg("tags", std::vector<KeyArg>{"a", 2})
                                .input(src_key);
  int calls = 0;
  Result<Value> out = c->get_or_compute(smooth, [&]() -> Result<Value> {
    ++calls;
    return Value(src);
  });
  ASSERT_OK(out.status());
  const KeyBuilder sum = KeyBuilder("sum").input(src_key).input(smooth.build());
  ASSERT_OK(c->put(sum, Value(42)));

  Result<EntryInfo> info = c->info(smooth.build());
  ASSERT_OK(info.status());
  EXPECT_EQ(info->operation, "smooth");
  ASSERT_EQ(info->inputs.size(), 1u);
  EXPECT_EQ(info->inputs[0], src_key);
  ASSERT_EQ(info->dependents.size(), 1u);
  EXPECT_EQ(info->dependents[0], sum.build());
  const nlohmann::json recipe = nlohmann::json::parse(info->recipe_json);
  EXPECT_EQ(recipe["operation"], "smooth");
  EXPECT_EQ(recipe["args"][0]["name"], "sigma");
  EXPECT_EQ(recipe["args"][0]["value"], 1.5);
  EXPECT_EQ(recipe["args"][1]["type"], "list");
  EXPECT_EQ(recipe["args"][1]["value"], nlohmann::json::parse(R"(["a", 2])"));
  EXPECT_EQ(recipe["inputs"][0], src_key.hex());

  Result<EntryInfo> src_info = c->info(src_key);
  EXPECT_EQ(src_info->dependents.size(), 2u);
  EXPECT_TRUE(src_info->operation.empty());
  ASSERT_OK(c->erase(sum.build()));
  EXPECT_EQ(c->info(smooth.build())->dependents.size(), 0u) << "erase drops lineage rows";
}

TEST_F(AdminTest, IntensityStatisticsAreComputedWhileWriting) {
  Options o;
  o.chunk_bytes = 4096;  // many chunks: the statistics are merged across them
  auto c = open(o);
  VolumeLayout l;
  l.pixel_type = PixelType::kInt16;
  l.components = 2;
  l.size = {32, 32, 16};
  Volume v = Volume::Create(l).value();
  int16_t* p = v.mutable_pixels<int16_t>();
  double sum0 = 0;
  for (uint64_t i = 0; i < v.voxel_count(); ++i) {
    p[2 * i] = static_cast<int16_t>(i % 1000 - 200);  // component 0: -200..799
    p[2 * i + 1] = 7;                                 // component 1: constant
    sum0 += p[2 * i];
  }
  ASSERT_OK(c->put(k(1), v));
  const nlohmann::json j = nlohmann::json::parse(c->info(k(1))->intensity_json);
  ASSERT_EQ(j.size(), 2u);
  EXPECT_EQ(j[0]["min"], -200.0);
  EXPECT_EQ(j[0]["max"], 799.0);
  EXPECT_NEAR(j[0]["mean"].get<double>(), sum0 / v.voxel_count(), 1e-9);
  EXPECT_EQ(j[0]["count"], v.voxel_count());
  uint64_t total = 0;
  for (uint64_t b : j[0]["histogram"]) total += b;
  EXPECT_EQ(total, v.voxel_count()) << "every value is in one bin";
  EXPECT_EQ(j[1]["min"], 7.0);
  EXPECT_EQ(j[1]["max"], 7.0);
  EXPECT_EQ(j[1]["histogram"][0], v.voxel_count());

  VolumeLayout f;
  f.pixel_type = PixelType::kFloat32;
  f.size = {4, 1, 1};
  Volume nan = Volume::Create(f).value();
  float* q = nan.mutable_pixels<float>();
  q[0] = 1.5f;
  q[1] = std::numeric_limits<float>::quiet_NaN();
  q[2] = -std::numeric_limits<float>::infinity();
  q[3] = 2.5f;
  ASSERT_OK(c->put(k(2), nan));
  const nlohmann::json n = nlohmann::json::parse(c->info(k(2))->intensity_json);
  EXPECT_EQ(n[0]["non_finite"], 2);
  EXPECT_EQ(n[0]["min"], 1.5);
  EXPECT_EQ(n[0]["mean"], 2.0);
  ASSERT_OK(c->put(k(3), Value("text")));
  EXPECT_TRUE(c->info(k(3))->intensity_json.empty());
}

TEST_F(AdminTest, VerifyFindsAFlippedByteWhateverTheOptions) {
  Options o;
  o.verify_checksums = false;
  auto c = open(o);
  ASSERT_OK(c->put(k(1), noise(1)));
  ASSERT_OK(c->put(k(2), noise(2)));
  ASSERT_OK(c->admin().verify(k(1)));
  testing::flip_blob_byte(path_, "chunks",
                          "chunk_index = 0 AND operation_id = '" + k(1).hex() + "'", 500);
  Status s = c->admin().verify(k(1));
  EXPECT_TRUE(s.is_corruption()) << s.to_string();
  EXPECT_NE(s.message().find(k(1).hex()), std::string::npos);
  EXPECT_OK(c->admin().verify(k(2)));
  EXPECT_TRUE(c->admin().verify(k(3)).is_not_found());
}

TEST_F(AdminTest, RecompressChangesOnlyWhatItShouldAndKeepsEverythingElse) {
  {
    Options plain;
    plain.compression_level = 0;
    auto c = open(plain);
    ASSERT_OK(c->put(KeyBuilder("op").arg("i", 1),
                     Value(make_volume(PixelType::kInt16, 1, {64, 64, 32})),
                     PutOptions{R"({"note": 1})"}));
  }
  Options o;
  o.compression_level = 3;
  auto c = open(o);
  const OperationKey a = KeyBuilder("op").arg("i", 1).build();
  const OperationKey b = k(2);
  ASSERT_OK(c->put(b, make_volume(PixelType::kUInt8, 1, {64, 64, 32})));
  ASSERT_OK(c->admin().pin(a));
  const EntryInfo before = *c->info(a);
  const Value a_value = *c->get(a);
  const EntryInfo used = *c->info(a);
  ASSERT_EQ(used.access_count, 1u);
  ASSERT_EQ(before.codec, "none");

  Result<RecompressReport> r = c->admin().recompress(a, {3, std::nullopt});
  ASSERT_OK(r.status());
  EXPECT_TRUE(r->changed);
  EXPECT_LT(r->bytes_after, r->bytes_before / 4);
  Result<RecompressReport> again = c->admin().recompress(b, {3, std::nullopt});
  ASSERT_OK(again.status());
  EXPECT_FALSE(again->changed) << "already at level 3";

  const EntryInfo after = *c->info(a);
  EXPECT_EQ(after.codec, "zstd");
  EXPECT_EQ(after.level, 3);
  EXPECT_EQ(after.created_at_ms, before.created_at_ms);
  EXPECT_TRUE(after.pinned);
  EXPECT_EQ(after.access_count, used.access_count) << "the local tier's records stay";
  EXPECT_EQ(after.last_access_ms, used.last_access_ms);
  EXPECT_EQ(after.metadata, before.metadata);
  EXPECT_EQ(after.operation, "op");
  EXPECT_EQ(after.checksum, before.checksum) << "same payload";
  EXPECT_EQ(after.stored_bytes, r->bytes_after);
  Options fresh;
  fresh.memory_budget_bytes = 0;
  auto reader = Cache::Open(path_, fresh);
  ASSERT_OK(reader.status());
  EXPECT_EQ(*(*reader)->get(a), a_value) << "still round-trips";
  EXPECT_EQ((*reader)->admin().stored_stats()->stored_bytes,
            after.stored_bytes + c->info(b)->stored_bytes)
      << "totals follow the rewrite";
  EXPECT_TRUE(c->admin().recompress(a, {42, std::nullopt}).status().is_invalid_argument());
}

TEST_F(AdminTest, VacuumShrinksTheFileAfterErases) {
  auto c = open();
  for (int i = 0; i < 30; ++i) ASSERT_OK(c->put(k(i), noise(i)));
  for (int i = 0; i < 30; ++i) ASSERT_OK(c->erase(k(i)));
  ASSERT_OK(c->admin().vacuum());
  std::error_code ec;
  EXPECT_LT(std::filesystem::file_size(path_, ec), 200u * 1024);
  EXPECT_EQ(std::filesystem::file_size(path_ + "-wal", ec), 0u);
}

TEST_F(AdminTest, ReadOnlyRefusesManagementWrites) {
  ASSERT_OK(open()->put(k(1), Value(1)));
  Options ro;
  ro.read_only = true;
  auto c = open(ro);
  EXPECT_TRUE(c->admin().pin(k(1)).is_invalid_argument());
  EXPECT_TRUE(c->admin().gc(Limits{1, 0, {}}).status().is_invalid_argument());
  EXPECT_TRUE(c->admin().zero_stats().is_invalid_argument());
  EXPECT_TRUE(c->admin().recompress(k(1), {1, std::nullopt}).status().is_invalid_argument());
  EXPECT_TRUE(c->admin().vacuum().is_invalid_argument());
  EXPECT_OK(c->admin().verify(k(1)));
  EXPECT_OK(c->admin().stored_stats().status());
}

}  // namespace
}  // namespace voxcache
