// cf/detail/spin_wait.hpp — spin briefly before parking a thread.
//
// A handoff between two running threads (a worker finishing the call a
// caller waits for, a caller submitting to a worker that just went idle)
// usually completes within microseconds; parking on a futex and being woken
// costs tens of them (cf_bench latency/*). spin_until() polls a condition for
// a bounded time so the common handoff never sleeps; after a few polls it
// gives the core away (sched_yield) between polls, so a spinning thread on a
// loaded machine does not starve the thread it waits for (measured: pausing
// for a quarter of the budget first made round trips 4x slower when other
// builds held one of the two cores).
//
// Internal. Guarantees: returns as soon as `ready()` is seen true, or once
// `budget` has passed (then returns false, and the caller parks). Never
// blocks. Non-guarantee: `ready()` may be polled again after it turned true.
// Under the exploration scheduler (sync::kSpinModel) the budget is one poll:
// a spin is a race the scheduler already explores, and a real one would
// only add steps.
#pragma once

#include <sched.h>

#include <chrono>

#include "cf/detail/sync.hpp"

namespace cf::detail {

// Long enough for a round trip through an idle pool on this kind of machine,
// short enough that an idle thread's spinning is noise.
inline constexpr std::chrono::microseconds kSpinBudget{50};
// An idle worker seen running this recently (spinning, or back from a call)
// takes a call just queued without a wake-up; one not seen for longer is
// likely descheduled, and a parked worker is woken instead. Several polls of
// a spinner fit in it, a scheduling quantum of a loaded machine does not.
inline constexpr std::chrono::microseconds kAwakeWindow{5};

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

template <class Ready>
bool spin_until(Ready&& ready, std::chrono::nanoseconds budget = kSpinBudget) {
  if constexpr (sync::kSpinModel) return ready();
  // A few hundred nanoseconds of pause (a handoff between two running
  // threads lands here), then yield between polls: when the two threads
  // share one core, the other one runs at once instead of after our budget.
  constexpr int kPausesBeforeYield = 64;
  for (int i = 0; i < kPausesBeforeYield; ++i) {
    if (ready()) return true;
    cpu_relax();
  }
  const auto give_up = std::chrono::steady_clock::now() + budget;
  while (std::chrono::steady_clock::now() < give_up) {
    if (ready()) return true;
    sched_yield();
  }
  return ready();
}

// For a condition that costs a system call to poll (a look at a socket): the
// core is given away between polls from the first one, since a few polls
// already take microseconds, and the thread the condition waits for may need
// this core (measured: the 64 polls spin_until() makes before its first yield
// made process round trips twice as slow).
template <class Ready>
bool spin_yielding_until(Ready&& ready, std::chrono::nanoseconds budget = kSpinBudget) {
  if constexpr (sync::kSpinModel) return ready();
  const auto give_up = std::chrono::steady_clock::now() + budget;
  while (!ready()) {
    if (std::chrono::steady_clock::now() >= give_up) return false;
    sched_yield();
  }
  return true;
}

}  // namespace cf::detail
