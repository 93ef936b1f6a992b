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
// (remote exception of a type     cf::RemoteError           [PPE-REMOTE-2]
//   C++ cannot rebuild)
// PicklingError (unregistered     cf::UnregisteredTaskError [PPE-REG-2]
//   task)
#pragma once

#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

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
// Process pool [PPE-BROKEN-1] [PPE-BROKEN-2] [PPE-FRAME-1] [PPE-CHUNK-1].
inline constexpr const char* kBrokenProcessPool =
    "A process in the process pool was terminated abruptly while the future was running or "
    "pending.";
inline constexpr const char* kBrokenProcessPoolSubmit =
    "A child process terminated abruptly, the process pool is not usable anymore";
inline constexpr const char* kMalformedFrame = "A worker process sent a malformed frame: ";
inline constexpr const char* kChunkSize = "chunksize must be >= 1.";
inline constexpr const char* kChunkedBuffersize =
    "buffersize cannot be combined with chunksize > 1 on a ProcessPoolExecutor";
inline constexpr const char* kMaxTasksPerChild = "max_tasks_per_child must be >= 1";
inline constexpr const char* kUnregisteredTask =
    "function is not registered for the process pool; add CF_REGISTER_TASK(fn) at namespace "
    "scope: ";
inline constexpr const char* kNoWorkerEntry =
    "this program cannot start process-pool workers; add CF_PROCESS_WORKER_ENTRY(argc, argv) "
    "as the first line of main()";
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

// A ProcessPoolExecutor whose worker died or sent a malformed frame. Each
// future the pool fails holds an object of its own [PPE-BROKEN-4]. When a
// worker died unannounced, pid() names it, exit_code() or term_signal() says
// how it ended, and cause() (Python's __cause__) is a cf::Error saying so
// [PPE-BROKEN-3]; otherwise all four are empty.
class BrokenProcessPool : public BrokenExecutor {
 public:
  using BrokenExecutor::BrokenExecutor;
  BrokenProcessPool(const std::string& what, std::exception_ptr cause, std::optional<int> pid,
                    std::optional<int> exit_code, std::optional<int> term_signal)
      : BrokenExecutor(what),
        cause_(std::move(cause)),
        pid_(pid),
        exit_code_(exit_code),
        term_signal_(term_signal) {}

  const std::exception_ptr& cause() const noexcept { return cause_; }
  std::optional<int> pid() const noexcept { return pid_; }
  std::optional<int> exit_code() const noexcept { return exit_code_; }
  std::optional<int> term_signal() const noexcept { return term_signal_; }

 private:
  std::exception_ptr cause_;
  std::optional<int> pid_;
  std::optional<int> exit_code_;
  std::optional<int> term_signal_;
};

// A task's exception of a type the parent cannot rebuild, with the type's
// name and message as the worker saw them [PPE-REMOTE-2].
class RemoteError : public Error {
 public:
  RemoteError(std::string type_name, const std::string& message)
      : Error(type_name + ": " + message), type_name_(std::move(type_name)), message_(message) {}
  const std::string& type_name() const { return type_name_; }
  const std::string& message() const { return message_; }

 private:
  std::string type_name_;
  std::string message_;
};

// submit() of a function that was never registered with CF_REGISTER_TASK
// [PPE-REG-2]. An std::invalid_argument, as Python's pickling error is a
// caller mistake.
class UnregisteredTaskError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// submit() or map() on an executor after shutdown() [EXEC-SUBMIT-4].
class ShutdownError : public Error {
 public:
  ShutdownError() : Error(msg::kShutdown) {}
  using Error::Error;
};

}  // namespace cf
