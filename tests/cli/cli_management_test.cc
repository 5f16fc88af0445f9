// The management commands of the real voxcache binary: stats, ls filters,
// show, verify, rm, gc, vacuum, recompress, thumbnail, pin, --read-only.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "cli/cli_support.h"
#include "test_support.h"
#include "voxcache/cache.h"
#include "voxcache/itk.h"

namespace voxcache {
namespace {

using testing::CliRun;

CliRun cli(const std::string& args) { return testing::run_cli(args); }

nlohmann::json json_of(const CliRun& r) {
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << r.out;
  return j;
}

// A database with: a volume (ch2), a derived volume with a recipe, two
// results of operation "blur", and a double.
class CliManagementTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = dir_.file("m.db");
    Result<std::unique_ptr<Cache>> c = Cache::Open(db_);
    ASSERT_OK(c.status());
    Result<Volume> ch2 = read_image(std::string(VOXCACHE_TEMPLATES_DIR) + "/ch2.nii.gz");
    ASSERT_OK(ch2.status());
    source_ = content_key(*ch2);
    ASSERT_OK((*c)->put(source_, *ch2));
    for (int i = 0; i < 2; ++i) {
      KeyBuilder blur = KeyBuilder("blur").arg("sigma", 1.0 + i).input(source_);
      ASSERT_OK(
          (*c)->put(blur, Value(testing::make_volume(PixelType::kInt16, 1, {40, 30, 20}, i))));
      blurs_.push_back(blur.build());
    }
    number_ = KeyBuilder("volume-of-brain").build();
    ASSERT_OK((*c)->put(number_, Value(1234.5)));
  }
  std::string db() const { return "--db " + db_; }

  testing::TempDir dir_;
  std::string db_;
  OperationKey source_, number_;
  std::vector<OperationKey> blurs_;
};

TEST_F(CliManagementTest, StatsInTextAndJsonAndZero) {
  ASSERT_EQ(cli(db() + " show " + source_.hex()).code, 0);
  CliRun r = cli(db() + " stats");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("entries        4"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("MiB"), std::string::npos) << "human units";
  EXPECT_NE(r.out.find("volume"), std::string::npos);
  const nlohmann::json j = json_of(cli(db() + " stats --json"));
  EXPECT_EQ(j["entries"], 4);
  EXPECT_GT(j["raw_bytes"].get<uint64_t>(), 7000000u) << "exact bytes in JSON";
  EXPECT_EQ(j["counters"]["total"]["puts"], 4);
  EXPECT_EQ(j["counters"]["volume"]["puts"], 3);
  EXPECT_EQ(j["by_type"].size(), 2u);
  ASSERT_TRUE(j.contains("hit_rate"));
  ASSERT_EQ(cli(db() + " stats --zero").code, 0);
  // Every documented field is always there, zero or not.
  const nlohmann::json zeroed = json_of(cli(db() + " stats --json"));
  for (const char* name :
       {"hits_memory", "hits_disk", "misses", "puts", "evictions", "bytes_read", "bytes_written"}) {
    EXPECT_EQ(zeroed["counters"]["total"][name], 0) << name;
    EXPECT_EQ(zeroed["counters"]["volume"][name], 0) << name;
  }
  EXPECT_EQ(zeroed["entries"], 4) << "zeroing counters keeps entries";
  CliRun zero_json = cli(db() + " stats --zero --json");
  ASSERT_EQ(zero_json.code, 0) << zero_json.out;
  const std::string out = zero_json.out.substr(zero_json.out.find('{'));
  EXPECT_EQ(nlohmann::json::parse(out)["counters"]["total"]["puts"], 0) << zero_json.out;
}

TEST(CliStats, AnEmptyDatabaseHasEveryFieldToo) {
  testing::TempDir dir;
  ASSERT_OK(Cache::Open(dir.file("e.db")).status());
  const nlohmann::json j = json_of(cli("--db " + dir.file("e.db") + " stats --json"));
  for (const char* field : {"entries", "raw_bytes", "stored_bytes", "ratio", "hit_rate"}) {
    EXPECT_EQ(j[field], 0) << field;
  }
  EXPECT_EQ(j["by_type"], nlohmann::json::array());
  EXPECT_EQ(j["counters"]["total"]["misses"], 0);
}

TEST_F(CliManagementTest, LsFiltersAndSorts) {
  nlohmann::json j = json_of(cli(db() + " ls --json --type float64"));
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["key"], number_.hex());
  j = json_of(cli(db() + " ls --json --op blur"));
  EXPECT_EQ(j.size(), 2u);
  j = json_of(cli(db() + " ls --json --larger-than 1M"));
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["key"], source_.hex());
  j = json_of(cli(db() + " ls --json --sort size"));
  ASSERT_EQ(j.size(), 4u);
  for (size_t i = 1; i < j.size(); ++i) {
    EXPECT_GE(j[i - 1]["stored_bytes"].get<uint64_t>(), j[i]["stored_bytes"].get<uint64_t>());
  }
  EXPECT_EQ(json_of(cli(db() + " ls --json --older-than 1d")).size(), 0u);
  EXPECT_EQ(cli(db() + " ls --larger-than 12Q").code, 2);
  EXPECT_EQ(cli(db() + " ls --older-than 3").code, 2);
  EXPECT_EQ(cli(db() + " ls --sort shape").code, 2);
  CliRun text = cli(db() + " ls --op blur");
  EXPECT_NE(text.out.find("blur"), std::string::npos);
  EXPECT_NE(text.out.find("2 entries"), std::string::npos) << text.out;
}

TEST_F(CliManagementTest, ShowHasLineageAccessAndIntensity) {
  const nlohmann::json src = json_of(cli(db() + " show --json " + source_.hex().substr(0, 10)));
  EXPECT_EQ(src["dependents"].size(), 2u);
  EXPECT_TRUE(src["operation"].is_null());
  EXPECT_EQ(src["intensity"][0]["max"], 254.0);
  EXPECT_EQ(src["chunk_count"], 7);
  EXPECT_EQ(src["filter"], "none");
  const nlohmann::json blur = json_of(cli(db() + " show --json " + blurs_[1].hex()));
  EXPECT_EQ(blur["operation"], "blur");
  EXPECT_EQ(blur["recipe"]["args"][0]["value"], 2.0);
  EXPECT_EQ(blur["inputs"][0], source_.hex());
  ASSERT_EQ(cli(db() + " export " + blurs_[1].hex() + " " + dir_.file("b.mha")).code, 0);
  EXPECT_GE(json_of(cli(db() + " show --json " + blurs_[1].hex()))["access_count"], 1);
  CliRun text = cli(db() + " show " + blurs_[1].hex().substr(0, 8));
  EXPECT_NE(text.out.find("input        " + source_.hex()), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("intensity"), std::string::npos) << text.out;
  const std::string png = dir_.file("show.png");
  CliRun with = cli(db() + " show " + source_.hex() + " --thumbnail " + png);
  ASSERT_EQ(with.code, 0) << with.out;
  EXPECT_TRUE(read_image(png).ok());
}

TEST_F(CliManagementTest, VerifyFindsAFlippedByteAndRepairRemovesIt) {
  CliRun clean = cli(db() + " verify");
  ASSERT_EQ(clean.code, 0) << clean.out;
  EXPECT_NE(clean.out.find("4 entries checked, 0 bad"), std::string::npos) << clean.out;
  testing::flip_blob_byte(db_, "chunks",
                          "chunk_index = 3 AND operation_id = '" + source_.hex() + "'", 1000);
  CliRun bad = cli(db() + " verify");
  EXPECT_EQ(bad.code, 1) << bad.out;
  EXPECT_NE(bad.out.find("BAD " + source_.hex()), std::string::npos) << bad.out;
  EXPECT_NE(bad.out.find("chunk 3"), std::string::npos) << bad.out;
  const nlohmann::json j = json_of(cli(db() + " verify --json " + source_.hex().substr(0, 8)));
  ASSERT_EQ(j["bad"].size(), 1u);
  EXPECT_EQ(j["bad"][0]["removed"], false);
  CliRun repair = cli(db() + " verify --repair");
  EXPECT_EQ(repair.code, 1) << "the run that found the damage still reports it";
  EXPECT_NE(repair.out.find("(removed)"), std::string::npos) << repair.out;
  EXPECT_EQ(cli(db() + " verify").code, 0);
  EXPECT_EQ(cli(db() + " show " + source_.hex()).code, 2) << "gone: recomputed next time";
  EXPECT_EQ(cli(db() + " verify 0123456789abcdef").code, 2);
}

TEST_F(CliManagementTest, RmByKeyAndByOperation) {
  CliRun r = cli(db() + " rm --op blur");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("2 entries of operation 'blur' removed"), std::string::npos) << r.out;
  EXPECT_EQ(json_of(cli(db() + " ls --json")).size(), 2u);
  ASSERT_EQ(cli(db() + " rm " + number_.hex().substr(0, 9)).code, 0);
  EXPECT_EQ(json_of(cli(db() + " ls --json")).size(), 1u);
  EXPECT_EQ(cli(db() + " rm " + number_.hex()).code, 2) << "already gone";
  EXPECT_EQ(cli(db() + " rm").code, 2);
  EXPECT_EQ(cli(db() + " rm --op blur " + source_.hex()).code, 2);
}

TEST_F(CliManagementTest, GcKeepsPinnedAndRecentEntriesAndHonoursTheLimit) {
  ASSERT_EQ(cli(db() + " pin " + source_.hex().substr(0, 8)).code, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_EQ(cli(db() + " export " + blurs_[1].hex() + " " + dir_.file("b.nrrd")).code,
            0);  // recent
  const nlohmann::json j = json_of(cli(db() + " gc --max-entries 2 --json"));
  ASSERT_EQ(j["removed"].size(), 2u) << j.dump();
  EXPECT_EQ(j["entries_left"], 2);
  const nlohmann::json left = json_of(cli(db() + " ls --json"));
  std::set<std::string> keys;
  for (const auto& e : left) keys.insert(e["key"]);
  EXPECT_TRUE(keys.count(source_.hex())) << "pinned";
  EXPECT_TRUE(keys.count(blurs_[1].hex())) << "recently used";
  // The pinned 3.4 MiB entry alone is over 1K: gc does what it can and says so.
  CliRun text = cli(db() + " gc --max-size 1K");
  EXPECT_EQ(text.code, 3) << text.out;
  EXPECT_NE(text.out.find("1 entry removed"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("freed"), std::string::npos);
  EXPECT_NE(text.out.find("limits are not met"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("pinned"), std::string::npos) << text.out;
  EXPECT_EQ(json_of(cli(db() + " ls --json")).size(), 1u) << "only the pinned entry stays";
  CliRun j3 = cli(db() + " gc --max-size 1K --json");
  EXPECT_EQ(j3.code, 3);
  EXPECT_EQ(nlohmann::json::parse(j3.out.substr(0, j3.out.rfind('}') + 1))["limits_met"], false);
  ASSERT_EQ(cli(db() + " unpin " + source_.hex()).code, 0);
  EXPECT_EQ(json_of(cli(db() + " gc --max-size 1K --json"))["removed"].size(), 1u);
  EXPECT_EQ(cli(db() + " gc").code, 2) << "no limit given";
  EXPECT_EQ(cli(db() + " gc --max-size lots").code, 2);
  EXPECT_EQ(cli(db() + " gc --max-age 7y").code, 2);
  EXPECT_EQ(cli(db() + " pin 0123456789abcdef").code, 2);
}

TEST_F(CliManagementTest, RecompressChangesOnlyOtherLevelsAndEverythingRoundTrips) {
  std::map<std::string, std::string> checksum;
  for (const auto& e : json_of(cli(db() + " ls --json"))) checksum[e["key"]] = e["checksum"];
  nlohmann::json j = json_of(cli(db() + " recompress --level 1 --json"));
  EXPECT_EQ(j["recompressed"].size(), 4u);
  j = json_of(cli(db() + " recompress --level 1 --json"));
  EXPECT_EQ(j["recompressed"].size(), 0u) << "all at level 1 already";
  EXPECT_EQ(j["bytes_before"], j["bytes_after"]);
  for (const auto& e : json_of(cli(db() + " ls --json"))) {
    if (e["data_type"] == "volume") EXPECT_EQ(e["level"], 1);
    EXPECT_EQ(e["checksum"], checksum[e["key"]]);
  }
  CliRun text = cli(db() + " recompress --level 0");
  ASSERT_EQ(text.code, 0) << text.out;
  EXPECT_NE(text.out.find("recompressed to level 0"), std::string::npos);
  EXPECT_EQ(cli(db() + " verify").code, 0);
  Result<std::unique_ptr<Cache>> c = Cache::Open(db_);
  ASSERT_OK(c.status());
  Result<Volume> ch2 = read_image(std::string(VOXCACHE_TEMPLATES_DIR) + "/ch2.nii.gz");
  EXPECT_EQ(*(*c)->get(source_)->as_volume(), *ch2);
  EXPECT_EQ((*c)->info(source_)->codec, "none");
  EXPECT_EQ((*c)->info(blurs_[0])->operation, "blur") << "lineage kept";
  EXPECT_EQ(cli(db() + " recompress --level 20").code, 2);
  EXPECT_EQ(cli(db() + " recompress").code, 2) << "neither --level nor --layout";
}

// recompress --codec and config codec: the stored codec changes, every
// voxel and checksum stays, and what is configured is the next puts' codec.
TEST_F(CliManagementTest, RecompressAndConfigChooseTheCodec) {
  std::map<std::string, std::string> checksum;
  for (const auto& e : json_of(cli(db() + " ls --json"))) checksum[e["key"]] = e["checksum"];
  nlohmann::json j = json_of(cli(db() + " recompress --codec lz4 --json"));
  EXPECT_EQ(j["codec"], "lz4");
  EXPECT_GE(j["recompressed"].size(), 1u);
  for (const auto& e : json_of(cli(db() + " ls --json"))) {
    if (e["data_type"] == "volume") EXPECT_EQ(e["codec"], "lz4") << e.dump();
    EXPECT_EQ(e["checksum"], checksum[e["key"]]);
  }
  EXPECT_EQ(json_of(cli(db() + " recompress --codec lz4 --json"))["recompressed"].size(), 0u)
      << "all LZ4 already";
  EXPECT_EQ(cli(db() + " verify").code, 0);
  {
    Result<std::unique_ptr<Cache>> c = Cache::Open(db_);
    ASSERT_OK(c.status());
    Result<Volume> ch2 = read_image(std::string(VOXCACHE_TEMPLATES_DIR) + "/ch2.nii.gz");
    EXPECT_EQ(*(*c)->get(source_)->as_volume(), *ch2);
  }
  CliRun text = cli(db() + " recompress " + source_.hex().substr(0, 12) + " --codec zstd");
  ASSERT_EQ(text.code, 0) << text.out;
  EXPECT_NE(text.out.find("recompressed to zstd"), std::string::npos) << text.out;
  EXPECT_EQ(json_of(cli(db() + " show " + source_.hex() + " --json"))["codec"], "zstd");
  EXPECT_EQ(cli(db() + " recompress --codec brotli").code, 2);

  ASSERT_EQ(cli(db() + " config codec lz4").code, 0);
  EXPECT_EQ(json_of(cli(db() + " config --json"))["codec"], "lz4");
  EXPECT_NE(cli(db() + " config").out.find("codec        lz4"), std::string::npos);
  const nlohmann::json imported =
      json_of(cli(db() + " import " + std::string(VOXCACHE_TEMPLATES_DIR) + "/aal.nii.gz --json"));
  ASSERT_EQ(imported.size(), 1u);
  EXPECT_EQ(
      json_of(cli(db() + " show " + imported[0]["key"].get<std::string>() + " --json"))["codec"],
      "lz4")
      << "the configured codec";
  EXPECT_EQ(cli(db() + " config codec brotli").code, 2);
  ASSERT_EQ(cli(db() + " config --unset codec").code, 0);
  EXPECT_TRUE(json_of(cli(db() + " config --json"))["codec"].is_null());
}

TEST_F(CliManagementTest, RecompressAndImportChooseTheChunkLayout) {
  const std::string src = source_.hex().substr(0, 12);
  const int level = json_of(cli(db() + " show " + src + " --json"))["level"];
  nlohmann::json j = json_of(cli(db() + " recompress " + src + " --layout bricks --json"));
  ASSERT_EQ(j["recompressed"].size(), 1u) << j.dump();
  EXPECT_EQ(j["recompressed"][0]["layout"], "bricks 32x32x32");
  EXPECT_EQ(j["layout"], "bricks");
  nlohmann::json show = json_of(cli(db() + " show " + src + " --json"));
  EXPECT_EQ(show["layout"], "bricks 32x32x32");
  EXPECT_EQ(show["level"], level) << "the level is kept";
  CliRun text = cli(db() + " show " + src);
  EXPECT_NE(text.out.find(", bricks 32x32x32"), std::string::npos) << text.out;
  EXPECT_TRUE(json_of(cli(db() + " show " + number_.hex() + " --json"))["layout"].is_null());
  // The same layout again changes nothing; every entry reads and verifies.
  j = json_of(cli(db() + " recompress " + src + " --layout bricks --json"));
  EXPECT_EQ(j["recompressed"].size(), 0u);
  EXPECT_EQ(cli(db() + " verify").code, 0);
  const std::string png = dir_.file("bricks.png");
  EXPECT_EQ(cli(db() + " thumbnail " + src + " " + png + " --slice x=90").code, 0);
  EXPECT_TRUE(std::filesystem::exists(png));
  {
    Result<std::unique_ptr<Cache>> c = Cache::Open(db_);
    ASSERT_OK(c.status());
    Result<Volume> ch2 = read_image(std::string(VOXCACHE_TEMPLATES_DIR) + "/ch2.nii.gz");
    EXPECT_EQ(*(*c)->get(source_)->as_volume(), *ch2);
  }
  // Every volume to z-slabs: the scalar is left alone.
  j = json_of(cli(db() + " recompress --layout z-slabs --json"));
  EXPECT_EQ(j["recompressed"].size(), 1u) << "only the bricked volume changes: " << j.dump();
  EXPECT_EQ(json_of(cli(db() + " show " + src + " --json"))["layout"], "z-slabs");
  EXPECT_EQ(cli(db() + " recompress --layout bricks4").code, 2);
  EXPECT_EQ(cli(db() + " recompress --layout 'bricks 4x4'").code, 2);

  const std::string other = dir_.file("imported.db");
  CliRun imp = cli("--db " + other + " import --layout 'bricks 16' --json " +
                   std::string(VOXCACHE_TEMPLATES_DIR) + "/aal.nii.gz");
  ASSERT_EQ(imp.code, 0) << imp.out;
  const std::string key = json_of(imp)[0]["key"];
  EXPECT_EQ(json_of(cli("--db " + other + " show " + key + " --json"))["layout"],
            "bricks 16x16x16");
  EXPECT_EQ(cli("--db " + other + " import --layout cubes " + std::string(VOXCACHE_TEMPLATES_DIR) +
                "/aal.nii.gz")
                .code,
            2);
}

TEST_F(CliManagementTest, ThumbnailWritesAPngItkReadsBack) {
  const std::string mip = dir_.file("mip.png");
  CliRun r = cli(db() + " thumbnail " + source_.hex().substr(0, 8) + " " + mip);
  ASSERT_EQ(r.code, 0) << r.out;
  Result<Volume> png = read_image(mip);
  ASSERT_OK(png.status());
  EXPECT_EQ(png->size(), (std::array<uint64_t, 3>{181, 217, 1}));
  EXPECT_EQ(png->pixel_type(), PixelType::kUInt8);
  uint8_t lo = 255, hi = 0;
  for (uint64_t i = 0; i < png->byte_size(); ++i) {
    lo = std::min(lo, png->data()[i]);
    hi = std::max(hi, png->data()[i]);
  }
  EXPECT_EQ(lo, 0);
  EXPECT_EQ(hi, 255) << "the window spans the 8 bits";
  const std::string sag = dir_.file("sag.png");
  ASSERT_EQ(cli(db() + " thumbnail " + source_.hex() + " " + sag + " --slice x=90").code, 0);
  EXPECT_EQ(read_image(sag)->size(), (std::array<uint64_t, 3>{217, 181, 1}));
  EXPECT_EQ(cli(db() + " thumbnail " + number_.hex() + " " + dir_.file("n.png")).code, 2)
      << "not a volume";
  EXPECT_EQ(cli(db() + " thumbnail " + source_.hex() + " " + sag + " --slice z=999").code, 2);
}

TEST_F(CliManagementTest, ReadOnlyDatabasesServeReadsAndRefuseWrites) {
  const std::string ro = "--read-only " + db();
  EXPECT_EQ(cli(ro + " ls").code, 0);
  EXPECT_EQ(cli(ro + " stats").code, 0);
  EXPECT_EQ(cli(ro + " verify").code, 0);
  EXPECT_EQ(cli(ro + " show " + source_.hex()).code, 0);
  for (const std::string& write :
       {" rm " + number_.hex(), std::string(" gc --max-entries 1"), std::string(" vacuum"),
        std::string(" recompress --level 1"), " pin " + number_.hex(), std::string(" stats --zero"),
        " import " + std::string(VOXCACHE_TEMPLATES_DIR) + "/aal.nii.gz"}) {
    CliRun r = cli(ro + write);
    EXPECT_EQ(r.code, 1) << write << ": " << r.out;
    EXPECT_NE(r.out.find("read-only"), std::string::npos) << write << ": " << r.out;
  }
  EXPECT_EQ(json_of(cli(db() + " ls --json")).size(), 4u) << "nothing changed";
}

TEST_F(CliManagementTest, VacuumReportsSizes) {
  ASSERT_EQ(cli(db() + " rm " + source_.hex()).code, 0);
  CliRun r = cli(db() + " vacuum");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find(" -> "), std::string::npos);
  std::error_code ec;
  EXPECT_LT(std::filesystem::file_size(db_, ec), 1u << 20) << "ch2's 3.4 MiB given back";
}

TEST_F(CliManagementTest, EveryCommandHasHelp) {
  for (const char* c : {"import", "export", "ls", "show", "stats", "verify", "rm", "gc", "vacuum",
                        "recompress", "thumbnail", "pin", "unpin"}) {
    CliRun r = cli(std::string(c) + " --help");
    EXPECT_EQ(r.code, 0) << c;
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << c << ": " << r.out;
  }
}

// Viewers draw sagittal and coronal slices head up: the most superior z
// row at the top. ch2's z axis points superior (direction +z), so the
// thumbnail's first row is the slice's last z.
TEST_F(CliManagementTest, SagittalAndCoronalThumbnailsAreHeadUp) {
  auto c = Cache::Open(db_);
  ASSERT_OK(c.status());
  for (int axis : {0, 1}) {
    const std::string png = dir_.file("head" + std::to_string(axis) + ".png");
    const std::string slice = std::string(1, "xy"[axis]) + "=90";
    ASSERT_EQ(cli(db() + " thumbnail " + source_.hex() + " " + png + " --slice " + slice).code, 0);
    Result<Volume> pic = read_image(png);
    ASSERT_OK(pic.status());
    const uint64_t w = pic->size()[0], h = pic->size()[1];
    Result<Volume> cut = (*c)->read_slice(source_, axis, 90);
    ASSERT_OK(cut.status());
    ASSERT_GT(cut->geometry().direction[8], 0);
    // Brightness of each picture row against each slice row: the picture's
    // top row must follow the slice's top (last) z row, not its first.
    auto picture_row = [&](uint64_t r) {
      uint64_t sum = 0;
      for (uint64_t x = 0; x < w; ++x) sum += pic->data()[r * w + x];
      return sum;
    };
    auto slice_row = [&](uint64_t z) {
      uint64_t sum = 0;
      for (uint64_t x = 0; x < w; ++x) sum += cut->data()[z * w + x];
      return sum;
    };
    int agree_flipped = 0, agree_plain = 0;
    for (uint64_t r = 0; r + 1 < h; ++r) {
      const bool pic_up = picture_row(r + 1) > picture_row(r);
      agree_flipped += pic_up == (slice_row(h - 2 - r) > slice_row(h - 1 - r));
      agree_plain += pic_up == (slice_row(r + 1) > slice_row(r));
    }
    EXPECT_GT(agree_flipped, agree_plain + static_cast<int>(h) / 4) << "axis " << axis;
  }
}

TEST_F(CliManagementTest, ConfigIsStoredAndHonouredByTheCliItself) {
  CliRun empty = cli(db() + " config --json");
  ASSERT_EQ(empty.code, 0) << empty.out;
  EXPECT_TRUE(json_of(empty)["max_entries"].is_null());
  CliRun set = cli(db() + " config max-entries 4");
  ASSERT_EQ(set.code, 0) << set.out;
  EXPECT_NE(set.out.find("max-entries  4"), std::string::npos) << set.out;
  ASSERT_EQ(cli(db() + " config max-age 30d").code, 0);
  ASSERT_EQ(cli(db() + " config level 9").code, 0);
  const nlohmann::json j = json_of(cli(db() + " config --json"));
  EXPECT_EQ(j["max_entries"], 4);
  EXPECT_EQ(j["max_age_seconds"], 30 * 86400);
  EXPECT_EQ(j["level"], 9);
  EXPECT_NE(cli(db() + " config").out.find("max-age      30d"), std::string::npos);
  // The CLI's own import honours both: written at level 9, and the cache
  // (4 entries) evicted to 90% of 4 after it.
  CliRun imp = cli(db() + " import " + std::string(VOXCACHE_TEMPLATES_DIR) + "/aal.nii.gz");
  ASSERT_EQ(imp.code, 0) << imp.out;
  const nlohmann::json aal = json_of(cli(db() + " show " + imp.out.substr(0, 64) + " --json"));
  EXPECT_EQ(aal["level"], 9);
  EXPECT_LE(json_of(cli(db() + " ls --json")).size(), 4u);
  ASSERT_EQ(cli(db() + " config --unset max-entries").code, 0);
  EXPECT_TRUE(json_of(cli(db() + " config --json"))["max_entries"].is_null());
  EXPECT_EQ(cli(db() + " config max-entries").code, 2) << "no value";
  EXPECT_EQ(cli(db() + " config level 20").code, 2);
  EXPECT_EQ(cli(db() + " config max-size lots").code, 2);
  EXPECT_EQ(cli(db() + " config colour blue").code, 2);
  EXPECT_EQ(cli("--read-only " + db() + " config level 1").code, 1);
}

TEST_F(CliManagementTest, ClearRemovesEverythingOrKeepsPinned) {
  ASSERT_EQ(cli(db() + " pin " + source_.hex()).code, 0);
  CliRun keep = cli(db() + " clear --keep-pinned --json");
  ASSERT_EQ(keep.code, 0) << keep.out;
  EXPECT_EQ(json_of(keep)["removed"].size(), 3u);
  EXPECT_EQ(json_of(cli(db() + " ls --json")).size(), 1u);
  CliRun all = cli(db() + " clear");
  ASSERT_EQ(all.code, 0) << all.out;
  EXPECT_NE(all.out.find("1 entry removed"), std::string::npos) << all.out;
  EXPECT_EQ(json_of(cli(db() + " ls --json")).size(), 0u);
  EXPECT_EQ(cli("--read-only " + db() + " clear").code, 1);
}

// The progress bar, on a real terminal (script(1) gives the command one): it
// is wiped before every stdout line and after the last item, and it counts
// finished items only.
TEST_F(CliManagementTest, TheProgressBarNeverSharesALineWithOutput) {
  if (std::system("command -v script >/dev/null 2>&1") != 0) GTEST_SKIP() << "no script(1)";
  testing::flip_blob_byte(db_, "chunks",
                          "operation_id = '" + source_.hex() + "' AND chunk_index = 2", 100);
  const std::string log = dir_.file("tty.log");
  const std::string cmd = "script -qec '" + std::string(VOXCACHE_CLI) + " " + db() + " verify' " +
                          log + " >/dev/null 2>&1";
  ASSERT_EQ(WEXITSTATUS(std::system(cmd.c_str())), 1) << "one bad entry";
  std::ifstream in(log);
  std::stringstream text;
  text << in.rdbuf();
  const std::string t = text.str();
  const size_t bad = t.find("BAD ");
  ASSERT_NE(bad, std::string::npos) << t;
  EXPECT_NE(t.find("verify ["), std::string::npos) << "a bar was drawn: " << t;
  const std::string before = t.substr(0, bad);
  EXPECT_NE(before.rfind("\r\033[K"), std::string::npos) << "the bar was wiped first";
  EXPECT_GT(before.rfind("\r\033[K"), before.rfind("verify [")) << "and not redrawn since";
  EXPECT_EQ(t.find("0/4"), std::string::npos) << "no bar before any work was done";
  const size_t summary = t.find("4 entries checked");
  ASSERT_NE(summary, std::string::npos) << t;
  EXPECT_GT(t.substr(0, summary).rfind("\r\033[K"), t.substr(0, summary).rfind("verify ["));
}

}  // namespace
}  // namespace voxcache
