// cf/detail/done_signal.hpp — a one-shot "done" flag threads can block on.
//
// Replaces a condition variable in each future's state: 4 bytes instead of
// 48 (cf_bench queued_memory/*), and a waiter spins briefly (spin_wait.hpp)
// before sleeping on a futex, so a result that arrives within microseconds
// is seen without a sleep and a wake-up (cf_bench latency/*).
//
// Internal. Thread-safety: any method from any thread, concurrently.
// Blocking: wait_until() blocks until set() or the deadline.
// Guarantees: set() happens-before every wait_until()/is_set() that returns
// true; set() wakes every blocked waiter; once set, stays set.
// Requires: Linux (futex).
#pragma once

#include <cstdint>

#include "cf/detail/sync.hpp"
#include "cf/timeout.hpp"

namespace cf::detail {

class DoneSignal {
 public:
  DoneSignal() = default;
  DoneSignal(const DoneSignal&) = delete;
  DoneSignal& operator=(const DoneSignal&) = delete;

  // Idempotent; wakes every waiter.
  void set();
  bool is_set() const { return word_.load(std::memory_order_acquire) == kSet; }
  // true once set; false if `deadline` passed first.
  bool wait_until(const Deadline& deadline) const;

 private:
  // kSleepers: not set, and some waiter may be in futex_wait, so set() must
  // call futex_wake (skipped when nobody ever slept).
  static constexpr std::uint32_t kUnset = 0, kSet = 1, kSleepers = 2;
  mutable sync::Atomic<std::uint32_t> word_{kUnset};
};

}  // namespace cf::detail
