// PutOptions::replace and what keeps memory tiers honest about it
// (store/replacements.h): a replaced, erased or cleared key is never served
// from the memory tier of another handle afterwards, and readers during a
// replace find the old entry or the new, never a miss. Every handle here is
// opened on the default Options: the memory tier is on.

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "test_support.h"
#include "voxcache/admin.h"
#include "voxcache/cache.h"

namespace voxcache {
namespace {

using testing::TempDir;

class ReplaceTest : public ::testing::Test {
 protected:
  std::unique_ptr<Cache> handle() { return testing::open_cache(dir_.file("r.db")); }
  // A volume of `v` everywhere: which version a reader got is one voxel.
  static Value version(uint8_t v) {
    Volume vol = testing::make_volume(PixelType::kUInt8, 1, {16, 16, 16});
    std::fill(vol.mutable_data(), vol.mutable_data() + vol.byte_size(), v);
    return Value(std::move(vol));
  }
  static int version_of(const Value& v) { return v.as_volume()->data()[0]; }
  // Gets `key` through `c` until its memory tier answers.
  static void warm(Cache* c, const OperationKey& key) {
    const uint64_t before = c->stats().memory_hits;
    ASSERT_OK(c->get(key).status());
    ASSERT_OK(c->get(key).status());
    ASSERT_GT(c->stats().memory_hits, before) << "the memory tier holds it";
  }

  TempDir dir_;
  const OperationKey key_ = KeyBuilder("node").arg("id", "n42").build();
};

TEST_F(ReplaceTest, ReplacesValueAndMetadataAndNoMemoryTierServesTheOldValue) {
  auto writer = handle();
  auto reader = handle();
  PutOptions first;
  first.metadata_json = R"({"run": 1})";
  ASSERT_OK(writer->put(key_, version(1), first));
  warm(reader.get(), key_);
  warm(writer.get(), key_);
  bool stored = false;
  PutOptions again;
  again.metadata_json = R"({"run": 2})";
  again.replace = true;
  again.stored = &stored;
  ASSERT_OK(writer->put(key_, version(2), again));
  EXPECT_TRUE(stored);
  for (Cache* c : {writer.get(), reader.get()}) {
    Result<Value> v = c->get(key_);
    ASSERT_OK(v.status());
    EXPECT_EQ(version_of(*v), 2) << "a stale hit from the memory tier";
    EXPECT_EQ(c->info(key_)->metadata, R"({"run":2})");
  }
  EXPECT_EQ(testing::query_int(dir_.file("r.db"), "SELECT count(*) FROM results"), 1);
  EXPECT_EQ(testing::query_int(dir_.file("r.db"), "SELECT replaced FROM totals"), 1);
  // A replace of a key not there is a put.
  const OperationKey fresh = KeyBuilder("node").arg("id", "n43").build();
  ASSERT_OK(writer->put(fresh, version(3), again));
  EXPECT_EQ(version_of(*reader->get(fresh)), 3);
}

TEST_F(ReplaceTest, EraseOrClearThenAnotherValueIsNeverAStaleHitElsewhere) {
  auto writer = handle();
  auto reader = handle();
  ASSERT_OK(writer->put(key_, version(1)));
  warm(reader.get(), key_);
  ASSERT_OK(writer->erase(key_));
  EXPECT_TRUE(reader->get(key_).status().is_not_found()) << "erased: a miss, not memory";
  ASSERT_OK(writer->put(key_, version(2)));
  warm(reader.get(), key_);
  EXPECT_EQ(version_of(*reader->get(key_)), 2);
  ASSERT_OK(writer->admin().clear(false).status());
  ASSERT_OK(writer->put(key_, version(3)));
  EXPECT_EQ(version_of(*reader->get(key_)), 3);
}

TEST_F(ReplaceTest, RecompressKeepsOtherHandlesMemoryTiers) {
  // The same value again: nothing to drop, so the reader's memory answers.
  auto writer = handle();
  auto reader = handle();
  ASSERT_OK(writer->put(key_, version(1)));
  warm(reader.get(), key_);
  RecompressOptions o;
  o.level = 19;
  ASSERT_OK(writer->admin().recompress(key_, o).status());
  const uint64_t hits = reader->stats().memory_hits;
  EXPECT_EQ(version_of(*reader->get(key_)), 1);
  EXPECT_EQ(reader->stats().memory_hits, hits + 1);
  EXPECT_EQ(testing::query_int(dir_.file("r.db"), "SELECT replaced FROM totals"), 0);
}

TEST_F(ReplaceTest, ReadersDuringReplacesFindTheOldOrTheNewNeverAMissOrAStaleValue) {
  auto writer = handle();
  ASSERT_OK(writer->put(key_, version(0)));
  constexpr int kReplaces = 60;
  std::atomic<int> last_committed{0};
  std::atomic<bool> done{false};
  std::atomic<int> misses{0}, stale{0}, reads{0}, gets{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      auto c = handle();  // a handle of its own, memory tier on
      while (!done) {
        const int floor = last_committed.load();  // committed before this get began
        Result<Value> v = c->get(key_);
        ++gets;
        if (!v.ok()) {
          ++misses;
          continue;
        }
        if (version_of(*v) < floor) ++stale;
        ++reads;
      }
    });
  }
  // The readers read before the first replace and between every two: the
  // test is of reads during replaces, which a loaded scheduler could
  // otherwise leave out (readers still opening their handles when the
  // writer is done).
  auto let_readers_read = [&](int more) {
    const int until = gets.load() + more;
    while (gets.load() < until) std::this_thread::yield();
  };
  let_readers_read(3);
  PutOptions o;
  o.replace = true;
  for (int i = 1; i <= kReplaces; ++i) {
    ASSERT_OK(writer->put(key_, version(static_cast<uint8_t>(i)), o));
    last_committed = i;
    let_readers_read(2);
  }
  done = true;
  for (std::thread& t : readers) t.join();
  EXPECT_EQ(misses.load(), 0) << "a replace is never visible as a miss";
  EXPECT_EQ(stale.load(), 0) << "a get after a replace committed served an older value";
  EXPECT_GT(reads.load(), kReplaces);
}

TEST_F(ReplaceTest, ReplaceIsRefusedWhereItCannotHold) {
  auto c = handle();
  PutOptions o;
  o.replace = true;
  Result<Value> v = c->get_or_compute(
      key_, [] { return Result<Value>(version(1)); }, o);
  EXPECT_TRUE(v.status().is_invalid_argument()) << v.status().to_string();
  EXPECT_TRUE(c->get(key_).status().is_not_found()) << "nothing computed, nothing stored";
}

}  // namespace
}  // namespace voxcache
