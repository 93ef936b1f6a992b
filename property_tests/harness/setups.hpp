// setups.hpp — the canonical futures and executor situations that many
// conformance tests start from, built once here so every test file builds
// them the same way.
//
// Canonical futures (the rows of SPEC.md's state table, as CPython's
// test_future.py keeps PENDING_FUTURE ... SUCCESSFUL_FUTURE): make_in() builds
// one with the producer API (Cap::kRawFuture).
//
// Executor situations: a task that finished or failed and was awaited; a
// worker occupied by a task blocked at a gate, so that what is submitted next
// stays queued; a queued task whose cancel() succeeded. Each step is a
// precondition naming the rule it relies on (check.hpp): when one fails the
// test ends, inconclusive, and the failure is charged to that rule.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "adapter.hpp"
#include "lab.hpp"

namespace cf::conformance {

// --- small helpers ---------------------------------------------------------

using Indices = std::vector<std::size_t>;
using Values = std::vector<std::int64_t>;

Indices sorted(Indices indices);
Values sorted(Values values);
// from, from + 1, ..., to - 1.
Values iota(std::int64_t from, std::int64_t to);

// --- canonical futures -----------------------------------------------------

enum class State { kPending, kRunning, kCancelled, kFinishedValue, kFinishedError };
inline constexpr State kAllStates[] = {State::kPending, State::kRunning, State::kCancelled,
                                       State::kFinishedValue, State::kFinishedError};
const char* name(State state);

// The outcome a canonical finished future carries.
inline constexpr std::int64_t kValue = 42;
inline const std::string kError = "canonical failure";

// A producer operation that was accepted (returned, rather than raised).
bool accepted(const Outcome& outcome);

// The canonical future in `state`, built with the producer API alone.
FuturePtr make_in(Implementation& impl, State state);

// --- executor situations ---------------------------------------------------

// Calls an executor may hand to a worker ahead of time and mark running
// before the worker takes them, per worker. They count as started (SPEC
// "Executors"); CPython's process pool keeps max_workers + 1 of them in its
// call queue (EXEC-RUNNING-1). A test that needs a call known to be still
// queued puts this many padding calls per worker ahead of it.
inline constexpr int kPrefetch = 4;

// A task that returned `value`, awaited.
void finished(Executor& ex, std::int64_t value, FuturePtr* out);
// A task that failed with `message`, awaited.
void failed(Executor& ex, const std::string& message, FuturePtr* out);

// On a one-worker executor: a task that logs `value` and then blocks at
// `gate` (*out), followed by kPrefetch padding calls that do nothing. From
// here on, every task submitted stays pending until the gate opens, however
// many calls the executor prefetches (up to kPrefetch): the padding fills the
// prefetch. The padding runs after the gate opens, or is cancelled by a
// shutdown(cancel_futures=true).
void occupy(Executor& ex, Lab& lab, int gate, int log, std::int64_t value, FuturePtr* out);

// After occupy(): a queued task (it would log `value`) whose cancel() succeeded.
void cancelled_queued(Executor& ex, int log, std::int64_t value, FuturePtr* out);

// The only worker of a one-worker executor held at a gate, with kPrefetch
// fillers queued behind it, so that a task submitted after hold() stays
// pending until release() (the fillers take up any calls the executor claims
// ahead of its worker).
//
//   HeldWorker worker(ex, lab);   // submits the blocker
//   worker.hold();                // precondition: it started [EXEC-SUBMIT-1]
//   ... submit, cancel, query the pending task ...
//   worker.finish();              // release; the blocker and fillers each ran once
class HeldWorker {
 public:
  HeldWorker(Executor& ex, Lab& lab);
  void hold();
  void release();
  // release(), then checks the blocker and every filler returned its value
  // [EXEC-SUBMIT-1].
  void finish();

 private:
  Executor& ex_;
  Lab& lab_;
  int gate_;
  FuturePtr blocker_;
  std::vector<FuturePtr> fillers_;
};

// --- shared checks ------------------------------------------------------------

// Checks, as verdicts on `clause`, that `got` is the outcome `expected`: the
// same kind; for a value, the same value; for a task error, one that carries
// expected's message. The kind and the message are separate checks, so an
// error that came back as another type is told apart from one whose message
// was lost. `context` says which case (it is added to a failure's message).
void check_outcome(const char* clause, const Outcome& got, const Outcome& expected,
                   const std::string& context = "");

// shutdown(wait=true) as a scene step, for tests that judge what happens
// after it: the call returns once every task not cancelled has finished
// [SHUT-WAIT-1], so a hang or a raise in it is charged there.
void shutdown_and_wait(Executor& ex, bool cancel_futures = false);

// Opens every gate of `lab` when it goes out of scope. Declared after a pool
// the test made itself, it is destroyed before it, so a test that ends early
// (a failed precondition or assertion) releases the pool's gated tasks
// instead of leaving the pool's destructor waiting for Lab::kGateLimit.
class OpenGatesOnExit {
 public:
  explicit OpenGatesOnExit(Lab& lab) : lab_(lab) {}
  ~OpenGatesOnExit() {
    if (armed_) lab_.open_all();
  }
  OpenGatesOnExit(const OpenGatesOnExit&) = delete;
  OpenGatesOnExit& operator=(const OpenGatesOnExit&) = delete;

  // Leaves the lab alone from here on, for a test about to kill a worker
  // that waits at a gate: a process that dies inside the lab's condition
  // wait can leave a later broadcast (open, open_all) waiting for it forever.
  void dismiss() { armed_ = false; }

 private:
  Lab& lab_;
  bool armed_ = true;
};

}  // namespace cf::conformance
