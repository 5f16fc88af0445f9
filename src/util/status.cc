#include "voxcache/status.h"

#include <cstdio>
#include <cstdlib>

namespace voxcache {

const char* code_name(Status::Code code) {
  switch (code) {
    case Status::Code::kOk:
      return "OK";
    case Status::Code::kNotFound:
      return "NotFound";
    case Status::Code::kInvalidArgument:
      return "InvalidArgument";
    case Status::Code::kCorruption:
      return "Corruption";
    case Status::Code::kIOError:
      return "IOError";
    case Status::Code::kNotSupported:
      return "NotSupported";
    case Status::Code::kBusy:
      return "Busy";
  }
  return "Unknown";
}

std::string Status::to_string() const {
  if (ok()) return "OK";
  return std::string(code_name(code_)) + ": " + message_;
}

Status Status::with_context(const std::string& context) const {
  if (ok()) return *this;
  return Status(code_, context + ": " + message_);
}

Status Status::with_message(std::string message) const {
  if (ok()) return *this;
  return Status(code_, std::move(message));
}

namespace internal {

void die_on_failed_result(const Status& status) {
  std::fprintf(stderr, "voxcache: value() of a failed Result: %s\n", status.to_string().c_str());
  std::abort();
}

}  // namespace internal

}  // namespace voxcache
