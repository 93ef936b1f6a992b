// cf/detail/work_item.hpp — one submitted call waiting for a worker.
//
// Internal. The executor owns the call until a worker takes it; the call and
// the future's state are one object (Task), and the callable with its
// arguments is destroyed by the worker right after the call, so nothing
// submitted outlives its run.
#pragma once

#include <exception>
#include <functional>
#include <memory>
#include <optional>
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
  // Claims the future (skips a cancelled one [FUT-SET-1]), runs the call and
  // completes the future with its value or exception [EXEC-SUBMIT-1/2].
  virtual void run(RunHooks& hooks) = 0;
  // Destroys the callable and its arguments, run or not. Idempotent.
  virtual void drop_call() noexcept = 0;
  virtual StateBase& state() = 0;

 protected:
  ~WorkItem() = default;
};

// A submitted call and its future's state in one allocation: one malloc per
// submit, and the memory goes back in the thread that drops the last handle
// (usually the caller's), not in the worker that ran the call
// (cf_bench throughput/reference-thread and queued_memory/reference-thread).
template <class R, class Fn>
class Task final : public State<R>, public WorkItem {
 public:
  explicit Task(Fn fn) : fn_(std::move(fn)) {}

  void run(RunHooks& hooks) override {
    if (!this->set_running_or_notify_cancel()) return;
    try {
      if constexpr (std::is_void_v<R>) {
        (*fn_)();
        hooks.before_publish();
        this->set_value();
      } else {
        R value = (*fn_)();
        hooks.before_publish();
        this->set_value(std::move(value));
      }
    } catch (...) {
      hooks.before_publish();
      // Someone may have completed the future through the producer API
      // already; then its first outcome stands [FUT-SET-3].
      try {
        this->set_exception(std::current_exception());
      } catch (const InvalidStateError&) {
      }
    }
  }
  void drop_call() noexcept override { fn_.reset(); }
  StateBase& state() override { return *this; }

 private:
  std::optional<Fn> fn_;
};

// The executor's owning handle on a queued call: whoever holds it may run
// the call; dropping it destroys the callable, run or not, so nothing
// submitted outlives its run or its cancellation (a callable that holds its
// own future would otherwise keep the pair alive).
class QueuedCall {
 public:
  QueuedCall() = default;
  explicit QueuedCall(std::shared_ptr<WorkItem> item) : item_(std::move(item)) {}
  QueuedCall(QueuedCall&&) noexcept = default;
  QueuedCall& operator=(QueuedCall&& other) noexcept {
    reset();
    item_ = std::move(other.item_);
    return *this;
  }
  ~QueuedCall() { reset(); }

  WorkItem* operator->() const { return item_.get(); }
  void reset() noexcept {
    if (item_) item_->drop_call();
    item_.reset();
  }

 private:
  std::shared_ptr<WorkItem> item_;
};

// A new task for fn: its future, and the handle the executor queues.
template <class R, class Fn>
std::pair<Future<R>, QueuedCall> make_task(Fn fn) {
  auto task = std::make_shared<Task<R, Fn>>(std::move(fn));
  std::shared_ptr<WorkItem> item(task, static_cast<WorkItem*>(task.get()));
  return {FutureAccess::wrap<R>(std::move(task)), QueuedCall(std::move(item))};
}

// Binds f(args...) into a callable that owns decayed copies of everything.
template <class F, class... Args>
auto bind_call(F&& f, Args&&... args) {
  return [f = std::forward<F>(f), ... args = std::forward<Args>(args)]() mutable -> decltype(auto) {
    return std::invoke(std::move(f), std::move(args)...);
  };
}

}  // namespace cf::detail
