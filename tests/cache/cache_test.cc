#include "voxcache/cache.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <thread>

#include "cache/cache_fixture.h"
#include "test_support.h"

namespace voxcache {
namespace {

using testing::make_volume;
using testing::raw_sql;
using testing::TempDir;

TEST_F(CacheTest, EveryPixelTypeAndComponentCountRoundTripsExactly) {
  for (int t = 1; t <= 10; ++t) {
    for (uint32_t comps = 1; comps <= 4; ++comps) {
      for (std::array<uint64_t, 3> size : {std::array<uint64_t, 3>{1, 1, 1}, {7, 3, 5}}) {
        SCOPED_TRACE(std::string(pixel_type_name(static_cast<PixelType>(t))) + " x" +
                     std::to_string(comps));
        round_trip(make_volume(static_cast<PixelType>(t), comps, size, t, /*smooth=*/false));
      }
    }
  }
}

TEST_F(CacheTest, BrainSizedVolumesOfEveryPixelTypeRoundTrip) {
  for (int t = 1; t <= 10; ++t) {
    SCOPED_TRACE(pixel_type_name(static_cast<PixelType>(t)));
    round_trip(make_volume(static_cast<PixelType>(t), 1, {181, 217, 181}, t));
  }
  round_trip(make_volume(PixelType::kFloat32, 3, {181, 217, 181}, 3));
}

TEST_F(CacheTest, ScalarsStringsAndNullRoundTrip) {
  round_trip(Value());
  round_trip(Value(true));
  round_trip(Value(false));
  round_trip(Value(int64_t{-1234567890123}));
  round_trip(Value(std::numeric_limits<int64_t>::min()));
  round_trip(Value(0.1));
  round_trip(Value(-0.0));
  round_trip(Value(std::numeric_limits<double>::quiet_NaN()));
  round_trip(Value(std::numeric_limits<double>::infinity()));
  round_trip(Value(""));
  round_trip(Value(std::string("with\0nul", 8)));
  std::string big(3 << 20, 'x');
  for (size_t i = 0; i < big.size(); i += 7) big[i] = static_cast<char>(i);
  round_trip(Value(big));
}

TEST_F(CacheTest, ListsAndTuplesRoundTripWithEveryItemExact) {
  // `return mask, volume_ml`: a brain-sized mask (many chunks) and a number.
  Volume mask = make_volume(PixelType::kBool, 1, {181, 217, 181}, 1);
  for (uint64_t i = 0; i < mask.byte_size(); ++i) mask.mutable_data()[i] = (i / 1000) % 3 == 0;
  const Value pair = Value::Tuple({Value(mask), Value(1234.5)});
  round_trip(pair);
  round_trip(Value::List({}));
  round_trip(Value::List({Value::Tuple({Value("a"), Value()}), Value(int64_t{3}),
                          Value(make_volume(PixelType::kFloat32, 3, {7, 3, 5}, 2))}));
  EXPECT_EQ(query_int("SELECT count(*) FROM results WHERE data_type = 'tuple'"), 1);
  EXPECT_EQ(query_int("SELECT count(*) FROM results WHERE data_type = 'list'"), 2);
  EXPECT_EQ(query_int("SELECT count(*) FROM results WHERE data_type = 'list' AND layout IS NULL"),
            2);
  EXPECT_EQ(query_int("SELECT min(unicode(substr(data, 5, 1))) FROM results"), 5)
      << "format version 5";
  // The defaults: the memory tier answers the second get with the same items.
  auto c = open();
  const OperationKey k = KeyBuilder("pair").build();
  ASSERT_OK(c->put(k, pair));
  for (int i = 0; i < 2; ++i) {
    Result<Value> back = c->get(k);
    ASSERT_OK(back.status());
    EXPECT_TRUE(*back == pair) << i;
  }
  EXPECT_EQ(c->stats().memory_hits, 1u);
  // A chunk layout is for volumes: a list of them is not one.
  PutOptions bricks;
  bricks.layout = ChunkLayout::Bricks(8, 8, 8);
  EXPECT_TRUE(c->put(KeyBuilder("bricked").build(), pair, bricks).is_invalid_argument());
}

TEST_F(CacheTest, MissIsNotFoundAndDistinctFromErrors) {
  auto c = open();
  const OperationKey k = KeyBuilder("absent").build();
  Result<Value> v = c->get(k);
  EXPECT_TRUE(v.status().is_not_found()) << v.status().to_string();
  Result<bool> has = c->contains(k);
  ASSERT_OK(has.status());
  EXPECT_FALSE(*has);
  EXPECT_TRUE(c->erase(k).is_not_found());
  EXPECT_TRUE(c->info(k).status().is_not_found());
}

TEST_F(CacheTest, EntriesPersistAcrossReopen) {
  const OperationKey k = KeyBuilder("persist").build();
  const Volume vol = make_volume(PixelType::kInt16, 1, {30, 20, 10});
  {
    auto c = open();
    ASSERT_OK(c->put(k, vol, PutOptions{R"({"source": "test", "n": 1})"}));
  }
  auto c = open();
  Result<bool> has = c->contains(k);
  ASSERT_OK(has.status());
  EXPECT_TRUE(*has);
  Result<Value> v = c->get(k);
  ASSERT_OK(v.status());
  EXPECT_EQ(*v->as_volume(), vol);
  Result<EntryInfo> info = c->info(k);
  ASSERT_OK(info.status());
  EXPECT_EQ(info->data_type, "volume");
  EXPECT_EQ(info->metadata, R"({"n":1,"source":"test"})");
  EXPECT_EQ(info->raw_bytes, vol.byte_size());
  ASSERT_TRUE(info->volume.has_value());
  EXPECT_EQ(info->volume->size, vol.size());
  EXPECT_TRUE(info->volume->geometry.bit_equal(vol.geometry()));
  EXPECT_EQ(info->checksum.rfind("xxh3-128:", 0), 0u);
  EXPECT_EQ(info->stored_bytes, static_cast<uint64_t>(query_int(
                                    "SELECT length(data) + (SELECT coalesce(sum(length(data)),0) "
                                    "FROM chunks) FROM results")));
}

TEST_F(CacheTest, PuttingAPresentKeyIsANoOp) {
  auto c = open();
  const OperationKey k = KeyBuilder("same").build();
  ASSERT_OK(c->put(k, Value(1)));
  Result<EntryInfo> before = c->info(k);
  ASSERT_OK(before.status());
  ASSERT_OK(c->put(k, Value(2)));  // content-addressed: the first value stands
  Result<Value> v = c->get(k);
  ASSERT_OK(v.status());
  EXPECT_EQ(*v->as_int64(), 1);
  EXPECT_EQ(c->info(k)->created_at_ms, before->created_at_ms);
  EXPECT_EQ(query_int("SELECT count(*) FROM results"), 1);
}

TEST_F(CacheTest, IncompressibleDataIsStoredRawAndReadBack) {
  auto c = open();
  const OperationKey k = KeyBuilder("noise").build();
  const Volume noise = make_volume(PixelType::kUInt8, 1, {200, 200, 50}, 9, /*smooth=*/false);
  ASSERT_OK(c->put(k, noise));
  Result<EntryInfo> info = c->info(k);
  ASSERT_OK(info.status());
  EXPECT_EQ(info->codec, "none");
  EXPECT_GE(info->stored_bytes, noise.byte_size());
  EXPECT_LT(info->stored_bytes, noise.byte_size() + 1024);
  EXPECT_EQ(*c->get(k)->as_volume(), noise);
  EXPECT_EQ(query_int("SELECT count(*) FROM chunks WHERE substr(data, 1, 1) = X'01'"), 0);
}

TEST_F(CacheTest, CompressibleVolumesShrinkAndSpanSeveralChunks) {
  auto c = open();
  const OperationKey k = KeyBuilder("smooth").build();
  const Volume vol = make_volume(PixelType::kUInt8, 1, {181, 217, 181});
  ASSERT_OK(c->put(k, vol));
  Result<EntryInfo> info = c->info(k);
  ASSERT_OK(info.status());
  EXPECT_EQ(info->codec, "zstd");
  EXPECT_EQ(info->level, 3);
  EXPECT_GT(info->ratio(), 5.0);
  EXPECT_GT(info->chunk_count, 1u);
  EXPECT_EQ(info->chunk_bytes % (181 * 217), 0u) << "chunks are whole z-slabs";
}

TEST_F(CacheTest, LevelZeroStoresEverythingUncompressedAndReadable) {
  Options o;
  o.compression_level = 0;
  auto c = open(o);
  const OperationKey k = KeyBuilder("plain").build();
  const Volume vol = make_volume(PixelType::kInt16, 2, {50, 40, 30});
  ASSERT_OK(c->put(k, vol));
  EXPECT_EQ(c->info(k)->codec, "none");
  c.reset();
  auto reader = open();  // default level: still reads the uncompressed entry
  EXPECT_EQ(*reader->get(k)->as_volume(), vol);
}

TEST_F(CacheTest, MetadataMustBeJson) {
  auto c = open();
  const OperationKey k = KeyBuilder("meta").build();
  Status s = c->put(k, Value(1), PutOptions{"{not json"});
  EXPECT_TRUE(s.is_invalid_argument()) << s.to_string();
  EXPECT_TRUE(c->get(k).status().is_not_found()) << "nothing stored on a bad put";
  ASSERT_OK(c->put(k, Value(1), PutOptions{"[1, 2]"}));
  EXPECT_EQ(c->info(k)->metadata, "[1,2]");
}

TEST_F(CacheTest, ReadOnlyRefusesWritesAndReads) {
  const OperationKey k = KeyBuilder("ro").build();
  ASSERT_OK(open()->put(k, Value("kept")));
  Options o;
  o.read_only = true;
  auto c = open(o);
  EXPECT_EQ(*c->get(k)->as_string(), "kept");
  EXPECT_TRUE(c->put(KeyBuilder("new").build(), Value(1)).is_invalid_argument());
  EXPECT_TRUE(c->erase(k).is_invalid_argument());
}

// An entry whose stored form is larger than SQLite's value limit still stores
// and loads, because chunks are rows of their own. Lowering the limit to 64 KiB
// exercises the same path as a >1 GB volume under the default 1 GB limit.
TEST_F(CacheTest, EntriesLargerThanTheSQLiteValueLimitAreChunked) {
  Options o;
  o.max_sqlite_value_bytes = 64 * 1024;
  auto c = open(o);
  const OperationKey k = KeyBuilder("huge").build();
  const Volume noise = make_volume(PixelType::kFloat32, 1, {100, 100, 30}, 5, /*smooth=*/false);
  ASSERT_GT(noise.byte_size(), 10 * o.max_sqlite_value_bytes);
  ASSERT_OK(c->put(k, noise));
  EXPECT_LE(query_int("SELECT max(length(data)) FROM chunks"), 64 * 1024);
  EXPECT_GE(c->info(k)->chunk_count, 10u);
  EXPECT_EQ(*c->get(k)->as_volume(), noise);

  const OperationKey s = KeyBuilder("long string").build();
  ASSERT_OK(c->put(s, Value(std::string(500000, 'q'))));
  EXPECT_EQ(c->get(s)->as_string()->size(), 500000u);

  // Metadata cannot be chunked: too large is a clear error, and nothing is kept.
  const OperationKey m = KeyBuilder("big metadata").build();
  Status big = c->put(m, Value(1), PutOptions{"\"" + std::string(70000, 'm') + "\""});
  EXPECT_TRUE(big.is_invalid_argument()) << big.to_string();
  EXPECT_TRUE(c->get(m).status().is_not_found());
}

TEST_F(CacheTest, GetOrComputeComputesOnceAndStoresNoFailure) {
  auto c = open();
  const OperationKey k = KeyBuilder("square").arg("x", 12).build();
  int calls = 0;
  auto compute = [&]() -> Result<Value> {
    ++calls;
    return Value(int64_t{144});
  };
  for (int i = 0; i < 3; ++i) {
    Result<Value> v = c->get_or_compute(k, compute);
    ASSERT_OK(v.status());
    EXPECT_EQ(*v->as_int64(), 144);
  }
  EXPECT_EQ(calls, 1);

  const OperationKey f = KeyBuilder("fails").build();
  auto failing = [&]() -> Result<Value> { return Status::IOError("scanner offline"); };
  Result<Value> r = c->get_or_compute(f, failing);
  EXPECT_TRUE(r.status().is_io_error());
  EXPECT_EQ(r.status().message(), "scanner offline");
  EXPECT_TRUE(c->get(f).status().is_not_found()) << "a failure is never cached";
}

TEST_F(CacheTest, GetOrComputeKeepsTheResultWhenStoringFails) {
  const OperationKey k = KeyBuilder("expensive").build();
  ASSERT_OK(open()->put(KeyBuilder("other").build(), Value(0)));  // creates the file
  Options o;
  o.read_only = true;
  auto c = open(o);
  Status stored = Status::OK();
  Result<Value> v = c->get_or_compute(
      k, []() -> Result<Value> { return Value("ten minutes of work"); }, PutOptions(), &stored);
  ASSERT_OK(v.status());
  EXPECT_EQ(*v->as_string(), "ten minutes of work");
  EXPECT_TRUE(stored.is_invalid_argument()) << stored.to_string();
  EXPECT_TRUE(c->get(k).status().is_not_found());

  auto rw = open();
  Status hit_status = Status::IOError("unset");
  ASSERT_OK(rw->put(k, Value(1)));
  ASSERT_OK(rw->get_or_compute(
                  k, []() -> Result<Value> { return Value(2); }, PutOptions(), &hit_status)
                .status());
  EXPECT_OK(hit_status);
}

TEST_F(CacheTest, GetOrComputeReportsCorruptionInsteadOfRecomputing) {
  auto c = open();
  const OperationKey k = KeyBuilder("v").build();
  ASSERT_OK(c->put(k, make_volume(PixelType::kUInt8, 1, {181, 217, 60}, 1, false)));
  raw_sql(path_, "UPDATE chunks SET data = X'07' || substr(data, 2) WHERE chunk_index = 0");
  bool called = false;
  Result<Value> v = c->get_or_compute(k, [&]() -> Result<Value> {
    called = true;
    return Value();
  });
  EXPECT_TRUE(v.status().is_corruption());
  EXPECT_FALSE(called);
}

struct Mesh {
  std::vector<float> points;
};

TEST_F(CacheTest, UserRegisteredTypesRoundTrip) {
  auto types = std::make_shared<TypeRegistry>();
  ASSERT_OK(types->add_type<Mesh>(
      "test.mesh",
      [](const Mesh& m) -> Result<std::string> {
        return std::string(reinterpret_cast<const char*>(m.points.data()), m.points.size() * 4);
      },
      [](std::string_view b) -> Result<Mesh> {
        if (b.size() % 4) return Status::Corruption("mesh bytes not a multiple of 4");
        Mesh m;
        m.points.resize(b.size() / 4);
        std::memcpy(m.points.data(), b.data(), b.size());
        return m;
      }));
  Options o;
  o.types = types;
  const OperationKey k = KeyBuilder("mesh").build();
  {
    auto c = open(o);
    ASSERT_OK(c->put(k, Value::Custom("test.mesh", Mesh{{1.f, 2.f, 3.5f}})));
    EXPECT_TRUE(
        c->put(KeyBuilder("x").build(), Value::Custom("unregistered", 1)).is_invalid_argument());
  }
  auto c = open(o);
  Result<Value> v = c->get(k);
  ASSERT_OK(v.status());
  EXPECT_EQ(v->type_tag(), "test.mesh");
  ASSERT_NE(v->custom<Mesh>(), nullptr);
  EXPECT_EQ(v->custom<Mesh>()->points, (std::vector<float>{1.f, 2.f, 3.5f}));
  EXPECT_EQ(c->info(k)->data_type, "test.mesh");

  auto without = open();  // no registry: a clear NotSupported, not garbage
  EXPECT_TRUE(without->get(k).status().is_not_supported());
}

TEST_F(CacheTest, ResolvePrefix) {
  auto c = open();
  std::vector<OperationKey> keys;
  for (int i = 0; i < 64; ++i) {
    keys.push_back(KeyBuilder("p").arg("i", i).build());
    ASSERT_OK(c->put(keys.back(), Value(i)));
  }
  Result<OperationKey> full = c->admin().resolve_prefix(keys[5].hex().substr(0, 12));
  ASSERT_OK(full.status());
  EXPECT_EQ(*full, keys[5]);
  std::string upper = keys[5].hex().substr(0, 10);
  for (char& ch : upper) ch = static_cast<char>(std::toupper(ch));
  EXPECT_EQ(*c->admin().resolve_prefix(upper), keys[5]);
  EXPECT_TRUE(c->admin().resolve_prefix("0123").status().is_invalid_argument());  // too short
  EXPECT_TRUE(c->admin().resolve_prefix("zzzzzzzz").status().is_invalid_argument());
  // Find two keys sharing 1 hex digit and check an 8-digit miss is NotFound.
  std::string absent = "00000000";
  for (bool clash = true; clash;) {
    clash = false;
    for (const auto& k : keys) clash |= k.hex().rfind(absent, 0) == 0;
    if (clash) absent[7]++;
  }
  EXPECT_TRUE(c->admin().resolve_prefix(absent).status().is_not_found());
}

TEST_F(CacheTest, ListIsNewestFirstWithLayouts) {
  auto c = open();
  ASSERT_OK(c->put(KeyBuilder("a").build(), Value(1)));
  ASSERT_OK(c->put(KeyBuilder("b").build(), make_volume(PixelType::kInt8, 2, {3, 3, 3})));
  Result<std::vector<EntryInfo>> all = c->admin().list();
  ASSERT_OK(all.status());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_GE((*all)[0].created_at_ms, (*all)[1].created_at_ms);
  int volumes = 0;
  for (const auto& e : *all) volumes += e.volume.has_value();
  EXPECT_EQ(volumes, 1);
}

TEST_F(CacheTest, EraseRemovesEntryAndChunks) {
  auto c = open();
  const OperationKey k = KeyBuilder("gone").build();
  ASSERT_OK(c->put(k, make_volume(PixelType::kUInt8, 1, {181, 217, 40}, 2, false)));
  ASSERT_GT(query_int("SELECT count(*) FROM chunks"), 0);
  ASSERT_OK(c->erase(k));
  EXPECT_TRUE(c->get(k).status().is_not_found());
  EXPECT_EQ(query_int("SELECT count(*) FROM chunks"), 0);
}

TEST_F(CacheTest, DatabaseIsWalWithSchemaVersion) {
  open();
  EXPECT_EQ(query_int("PRAGMA user_version"), 8);
  EXPECT_EQ(query_int("PRAGMA application_id"), 0x56584341);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(st), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(st, 0)), "wal");
  sqlite3_finalize(st);
  sqlite3_close(db);
}

// One Cache shared by threads that put and get distinct and identical keys.
TEST_F(CacheTest, ConcurrentPutsAndGetsOnOneCache) {
  auto c = open();
  const Volume shared_vol = make_volume(PixelType::kInt16, 1, {64, 64, 32}, 4);
  const OperationKey shared_key = KeyBuilder("shared").build();
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        const OperationKey own = KeyBuilder("own").arg("t", t).arg("i", i).build();
        const Volume v = make_volume(PixelType::kUInt8, 1, {32, 32, 8}, t * 100 + i);
        if (!c->put(own, v).ok()) ++failures;
        if (!c->put(shared_key, shared_vol).ok()) ++failures;
        Result<Value> mine = c->get(own);
        if (!mine.ok() || *mine->as_volume() != v) ++failures;
        Result<Value> common = c->get(shared_key);
        if (!common.ok() || *common->as_volume() != shared_vol) ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(query_int("SELECT count(*) FROM results"), 81);
}

TEST(MemoryTierInCache, SecondGetIsAMemoryHitSharingTheVolume) {
  testing::TempDir dir;
  Options o;
  o.memory_budget_bytes = 1 << 20;
  auto c = std::move(Cache::Open(dir.file("tier.db"), o)).value();
  const Volume small = testing::make_volume(PixelType::kUInt8, 1, {64, 64, 64});  // 256 KiB
  const Volume big =
      testing::make_volume(PixelType::kUInt8, 1, {128, 128, 80});  // 1.25 MiB: too big
  ASSERT_OK(c->put(KeyBuilder("small").build(), small));
  ASSERT_OK(c->put(KeyBuilder("big").build(), big));
  Result<Value> a = c->get(KeyBuilder("small").build());
  Result<Value> b = c->get(KeyBuilder("small").build());
  ASSERT_OK(a.status());
  ASSERT_OK(b.status());
  EXPECT_EQ(a->as_volume(), b->as_volume()) << "shared, not copied";
  ASSERT_OK(c->get(KeyBuilder("big").build()).status());
  ASSERT_OK(c->get(KeyBuilder("big").build()).status());
  EXPECT_TRUE(c->get(KeyBuilder("missing").build()).status().is_not_found());
  const CacheStats s = c->stats();
  EXPECT_EQ(s.disk_hits, 3u);  // small once, big twice (larger than the budget)
  EXPECT_EQ(s.memory_hits, 1u);
  EXPECT_EQ(s.misses, 1u);
  EXPECT_EQ(s.puts, 2u);
  EXPECT_EQ(s.memory_entries, 1u);
  EXPECT_EQ(s.memory_bytes, small.byte_size());
  ASSERT_OK(c->erase(KeyBuilder("small").build()));
  EXPECT_TRUE(c->get(KeyBuilder("small").build()).status().is_not_found()) << "erase drops it";
}

}  // namespace
}  // namespace voxcache
