// cf/explore/sync.hpp — the exploration instance of cf's synchronisation
// policy (cf/detail/sync.hpp includes it when CF_EXPLORE=1).
//
// The same names and std:: contracts as the production instance, but every
// operation another thread could observe is a decision of the controlled
// scheduler (cf/explore/engine.hpp):
//
//   Mutex        lock/try_lock decide first; a blocked task runs again only
//                once the mutex is free. Unlocking a mutex this task does not
//                own, locking one it owns, or destroying a locked one fails
//                the execution.
//   CondVar      wait releases the mutex and blocks; it returns on notify, on
//                a spurious wake-up (injected) or, for wait_until, when the
//                scheduler times it out at the deadline on the virtual clock.
//                notify_one lets the scheduler pick which waiter wakes.
//   Atomic<T>    each access decides first, then happens atomically.
//                Executions are sequentially consistent: memory orders are
//                accepted and not modelled (a relaxed-vs-acquire bug is out
//                of reach here; see explore/README.md).
//   Thread       a task; join blocks until it finished; destroying a
//                joinable Thread fails the execution (std::terminate).
//   Clock        virtual: it moves only when the scheduler times out a wait.
//   futex        futex_wait blocks while the word holds `expected` (checked
//                and blocked atomically), wakes spuriously when injected.
//
// Outside an execution (static initialisers, a test's setup) the primitives
// act as plain single-threaded ones and the clock stands still.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <tuple>
#include <type_traits>
#include <utility>

#include "cf/explore/engine.hpp"

namespace cf::detail::sync {

namespace rt = ::cf::explore::rt;

// A destroyed primitive keeps this pattern, so a later use is reported.
class Liveness {
 public:
  Liveness() = default;
  Liveness(const Liveness&) = delete;
  ~Liveness() { word_ = kDead; }
  void check(const char* what) const {
    if (word_ != kAlive) rt::fail(std::string("use of a destroyed ") + what);
  }

 private:
  static constexpr std::uint32_t kAlive = 0x5eed1e55, kDead = 0xdeadbeef;
  std::uint32_t word_ = kAlive;
};

struct Clock {
  using duration = std::chrono::nanoseconds;
  using rep = duration::rep;
  using period = duration::period;
  using time_point = std::chrono::time_point<Clock>;
  static constexpr bool is_steady = true;
  static time_point now() { return time_point(::cf::explore::now()); }
};

inline constexpr bool kSpinModel = true;

class Mutex {
 public:
  Mutex() = default;
  Mutex(const Mutex&) = delete;
  Mutex& operator=(const Mutex&) = delete;
  ~Mutex() {
    if (owner_ != -1 && rt::current() >= 0 && explore::active())
      rt::fail("a locked mutex was destroyed");
  }

  void lock() {
    live_.check("mutex");
    rt::point("lock", this);
    int me = rt::current();
    if (owner_ == me && explore::active()) rt::fail("a task locked a mutex it already holds");
    while (owner_ != -1) rt::block(rt::Block::kMutex, &owner_, nullptr);
    owner_ = me;
  }
  bool try_lock() {
    live_.check("mutex");
    rt::point("try_lock", this);
    if (owner_ != -1) return false;
    owner_ = rt::current();
    return true;
  }
  void unlock() {
    live_.check("mutex");
    if (owner_ != rt::current()) rt::fail("unlock of a mutex this task does not hold");
    owner_ = -1;
    rt::note("unlock", this);
  }

 private:
  int owner_ = -1;
  Liveness live_;
};

class CondVar {
 public:
  CondVar() = default;
  CondVar(const CondVar&) = delete;
  CondVar& operator=(const CondVar&) = delete;

  void notify_one() {
    live_.check("condition variable");
    rt::point("notify_one", this);
    rt::wake(this, false);
  }
  void notify_all() {
    live_.check("condition variable");
    rt::point("notify_all", this);
    rt::wake(this, true);
  }

  void wait(std::unique_lock<Mutex>& lock) { block(lock, nullptr); }
  template <class Predicate>
  void wait(std::unique_lock<Mutex>& lock, Predicate ready) {
    while (!ready()) wait(lock);
  }
  std::cv_status wait_until(std::unique_lock<Mutex>& lock, const Clock::time_point& when) {
    Nanos deadline = when.time_since_epoch();
    return block(lock, &deadline) == rt::Wake::kTimedOut ? std::cv_status::timeout
                                                         : std::cv_status::no_timeout;
  }
  template <class Predicate>
  bool wait_until(std::unique_lock<Mutex>& lock, const Clock::time_point& when, Predicate ready) {
    while (!ready()) {
      if (wait_until(lock, when) == std::cv_status::timeout) return ready();
    }
    return true;
  }
  template <class Rep, class Period, class Predicate>
  bool wait_for(std::unique_lock<Mutex>& lock, std::chrono::duration<Rep, Period> length,
                Predicate ready) {
    return wait_until(lock, Clock::now() + std::chrono::ceil<Clock::duration>(length),
                      std::move(ready));
  }

 private:
  using Nanos = ::cf::explore::Nanos;
  rt::Wake block(std::unique_lock<Mutex>& lock, const Nanos* deadline) {
    live_.check("condition variable");
    rt::point("wait", this);
    lock.mutex()->unlock();  // released and blocked in one step, as the std promises
    rt::Wake why = rt::block(rt::Block::kCondVar, this, deadline);
    lock.mutex()->lock();
    return why;
  }
  Liveness live_;
};

template <class T>
class Atomic {
 public:
  Atomic() = default;
  constexpr Atomic(T value) : value_(value) {}  // NOLINT(google-explicit-constructor)
  Atomic(const Atomic&) = delete;
  Atomic& operator=(const Atomic&) = delete;

  T load(std::memory_order = std::memory_order_seq_cst) const {
    rt::point("load", this);
    return value_;
  }
  void store(T value, std::memory_order = std::memory_order_seq_cst) {
    rt::point("store", this);
    value_ = value;
  }
  T exchange(T value, std::memory_order = std::memory_order_seq_cst) {
    rt::point("exchange", this);
    return std::exchange(value_, value);
  }
  bool compare_exchange_strong(T& expected, T desired,
                               std::memory_order = std::memory_order_seq_cst,
                               std::memory_order = std::memory_order_seq_cst) {
    rt::point("compare_exchange", this);
    if (value_ == expected) {
      value_ = desired;
      return true;
    }
    expected = value_;
    return false;
  }
  // Never fails spuriously here (a weak CAS in a retry loop loses nothing).
  bool compare_exchange_weak(T& expected, T desired,
                             std::memory_order order = std::memory_order_seq_cst,
                             std::memory_order failure = std::memory_order_seq_cst) {
    return compare_exchange_strong(expected, desired, order, failure);
  }
  T fetch_add(T delta, std::memory_order = std::memory_order_seq_cst) {
    rt::point("fetch_add", this);
    return std::exchange(value_, static_cast<T>(value_ + delta));
  }
  T fetch_sub(T delta, std::memory_order = std::memory_order_seq_cst) {
    rt::point("fetch_sub", this);
    return std::exchange(value_, static_cast<T>(value_ - delta));
  }

  operator T() const { return load(); }  // NOLINT(google-explicit-constructor)
  T operator=(T value) {
    store(value);
    return value;
  }
  T operator++() { return static_cast<T>(fetch_add(1) + 1); }
  T operator--() { return static_cast<T>(fetch_sub(1) - 1); }
  T operator++(int) { return fetch_add(1); }
  T operator--(int) { return fetch_sub(1); }

  // The value without a decision: for the futex, which reads it as part of
  // its own atomic check-and-block.
  T raw() const { return value_; }

 private:
  T value_{};
};

// A task's id, as std::thread::id: equal only for the same task.
class ThreadId {
 public:
  ThreadId() = default;
  explicit ThreadId(int task) : task_(task) {}
  friend bool operator==(ThreadId, ThreadId) = default;
  int task() const { return task_; }

 private:
  int task_ = -1;
};

inline ThreadId this_thread_id() { return ThreadId(rt::current()); }

class Thread {
 public:
  using id = ThreadId;
  Thread() = default;
  template <class F, class... Args>
  explicit Thread(F&& f, Args&&... args) {
    auto call = std::make_shared<std::tuple<std::decay_t<F>, std::decay_t<Args>...>>(
        std::forward<F>(f), std::forward<Args>(args)...);
    task_ = rt::spawn(
        [call] { std::apply([](auto& fn, auto&... a) { std::invoke(fn, a...); }, *call); });
  }
  Thread(Thread&& other) noexcept : task_(std::exchange(other.task_, -1)) {}
  Thread& operator=(Thread&& other) noexcept {
    if (joinable()) rt::fail("a joinable thread was overwritten (std::terminate)");
    task_ = std::exchange(other.task_, -1);
    return *this;
  }
  ~Thread() {
    if (joinable() && explore::active())
      rt::fail("a joinable thread was destroyed (std::terminate)");
  }

  bool joinable() const { return task_ >= 0; }
  id get_id() const { return ThreadId(task_); }
  void join() {
    if (!joinable()) rt::fail("join of a thread that is not joinable");
    if (task_ == rt::current()) rt::fail("a thread joined itself (std::system_error)");
    rt::point("join", this);
    while (!rt::finished(task_)) rt::block(rt::Block::kJoin, &task_, nullptr);
    task_ = -1;
  }
  void detach() { task_ = -1; }

 private:
  int task_ = -1;
};

// The DoneSignal futex: blocks while `word` holds `expected`, checked and
// blocked in one step; a deadline (a cf::Deadline) bounds the wait.
template <class Deadline>
void futex_wait(Atomic<std::uint32_t>& word, std::uint32_t expected, const Deadline& deadline) {
  rt::point("futex_wait", &word);
  if (word.raw() != expected) return;  // EAGAIN
  if (deadline.is_never()) {
    rt::block(rt::Block::kFutex, &word, nullptr);
  } else {
    ::cf::explore::Nanos when = deadline.when().time_since_epoch();
    rt::block(rt::Block::kFutex, &word, &when);
  }
}

inline void futex_wake_all(Atomic<std::uint32_t>& word) {
  rt::point("futex_wake", &word);
  rt::wake(&word, true);
}

}  // namespace cf::detail::sync
