// Status and Result<T>: how every public voxcache call reports its outcome.
//
// Nothing throws across the API. A cache miss is Code::kNotFound, which is
// distinguishable from every failure: callers test `status.is_not_found()`
// before treating a status as an error.

#ifndef VOXCACHE_STATUS_H_
#define VOXCACHE_STATUS_H_

#include <cassert>
#include <optional>
#include <string>
#include <utility>

#include "voxcache/export.h"

namespace voxcache {

class [[nodiscard]] VOXCACHE_EXPORT Status {
 public:
  // These values appear in logs and in the CLI's --json output; never renumber.
  enum class Code : int {
    kOk = 0,
    kNotFound = 1,         // the key is not in the cache: a miss, not a failure
    kInvalidArgument = 2,  // the caller passed something unusable
    kCorruption = 3,       // stored bytes fail a check; no data is returned
    kIOError = 4,          // the file system or SQLite could not do the I/O
    kNotSupported = 5,     // valid, but beyond what this build can handle
    kBusy = 6,             // another connection held a lock past the busy timeout
  };

  Status() = default;  // OK

  static Status OK() { return Status(); }
  static Status NotFound(std::string msg) { return Status(Code::kNotFound, std::move(msg)); }
  static Status InvalidArgument(std::string msg) {
    return Status(Code::kInvalidArgument, std::move(msg));
  }
  static Status Corruption(std::string msg) { return Status(Code::kCorruption, std::move(msg)); }
  static Status IOError(std::string msg) { return Status(Code::kIOError, std::move(msg)); }
  static Status NotSupported(std::string msg) {
    return Status(Code::kNotSupported, std::move(msg));
  }
  static Status Busy(std::string msg) { return Status(Code::kBusy, std::move(msg)); }

  bool ok() const { return code_ == Code::kOk; }
  bool is_not_found() const { return code_ == Code::kNotFound; }
  bool is_invalid_argument() const { return code_ == Code::kInvalidArgument; }
  bool is_corruption() const { return code_ == Code::kCorruption; }
  bool is_io_error() const { return code_ == Code::kIOError; }
  bool is_not_supported() const { return code_ == Code::kNotSupported; }
  bool is_busy() const { return code_ == Code::kBusy; }

  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // "Corruption: chunk 3 of 9f2c...: checksum mismatch", or "OK".
  std::string to_string() const;

  // Returns a status with the same code and `context + ": " + message`.
  Status with_context(const std::string& context) const;
  // Returns a status with the same code and `message` (OK stays OK): for a
  // layer that rewords what a lower one said, e.g. names a file the caller
  // gave in place of a temporary one.
  Status with_message(std::string message) const;

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}

  Code code_ = Code::kOk;
  std::string message_;
};

// Name of a code as printed by to_string(): "OK", "NotFound", ...
VOXCACHE_EXPORT const char* code_name(Status::Code code);

namespace internal {
// Prints "voxcache: value() of a failed Result: <status>" and aborts.
[[noreturn]] VOXCACHE_EXPORT void die_on_failed_result(const Status& status);
}  // namespace internal

// Either a value or a non-OK status. value(), * and -> of a failed result
// abort the program with the status's message, in every build type, as
// std::optional::value() throws: a failure is never read as a value.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    assert(!status_.ok() && "a Result built from a Status must carry an error");
    if (status_.ok()) status_ = Status::InvalidArgument("Result built from an OK status");
  }

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }

  T& value() & {
    if (!ok()) internal::die_on_failed_result(status_);
    return *value_;
  }
  const T& value() const& {
    if (!ok()) internal::die_on_failed_result(status_);
    return *value_;
  }
  T&& value() && {
    if (!ok()) internal::die_on_failed_result(status_);
    return std::move(*value_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace voxcache

#endif  // VOXCACHE_STATUS_H_
