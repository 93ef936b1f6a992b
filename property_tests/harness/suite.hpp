// suite.hpp — what every conformance test includes.
//
// A test judges clauses with checks that name them (check.hpp: CF_CHECK and
// its family; ci/check_clauses derives each test's clauses from them), builds
// its scene with preconditions (CF_PRECONDITION), states the capabilities the
// whole scene needs with CF_REQUIRE (missing ones make it "n/a"), and talks to
// the implementation only through the guarded adapter (`impl()`, guard.hpp),
// the lab (`lab`) and executors made by `make_executor`, which the fixture
// drains when the test ends, however it ends, so a failing test never leaves
// tasks behind.
//
// Timing: waits are bounded by named slack constants, never used to
// synchronise. kLong is an upper bound for things that must happen; kShort is
// the small timeout a test expects to elapse.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "adapter.hpp"
#include "check.hpp"
#include "guard.hpp"

namespace cf::conformance {

using namespace std::chrono_literals;

// Upper bound for an event that must happen (a task starting, a gate
// arrival): generous so a loaded CI machine or a sanitizer build never trips
// it (the slowest such event seen, a worker process or MPI rank spawned on a
// loaded machine, takes about a second). Each check that finds the event
// missing waits it out, so it is no longer than that margin needs.
inline constexpr auto kLong = std::chrono::seconds(10);
// A timeout a test expects to run out: long enough to be measurable.
inline constexpr auto kShort = std::chrono::milliseconds(50);
// How late a timed-out call may return beyond its timeout before the suite
// calls it a bug (scheduling delay on a loaded 2-core machine, sanitizers).
inline constexpr auto kLateSlack = std::chrono::seconds(5);

class Conformance : public ::testing::Test {
 protected:
  Conformance();
  ~Conformance() override;

  // The implementation under test, through the guard.
  Implementation& impl() { return impl_; }
  Caps caps() { return impl().caps(); }
  bool has(Cap cap) { return (caps() & static_cast<Caps>(cap)) != 0; }

  // An executor with `workers` workers (none = default), drained when the
  // test ends.
  Executor& make_executor(std::optional<int> workers = 4);
  Executor& make_executor(const ExecutorSpec& spec);

  // In a property that has already failed, with less than half its budget
  // left: the case passes at once, so RapidCheck stops shrinking and reports
  // the smallest failing case found so far (before the watchdog would end it).
  void SetUp() override;
  // Opens every gate, then shuts down every executor made by this test. In a
  // property, a check that failed on another thread fails the case here.
  void TearDown() override;

  Lab lab;

 private:
  void drain() noexcept;
  GuardedImplementation impl_{implementation()};
  std::vector<std::unique_ptr<Executor>> executors_;
  bool property_ = false;
};

}  // namespace cf::conformance

// Skips the test as "n/a" when the implementation lacks a capability:
// CF_REQUIRE(Cap::kCancel, Cap::kWait).
#define CF_REQUIRE(...)                                                              \
  do {                                                                               \
    auto missing__ = ::cf::conformance::missing_caps(caps(), {__VA_ARGS__});         \
    if (!missing__.empty()) GTEST_SKIP() << "n/a: missing capability " << missing__; \
  } while (0)
