// cf/future.hpp — the outcome of a call that may not have happened yet.
//
// cf::Future<T> is Python's concurrent.futures.Future as a C++ shared handle
// [EXT-SHARED-1]: copies are cheap and all observe one state; result() may be
// called any number of times, from any thread, on any copy [FUT-RESULT-1].
// Future<void> carries no value [EXT-VOID-1]. cf::AnyFuture is the same handle
// with its type erased, for wait() and as_completed() over mixed types
// [EXT-ANY-1].
//
// The state machine (the spine of SPEC.md; clause IDs per cell):
//
//   operation              PENDING          RUNNING          CANCELLED        FINISHED
//   cancel()               ->CANCELLED,true -, false         -, true          -, false
//                          [FUT-CANCEL-1]   [FUT-CANCEL-2]   [FUT-CANCEL-4]   [FUT-CANCEL-3]
//   set_running_or_        ->RUNNING, true  throws           -, false         throws
//     notify_cancel()      [FUT-STATE-2]    [FUT-SET-2]      [FUT-SET-1]      [FUT-SET-2]
//   set_result()/          ->FINISHED       ->FINISHED       throws           throws
//     set_exception()      [FUT-SET-5]      [FUT-STATE-3]    [FUT-SET-3/4]    [FUT-SET-3/4]
//   result(timeout)        blocks; Timeout  blocks; Timeout  CancelledError   value / rethrow
//                          [FUT-RESULT-4]   [FUT-RESULT-4]   [FUT-RESULT-3]   [FUT-RESULT-1/2]
//   add_done_callback(f)   queued           queued           f() now          f() now
//                          [FUT-CB-1]       [FUT-CB-1]       [FUT-CB-3]       [FUT-CB-3]
//
// CANCELLED and FINISHED are "done". Unlike CPython there is no separate
// CANCELLED_AND_NOTIFIED: a cancelled future is done for every waiter at once
// [WAIT-CANCEL-1] [ASC-CANCEL-1].
//
// Thread-safety: every method may be called concurrently on the same future.
// Blocking: result() and exception() block until done or the timeout passes;
// nothing else blocks except on the future's internal lock.
// Guarantees: every action a thread takes before set_result()/set_exception()
// is visible to a thread after result()/exception()/wait() observes the
// completion [EXT-HB-1]. Callbacks run outside the lock [FUT-CB-5].
// Non-guarantees: a future never cancels or interrupts a running call.
//
// Printing: `std::cout << f` and cf::to_string(f) write Python's repr,
// "<Future at 0x... state=finished returned int>" [EXT-PRINT-1].
#pragma once

#include <any>
#include <cstddef>
#include <exception>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <typeinfo>
#include <utility>
#include <version>
#if defined(__cpp_lib_format)
#include <format>
#endif

#include "cf/detail/state.hpp"
#include "cf/errors.hpp"
#include "cf/timeout.hpp"

namespace cf {

template <class T>
class Future;

namespace detail {
// Wraps a state an executor made itself (work_item.hpp) in its Future.
struct FutureAccess {
  template <class T>
  static Future<T> wrap(std::shared_ptr<State<T>> state) {
    return Future<T>(std::move(state));
  }
};
}  // namespace detail

// A Future of any result type, for code that only needs its completion.
class AnyFuture {
 public:
  template <class T>
  AnyFuture(const Future<T>& future)  // NOLINT(google-explicit-constructor)
      : state_(future.state_) {}

  bool cancel() const { return state_->cancel(); }
  bool cancelled() const { return state_->status() == detail::Status::kCancelled; }
  bool running() const { return state_->status() == detail::Status::kRunning; }
  bool done() const { return state_->done(); }
  // Null for a successful future; throws CancelledError / TimeoutError.
  std::exception_ptr exception(Timeout timeout = {}) const {
    return state_->exception(timeout.deadline());
  }
  // Waits as Future<T>::result does and throws what it throws (the stored
  // exception, CancelledError, TimeoutError); returns the value copied into a
  // std::any, empty for Future<void> [EXT-ANYRESULT-1]. A value that cannot be
  // copied throws std::logic_error: read it through as<T>().result().
  std::any result(Timeout timeout = {}) const {
    if (!state_->wait_done(timeout.deadline())) throw TimeoutError();
    return state_->get_any();
  }
  // The result type T of the Future<T> this handle came from.
  const std::type_info& value_type() const { return state_->value_type(); }

  // The typed handle again; throws std::bad_cast if T is not its type.
  template <class T>
  Future<T> as() const {
    auto typed = std::dynamic_pointer_cast<detail::State<T>>(state_);
    if (!typed) throw std::bad_cast();
    return Future<T>(std::move(typed));
  }

  friend bool operator==(const AnyFuture& a, const AnyFuture& b) { return a.state_ == b.state_; }
  struct Hash {
    std::size_t operator()(const AnyFuture& f) const {
      return std::hash<const void*>()(f.state_.get());
    }
  };

  detail::StateBase& state() const { return *state_; }

 private:
  explicit AnyFuture(std::shared_ptr<detail::StateBase> state) : state_(std::move(state)) {}
  friend class AsCompleted;
  std::shared_ptr<detail::StateBase> state_;
};

template <class T>
class Future {
 public:
  using value_type = T;

  // A new pending future (Python's `Future()`), for executors and tests.
  Future() : state_(std::make_shared<detail::State<T>>()) {}

  // --- Consumer API --------------------------------------------------------

  // true if now cancelled; false once running or finished [FUT-CANCEL-1..4].
  bool cancel() const { return state_->cancel(); }
  bool cancelled() const { return state_->status() == detail::Status::kCancelled; }
  bool running() const { return state_->status() == detail::Status::kRunning; }
  bool done() const { return state_->done(); }

  // Waits up to `timeout` (none = forever) and returns the value or rethrows
  // the stored exception (the same object each time) [FUT-RESULT-1/2].
  // Throws CancelledError [FUT-RESULT-3] or TimeoutError [FUT-RESULT-4];
  // a timeout never changes the future's state.
  decltype(auto) result(Timeout timeout = {}) const& {
    wait_or_throw(timeout);
    return state_->get();
  }
  // On a temporary handle the value is copied out, so
  // `pool.submit(f).result()` never returns a dangling reference.
  auto result(Timeout timeout = {}) const&& {
    wait_or_throw(timeout);
    if constexpr (std::is_void_v<T>) {
      state_->get();
    } else {
      return T(state_->get());
    }
  }

  // The stored exception, or null on success [FUT-EXC-1]. Throws
  // CancelledError [FUT-EXC-2] or TimeoutError [FUT-EXC-3].
  std::exception_ptr exception(Timeout timeout = {}) const {
    return state_->exception(timeout.deadline());
  }

  // Calls `fn(future)` exactly once when the future is done: in the
  // completing thread, or now in this thread if already done
  // [FUT-CB-1] [FUT-CB-3]. Callbacks run in the order added [FUT-CB-2]; one
  // that throws is logged and ignored [FUT-CB-4].
  void add_done_callback(std::function<void(const Future&)> fn) const {
    state_->add_done_callback([fn = std::move(fn)](const std::shared_ptr<detail::StateBase>& s) {
      fn(Future(std::static_pointer_cast<detail::State<T>>(s)));
    });
  }

  // --- Producer API (executors and tests) ----------------------------------

  // PENDING -> RUNNING and true; CANCELLED -> false (skip the call), on
  // every call [FUT-SET-1] [EXT-NOTIFY-1]. Throws InvalidStateError when
  // running or finished [FUT-SET-2].
  bool set_running_or_notify_cancel() const { return state_->set_running_or_notify_cancel(); }

  // Finishes the future. Throws InvalidStateError if it is already finished
  // or cancelled; the first outcome is kept [FUT-SET-3/4].
  template <class... Args>
  void set_result(Args&&... value) const {
    state_->set_value(std::forward<Args>(value)...);
  }
  void set_exception(std::exception_ptr error) const { state_->set_exception(std::move(error)); }

  friend bool operator==(const Future& a, const Future& b) { return a.state_ == b.state_; }

 private:
  explicit Future(std::shared_ptr<detail::State<T>> state) : state_(std::move(state)) {}
  friend class AnyFuture;
  friend struct detail::FutureAccess;

  void wait_or_throw(const Timeout& timeout) const {
    if (!state_->wait_done(timeout.deadline())) throw TimeoutError();
  }

  std::shared_ptr<detail::State<T>> state_;
};

// Python's repr(future): "<Future at 0x... state=pending>", "... state=running>",
// "... state=cancelled>", "... state=finished returned int>",
// "... state=finished raised std::runtime_error>" [EXT-PRINT-1].
inline std::string to_string(const AnyFuture& future) { return future.state().describe(); }
inline std::ostream& operator<<(std::ostream& out, const AnyFuture& future) {
  return out << to_string(future);
}
template <class T>
std::string to_string(const Future<T>& future) {
  return to_string(AnyFuture(future));
}
template <class T>
std::ostream& operator<<(std::ostream& out, const Future<T>& future) {
  return out << to_string(AnyFuture(future));
}

}  // namespace cf

#if defined(__cpp_lib_format)
// std::format("{}", future) writes the same repr.
template <>
struct std::formatter<cf::AnyFuture> : std::formatter<std::string> {
  auto format(const cf::AnyFuture& f, std::format_context& ctx) const {
    return std::formatter<std::string>::format(cf::to_string(f), ctx);
  }
};
template <class T>
struct std::formatter<cf::Future<T>> : std::formatter<cf::AnyFuture> {};
#endif
