#include "util/lz4.h"

#include <lz4.h>

#include <limits>

namespace voxcache::util {

Status lz4_compress(std::string_view in, std::string* out) {
  if (in.size() > static_cast<size_t>(LZ4_MAX_INPUT_SIZE)) {
    return Status::InvalidArgument("lz4: " + std::to_string(in.size()) +
                                   " bytes exceed its block limit");
  }
  const int n = static_cast<int>(in.size());
  const size_t old = out->size();
  out->resize(old + static_cast<size_t>(LZ4_compressBound(n)));
  const int written =
      LZ4_compress_default(in.data(), out->data() + old, n, static_cast<int>(out->size() - old));
  if (written <= 0 && n > 0) {
    out->resize(old);
    return Status::IOError("lz4 compress failed");
  }
  out->resize(old + static_cast<size_t>(written));
  return Status::OK();
}

Status lz4_decompress(std::string_view in, void* out, size_t out_size) {
  if (in.size() > static_cast<size_t>(std::numeric_limits<int>::max()) ||
      out_size > static_cast<size_t>(std::numeric_limits<int>::max())) {
    return Status::Corruption("lz4 block of " + std::to_string(in.size()) + " bytes into " +
                              std::to_string(out_size) + ": beyond its limits");
  }
  // LZ4_decompress_safe never reads or writes outside the two buffers,
  // whatever the block holds.
  const int n = LZ4_decompress_safe(in.data(), static_cast<char*>(out), static_cast<int>(in.size()),
                                    static_cast<int>(out_size));
  if (n < 0) return Status::Corruption("lz4: malformed block");
  if (static_cast<size_t>(n) != out_size) {
    return Status::Corruption("lz4 block decodes to " + std::to_string(n) + " bytes, expected " +
                              std::to_string(out_size));
  }
  return Status::OK();
}

}  // namespace voxcache::util
