// Runs the real voxcache binary, as a user would.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "cli/cli_support.h"
#include "test_support.h"
#include "voxcache/cache.h"
#include "voxcache/itk.h"

namespace voxcache {
namespace {

using testing::CliRun;

CliRun voxcache_cli(const std::string& args) { return testing::run_cli(args); }

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ch2_ = std::string(VOXCACHE_TEMPLATES_DIR) + "/ch2.nii.gz";
    db_ = "--db " + dir_.file("cli.db");
  }
  std::string import_ch2() {
    CliRun r = voxcache_cli(db_ + " import " + ch2_);
    EXPECT_EQ(r.code, 0) << r.out;
    return r.out.substr(0, 64);
  }
  testing::TempDir dir_;
  std::string ch2_, db_;
};

TEST_F(CliTest, ImportPrintsTheContentKey) {
  const std::string key = import_ch2();
  Result<Volume> vol = read_image(ch2_);
  ASSERT_OK(vol.status());
  EXPECT_EQ(key, content_key(*vol).hex());
  EXPECT_EQ(import_ch2(), key) << "importing again gives the same key";
}

TEST_F(CliTest, LsListsEntriesInTextAndJson) {
  const std::string key = import_ch2();
  CliRun ls = voxcache_cli(db_ + " ls");
  ASSERT_EQ(ls.code, 0) << ls.out;
  EXPECT_NE(ls.out.find(key.substr(0, 16)), std::string::npos) << ls.out;
  EXPECT_NE(ls.out.find("181x217x181"), std::string::npos) << ls.out;
  EXPECT_NE(ls.out.find(" u8 "), std::string::npos) << ls.out;
  EXPECT_NE(ls.out.find("1 entry,"), std::string::npos) << ls.out;

  CliRun js = voxcache_cli(db_ + " ls --json");
  ASSERT_EQ(js.code, 0) << js.out;
  const nlohmann::json j = nlohmann::json::parse(js.out);
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["key"], key);
  EXPECT_EQ(j[0]["data_type"], "volume");
  EXPECT_EQ(j[0]["raw_bytes"], 181u * 217 * 181);
  EXPECT_LT(j[0]["stored_bytes"].get<uint64_t>(), j[0]["raw_bytes"].get<uint64_t>());
  EXPECT_EQ(j[0]["volume"]["size"], nlohmann::json({181, 217, 181}));
  EXPECT_TRUE(j[0]["metadata"]["source"].get<std::string>().find("ch2.nii.gz") !=
              std::string::npos);
}

TEST_F(CliTest, ShowByPrefixInTextAndJson) {
  const std::string key = import_ch2();
  CliRun show = voxcache_cli(db_ + " show " + key.substr(0, 8));
  ASSERT_EQ(show.code, 0) << show.out;
  EXPECT_NE(show.out.find(key), std::string::npos);
  EXPECT_NE(show.out.find("u8 (1 component)"), std::string::npos) << show.out;
  EXPECT_NE(show.out.find("xxh3-128:"), std::string::npos) << show.out;

  CliRun js = voxcache_cli(db_ + " show --json " + key.substr(0, 10));
  ASSERT_EQ(js.code, 0) << js.out;
  const nlohmann::json j = nlohmann::json::parse(js.out);
  Result<Volume> vol = read_image(ch2_);
  ASSERT_OK(vol.status());
  // JSON carries geometry exactly: doubles survive the text form.
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(j["volume"]["spacing"][i].get<double>(), vol->geometry().spacing[i]);
    EXPECT_EQ(j["volume"]["origin"][i].get<double>(), vol->geometry().origin[i]);
  }
  EXPECT_EQ(j["codec"], "zstd");
  EXPECT_EQ(j["filter"], "none");
  EXPECT_EQ(j["level"], 2) << "the automatic level of noisy T1 MRI (docs/format.md)";
}

TEST_F(CliTest, ExportWritesTheVolumeBack) {
  const std::string key = import_ch2();
  for (const char* ext : {".nii.gz", ".nrrd", ".mha"}) {
    const std::string out = dir_.file(std::string("out") + ext);
    CliRun r = voxcache_cli(db_ + " export " + key.substr(0, 12) + " " + out);
    ASSERT_EQ(r.code, 0) << r.out;
    Result<Volume> a = read_image(ch2_);
    Result<Volume> b = read_image(out);
    ASSERT_OK(b.status());
    EXPECT_EQ(a->size(), b->size());
    EXPECT_EQ(std::memcmp(a->data(), b->data(), a->byte_size()), 0) << ext;
    EXPECT_TRUE(a->geometry().bit_equal(b->geometry())) << ext;
  }
}

TEST_F(CliTest, ExportRegionAndSliceReadOnlyWhatTheyNeed) {
  const std::string key = import_ch2();
  Result<Volume> full = read_image(ch2_);
  ASSERT_OK(full.status());
  const std::string box = dir_.file("box.mha");
  CliRun r =
      voxcache_cli(db_ + " export " + key.substr(0, 8) + " " + box + " --region 10,20,30,40,50,60");
  ASSERT_EQ(r.code, 0) << r.out;
  Result<Volume> got = read_image(box);
  ASSERT_OK(got.status());
  EXPECT_EQ(got->size(), (std::array<uint64_t, 3>{40, 50, 60}));
  for (uint64_t z = 0; z < 60; z += 7)
    for (uint64_t y = 0; y < 50; y += 3)
      for (uint64_t x = 0; x < 40; ++x) {
        ASSERT_EQ(got->data()[(z * 50 + y) * 40 + x],
                  full->data()[((z + 30) * 217 + y + 20) * 181 + x + 10]);
      }
  // Origin moved to the box's first voxel; ch2's direction flips x and y.
  EXPECT_EQ(got->geometry().origin[0], full->geometry().origin[0] - 10);
  EXPECT_EQ(got->geometry().origin[2], full->geometry().origin[2] + 30);

  const std::string png = dir_.file("axial.png");
  r = voxcache_cli(db_ + " export " + key.substr(0, 8) + " " + png + " --slice z=90");
  ASSERT_EQ(r.code, 0) << r.out;
  Result<Volume> slice = read_image(png);
  ASSERT_OK(slice.status());
  EXPECT_EQ(slice->size(), (std::array<uint64_t, 3>{181, 217, 1}));
  EXPECT_EQ(std::memcmp(slice->data(), full->data() + 90ull * 181 * 217, 181 * 217), 0);

  for (const char* bad : {"--region 1,2,3", "--region 1,2,3,4,5,x", "--region 0,0,0,182,1,1",
                          "--slice w=3", "--slice z=181", "--slice z=",
                          "--region 0,0,0,1,1,1 "
                          "--slice z=1"}) {
    CliRun e =
        voxcache_cli(db_ + " export " + key.substr(0, 8) + " " + dir_.file("x.mha") + " " + bad);
    EXPECT_EQ(e.code, 2) << bad << ": " << e.out;
  }
  CliRun show = voxcache_cli(db_ + " show " + key.substr(0, 8));
  EXPECT_NE(show.out.find("filter none"), std::string::npos) << "u8 is never shuffled";
}

TEST_F(CliTest, KeyErrorsExitWithTwo) {
  const std::string key = import_ch2();
  CliRun unknown = voxcache_cli(db_ + " show 0123456789abcdef");
  EXPECT_EQ(unknown.code, 2) << unknown.out;
  EXPECT_NE(unknown.out.find("NotFound"), std::string::npos) << unknown.out;
  EXPECT_EQ(voxcache_cli(db_ + " show 0123").code, 2);
  EXPECT_EQ(voxcache_cli(db_ + " show not-hex-at-all").code, 2);
  EXPECT_EQ(voxcache_cli(db_ + " export 0123456789abcdef " + dir_.file("x.nrrd")).code, 2);

  // Two keys sharing their first 8 hex digits make that prefix ambiguous.
  testing::raw_sql(dir_.file("cli.db"),
                   "INSERT INTO results SELECT substr(operation_id, 1, 8) || "
                   "'00000000000000000000000000000000000000000000000000000000', data, data_type, "
                   "created_at, last_access, access_count, size_bytes, raw_bytes, chunk_count, "
                   "codec, level, checksum, metadata, filter, pinned, "
                   "operation, recipe, intensity, layout FROM results");
  CliRun ambiguous = voxcache_cli(db_ + " show " + key.substr(0, 8));
  EXPECT_EQ(ambiguous.code, 2) << ambiguous.out;
  EXPECT_NE(ambiguous.out.find("ambiguous"), std::string::npos) << ambiguous.out;
  EXPECT_EQ(voxcache_cli(db_ + " show " + key.substr(0, 9)).code, 0) << "a longer prefix resolves";
}

TEST_F(CliTest, UsageAndBadFiles) {
  EXPECT_EQ(voxcache_cli("--help").code, 0);
  CliRun help = voxcache_cli("show --help");
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("--json"), std::string::npos);
  EXPECT_EQ(voxcache_cli(db_).code, 2) << "a command is required";
  EXPECT_EQ(voxcache_cli(db_ + " frobnicate").code, 2);
  EXPECT_EQ(voxcache_cli(db_ + " import " + dir_.file("missing.nii.gz")).code, 2);

  std::ofstream(dir_.file("junk.db")) << std::string(4096, 'j');
  CliRun junk = voxcache_cli("--db " + dir_.file("junk.db") + " ls");
  EXPECT_EQ(junk.code, 1) << junk.out;
  EXPECT_NE(junk.out.find("Corruption"), std::string::npos) << junk.out;
  CliRun missing = voxcache_cli("--db " + dir_.file("nothing-here.db") + " ls");
  EXPECT_EQ(missing.code, 1) << missing.out;
  EXPECT_NE(missing.out.find("no database"), std::string::npos) << missing.out;
}

TEST_F(CliTest, EmptyDatabaseListsNothing) {
  ASSERT_OK(Cache::Open(dir_.file("cli.db")).status());  // schema, no entries
  CliRun r = voxcache_cli(db_ + " ls");
  ASSERT_EQ(r.code, 0) << r.out;
  EXPECT_NE(r.out.find("0 entries"), std::string::npos) << r.out;
  CliRun js = voxcache_cli(db_ + " ls --json");
  ASSERT_EQ(js.code, 0) << js.out;
  EXPECT_EQ(nlohmann::json::parse(js.out), nlohmann::json::array());
}

// The JSON object in `out`, which may have lines of stderr around it.
nlohmann::json json_in(const std::string& out) {
  const size_t a = out.find_first_of("[{"), b = out.find_last_of("]}");
  nlohmann::json j = nlohmann::json::parse(out.substr(a, b - a + 1), nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << out;
  return j;
}

TEST_F(CliTest, VersionHelpAndUnknownCommandsSayWhatTheyAre) {
  CliRun v = voxcache_cli("--version");
  EXPECT_EQ(v.code, 0) << v.out;
  for (const char* part :
       {"voxcache 0.", "schema 8", "SQLite 3.", "zstd 1.", "xxHash 0.", "ITK 5."}) {
    EXPECT_NE(v.out.find(part), std::string::npos) << part << " in " << v.out;
  }
  CliRun help = voxcache_cli("help");
  EXPECT_EQ(help.code, 0);
  for (const char* command : {"import", "export", "config", "clear", "gc", "stats"}) {
    EXPECT_NE(help.out.find(command), std::string::npos) << command;
  }
  CliRun help_gc = voxcache_cli("help gc");
  EXPECT_EQ(help_gc.code, 0);
  EXPECT_NE(help_gc.out.find("--max-size"), std::string::npos) << help_gc.out;
  CliRun unknown = voxcache_cli(db_ + " frobnicate");
  EXPECT_EQ(unknown.code, 2);
  EXPECT_NE(unknown.out.find("voxcache: unknown command 'frobnicate'"), std::string::npos)
      << unknown.out;
  CliRun none = voxcache_cli(db_);
  EXPECT_NE(none.out.find("voxcache: no command given"), std::string::npos) << none.out;
  CliRun bad_option = voxcache_cli(db_ + " ls --bogus");
  EXPECT_EQ(bad_option.code, 2);
  EXPECT_EQ(bad_option.out.rfind("voxcache: ", 0), 0u) << "prefixed: " << bad_option.out;
  EXPECT_EQ(voxcache_cli("help frobnicate").code, 2);
}

TEST_F(CliTest, GlobalOptionsWorkAfterTheCommandToo) {
  const std::string key = import_ch2();
  CliRun after = voxcache_cli("ls --json " + db_);
  ASSERT_EQ(after.code, 0) << after.out;
  EXPECT_EQ(json_in(after.out)[0]["key"], key);
  EXPECT_EQ(voxcache_cli("rm " + key + " --read-only " + db_).code, 1) << "--read-only after rm";
}

TEST_F(CliTest, AnExportThatCannotBeWrittenFailsAndSaysNothingWasWritten) {
  const std::string key = import_ch2();
  for (const std::string& target : {dir_.file("nodir/out.nii.gz"), dir_.file("nodir/out.nii"),
                                    std::string("/proc/out.nii.gz")}) {
    CliRun r = voxcache_cli(db_ + " export " + key + " " + target);
    EXPECT_EQ(r.code, 1) << target << ": " << r.out;
    EXPECT_EQ(r.out.find("wrote"), std::string::npos) << r.out;
    EXPECT_FALSE(std::filesystem::exists(target));
  }
  // A failed export leaves the file that was there as it was.
  ASSERT_EQ(
      voxcache_cli(db_ + " export " + key + " " + dir_.file("keep.png") + " --slice z=60").code, 0);
  const auto before = std::filesystem::file_size(dir_.file("keep.png"));
  ASSERT_OK(Cache::Open(dir_.file("cli.db"))
                .value()
                ->put(KeyBuilder("wide").build(),
                      testing::make_ramp_volume(PixelType::kInt32, 1, {8, 8, 8})));
  // A whole volume does not fit a 2D format (an i32 slice would: windowed).
  CliRun wide = voxcache_cli(db_ + " export " + KeyBuilder("wide").build().hex() + " " +
                             dir_.file("keep.png"));
  EXPECT_EQ(wide.code, 1) << wide.out;
  EXPECT_NE(wide.out.find(dir_.file("keep.png") + ": this format holds 2D images"),
            std::string::npos)
      << wide.out;
  EXPECT_EQ(std::filesystem::file_size(dir_.file("keep.png")), before) << "not emptied";
}

// Sagittal and coronal slices export to 2D formats; the PNG holds the slice's
// voxels in order (rows are z, z = 0 first).
TEST_F(CliTest, SlicesOnEveryAxisExportToPngWithTheirVoxels) {
  const std::string key = import_ch2();
  Result<Volume> ch2 = read_image(ch2_);
  ASSERT_OK(ch2.status());
  auto c = Cache::Open(dir_.file("cli.db"));
  ASSERT_OK(c.status());
  for (const std::string axis : {"x", "y", "z"}) {
    const std::string png = dir_.file(axis + ".png");
    CliRun r = voxcache_cli(db_ + " export " + key + " " + png + " --slice " + axis + "=90 --json");
    ASSERT_EQ(r.code, 0) << r.out;
    const nlohmann::json j = json_in(r.out);
    EXPECT_EQ(j["file"], png);
    EXPECT_EQ(j["slice"]["axis"], axis);
    EXPECT_EQ(j["file_bytes"], std::filesystem::file_size(png));
    Result<Volume> slice = (*c)->read_slice(content_key(*ch2), axis[0] - 'x', 90);
    Result<Volume> back = read_image(png);
    ASSERT_OK(back.status());
    ASSERT_EQ(back->byte_size(), slice->byte_size()) << axis;
    EXPECT_EQ(std::memcmp(back->data(), slice->data(), slice->byte_size()), 0) << axis;
  }
}

TEST_F(CliTest, ThumbnailReportsWhatItWroteAsJson) {
  const std::string key = import_ch2();
  CliRun r = voxcache_cli(db_ + " thumbnail " + key + " " + dir_.file("t.png") + " --json");
  ASSERT_EQ(r.code, 0) << r.out;
  const nlohmann::json j = json_in(r.out);
  EXPECT_EQ(j["width"], 181);
  EXPECT_EQ(j["height"], 217);
  EXPECT_EQ(j["picture"], "mip");
}

TEST_F(CliTest, AFailedImportLeavesNoDatabaseBehind) {
  CliRun r = voxcache_cli(db_ + " import /etc/passwd");
  EXPECT_EQ(r.code, 1) << r.out;
  EXPECT_FALSE(std::filesystem::exists(dir_.file("cli.db")));
  CliRun js = voxcache_cli(db_ + " import " + ch2_ + " /etc/passwd --json");
  EXPECT_EQ(js.code, 1) << "one of two failed";
  const nlohmann::json items = json_in(js.out);
  ASSERT_EQ(items.size(), 2u) << js.out;  // one per file, the failed one with its error
  EXPECT_EQ(items[0]["key"].get<std::string>().size(), 64u);
  EXPECT_EQ(items[1]["file"], "/etc/passwd");
  EXPECT_FALSE(items[1].contains("key"));
  EXPECT_EQ(items[1]["error"].get<std::string>().rfind("NotSupported: ", 0), 0u) << js.out;
  EXPECT_TRUE(std::filesystem::exists(dir_.file("cli.db")));
}

TEST_F(CliTest, ShowPrintsScalarValues) {
  {
    auto c = Cache::Open(dir_.file("cli.db"));
    ASSERT_OK(c.status());
    ASSERT_OK((*c)->put(KeyBuilder("volume-ml").build(), Value(1234.5)));
    ASSERT_OK((*c)->put(KeyBuilder("label").build(), Value("left hippocampus")));
    ASSERT_OK((*c)->put(KeyBuilder("none").build(), Value()));
  }
  CliRun d = voxcache_cli(db_ + " show " + KeyBuilder("volume-ml").build().hex());
  EXPECT_NE(d.out.find("value        1234.5"), std::string::npos) << d.out;
  CliRun s = voxcache_cli(db_ + " show " + KeyBuilder("label").build().hex() + " --json");
  EXPECT_EQ(json_in(s.out)["value"], "left hippocampus") << s.out;
  CliRun n = voxcache_cli(db_ + " show " + KeyBuilder("none").build().hex() + " --json");
  EXPECT_TRUE(json_in(n.out).contains("value"));
  EXPECT_TRUE(json_in(n.out)["value"].is_null());
}

TEST_F(CliTest, ShowAndRecompressHandleCustomValuesAndListItemsWithoutTheirDecoders) {
  // A type only its own program can decode, alone and inside a tuple: the
  // CLI, which has no decoder for it, says what it is instead of failing.
  auto types = std::make_shared<TypeRegistry>();
  ASSERT_OK(types->add_type<std::string>(
      "lab.contour", [](const std::string& s) -> Result<std::string> { return s; },
      [](std::string_view b) -> Result<std::string> { return std::string(b); }));
  Options o;
  o.types = types;
  const Volume mask = testing::make_volume(PixelType::kUInt8, 1, {6, 5, 4});
  {
    auto c = Cache::Open(dir_.file("cli.db"), o);
    ASSERT_OK(c.status());
    ASSERT_OK(
        (*c)->put(KeyBuilder("contour").build(), Value::Custom("lab.contour", std::string("xyz"))));
    ASSERT_OK((*c)->put(
        KeyBuilder("seg").build(),
        Value::Tuple(
            {Value(mask), Value(12.5),
             Value::List({Value("gm"), Value::Custom("lab.contour", std::string(40, 'c'))})})));
  }
  CliRun one = voxcache_cli(db_ + " show " + KeyBuilder("contour").build().hex());
  EXPECT_EQ(one.code, 0) << one.out;
  EXPECT_NE(one.out.find("type         lab.contour"), std::string::npos) << one.out;
  CliRun seg = voxcache_cli(db_ + " show " + KeyBuilder("seg").build().hex());
  ASSERT_EQ(seg.code, 0) << seg.out;
  EXPECT_NE(seg.out.find("type         tuple"), std::string::npos) << seg.out;
  EXPECT_NE(seg.out.find("items        3"), std::string::npos) << seg.out;
  EXPECT_NE(seg.out.find("volume 6x5x4 u8"), std::string::npos) << seg.out;
  EXPECT_NE(seg.out.find("float64 12.5"), std::string::npos) << seg.out;
  EXPECT_NE(seg.out.find("list [string \"gm\", lab.contour (40 B)]"), std::string::npos) << seg.out;
  const nlohmann::json items =
      json_in(voxcache_cli(db_ + " show --json " + KeyBuilder("seg").build().hex()).out)["items"];
  ASSERT_EQ(items.size(), 3u);
  EXPECT_EQ(items[0]["dims"], "6x5x4");
  EXPECT_EQ(items[0]["pixel_type"], "u8");
  EXPECT_EQ(items[1]["value"], 12.5);
  EXPECT_EQ(items[2]["items"][1]["type"], "lab.contour");
  EXPECT_EQ(items[2]["items"][1]["bytes"], 40);
  // recompress rewrites them as they were, bytes unchanged, without the decoder.
  CliRun re = voxcache_cli(db_ + " recompress --level 19");
  ASSERT_EQ(re.code, 0) << re.out;
  EXPECT_NE(re.out.find("2 of 2 entries recompressed"), std::string::npos) << re.out;
  auto c = Cache::Open(dir_.file("cli.db"), o);
  ASSERT_OK(c.status());
  Result<Value> contour = (*c)->get(KeyBuilder("contour").build());
  ASSERT_OK(contour.status());
  EXPECT_EQ(*contour->custom<std::string>(), "xyz");
  Result<Value> back = (*c)->get(KeyBuilder("seg").build());
  ASSERT_OK(back.status());
  EXPECT_EQ(*back->items()->at(0).as_volume(), mask);
  EXPECT_EQ(*back->items()->at(2).items()->at(1).custom<std::string>(), std::string(40, 'c'));
  EXPECT_EQ((*c)->info(KeyBuilder("seg").build())->level, 19);
}

}  // namespace
}  // namespace voxcache
