// Status: how every C++ layer reports failure. Only the N-API boundary (addon_data.cc) turns a Status
// into a JS error, of the class src/errors.ts defines for its code.
#pragma once

#include <string>
#include <utility>

namespace graphserve {

enum class StatusCode {
  kOk,
  kInvalidArgument,  // InvalidTensorError (400)
  kInvalidOption,    // InvalidOptionError (400)
  kQueueFull,        // QueueFullError (503)
  kTimeout,          // TimeoutError (504)
  kDisposed,         // DisposedError (503)
  kModelError,       // ModelError (500): a run failed
  kLoadError,        // ModelLoadError (500)
  kProviderError,    // ProviderError (500)
  kCancelled,        // CancelledError (499): removed from the queue before it ran
};

class Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}
  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

}  // namespace graphserve
