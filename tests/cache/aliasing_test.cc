// Never a wrong voxel (docs/reliability.md, "Aliasing"): every read path,
// with the memory tier on and off, in both chunk layouts, with and without a
// remote tier, reads one key three times and compares every voxel and every
// geometry field with the source; then writes into its own copy of what it
// got and reads again; then overwrites the caller's buffer the source
// volume was adopted from, after the put, and reads again.

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <tuple>

#include "test_support.h"
#include "tier/redis_server.h"
#include "voxcache/cache.h"

namespace voxcache {
namespace {

enum class Path { kGet, kGetOrCompute, kRecipe, kRegion, kSlice, kStream };
const char* path_name(Path p) {
  switch (p) {
    case Path::kGet:
      return "get";
    case Path::kGetOrCompute:
      return "get_or_compute";
    case Path::kRecipe:
      return "get_or_compute_recipe";
    case Path::kRegion:
      return "read_region";
    case Path::kSlice:
      return "read_slice";
    case Path::kStream:
      return "read_volume";
  }
  return "?";
}

using Param = std::tuple<Path, bool /*memory tier*/, bool /*bricks*/, bool /*remote*/>;

// A failed read as a one-voxel volume that equals nothing expected.
Volume must(Result<Volume> v) {
  EXPECT_OK(v.status());
  return v.ok() ? std::move(v).value() : testing::make_volume(PixelType::kUInt8, 1, {1, 1, 1});
}

class AliasingTest : public ::testing::TestWithParam<Param> {
 protected:
  void SetUp() override {
    std::tie(path_, memory_, bricks_, remote_) = GetParam();
    if (remote_) {
      std::filesystem::create_directories(dir_.file("redis"));
      server_ = std::make_unique<testing::RedisServer>(dir_.file("redis"));
    }
    // The caller's own buffer, holding the pristine voxels.
    buffer_ = std::shared_ptr<uint8_t>(new uint8_t[pristine_.byte_size()],
                                       std::default_delete<uint8_t[]>());
    std::memcpy(buffer_.get(), pristine_.data(), pristine_.byte_size());
  }

  // A volume viewing the caller's buffer, as from_itk's and a NumPy array's do.
  Volume source() const {
    return Volume::Adopt(pristine_.layout(), buffer_, pristine_.byte_size()).value();
  }

  Options options() const {
    Options o;                                // the defaults, but for the dimension under test
    if (!memory_) o.memory_budget_bytes = 0;  // off as well as on: two tiers, two buffers
    if (bricks_) o.layout = ChunkLayout::Bricks(4, 4, 4);
    if (remote_) o.remote = server_->url();
    return o;
  }

  Result<Value> compute(Cache* c, const std::function<Result<Value>()>& fn) {
    return path_ == Path::kRecipe ? c->get_or_compute(recipe_, fn) : c->get_or_compute(key_, fn);
  }
  Result<Value> hit(Cache* c) {
    return compute(c, [] { return Result<Value>(Status::IOError("a hit must not compute")); });
  }

  // Stores the source the way the path under test finds it: put, or the
  // result of a computation that returns a volume over the caller's buffer.
  void store(Cache* c) {
    if (path_ == Path::kGetOrCompute || path_ == Path::kRecipe) {
      ASSERT_OK(compute(c, [&]() -> Result<Value> { return Value(source()); }).status());
    } else {
      ASSERT_OK(c->put(key_, source()));
    }
  }

  // One read through the path under test.
  Volume read(Cache* c) {
    switch (path_) {
      case Path::kGet:
      case Path::kGetOrCompute:
      case Path::kRecipe: {
        Result<Value> v = path_ == Path::kGet ? c->get(key_) : hit(c);
        if (v.ok() && !v->as_volume()) v = Status::Corruption("not a volume");
        return must(v.ok() ? Result<Volume>(*v->as_volume()) : Result<Volume>(v.status()));
      }
      case Path::kRegion:
        return must(c->read_region(key_, {0, 0, 0}, pristine_.size()));
      case Path::kSlice:
        return must(c->read_slice(key_, 2, 4));
      case Path::kStream: {
        Result<std::unique_ptr<VolumeReader>> r = c->read_volume(key_);
        if (!r.ok()) return must(r.status());
        Volume out = Volume::Create(pristine_.layout()).value();
        for (;;) {
          Result<VolumeReader::Slab> s = (*r)->next();
          if (!s.ok()) return must(s.status());
          if (s->bytes == 0) return out;
          std::memcpy(out.mutable_data() + s->offset, s->data, s->bytes);
        }
      }
    }
    return must(Status::InvalidArgument("no such path"));
  }

  // What every read must equal, voxels and geometry: for the slice, z = 4
  // with its origin moved to that slice's first voxel.
  Volume expected() const {
    if (path_ != Path::kSlice) return pristine_;
    Volume slice = testing::cut(pristine_, {0, 0, 4}, {11, 10, 1});
    Geometry g = pristine_.geometry();
    for (int i = 0; i < 3; ++i) g.origin[i] += g.direction[3 * i + 2] * g.spacing[2] * 4;
    slice.set_geometry(g);
    return slice;
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::RedisServer> server_;
  Path path_;
  bool memory_, bricks_, remote_;
  const Volume pristine_ = testing::make_ramp_volume(PixelType::kInt16, 1, {11, 10, 9});
  std::shared_ptr<uint8_t> buffer_;
  const KeyBuilder recipe_ = KeyBuilder("aliasing").arg("step", 1);
  const OperationKey key_ = recipe_.build();
};

TEST_P(AliasingTest, WhatACallerHoldsNeverChangesWhatTheCacheReturns) {
  std::unique_ptr<Cache> writer = testing::open_cache(dir_.file("writer.db"), options());
  ASSERT_NE(writer, nullptr);
  store(writer.get());
  // With a remote, another machine's cache, whose own database lacks the
  // entry, reads it.
  std::unique_ptr<Cache> other =
      remote_ ? testing::open_cache(dir_.file("reader.db"), options()) : nullptr;
  Cache* reader = other ? other.get() : writer.get();
  if (other) {
    EXPECT_EQ(testing::query_int(dir_.file("reader.db"), "SELECT count(*) FROM results"), 0);
  }
  const Volume want = expected();
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(read(reader) == want) << "read " << i;
  {
    Volume mine = read(reader);  // a copy the caller owns: to_itk(const Volume&) makes one
    std::memset(mine.mutable_data(), 7, mine.byte_size());
  }
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(read(reader) == want) << "after writing a copy " << i;
  std::memset(buffer_.get(), 0xff, pristine_.byte_size());  // the caller's buffer, after the put
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(read(reader) == want) << "after the source buffer changed " << i;
  }
  const bool whole = path_ == Path::kGet || path_ == Path::kGetOrCompute || path_ == Path::kRecipe;
  if (memory_ && whole) EXPECT_GE(reader->stats().memory_hits, 3u) << "the memory tier served";
}

TEST(Aliasing, AComputedVolumeOverTheCallersBufferIsKeptAsAPrivateCopy) {
  testing::TempDir dir;
  std::unique_ptr<Cache> c = testing::open_cache(dir.file("c.db"));
  const Volume made = testing::make_ramp_volume(PixelType::kFloat32, 1, {8, 8, 8});
  auto buffer = std::make_shared<std::vector<uint8_t>>(made.data(), made.data() + made.byte_size());
  std::shared_ptr<uint8_t> view(buffer, buffer->data());
  const OperationKey k = KeyBuilder("computed").build();
  Result<Value> v = c->get_or_compute(k, [&]() -> Result<Value> {
    return Value(Volume::Adopt(made.layout(), view, made.byte_size()).value());
  });
  ASSERT_OK(v.status());
  Result<Value> hit = c->get(k);
  ASSERT_OK(hit.status());
  EXPECT_EQ(c->stats().memory_hits, 1u);
  EXPECT_NE(hit->as_volume()->data(), buffer->data()) << "the memory tier holds its own copy";
  std::fill(buffer->begin(), buffer->end(), 0);
  EXPECT_TRUE(*c->get(k)->as_volume() == made);
}

TEST(Aliasing, AComputedListOfVolumesOverTheCallersBufferIsNeverKeptAsAView) {
  testing::TempDir dir;
  std::unique_ptr<Cache> c = testing::open_cache(dir.file("c.db"));
  const Volume made = testing::make_ramp_volume(PixelType::kFloat32, 1, {8, 8, 8});
  auto buffer = std::make_shared<std::vector<uint8_t>>(made.data(), made.data() + made.byte_size());
  std::shared_ptr<uint8_t> view(buffer, buffer->data());
  const OperationKey k = KeyBuilder("computed pair").build();
  Result<Value> v = c->get_or_compute(k, [&]() -> Result<Value> {
    return Value::Tuple(
        {Value(Volume::Adopt(made.layout(), view, made.byte_size()).value()), Value(2.5)});
  });
  ASSERT_OK(v.status());
  std::fill(buffer->begin(), buffer->end(), 0);  // the caller reuses its buffer
  for (int i = 0; i < 3; ++i) {
    Result<Value> hit = c->get(k);
    ASSERT_OK(hit.status());
    EXPECT_NE(hit->items()->at(0).as_volume()->data(), buffer->data());
    EXPECT_TRUE(*hit->items()->at(0).as_volume() == made) << "get " << i;
  }
  EXPECT_EQ(c->stats().memory_hits, 2u) << "kept once read back, as owned items";
}

TEST(Aliasing, AComputedVolumeTheCacheAloneHoldsIsSharedNotCopied) {
  testing::TempDir dir;
  std::unique_ptr<Cache> c = testing::open_cache(dir.file("c.db"));
  const OperationKey k = KeyBuilder("owned").build();
  const uint8_t* made = nullptr;
  Result<Value> v = c->get_or_compute(k, [&]() -> Result<Value> {
    Volume vol = testing::make_ramp_volume(PixelType::kUInt8, 1, {8, 8, 8});
    made = vol.data();
    return Value(std::move(vol));
  });
  ASSERT_OK(v.status());
  EXPECT_EQ(v->as_volume()->data(), made);
  EXPECT_EQ(c->get(k)->as_volume()->data(), made) << "no copy: nobody else can write it";
}

TEST(Aliasing, OwnsBufferTellsWhoCanReachTheVoxels) {
  Volume v = testing::make_ramp_volume(PixelType::kUInt8, 1, {2, 2, 2});
  EXPECT_TRUE(v.owns_buffer());
  {
    std::shared_ptr<uint8_t> handed = v.shared_data();  // a writable hand-out, alive
    EXPECT_FALSE(v.owns_buffer());
  }
  EXPECT_TRUE(v.owns_buffer());
  EXPECT_TRUE(Volume(v).owns_buffer()) << "a copy owns its own";
  auto buffer = std::shared_ptr<uint8_t>(new uint8_t[8], std::default_delete<uint8_t[]>());
  Volume adopted = Volume::Adopt(v.layout(), buffer, 8).value();
  buffer.reset();
  EXPECT_FALSE(adopted.owns_buffer()) << "an adopted buffer's owner may still write it";
  const Volume& ro = v;
  static_assert(std::is_same_v<decltype(ro.shared_data()), std::shared_ptr<const uint8_t>>,
                "a const Volume hands out read-only voxels");
}

std::string name(const ::testing::TestParamInfo<Param>& info) {
  auto [path, memory, bricks, remote] = info.param;
  return std::string(path_name(path)) + (memory ? "_memory" : "_nomemory") +
         (bricks ? "_bricks" : "_slabs") + (remote ? "_remote" : "_local");
}

INSTANTIATE_TEST_SUITE_P(Matrix, AliasingTest,
                         ::testing::Combine(::testing::Values(Path::kGet, Path::kGetOrCompute,
                                                              Path::kRecipe, Path::kRegion,
                                                              Path::kSlice, Path::kStream),
                                            ::testing::Bool(), ::testing::Bool(),
                                            ::testing::Bool()),
                         name);

}  // namespace
}  // namespace voxcache
