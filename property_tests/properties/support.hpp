// support.hpp — what the RapidCheck properties share.
//
// Case budget and replay. support.cpp sets RapidCheck's RC_PARAMS before the
// first property runs: a seed (random unless RC_PARAMS names one) and
// max_success, 100 cases per property by default, divided by CF_TEST_SCALE
// (sanitizer builds) and multiplied by 10 with CF_PROPERTY_LONG=1 (nightly).
// Keys already in RC_PARAMS win. Each property binary prints the resulting
// RC_PARAMS when it starts, and a failing property prints the line that
// replays it (`replay_hint()`): RC_PARAMS="seed=N" <binary> --gtest_filter=<test>.
//
// Helpers: gates opened when a property exits early, permutations that shrink
// towards the identity, Outcome comparison that prints both sides, and edge
// timeouts (negative, zero, one tick, huge) drawn on purpose, as the JSR-166
// TCK does.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "harness/suite.hpp"

// RC_FAIL that also notes its message in the test's record (see
// note_failed_check): the record names the failed check even when
// RapidCheck's replay of a timing-dependent case passes.
#define CF_RC_FAIL(message)                                  \
  do {                                                       \
    const std::string cf_rc_fail_message__ = (message);      \
    ::cf::conformance::note_failed_check(cf_rc_fail_message__); \
    RC_FAIL(cf_rc_fail_message__);                           \
  } while (0)

namespace cf::conformance::props {

using Kind = Outcome::Kind;
using Indices = std::vector<std::size_t>;

// A failed RC_ASSERT throws past the fixture's TearDown; opening every gate on
// the way out lets the executors' destructors drain.
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
// carry the expected message), so RC_ASSERT(seen(a, e) == to_string(e))
// shows both sides when it fails.
std::string seen(const Outcome& actual, const Outcome& expected);
bool accepted(const Outcome& o);  // kNone or kValue: a producer call succeeded

// `n` tasks, task i recording i in `log` as it starts, then blocked at its
// own gate, then returning i (or, when fails[i], raising failure_message(i)).
// With `await_start`, each must have reached its gate before the next is
// submitted (so the executor needs n workers).
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

// Edge timeouts. Each has a name for counterexamples and, for the finite
// ones, the shortest time a call may wait before reporting a timeout.
struct EdgeTimeout {
  std::string name;
  Timeout timeout;
  std::chrono::nanoseconds at_least{0};  // 0 for polls
  bool huge = false;                     // behaves as no timeout [FUT-RESULT-7]
};
std::ostream& operator<<(std::ostream& os, const EdgeTimeout& t);

// Zero or negative, of several representations, down to min().
EdgeTimeout gen_poll_timeout();
// One tick up to a few milliseconds: times out, measurably.
EdgeTimeout gen_short_timeout();
// Too large for a deadline, up to max() of several representations.
EdgeTimeout gen_huge_timeout();

}  // namespace cf::conformance::props
