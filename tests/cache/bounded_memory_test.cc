// Streaming put and get of a volume far larger than their memory bound, with
// every C++ allocation of the process counted. (SQLite's and zstd's own
// mallocs are bounded by their configuration and are not counted here; the
// streaming benchmark reports the whole process's peak RSS.)

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>

#include "test_support.h"
#include "voxcache/cache.h"

namespace {

std::atomic<int64_t> g_live{0};
std::atomic<int64_t> g_peak{0};
constexpr size_t kHeader = 16;  // keeps the size; keeps 16-byte alignment

void* counted_alloc(size_t n) {
  void* p = std::malloc(n + kHeader);
  if (!p) return nullptr;
  std::memcpy(p, &n, sizeof(n));
  const int64_t live = g_live.fetch_add(static_cast<int64_t>(n)) + static_cast<int64_t>(n);
  int64_t peak = g_peak.load();
  while (live > peak && !g_peak.compare_exchange_weak(peak, live)) {
  }
  return static_cast<char*>(p) + kHeader;
}

void counted_free(void* p) {
  if (!p) return;
  char* base = static_cast<char*>(p) - kHeader;
  size_t n;
  std::memcpy(&n, base, sizeof(n));
  g_live.fetch_sub(static_cast<int64_t>(n));
  std::free(base);
}

}  // namespace

void* operator new(size_t n) {
  if (void* p = counted_alloc(n)) return p;
  throw std::bad_alloc();
}
void* operator new[](size_t n) { return operator new(n); }
void* operator new(size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n); }
void* operator new[](size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n); }
void operator delete(void* p) noexcept { counted_free(p); }
void operator delete[](void* p) noexcept { counted_free(p); }
void operator delete(void* p, size_t) noexcept { counted_free(p); }
void operator delete[](void* p, size_t) noexcept { counted_free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { counted_free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { counted_free(p); }

namespace voxcache {
namespace {

// One z-slice of a deterministic CT-like volume: air, a body, noise.
void make_slice(uint64_t z, uint64_t n, std::vector<int16_t>* out) {
  out->resize(n * n);
  uint32_t seed = static_cast<uint32_t>(z * 2654435761u);
  for (uint64_t y = 0; y < n; ++y)
    for (uint64_t x = 0; x < n; ++x) {
      seed = seed * 1664525u + 1013904223u;
      const int64_t dx = static_cast<int64_t>(x) - static_cast<int64_t>(n / 2);
      const int64_t dy = static_cast<int64_t>(y) - static_cast<int64_t>(n / 2);
      const bool body = dx * dx + dy * dy < static_cast<int64_t>(n * n / 6);
      (*out)[y * n + x] = body ? static_cast<int16_t>(40 + (seed >> 28)) : int16_t{-1000};
    }
}

// 256 KiB chunks on 2 threads: the bound is a few MiB, far below the volumes.
Options small_chunks() {
  Options o;
  o.chunk_bytes = 256 * 1024;
  o.threads = 2;
  o.compression_level = 1;
  o.memory_budget_bytes = 0;
  return o;
}

TEST(BoundedMemory, StreamingPutAndGetStayWithinChunkTimesThreads) {
  testing::TempDir dir;
  const Options o = small_chunks();
  auto cache = Cache::Open(dir.file("big.db"), o);
  ASSERT_OK(cache.status());
  const uint64_t n = 512, slices = 512;  // 512^3 int16: 256 MiB, never held whole
  VolumeLayout layout;
  layout.pixel_type = PixelType::kInt16;
  layout.size = {n, n, slices};
  const OperationKey key = KeyBuilder("big").build();
  std::vector<int16_t> slice;
  make_slice(0, n, &slice);  // allocate the slice buffer before measuring

  // Two batches (4 MiB, kBatchBytes, of pending bytes and their encoded
  // chunks), plus slack.
  const int64_t bound = 16 << 20;
  const int64_t base = g_live.load();
  g_peak.store(base);
  {
    auto w = (*cache)->write_volume(key, layout);
    ASSERT_OK(w.status());
    for (uint64_t z = 0; z < slices; ++z) {
      make_slice(z, n, &slice);
      ASSERT_OK((*w)->write(slice.data(), slice.size() * sizeof(int16_t)));
    }
    ASSERT_OK((*w)->commit());
  }
  const int64_t put_peak = g_peak.load() - base;
  EXPECT_LT(put_peak, bound) << "streaming put peaked at " << put_peak << " bytes";
  ASSERT_GT((*cache)->info(key)->chunk_count, 500u);

  g_peak.store(g_live.load());
  const int64_t base2 = g_live.load();
  {
    auto r = (*cache)->read_volume(key);
    ASSERT_OK(r.status());
    uint64_t offset = 0;
    std::vector<int16_t> expect;
    for (;;) {
      Result<VolumeReader::Slab> s = (*r)->next();
      ASSERT_OK(s.status());
      if (s->bytes == 0) break;
      ASSERT_EQ(s->offset, offset);
      const uint64_t slice_bytes = n * n * sizeof(int16_t);
      for (uint64_t at = 0; at < s->bytes; at += slice_bytes) {  // check every voxel
        make_slice((offset + at) / slice_bytes, n, &expect);
        ASSERT_EQ(std::memcmp(s->data + at, expect.data(), slice_bytes), 0);
      }
      offset += s->bytes;
    }
    EXPECT_EQ(offset, layout.byte_size());
  }
  const int64_t get_peak = g_peak.load() - base2;
  EXPECT_LT(get_peak, bound) << "streaming get peaked at " << get_peak << " bytes";
  std::printf("peak heap: streaming put %.1f MiB, streaming get %.1f MiB, volume 256 MiB\n",
              put_peak / 1048576.0, get_peak / 1048576.0);
}

// A plain put of a volume in memory reads the caller's buffer: no copy of the
// voxels, and no more working memory than a streaming put.
TEST(BoundedMemory, PutOfAVolumeInMemoryDoesNotCopyIt) {
  testing::TempDir dir;
  const Options o = small_chunks();
  auto cache = Cache::Open(dir.file("put.db"), o);
  ASSERT_OK(cache.status());
  VolumeLayout layout;
  layout.pixel_type = PixelType::kInt16;
  layout.size = {512, 512, 128};  // 64 MiB
  Result<Volume> vol = Volume::Create(layout);
  ASSERT_OK(vol.status());
  std::vector<int16_t> slice;
  for (uint64_t z = 0; z < 128; ++z) {
    make_slice(z, 512, &slice);
    std::memcpy(vol->mutable_data() + z * 512 * 512 * 2, slice.data(), 512 * 512 * 2);
  }
  const int64_t base = g_live.load();
  g_peak.store(base);
  ASSERT_OK((*cache)->put(KeyBuilder("in-memory").build(), *vol));
  const int64_t peak = g_peak.load() - base;
  EXPECT_LT(peak, 16 << 20) << "put of a 64 MiB volume peaked at " << peak << " bytes";
  Result<Value> back = (*cache)->get(KeyBuilder("in-memory").build());
  ASSERT_OK(back.status());
  EXPECT_EQ(*back->as_volume(), *vol);
}

}  // namespace
}  // namespace voxcache
