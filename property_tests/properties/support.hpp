// support.hpp — what the RapidCheck properties share.
//
// Case budget and replay. support.cpp sets RapidCheck's RC_PARAMS before the
// first property runs: a seed (random unless RC_PARAMS names one) and
// max_success, 100 cases per property by default (or the column's
// CF_PROPERTY_CASES, cf_add_conformance's PROPERTY_CASES), divided by CF_TEST_SCALE
// (sanitizer builds) and multiplied by 10 with CF_PROPERTY_LONG=1 (nightly).
// Keys already in RC_PARAMS win. Past half its test's budget a property that
// has not failed generates no more cases (it prints how many ran), and one
// that has failed stops shrinking, so neither reaches the watchdog. Each property binary prints the
// resulting RC_PARAMS when it starts, and a failing property prints the line that replays it
// (`replay_hint()`): RC_PARAMS="seed=N" <binary> --gtest_filter=<test>.
//
// Checks. A property judges with the check family of check.hpp: every failed
// check ends the case, names its clause, and RapidCheck then shrinks. The
// fixture opens every gate and drains its executors however the case ends.
// The helpers here that judge take no clause of the caller's topic: each
// judges the clause that specifies what it compares, named below.
//
// Helpers: scene steps (tasks started, gates reached), outcome checks,
// permutations that shrink towards the identity, and edge timeouts
// (negative, zero, one tick, huge) drawn on purpose, as the JSR-166 TCK does.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "harness/suite.hpp"

namespace cf::conformance::props {

using Kind = Outcome::Kind;
using Indices = std::vector<std::size_t>;

// Superseded by the fixture, which opens every gate when a case ends however
// it ends; kept for properties not yet written with tagged checks.
struct OpenGatesAtExit {
  Lab& lab;
  ~OpenGatesAtExit() { lab.open_all(); }
};

inline bool has(Caps caps, Cap cap) { return (caps & static_cast<Caps>(cap)) != 0; }

// The seed of this run and the command that replays the running test.
std::uint64_t seed();
std::string replay_hint();

// Cases per property in this run (after scale and long mode).
int cases();
// `n` scaled down by CF_TEST_SCALE (at least `floor`), for sweep sizes.
int scaled(int n, int floor = 1);

// A random permutation of 0..n-1 that shrinks towards the identity.
Indices permutation(std::size_t n);
Indices iota(std::size_t n);
Indices sorted(Indices indices);

// `actual` printed as `expected` when it matches it (a task error need only
// carry the expected message), so seen(a, e) == to_string(e) compares both.
std::string seen(const Outcome& actual, const Outcome& expected);
bool accepted(const Outcome& o);  // kNone or kValue: a producer call succeeded
// An Outcome, or "the end" for a finished sequence.
std::string describe(const std::optional<Outcome>& o);
// The name a message gives the i-th future of a case: "f<i>".
inline std::string future_name(std::size_t i) { return "f" + std::to_string(i); }

// The implementation under test, through the guard, for calls made on a
// Background thread: unlike the fixture's impl(), it outlives the test.
Implementation& guarded();

// --- scene steps -------------------------------------------------------------

// Preconditions: `count` tasks have reached `gate` / `count` entries are in
// `log`, within kLong. One task starting relies on a submitted task running
// [EXEC-SUBMIT-1]; several at once on an executor with that many workers, on
// its using every worker while work waits [TPE-MAX-1].
void await_started(const Lab& lab, int gate, int count);
// `workers` tasks blocked at `gate`, then kPrefetch queued per worker behind
// them (the calls an executor may send ahead, EXEC-RUNNING-1): a task
// submitted next stays queued until the gate opens. Returns them all.
std::vector<FuturePtr> block_workers(Executor& ex, Lab& lab, int workers, int gate);
void await_logged(const Lab& lab, int log, std::size_t count);
// Precondition: a task reaches `gate` while `busy` others are blocked.
void await_alongside(const Lab& lab, int gate, std::size_t busy);

// cancel() of `f`, and whether it took effect: cancel()'s answer where the
// implementation gives one (Cap::kCancelResult), else cancelled()
// (Cap::kStateQueries), else false (not known: the caller must not count on
// the cancellation).
bool cancel_took_effect(Future& f, Caps caps);

// The rule an as_completed broke that did not yield the cancelled `f` by its
// deadline: where as_completed over `f` alone yields it at once (with a zero
// timeout, Cap::kAsCompletedTimeout), the cancellation is seen and what held
// it back is `held_back_rule` (the order of the yields [ASC-ORDER-1]; for a
// zero-timeout poll, done futures come before its TimeoutError
// [ASC-TIMEOUT-2]); else ASC-CANCEL-1.
const char* unyielded_cancel_rule(Implementation& impl, const FuturePtr& f,
                                  const char* held_back_rule = "ASC-ORDER-1");

// One step of an as_completed run: the index yielded, or none with, where the
// step raised, ": raised <outcome>" in `raised`.
struct AsCompletedStep {
  std::optional<std::size_t> index;
  std::string raised;
};
AsCompletedStep next_or_raised(AsCompletedRun& run);

// `n` tasks, task i recording i in `log` as it starts, then blocked at its
// own gate, then returning i (or, when fails[i], raising failure_message(i)).
// With `await_start`, each must have reached its gate before the next is
// submitted (so the executor needs n workers; a precondition, as
// await_started).
struct Gated {
  std::vector<int> gates;
  std::vector<FuturePtr> futures;
};
// The probes of submit_gated, without submitting them; appends their gates.
std::vector<Probe> gated_probes(Lab& lab, int log, std::size_t n, const std::vector<bool>& fails,
                                std::vector<int>* gates);
Gated submit_gated(Executor& ex, Lab& lab, int log, std::size_t n, const std::vector<bool>& fails,
                   bool await_start);
std::string failure_message(std::size_t i);
// Outcome task i of submit_gated must end with.
Outcome gated_outcome(std::size_t i, const std::vector<bool>& fails);
// How often `id` appears in `log`.
std::size_t times_in(const std::vector<std::int64_t>& log, std::int64_t id);

// --- outcome checks ------------------------------------------------------------

// Judges what result() gave (`actual`) for a task that should end as
// `expected` (gated_outcome's form; `what` names the future): its value
// [value_clause]; for a failing task, some error rather than a value, a
// timeout or a cancellation [error_clause], and then the task's own error,
// with its message [FUT-RESULT-2]; for a cancelled one, CancelledError
// [FUT-RESULT-3].
inline void check_result(const Outcome& actual, const Outcome& expected, const std::string& what,
                         const char* value_clause = "EXEC-SUBMIT-1",
                         const char* error_clause = "EXEC-SUBMIT-2") {
  switch (expected.kind) {
    case Kind::kTaskError:
      CF_CHECK(error_clause, !(actual.is(Kind::kValue) || actual.is(Kind::kNone) ||
                               actual.is(Kind::kTimeout) || actual.is(Kind::kCancelled)))
          << what << ": result() gave " << to_string(actual) << " for a task that failed";
      CF_CHECK("FUT-RESULT-2", actual.is(Kind::kTaskError) &&
                                   actual.message.find(expected.message) != std::string::npos)
          << what << ": result() gave " << to_string(actual) << ", not the task's own "
          << to_string(expected);
      break;
    case Kind::kCancelled:
      CF_CHECK_OUTCOME("FUT-RESULT-3", actual, Kind::kCancelled) << what;
      break;
    default:
      CF_CHECK_EQ(value_clause, to_string(actual), to_string(expected)) << what;
      break;
  }
}

// Judges what exception() gave: nothing for a value, the task's own error
// with its message [FUT-EXC-1]; CancelledError for a cancelled one [FUT-EXC-2].
inline void check_exception(const Outcome& actual, const Outcome& expected,
                            const std::string& what) {
  switch (expected.kind) {
    case Kind::kTaskError:
      CF_CHECK("FUT-EXC-1", actual.is(Kind::kTaskError) &&
                                actual.message.find(expected.message) != std::string::npos)
          << what << ": exception() gave " << to_string(actual) << ", not the task's own "
          << to_string(expected);
      break;
    case Kind::kCancelled:
      CF_CHECK_OUTCOME("FUT-EXC-2", actual, Kind::kCancelled) << what;
      break;
    default:
      CF_CHECK_OUTCOME("FUT-EXC-1", actual, Kind::kNone) << what << ": the task returned a value";
      break;
  }
}

// --- edge timeouts -------------------------------------------------------------

// Each has a name for counterexamples and, for the finite ones, the shortest
// time a call may wait before reporting a timeout. `timeout` carries the
// length exactly as written (Timeout::raw()), so an adapter that hands it to
// its library has the library's own deadline arithmetic judged.
struct EdgeTimeout {
  std::string name;
  conformance::Timeout timeout;
  std::chrono::nanoseconds at_least{0};  // 0 for polls
  bool huge = false;                     // behaves as no timeout [FUT-RESULT-7]
};
std::ostream& operator<<(std::ostream& os, const EdgeTimeout& t);
// An infinite length (+ or -): only cf's rule says what it means [EXT-TIMEOUT-1].
bool infinite(const EdgeTimeout& t);

// Zero or negative, of several representations, down to min() and -infinity.
EdgeTimeout gen_poll_timeout();
// One tick up to a few milliseconds: times out, measurably.
EdgeTimeout gen_short_timeout();
// Too large for a deadline, up to max() of several representations and +infinity.
EdgeTimeout gen_huge_timeout();

}  // namespace cf::conformance::props
