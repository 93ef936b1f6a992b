// cf/errors.hpp — the error types of cf, mirroring Python's concurrent.futures.
//
// Every cf error derives from cf::Error, which is a std::runtime_error, so
// `catch (const std::runtime_error&)` plays the part of Python's
// `except RuntimeError` where CPython raises one. Messages that tests assert
// on are named constants in cf::msg.
//
// Python                          cf
// ------------------------------  ---------------------------------------
// CancelledError                  cf::CancelledError        [FUT-RESULT-3]
// TimeoutError                    cf::TimeoutError          [FUT-RESULT-4]
// InvalidStateError               cf::InvalidStateError     [FUT-SET-3]
// BrokenExecutor                  cf::BrokenExecutor
//   BrokenThreadPool              cf::BrokenThreadPool      [TPE-INIT-2]
//   BrokenProcessPool             cf::BrokenProcessPool
// RuntimeError (submit after      cf::ShutdownError         [EXEC-SUBMIT-4]
//   shutdown)
// ValueError (bad arguments)      std::invalid_argument     [TPE-WORKERS-1]
#pragma once

#include <stdexcept>
#include <string>

namespace cf {

namespace msg {
inline constexpr const char* kCancelled = "future was cancelled";
inline constexpr const char* kTimeout = "timed out waiting for the future";
inline constexpr const char* kShutdown = "cannot schedule new futures after shutdown";
inline constexpr const char* kMaxWorkers = "max_workers must be greater than 0";
inline constexpr const char* kBufferSize = "buffersize must be None or > 0";
inline constexpr const char* kUnexpectedState = "Future in unexpected state";
inline constexpr const char* kBrokenThreadPool =
    "A thread initializer failed, the thread pool is not usable anymore";
inline constexpr const char* kCallbackFailed = "exception calling callback for ";
inline constexpr const char* kInitializerFailed = "Exception in initializer: ";
}  // namespace msg

// Base of every error cf raises.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The future was cancelled before it produced an outcome.
class CancelledError : public Error {
 public:
  CancelledError() : Error(msg::kCancelled) {}
  using Error::Error;
};

// A bounded wait ended before the future (or futures) completed.
class TimeoutError : public Error {
 public:
  TimeoutError() : Error(msg::kTimeout) {}
  using Error::Error;
};

// A producer operation was applied to a future in a state that forbids it.
class InvalidStateError : public Error {
 public:
  using Error::Error;
};

// The executor can no longer run work; see the derived types.
class BrokenExecutor : public Error {
 public:
  using Error::Error;
};

// A ThreadPoolExecutor whose worker initializer threw.
class BrokenThreadPool : public BrokenExecutor {
 public:
  BrokenThreadPool() : BrokenExecutor(msg::kBrokenThreadPool) {}
  using BrokenExecutor::BrokenExecutor;
};

// A ProcessPoolExecutor whose worker died or sent a malformed frame.
class BrokenProcessPool : public BrokenExecutor {
 public:
  using BrokenExecutor::BrokenExecutor;
};

// submit() or map() on an executor after shutdown() [EXEC-SUBMIT-4].
class ShutdownError : public Error {
 public:
  ShutdownError() : Error(msg::kShutdown) {}
  using Error::Error;
};

}  // namespace cf
