// cf/detail/work_item.hpp — one submitted call waiting for a worker.
//
// Internal. The executor owns the item until a worker takes it; the item owns
// the callable and arguments (destroyed by the worker right after the call,
// so nothing submitted outlives its run) and a handle to the future.
#pragma once

#include <exception>
#include <functional>
#include <tuple>
#include <type_traits>
#include <utility>

#include "cf/future.hpp"

namespace cf::detail {

// Hooks a worker passes to run(), so the pool can count the worker as idle
// before waiters of the future wake up (see thread_pool.cpp).
class RunHooks {
 public:
  // The call has returned; the future is about to be completed.
  virtual void before_publish() = 0;

 protected:
  ~RunHooks() = default;
};

class WorkItem {
 public:
  virtual ~WorkItem() = default;
  // Claims the future (skips a cancelled one [FUT-SET-1]), runs the call and
  // completes the future with its value or exception [EXEC-SUBMIT-1/2].
  virtual void run(RunHooks& hooks) = 0;
  virtual StateBase& state() = 0;
};

template <class R, class Fn>
class BoundWorkItem final : public WorkItem {
 public:
  BoundWorkItem(Future<R> future, Fn fn) : future_(std::move(future)), fn_(std::move(fn)) {}

  void run(RunHooks& hooks) override {
    if (!future_.set_running_or_notify_cancel()) return;
    try {
      if constexpr (std::is_void_v<R>) {
        fn_();
        hooks.before_publish();
        future_.set_result();
      } else {
        R value = fn_();
        hooks.before_publish();
        future_.set_result(std::move(value));
      }
    } catch (...) {
      hooks.before_publish();
      // Someone may have completed the future through the producer API
      // already; then its first outcome stands [FUT-SET-3].
      try {
        future_.set_exception(std::current_exception());
      } catch (const InvalidStateError&) {
      }
    }
  }
  StateBase& state() override { return AnyFuture(future_).state(); }

 private:
  Future<R> future_;
  Fn fn_;
};

// Binds f(args...) into a callable that owns decayed copies of everything.
template <class F, class... Args>
auto bind_call(F&& f, Args&&... args) {
  return [f = std::forward<F>(f), ... args = std::forward<Args>(args)]() mutable -> decltype(auto) {
    return std::invoke(std::move(f), std::move(args)...);
  };
}

}  // namespace cf::detail
