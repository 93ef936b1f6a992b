// cf/detail/state.hpp — the shared state behind every cf::Future.
//
// One mutex guards the status, the outcome, the callbacks and the waiters.
// Blocked result() callers wait on a DoneSignal, set under that mutex when
// the future becomes done. Every method checks and changes state in one
// locked block; user callbacks
// are always invoked after the lock is released [FUT-CB-5], in the thread that
// completed the future [FUT-CB-1] [FUT-CB-6].
//
// Internal: the public contract is in cf/future.hpp.
#pragma once

#include <any>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <typeinfo>
#include <utility>
#include <vector>

#include "cf/detail/done_signal.hpp"
#include "cf/detail/sync.hpp"
#include "cf/errors.hpp"
#include "cf/timeout.hpp"

namespace cf::detail {

// The rows of the state table in future.hpp and SPEC.md.
enum class Status : std::uint8_t { kPending, kRunning, kCancelled, kFinished };

const char* status_name(Status status);

// The demangled name of a type ("int", "std::runtime_error").
std::string type_name(const std::type_info& type);

class StateBase;

// Told of completions by wait() and as_completed(). on_complete runs under
// the completing future's lock, so it must only record and notify.
class Waiter {
 public:
  virtual void on_complete(StateBase* state) = 0;

 protected:
  ~Waiter() = default;
};

class StateBase : public std::enable_shared_from_this<StateBase> {
 public:
  using Callback = std::function<void(const std::shared_ptr<StateBase>&)>;

  StateBase() = default;
  StateBase(const StateBase&) = delete;
  StateBase& operator=(const StateBase&) = delete;
  virtual ~StateBase() = default;

  Status status() const {
    std::lock_guard lock(mutex_);
    return status_;
  }
  bool done() const {
    auto s = status();
    return s == Status::kCancelled || s == Status::kFinished;
  }
  // Finished with an exception (not cancelled): what FIRST_EXCEPTION looks for.
  bool failed() const {
    std::lock_guard lock(mutex_);
    return status_ == Status::kFinished && exception_locked() != nullptr;
  }

  // Consumer side.
  bool cancel();
  // Blocks until done or `deadline`; true if done.
  bool wait_done(const Deadline& deadline) const;
  // Throws CancelledError if cancelled; returns the stored exception (may be
  // null). Precondition: done.
  std::exception_ptr outcome_exception() const;
  std::exception_ptr exception(const Deadline& deadline) const;
  void add_done_callback(Callback callback);

  // Producer side.
  bool set_running_or_notify_cancel();
  void set_exception(std::exception_ptr error);

  // For wait()/as_completed(): installs `waiter` unless already done
  // (returns false then); remove_waiter is a no-op if it is not installed.
  bool add_waiter(Waiter* waiter);
  void remove_waiter(Waiter* waiter);

  // "<Future at 0x... state=...>", as Python's repr: "pending", "running",
  // "cancelled", "finished returned <type>", "finished raised <type>"
  // [EXT-PRINT-1].
  std::string describe() const;

  // The result's type: T of the State<T> behind this state.
  virtual const std::type_info& value_type() const = 0;
  // Precondition: done. The value copied into a std::any (empty for void),
  // or throws as get() does; std::logic_error if T cannot be copied.
  virtual std::any get_any() const = 0;

 protected:
  // Completes the future: `store` writes the outcome under the lock.
  // Throws InvalidStateError if it is already finished or cancelled
  // [FUT-SET-3] [FUT-SET-4]; accepted from pending or running [FUT-SET-5].
  template <class Store>
  void complete(Store&& store) {
    std::vector<Callback> callbacks;
    {
      std::unique_lock lock(mutex_);
      if (status_ == Status::kCancelled || status_ == Status::kFinished) {
        throw InvalidStateError(invalid_state_message_locked());
      }
      std::forward<Store>(store)();
      status_ = Status::kFinished;
      callbacks = notify_locked();
    }
    invoke_callbacks(callbacks);
  }

  std::exception_ptr stored_exception_unlocked() const { return exception_locked(); }

 private:
  // Wakes waiters and blocked result() callers; hands back the callbacks to
  // run once the lock is released.
  std::vector<Callback> notify_locked();
  void invoke_callbacks(const std::vector<Callback>& callbacks);
  void invoke_one(const Callback& callback);
  std::string invalid_state_message_locked() const;
  std::string describe_locked() const;

  mutable sync::Mutex mutex_;
  DoneSignal done_signal_;  // set with status_ = CANCELLED or FINISHED
  Status status_ = Status::kPending;
  // What most futures never need — a callback, a waiter, an exception —
  // lives out of line, allocated by the first add_done_callback(),
  // add_waiter() or set_exception(): 8 bytes per future instead of 56, so a
  // queued call costs less heap than in boost-asio
  // (cf_bench queued_memory/reference-thread against queued_memory/boost-asio).
  struct Extras {
    std::vector<Callback> callbacks;
    std::vector<Waiter*> waiters;
    std::exception_ptr exception;
  };
  Extras& extras_locked();
  std::exception_ptr exception_locked() const { return extras_ ? extras_->exception : nullptr; }
  std::unique_ptr<Extras> extras_;
};

// The typed part: where the value lives. T = void stores nothing. An
// executor may derive from it to keep its call in the same allocation
// (work_item.hpp).
template <class T>
class State : public StateBase {
 public:
  template <class... Args>
  void set_value(Args&&... args) {
    complete([&] {
      if constexpr (!std::is_void_v<T>) value_.emplace(std::forward<Args>(args)...);
    });
  }

  // Precondition: done. Returns the value or throws the stored exception /
  // CancelledError. The value is written once, before the status changes
  // under the lock, so reading it after observing "done" needs no lock.
  decltype(auto) get() const {
    if (auto error = outcome_exception()) std::rethrow_exception(error);
    if constexpr (!std::is_void_v<T>) return static_cast<const T&>(*value_);
  }

  const std::type_info& value_type() const override { return typeid(T); }
  std::any get_any() const override {
    if constexpr (std::is_void_v<T>) {
      get();
      return {};
    } else if constexpr (std::is_copy_constructible_v<T>) {
      return std::any(get());
    } else {
      get();
      throw std::logic_error("AnyFuture::result(): the value of a " + type_name(typeid(T)) +
                             " cannot be copied into a std::any; use as<T>().result()");
    }
  }

 private:
  struct Nothing {};
  using Slot = std::conditional_t<std::is_void_v<T>, Nothing, std::optional<T>>;
  Slot value_{};
};

}  // namespace cf::detail
