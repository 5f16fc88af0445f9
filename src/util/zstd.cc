#include "util/zstd.h"

#include <zstd.h>

#include <memory>

namespace voxcache::util {
namespace {

struct CCtxFree {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct DCtxFree {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

// Contexts hold tens of MiB of tables at high levels; one per thread avoids
// both re-allocation per chunk and locking.
ZSTD_CCtx* thread_cctx() {
  thread_local std::unique_ptr<ZSTD_CCtx, CCtxFree> ctx(ZSTD_createCCtx());
  return ctx.get();
}
ZSTD_DCtx* thread_dctx() {
  thread_local std::unique_ptr<ZSTD_DCtx, DCtxFree> ctx(ZSTD_createDCtx());
  return ctx.get();
}

}  // namespace

Status zstd_compress(std::string_view in, int level, std::string* out) {
  ZSTD_CCtx* ctx = thread_cctx();
  if (!ctx) return Status::IOError("zstd: cannot allocate a compression context");
  const size_t old = out->size();
  out->resize(old + ZSTD_compressBound(in.size()));
  const size_t n =
      ZSTD_compressCCtx(ctx, out->data() + old, out->size() - old, in.data(), in.size(), level);
  if (ZSTD_isError(n)) {
    out->resize(old);
    return Status::IOError(std::string("zstd compress: ") + ZSTD_getErrorName(n));
  }
  out->resize(old + n);
  return Status::OK();
}

Status zstd_decompress(std::string_view in, void* out, size_t out_size) {
  ZSTD_DCtx* ctx = thread_dctx();
  if (!ctx) return Status::IOError("zstd: cannot allocate a decompression context");
  const size_t n = ZSTD_decompressDCtx(ctx, out, out_size, in.data(), in.size());
  if (ZSTD_isError(n)) {
    return Status::Corruption(std::string("zstd: ") + ZSTD_getErrorName(n));
  }
  if (n != out_size) {
    return Status::Corruption("zstd frame decodes to " + std::to_string(n) + " bytes, expected " +
                              std::to_string(out_size));
  }
  return Status::OK();
}

int zstd_max_level() { return ZSTD_maxCLevel(); }

}  // namespace voxcache::util
