// minimal.hpp — a second correct implementation of the spec, written from
// scratch for the suite's precision self-checks: it shares no code with cf::
// (its own future state machine, worker threads, queue, wait, as_completed and
// map), so a check that fails on it, and not on cf, is a check that judges
// something other than its clause's rule.
//
// What it is:
//   MinimalFuture  one state (pending, running, cancelled, finished) under one
//                  mutex; readers wait on a condition variable; done-callbacks
//                  and internal watchers (wait, as_completed) run after the
//                  state changed, outside the lock [FUT-CB-5].
//   Pool           a FIFO queue and worker threads started on demand, up to
//                  max_workers; shutdown, cancel_futures, the initializer.
//   wait / as_completed / map
//                  built on the futures' watchers and results, each with its
//                  deadline fixed at the call.
//
// Thread-safety: every operation may be called from any thread at once, as the
// adapter contract (harness/adapter.hpp) requires.
//
// Requires:
//   - futures handed to wait() and as_completed() are this implementation's;
//   - the Lab outlives the executors made with it.
// Guarantees (with no bug planted):
//   - every clause of SPEC.md that the adapter contract can observe, for the
//     capabilities declared in caps() (all of the reference's but the
//     process-only crash probe and cf's own typed API: mixed and void futures);
//   - timeouts are read from the length the test wrote (Timeout::raw()): a
//     length too large for the steady clock is no timeout, a non-positive one
//     polls, NaN throws invalid-argument [FUT-RESULT-6, FUT-RESULT-7];
//   - destroying an executor is shutdown(wait=true) and joins every worker.
// Non-guarantees: no fairness between readers; a watcher registered by a wait
// that returned stays on its future until that future completes.
//
// Planted bugs. CF_BROKEN names the variant (make_minimal() reads it):
//   correct-minimal   no bug                                 column correct-minimal
//   minimal-<bug>     one deviation, switched on at one place column broken-minimal-<bug>
// Every switch reads `planted()`; a new bug is one enumerator, one name in
// kPlantedNames, and one `if (planted() == Planted::k...)` where it acts.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness/adapter.hpp"

namespace cf::conformance::minimal {

enum class Planted {
  kNone,         // correct-minimal
  kLifoQueue,    // minimal-lifo: the newest queued call starts first   [TPE-FIFO-1]
  kExtraWorker,  // minimal-extra-worker: max_workers + 1 threads run   [TPE-MAX-1]
};

// The variant CF_BROKEN names (`name` without the prefix), or nullopt when it
// names none of this implementation's.
std::optional<Planted> planted_from_name(const std::string& name);
std::vector<std::string> planted_names();

// The implementation with `bug` planted (Planted::kNone: correct), named
// `column` in the records.
std::unique_ptr<Implementation> make_minimal(Planted bug, std::string column);

}  // namespace cf::conformance::minimal
