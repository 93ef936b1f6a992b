// cf/explore/sync_relacy.hpp — a third instance of cf's synchronisation
// policy (CF_EXPLORE_RELACY=1): Relacy Race Detector (Debian relacy-dev) as
// the scheduler, for what the exploration instance does not model, the C++
// memory model. Relacy runs each thread as a fiber, gives a relaxed load any
// value the memory model allows, and reports a data race on an rl::var that
// a missing acquire leaves unordered.
//
// Only what cf's DoneSignal needs is here (Atomic, Clock, the futex): Relacy
// has no clock (its timed waits time out at random, whatever the deadline),
// its threads are the test's fixed set, and its primitives take a source
// location at every call, so the thread pool and wait() stay with the
// exploration instance (explore/README.md says why).
#pragma once

// Relacy's header turns memory_order_*, new, delete, malloc, free, assert
// and errno into macros; the std headers come first, and its macros go
// after it, so cf's code (std::memory_order_acquire...) compiles unchanged.
#include <sched.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <type_traits>

// clang-format off
#include <relacy/relacy.hpp>
// clang-format on

#undef memory_order_relaxed
#undef memory_order_consume
#undef memory_order_acquire
#undef memory_order_release
#undef memory_order_acq_rel
#undef memory_order_seq_cst
#undef new
#undef delete
#undef malloc
#undef calloc
#undef realloc
#undef free
#undef errno
#define errno (*__errno_location())

namespace cf::detail::sync {

inline rl::memory_order to_relacy(std::memory_order order) {
  switch (order) {
    case std::memory_order_relaxed:
      return rl::mo_relaxed;
    case std::memory_order_consume:
    case std::memory_order_acquire:
      return rl::mo_acquire;
    case std::memory_order_release:
      return rl::mo_release;
    case std::memory_order_acq_rel:
      return rl::mo_acq_rel;
    default:
      return rl::mo_seq_cst;
  }
}

template <class T>
class Atomic {
 public:
  Atomic(T value = T{}) { a_.store(value, rl::mo_relaxed, RL_INFO); }  // NOLINT
  Atomic(const Atomic&) = delete;
  T load(std::memory_order order = std::memory_order_seq_cst) const {
    return a_.load(to_relacy(order), RL_INFO);
  }
  void store(T value, std::memory_order order = std::memory_order_seq_cst) {
    a_.store(value, to_relacy(order), RL_INFO);
  }
  T exchange(T value, std::memory_order order = std::memory_order_seq_cst) {
    return a_.exchange(value, to_relacy(order), RL_INFO);
  }
  bool compare_exchange_weak(T& expected, T desired,
                             std::memory_order order = std::memory_order_seq_cst) {
    return a_.compare_exchange_weak(expected, desired, to_relacy(order), RL_INFO);
  }
  bool compare_exchange_strong(T& expected, T desired,
                               std::memory_order order = std::memory_order_seq_cst) {
    return a_.compare_exchange_strong(expected, desired, to_relacy(order), RL_INFO);
  }

 private:
  mutable rl::atomic<T> a_;
};

// No time: now() stands still; only Deadline::never() is meaningful.
struct Clock {
  using duration = std::chrono::nanoseconds;
  using rep = duration::rep;
  using period = duration::period;
  using time_point = std::chrono::time_point<Clock>;
  static constexpr bool is_steady = true;
  static time_point now() { return time_point(std::chrono::seconds(1000)); }
};

inline constexpr bool kSpinModel = true;

// The futex as a mutex and a condition variable: the word is checked and
// the waiter blocked under the mutex, so a wake cannot slip between. A test
// owns one FutexHub and points `futex_hub` at it in before().
struct FutexHub {
  rl::mutex mutex;
  rl::condition_variable changed;
};
inline FutexHub* futex_hub = nullptr;

template <class Deadline>
void futex_wait(Atomic<std::uint32_t>& word, std::uint32_t expected, const Deadline&) {
  futex_hub->mutex.lock(RL_INFO);
  // relaxed: the futex orders nothing; DoneSignal re-reads the word with acquire.
  while (word.load(std::memory_order_relaxed) == expected)
    futex_hub->changed.wait(futex_hub->mutex, RL_INFO);
  futex_hub->mutex.unlock(RL_INFO);
}

inline void futex_wake_all(Atomic<std::uint32_t>&) {
  futex_hub->mutex.lock(RL_INFO);
  futex_hub->changed.notify_all(RL_INFO);
  futex_hub->mutex.unlock(RL_INFO);
}

}  // namespace cf::detail::sync
