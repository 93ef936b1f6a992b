// Conformance tests for wait() [WAIT-*].
//
// They follow CPython's test_wait.py, with gates instead of sleeps. The
// futures a test waits on are made in one of four ways:
//   finished / failed  a task whose outcome the test has already awaited;
//   blocked            a task held at a gate that the test opens later;
//   cancelled          a task queued behind a blocker on a one-worker executor
//                      (or a raw future) whose cancel() succeeded, or a queued
//                      task cancelled by shutdown(cancel_futures=true).
// A wait without a timeout runs in a Background thread so the test can act
// while it blocks, and can tell "returned" from "still blocked" by a bound.
//
// Where cfspec deliberately differs from CPython (a cancelled future is done
// for wait at once, and its cancellation wakes a blocked wait [WAIT-CANCEL-1])
// the test says what CPython does instead.
//
// Long on purpose: one spec section (WAIT-*), one self-contained scene per
// test, as each conformance file holds its section.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "harness/background.hpp"
#include "harness/setups.hpp"
#include "harness/suite.hpp"

namespace cf::conformance {
namespace {

using Kind = Outcome::Kind;

// wait(fs, when, timeout) as a call for Background; it owns copies of the futures.
std::function<WaitSplit()> wait_call(Implementation& impl, std::vector<FuturePtr> fs,
                                     ReturnWhen when, Timeout timeout = {}) {
  return [&impl, fs = std::move(fs), when, timeout] { return impl.wait(fs, when, timeout); };
}

// What a wait on its own thread returned, once it has. A raise fails `clause`,
// the rule that says this wait returns a split, and ends the test.
WaitSplit split_of(Background<WaitSplit>& waiting, const char* clause) {
  std::optional<WaitSplit> split;
  CF_ASSERT(clause, (split = waiting.get()).has_value()) << "the wait raised instead of returning";
  return *split;
}

// wait() without a timeout on its own thread, which `clause`'s rule says
// returns within `bound` (so only untimed waits are ever used as bounded
// ones): the split. A raise or a wait still blocked at the bound fails
// `clause` and ends the test.
WaitSplit returned_within(Lab& lab, const char* clause, Implementation& impl,
                          std::vector<FuturePtr> fs, ReturnWhen when,
                          std::chrono::nanoseconds bound) {
  Background<WaitSplit> waiting(lab, clause, wait_call(impl, std::move(fs), when));
  CF_ASSERT(clause, waiting.returns_within(bound)) << "the wait was still blocked";
  return split_of(waiting, clause);
}

// A blocked future, then a finished and a failed one: wait(mode) must return
// at once, without a completion (`returns`' rule), with the two done ones
// split from the blocked one (`split_rule`'s). The gate stays closed, so
// returning at all proves the call did not wait; `why` says what was done.
void check_returns_at_once(Lab& lab, Implementation& impl, Executor& ex, ReturnWhen mode,
                           const char* returns, const char* split_rule, const char* why) {
  int gate = lab.new_gate();
  auto blocked = ex.submit(Probe::gated(gate, 0));
  FuturePtr ok, bad;
  finished(ex, 1, &ok);
  failed(ex, "boom", &bad);
  Background<WaitSplit> waiting(lab, returns, wait_call(impl, {blocked, ok, bad}, mode));
  CF_ASSERT(returns, waiting.returns_within(kLong)) << "blocked although " << why;
  auto split = split_of(waiting, returns);
  CF_CHECK_EQ(split_rule, sorted(split.done), (Indices{1, 2}));
  CF_CHECK_EQ(split_rule, sorted(split.not_done), (Indices{0}));
}

// A timed wait() (Cap::kWaitTimeout) called inside a check of `clause`, the
// rule that says it returns (a hang in it is charged there): the split, or
// nullopt when it raised.
std::optional<WaitSplit> wait_in(const char* clause, Implementation& impl,
                                 const std::vector<FuturePtr>& fs, ReturnWhen when,
                                 Timeout timeout) {
  std::optional<WaitSplit> split;
  CF_CHECK(clause, (split = impl.wait(fs, when, timeout)).has_value())
      << "the wait raised instead of returning";
  return split;
}

// Where a split put input `i`: "done", "not_done", or what else it did with it.
// Lets a test judge each future by the rule that decides where it belongs.
std::string place_of(const WaitSplit& split, std::size_t i) {
  auto in_done = std::count(split.done.begin(), split.done.end(), i);
  auto in_not_done = std::count(split.not_done.begin(), split.not_done.end(), i);
  if (in_done == 1 && in_not_done == 0) return "done";
  if (in_done == 0 && in_not_done == 1) return "not_done";
  return std::to_string(in_done) + " times in done, " + std::to_string(in_not_done) +
         " times in not_done";
}

// The modes an implementation supports.
std::vector<ReturnWhen> modes(Caps caps) {
  std::vector<ReturnWhen> out{ReturnWhen::kFirstCompleted, ReturnWhen::kAllCompleted};
  if (caps & static_cast<Caps>(Cap::kWaitFirstException)) {
    out.push_back(ReturnWhen::kFirstException);
  }
  return out;
}

const char* mode_name(ReturnWhen when) {
  switch (when) {
    case ReturnWhen::kFirstCompleted:
      return "FIRST_COMPLETED";
    case ReturnWhen::kFirstException:
      return "FIRST_EXCEPTION";
    case ReturnWhen::kAllCompleted:
      return "ALL_COMPLETED";
  }
  return "?";
}

// --- WAIT-ALL-1 ------------------------------------------------------------

// CPython test_all_completed, with the wait blocked while futures are pending.
TEST_F(Conformance, WAIT_ALL_WaitsForEveryFuture) {
  CF_REQUIRE(Cap::kWait);
  auto& ex = make_executor(4);
  int g1 = lab.new_gate();
  int g2 = lab.new_gate();
  FuturePtr ok, bad;
  finished(ex, 1, &ok);
  failed(ex, "boom", &bad);
  auto first = ex.submit(Probe::gated(g1, 2));
  auto second = ex.submit(Probe::gated(g2, 3));
  Background<WaitSplit> waiting(
      lab, "WAIT-ALL-1", wait_call(impl(), {ok, bad, first, second}, ReturnWhen::kAllCompleted));

  CF_CHECK("WAIT-ALL-1", !waiting.returns_within(kShort)) << "returned with two futures blocked";
  lab.open(g1);
  CF_CHECK_VALUE("EXEC-SUBMIT-1", first->result(kLong), 2);
  CF_CHECK("WAIT-ALL-1", !waiting.returns_within(kShort)) << "returned with one future blocked";
  lab.open(g2);
  CF_ASSERT("WAIT-ALL-1", waiting.returns_within(kLong))
      << "still blocked after every future completed";
  auto split = split_of(waiting, "WAIT-ALL-1");
  CF_CHECK_EQ("WAIT-ALL-1", sorted(split.done), (Indices{0, 1, 2, 3}));
  CF_CHECK_EQ("WAIT-ALL-1", split.not_done, Indices{});
}

// The wait is untimed (WAIT-ALL-1's form), bounded by kLateSlack.
TEST_F(Conformance, WAIT_ALL_AllDoneReturnsAtOnce) {
  CF_REQUIRE(Cap::kWait);
  auto& ex = make_executor(2);
  FuturePtr ok, bad;
  finished(ex, 1, &ok);
  failed(ex, "boom", &bad);
  auto split =
      returned_within(lab, "WAIT-ALL-1", impl(), {ok, bad}, ReturnWhen::kAllCompleted, kLateSlack);
  CF_CHECK_EQ("WAIT-ALL-1", sorted(split.done), (Indices{0, 1}));
  CF_CHECK_EQ("WAIT-ALL-1", split.not_done, Indices{});
}

// --- WAIT-FIRST-1 / WAIT-FIRST-2 -------------------------------------------

// CPython test_first_completed (without its cancelled fixture: see WAIT-CANCEL-1).
TEST_F(Conformance, WAIT_FIRST_ReturnsOnFirstCompletion) {
  // All three must run at once, so that opening one gate completes its task.
  CF_REQUIRE(Cap::kWait, Cap::kMaxWorkers);
  auto& ex = make_executor(3);
  std::vector<int> gates;
  std::vector<FuturePtr> fs;
  for (int i = 0; i < 3; ++i) {
    gates.push_back(lab.new_gate());
    fs.push_back(ex.submit(Probe::gated(gates.back(), i)));
    // A pool of three uses all three workers while work waits.
    CF_PRECONDITION("TPE-MAX-1", lab.await_arrivals(gates.back(), 1, kLong))
        << "task " << i << " never started on a pool of 3";
  }
  Background<WaitSplit> waiting(lab, "WAIT-FIRST-1",
                                wait_call(impl(), fs, ReturnWhen::kFirstCompleted));

  CF_CHECK("WAIT-FIRST-1", !waiting.returns_within(kShort))
      << "returned before any future completed";
  lab.open(gates[1]);
  CF_ASSERT("WAIT-FIRST-1", waiting.returns_within(kLong))
      << "still blocked after a future completed";
  auto split = split_of(waiting, "WAIT-FIRST-1");
  CF_CHECK_EQ("WAIT-FIRST-1", sorted(split.done), (Indices{1}));
  CF_CHECK_EQ("WAIT-FIRST-1", sorted(split.not_done), (Indices{0, 2}));
}

// CPython test_first_completed_some_already_completed: the gate stays closed,
// so returning at all proves the call did not wait for a completion. Which
// futures the split holds is WAIT-FIRST-1's rule.
TEST_F(Conformance, WAIT_FIRST_AlreadyDoneReturnsAtOnce) {
  CF_REQUIRE(Cap::kWait);
  check_returns_at_once(lab, impl(), make_executor(2), ReturnWhen::kFirstCompleted, "WAIT-FIRST-2",
                        "WAIT-FIRST-1", "two futures were done");
}

// --- WAIT-FEXC-1..3 --------------------------------------------------------

// CPython test_first_exception: a success does not end the wait, a failure does.
TEST_F(Conformance, WAIT_FEXC_ReturnsOnFirstFailure) {
  CF_REQUIRE(Cap::kWait, Cap::kWaitFirstException);
  auto& ex = make_executor(4);
  int g_ok = lab.new_gate();
  int g_fail = lab.new_gate();
  int g_rest = lab.new_gate();
  FuturePtr done;
  finished(ex, 1, &done);
  // Submitted in this order, so even one worker runs them in the order opened.
  auto ok = ex.submit(Probe::gated(g_ok, 2));
  auto failing = ex.submit(Probe().gate(g_fail).raises("boom"));
  auto rest = ex.submit(Probe::gated(g_rest, 3));
  Background<WaitSplit> waiting(
      lab, "WAIT-FEXC-1",
      wait_call(impl(), {done, ok, failing, rest}, ReturnWhen::kFirstException));

  CF_CHECK("WAIT-FEXC-1", !waiting.returns_within(kShort)) << "returned before any failure";
  lab.open(g_ok);
  CF_CHECK_VALUE("EXEC-SUBMIT-1", ok->result(kLong), 2);
  CF_CHECK("WAIT-FEXC-1", !waiting.returns_within(kShort)) << "a success ended FIRST_EXCEPTION";
  lab.open(g_fail);
  CF_ASSERT("WAIT-FEXC-1", waiting.returns_within(kLong)) << "still blocked after a future failed";
  auto split = split_of(waiting, "WAIT-FEXC-1");
  CF_CHECK_EQ("WAIT-FEXC-1", sorted(split.done), (Indices{0, 1, 2}));
  CF_CHECK_EQ("WAIT-FEXC-1", sorted(split.not_done), (Indices{3}));
}

// CPython test_first_exception_one_already_failed.
TEST_F(Conformance, WAIT_FEXC_FailureAlreadyPresentReturnsAtOnce) {
  CF_REQUIRE(Cap::kWait, Cap::kWaitFirstException);
  check_returns_at_once(lab, impl(), make_executor(2), ReturnWhen::kFirstException, "WAIT-FEXC-2",
                        "WAIT-FEXC-2", "a future had already failed");
}

TEST_F(Conformance, WAIT_FEXC_WithoutFailureActsAsAllCompleted) {
  CF_REQUIRE(Cap::kWait, Cap::kWaitFirstException);
  auto& ex = make_executor(3);
  int g1 = lab.new_gate();
  int g2 = lab.new_gate();
  FuturePtr ok;
  finished(ex, 1, &ok);
  auto first = ex.submit(Probe::gated(g1, 2));
  auto second = ex.submit(Probe::gated(g2, 3));
  Background<WaitSplit> waiting(
      lab, "WAIT-FEXC-3", wait_call(impl(), {ok, first, second}, ReturnWhen::kFirstException));

  CF_CHECK("WAIT-FEXC-3", !waiting.returns_within(kShort)) << "returned with two futures blocked";
  lab.open(g1);
  CF_CHECK_VALUE("EXEC-SUBMIT-1", first->result(kLong), 2);
  CF_CHECK("WAIT-FEXC-3", !waiting.returns_within(kShort)) << "returned with one future blocked";
  lab.open(g2);
  CF_ASSERT("WAIT-FEXC-3", waiting.returns_within(kLong))
      << "still blocked after every future completed";
  auto split = split_of(waiting, "WAIT-FEXC-3");
  CF_CHECK_EQ("WAIT-FEXC-3", sorted(split.done), (Indices{0, 1, 2}));
  CF_CHECK_EQ("WAIT-FEXC-3", split.not_done, Indices{});
}

// A cancellation, before or during the wait, is not a failure: the wait goes
// on until every future is done [WAIT-FEXC-3], and the cancelled futures are
// among the done ones [WAIT-CANCEL-1].
TEST_F(Conformance, WAIT_FEXC_CancellationDoesNotEndTheWait) {
  CF_REQUIRE(Cap::kWait, Cap::kWaitFirstException, Cap::kCancel, Cap::kMaxWorkers);
  auto& ex = make_executor(1);
  int gate = lab.new_gate();
  int log = lab.new_log();
  FuturePtr blocker, before;
  occupy(ex, lab, gate, log, 1, &blocker);
  cancelled_queued(ex, log, 2, &before);
  auto during = ex.submit(Probe().record(log, 3).returns(3));
  Background<WaitSplit> waiting(
      lab, "WAIT-FEXC-3",
      wait_call(impl(), {before, blocker, during}, ReturnWhen::kFirstException));

  // A wait that a cancellation ended cannot show where the later-cancelled
  // future lands, so each early return ends the test.
  CF_ASSERT("WAIT-FEXC-3", !waiting.returns_within(kShort))
      << "a cancelled future ended FIRST_EXCEPTION";
  CF_PRECONDITION("FUT-CANCEL-1", during->cancel()) << "cancel() of a queued task";
  CF_ASSERT("WAIT-FEXC-3", !waiting.returns_within(kShort))
      << "a cancellation ended FIRST_EXCEPTION";
  lab.open(gate);
  CF_ASSERT("WAIT-FEXC-3", waiting.returns_within(kLong))
      << "still blocked after every future was done";
  auto split = split_of(waiting, "WAIT-FEXC-3");
  CF_CHECK_EQ("WAIT-FEXC-3", place_of(split, 1), "done") << "the blocker, which finished";
  CF_CHECK_EQ("WAIT-CANCEL-1", place_of(split, 0), "done") << "cancelled before the wait";
  CF_CHECK_EQ("WAIT-CANCEL-1", place_of(split, 2), "done") << "cancelled during the wait";
  shutdown_and_wait(ex);
  CF_CHECK_EQ("EXEC-CANCEL-1", lab.log(log), (std::vector<std::int64_t>{1}))
      << "a cancelled task ran";
}

// --- WAIT-TIMEOUT-1 --------------------------------------------------------

// CPython test_timeout: the split at expiry, returned rather than raised.
TEST_F(Conformance, WAIT_TIMEOUT_ExpiredWaitReturnsSplit) {
  CF_REQUIRE(Cap::kWaitTimeout);
  auto& ex = make_executor(3);
  int gate = lab.new_gate();
  FuturePtr ok, bad;
  finished(ex, 1, &ok);
  failed(ex, "boom", &bad);
  auto blocked = ex.submit(Probe::gated(gate, 2));
  auto start = Clock::now();
  auto split =
      wait_in("WAIT-TIMEOUT-1", impl(), {ok, bad, blocked}, ReturnWhen::kAllCompleted, kShort);
  auto elapsed = Clock::now() - start;
  if (!split) return;
  CF_CHECK("WAIT-TIMEOUT-1", elapsed >= kShort) << "returned before its timeout";
  CF_CHECK("WAIT-TIMEOUT-1", elapsed <= kShort + kLateSlack)
      << "returned too late after its timeout";
  CF_CHECK_EQ("WAIT-TIMEOUT-1", sorted(split->done), (Indices{0, 1}));
  CF_CHECK_EQ("WAIT-TIMEOUT-1", sorted(split->not_done), (Indices{2}));
}

TEST_F(Conformance, WAIT_TIMEOUT_EveryConditionReturnsOnExpiry) {
  CF_REQUIRE(Cap::kWaitTimeout);
  auto& ex = make_executor(2);
  int gate = lab.new_gate();
  auto first = ex.submit(Probe::gated(gate, 1));
  auto second = ex.submit(Probe::gated(gate, 2));
  for (ReturnWhen when : modes(caps())) {
    auto start = Clock::now();
    auto split = wait_in("WAIT-TIMEOUT-1", impl(), {first, second}, when, kShort);
    auto elapsed = Clock::now() - start;
    if (!split) continue;
    CF_CHECK("WAIT-TIMEOUT-1", elapsed >= kShort)
        << mode_name(when) << " returned before its timeout";
    CF_CHECK("WAIT-TIMEOUT-1", elapsed <= kShort + kLateSlack)
        << mode_name(when) << " returned too late after its timeout";
    CF_CHECK_EQ("WAIT-TIMEOUT-1", split->done, Indices{}) << mode_name(when);
    CF_CHECK_EQ("WAIT-TIMEOUT-1", sorted(split->not_done), (Indices{0, 1})) << mode_name(when);
  }
}

// A zero or negative timeout checks once and does not block.
TEST_F(Conformance, WAIT_TIMEOUT_ZeroOrNegativeTimeoutPolls) {
  CF_REQUIRE(Cap::kWaitTimeout);
  auto& ex = make_executor(2);
  int gate = lab.new_gate();
  FuturePtr ok;
  finished(ex, 1, &ok);
  auto blocked = ex.submit(Probe::gated(gate, 2));
  const std::pair<const char*, Timeout> timeouts[] = {{"timeout 0 s", 0s}, {"timeout -1 s", -1s}};
  for (const auto& [label, timeout] : timeouts) {
    for (ReturnWhen when : modes(caps())) {
      std::string where = std::string(mode_name(when)) + ", " + label;
      auto start = Clock::now();
      // ALL_COMPLETED and FIRST_EXCEPTION are unmet; FIRST_COMPLETED is met.
      auto split = wait_in("WAIT-TIMEOUT-1", impl(), {ok, blocked}, when, timeout);
      auto elapsed = Clock::now() - start;
      if (!split) continue;
      CF_CHECK("WAIT-TIMEOUT-1", elapsed < kLateSlack) << where << ": a polling wait blocked";
      CF_CHECK_EQ("WAIT-TIMEOUT-1", sorted(split->done), (Indices{0})) << where;
      CF_CHECK_EQ("WAIT-TIMEOUT-1", sorted(split->not_done), (Indices{1})) << where;
    }
  }
}

// --- WAIT-DUP-1 ------------------------------------------------------------

// CPython test_20369, plus pending duplicates: a future is reported once,
// under the index of its first occurrence. Waits whose condition holds are
// untimed, bounded by kLong; pending duplicates are polled with a zero
// timeout where timed waits exist.
TEST_F(Conformance, WAIT_DUP_DuplicateFutureAppearsOnce) {
  CF_REQUIRE(Cap::kWait);
  auto& ex = make_executor(2);
  int gate = lab.new_gate();
  FuturePtr ok;
  finished(ex, 1, &ok);
  auto blocked = ex.submit(Probe::gated(gate, 2));

  auto split =
      returned_within(lab, "WAIT-DUP-1", impl(), {ok, ok}, ReturnWhen::kAllCompleted, kLong);
  CF_CHECK_EQ("WAIT-DUP-1", sorted(split.done), (Indices{0})) << "{ok, ok}";
  CF_CHECK_EQ("WAIT-DUP-1", split.not_done, Indices{}) << "{ok, ok}";
  split = returned_within(lab, "WAIT-DUP-1", impl(), {blocked, ok, blocked},
                          ReturnWhen::kFirstCompleted, kLong);
  CF_CHECK_EQ("WAIT-DUP-1", sorted(split.done), (Indices{1})) << "{blocked, ok, blocked}";
  CF_CHECK_EQ("WAIT-DUP-1", sorted(split.not_done), (Indices{0})) << "{blocked, ok, blocked}";
  if (has(Cap::kWaitTimeout)) {
    if (auto polled =
            wait_in("WAIT-DUP-1", impl(), {blocked, blocked}, ReturnWhen::kAllCompleted, 0s)) {
      CF_CHECK_EQ("WAIT-DUP-1", polled->done, Indices{}) << "{blocked, blocked}";
      CF_CHECK_EQ("WAIT-DUP-1", sorted(polled->not_done), (Indices{0})) << "{blocked, blocked}";
    }
    if (auto polled = wait_in("WAIT-DUP-1", impl(), {ok, blocked, ok, blocked},
                              ReturnWhen::kAllCompleted, 0s)) {
      CF_CHECK_EQ("WAIT-DUP-1", sorted(polled->done), (Indices{0})) << "{ok, blocked, ok, blocked}";
      CF_CHECK_EQ("WAIT-DUP-1", sorted(polled->not_done), (Indices{1}))
          << "{ok, blocked, ok, blocked}";
    }
  }

  // Once the duplicated pending future completes, ALL_COMPLETED needs no second completion.
  lab.open(gate);
  CF_CHECK_VALUE("EXEC-SUBMIT-1", blocked->result(kLong), 2);
  split = returned_within(lab, "WAIT-DUP-1", impl(), {blocked, ok, blocked},
                          ReturnWhen::kAllCompleted, kLong);
  CF_CHECK_EQ("WAIT-DUP-1", sorted(split.done), (Indices{0, 1}))
      << "{blocked, ok, blocked}, completed";
  CF_CHECK_EQ("WAIT-DUP-1", split.not_done, Indices{}) << "{blocked, ok, blocked}, completed";
}

// --- WAIT-EMPTY-1 ----------------------------------------------------------

// Every condition, without a timeout and (where timed waits exist) with a
// zero one and one of kLong, which tells "returns at once" from "waits out
// the timeout".
TEST_F(Conformance, WAIT_EMPTY_ReturnsTwoEmptySets) {
  CF_REQUIRE(Cap::kWait);
  std::vector<Timeout> timeouts{Timeout()};
  if (has(Cap::kWaitTimeout)) {
    timeouts.push_back(Timeout(0s));
    timeouts.push_back(Timeout(kLong));
  }
  for (Timeout timeout : timeouts) {
    for (ReturnWhen when : modes(caps())) {
      std::string where = std::string(mode_name(when)) + (timeout.is_none() ? ", no timeout" : "");
      Background<WaitSplit> waiting(lab, "WAIT-EMPTY-1", wait_call(impl(), {}, when, timeout));
      CF_ASSERT("WAIT-EMPTY-1", waiting.returns_within(kLateSlack))
          << where << ": wait on no futures blocked";
      std::optional<WaitSplit> split;
      CF_CHECK("WAIT-EMPTY-1", (split = waiting.get()).has_value())
          << where << ": wait on no futures raised";
      if (!split) continue;
      CF_CHECK_EQ("WAIT-EMPTY-1", split->done, Indices{}) << where;
      CF_CHECK_EQ("WAIT-EMPTY-1", split->not_done, Indices{}) << where;
    }
  }
}

// --- WAIT-CANCEL-1 ---------------------------------------------------------
// CPython counts a future whose cancel() succeeded as not done until an
// executor notices it (gh-92001, gh-109934); cfspec counts it done at once.
// Where the split puts a pending future is WAIT-FIRST-1's rule; a wait that
// returns before any completion breaks its own condition's rule.

// CPython test_first_completed puts its CANCELLED fixture in not_done.
TEST_F(Conformance, WAIT_CANCEL_CancelledQueuedTaskIsDone) {
  CF_REQUIRE(Cap::kWait, Cap::kCancel, Cap::kMaxWorkers);
  auto& ex = make_executor(1);
  int gate = lab.new_gate();
  int log = lab.new_log();
  FuturePtr blocker, cancelled;
  occupy(ex, lab, gate, log, 1, &blocker);
  cancelled_queued(ex, log, 2, &cancelled);
  {
    Background<WaitSplit> waiting(
        lab, "WAIT-CANCEL-1", wait_call(impl(), {cancelled, blocker}, ReturnWhen::kFirstCompleted));
    CF_ASSERT("WAIT-CANCEL-1", waiting.returns_within(kLong))
        << "FIRST_COMPLETED blocked although a future was cancelled";
    auto split = split_of(waiting, "WAIT-CANCEL-1");
    CF_CHECK_EQ("WAIT-CANCEL-1", place_of(split, 0), "done") << "the cancelled future";
    CF_CHECK_EQ("WAIT-FIRST-1", place_of(split, 1), "not_done") << "the blocked future";
  }
  {
    Background<WaitSplit> waiting(lab, "WAIT-CANCEL-1",
                                  wait_call(impl(), {cancelled}, ReturnWhen::kAllCompleted));
    CF_ASSERT("WAIT-CANCEL-1", waiting.returns_within(kLong))
        << "ALL_COMPLETED on a cancelled future blocked";
    auto split = split_of(waiting, "WAIT-CANCEL-1");
    CF_CHECK_EQ("WAIT-CANCEL-1", sorted(split.done), (Indices{0}));
    CF_CHECK_EQ("WAIT-CANCEL-1", split.not_done, Indices{});
  }
  lab.open(gate);
  CF_CHECK_VALUE("EXEC-SUBMIT-1", blocker->result(kLong), 1);
  shutdown_and_wait(ex);
  CF_CHECK_EQ("EXEC-CANCEL-1", lab.log(log), (std::vector<std::int64_t>{1}))
      << "a cancelled task ran";
}

TEST_F(Conformance, WAIT_CANCEL_CancelledRawFutureIsDone) {
  CF_REQUIRE(Cap::kWait, Cap::kCancel, Cap::kRawFuture);
  auto cancelled = impl().make_future();
  auto pending = impl().make_future();
  CF_PRECONDITION("FUT-CANCEL-1", cancelled->cancel());
  // Setting `pending` is the only way to release a wait that ignored the cancellation.
  auto rescue = [pending] { pending->set_result(0); };
  {
    Background<WaitSplit> waiting(
        lab, "WAIT-CANCEL-1", wait_call(impl(), {pending, cancelled}, ReturnWhen::kFirstCompleted),
        rescue);
    CF_ASSERT("WAIT-CANCEL-1", waiting.returns_within(kLong))
        << "FIRST_COMPLETED blocked although a future was cancelled";
    auto split = split_of(waiting, "WAIT-CANCEL-1");
    CF_CHECK_EQ("WAIT-CANCEL-1", place_of(split, 1), "done") << "the cancelled future";
    CF_CHECK_EQ("WAIT-FIRST-1", place_of(split, 0), "not_done") << "the pending future";
  }
  // A raw future is never handed to an executor, so CPython would wait forever here.
  auto later = impl().make_future();
  {
    Background<WaitSplit> waiting(lab, "WAIT-CANCEL-1",
                                  wait_call(impl(), {cancelled, later}, ReturnWhen::kAllCompleted));
    // A wait that returned already cannot show whether the cancel would wake it.
    CF_ASSERT("WAIT-ALL-1", !waiting.returns_within(kShort)) << "returned with a future pending";
    CF_PRECONDITION("FUT-CANCEL-1", later->cancel());
    CF_ASSERT("WAIT-CANCEL-1", waiting.returns_within(kLong))
        << "cancel() did not wake a blocked wait";
    auto split = split_of(waiting, "WAIT-CANCEL-1");
    CF_CHECK_EQ("WAIT-CANCEL-1", sorted(split.done), (Indices{0, 1}));
    CF_CHECK_EQ("WAIT-CANCEL-1", split.not_done, Indices{});
  }
}

TEST_F(Conformance, WAIT_CANCEL_CancelWakesBlockedWait) {
  CF_REQUIRE(Cap::kWait, Cap::kCancel, Cap::kMaxWorkers);
  auto& ex = make_executor(1);
  int gate = lab.new_gate();
  int log = lab.new_log();
  FuturePtr blocker;
  occupy(ex, lab, gate, log, 1, &blocker);
  auto first = ex.submit(Probe().record(log, 2).returns(2));
  auto second = ex.submit(Probe().record(log, 3).returns(3));
  {
    Background<WaitSplit> waiting(lab, "WAIT-CANCEL-1",
                                  wait_call(impl(), {first, blocker}, ReturnWhen::kFirstCompleted));
    CF_CHECK("WAIT-FIRST-1", !waiting.returns_within(kShort))
        << "returned before any future completed";
    CF_PRECONDITION("FUT-CANCEL-1", first->cancel()) << "cancel() of a queued task";
    CF_ASSERT("WAIT-CANCEL-1", waiting.returns_within(kLong))
        << "cancel() did not wake FIRST_COMPLETED";
    auto split = split_of(waiting, "WAIT-CANCEL-1");
    CF_CHECK_EQ("WAIT-CANCEL-1", place_of(split, 0), "done") << "the cancelled future";
    CF_CHECK_EQ("WAIT-FIRST-1", place_of(split, 1), "not_done") << "the blocked future";
  }
  {
    Background<WaitSplit> waiting(lab, "WAIT-CANCEL-1",
                                  wait_call(impl(), {second}, ReturnWhen::kAllCompleted));
    CF_CHECK("WAIT-ALL-1", !waiting.returns_within(kShort))
        << "returned before any future completed";
    CF_PRECONDITION("FUT-CANCEL-1", second->cancel()) << "cancel() of a queued task";
    CF_ASSERT("WAIT-CANCEL-1", waiting.returns_within(kLong))
        << "cancel() did not wake ALL_COMPLETED";
    auto split = split_of(waiting, "WAIT-CANCEL-1");
    CF_CHECK_EQ("WAIT-CANCEL-1", sorted(split.done), (Indices{0}));
    CF_CHECK_EQ("WAIT-CANCEL-1", split.not_done, Indices{});
  }
  lab.open(gate);
  CF_CHECK_VALUE("EXEC-SUBMIT-1", blocker->result(kLong), 1);
  shutdown_and_wait(ex);
  CF_CHECK_EQ("EXEC-CANCEL-1", lab.log(log), (std::vector<std::int64_t>{1}))
      << "a cancelled task ran";
}

// gh-87893: CPython never notifies futures cancelled by shutdown, so a wait
// without a timeout on them hangs. That those tasks never run is what
// shutdown(cancel_futures=true) promised [SHUT-CANCEL-1].
TEST_F(Conformance, WAIT_CANCEL_ShutdownCancelledAreDone) {
  // cancel: WAIT-CANCEL-1 needs it, and a hang in these waits is charged there.
  CF_REQUIRE(Cap::kWait, Cap::kCancel, Cap::kMaxWorkers, Cap::kCancelFutures, Cap::kShutdownNoWait);
  auto& ex = make_executor(1);
  int gate = lab.new_gate();
  int log = lab.new_log();
  FuturePtr blocker;
  occupy(ex, lab, gate, log, 1, &blocker);
  auto first = ex.submit(Probe().record(log, 2).returns(2));
  auto second = ex.submit(Probe().record(log, 3).returns(3));
  ex.shutdown(false, true);
  CF_PRECONDITION("SHUT-CANCEL-1", first->result(kLong).is(Kind::kCancelled));
  CF_PRECONDITION("SHUT-CANCEL-1", second->result(kLong).is(Kind::kCancelled));

  // Done at the call, so a timed wait's timeout only bounds a failing implementation.
  if (has(Cap::kWaitTimeout)) {
    if (auto split = wait_in("WAIT-CANCEL-1", impl(), {first, second}, ReturnWhen::kAllCompleted,
                             kLateSlack)) {
      CF_CHECK_EQ("WAIT-CANCEL-1", sorted(split->done), (Indices{0, 1})) << "a timed wait";
      CF_CHECK_EQ("WAIT-CANCEL-1", split->not_done, Indices{}) << "a timed wait";
    }
  }
  {
    Background<WaitSplit> waiting(lab, "WAIT-CANCEL-1",
                                  wait_call(impl(), {first, second}, ReturnWhen::kAllCompleted));
    CF_ASSERT("WAIT-CANCEL-1", waiting.returns_within(kLong))
        << "wait without a timeout on futures cancelled by shutdown blocked";
    auto split = split_of(waiting, "WAIT-CANCEL-1");
    CF_CHECK_EQ("WAIT-CANCEL-1", sorted(split.done), (Indices{0, 1}));
    CF_CHECK_EQ("WAIT-CANCEL-1", split.not_done, Indices{});
  }
  lab.open(gate);
  CF_CHECK_VALUE("EXEC-SUBMIT-1", blocker->result(kLong), 1);
  shutdown_and_wait(ex);
  CF_CHECK_EQ("SHUT-CANCEL-1", lab.log(log), (std::vector<std::int64_t>{1}))
      << "a cancelled task ran";
}

TEST_F(Conformance, WAIT_CANCEL_ShutdownCancelWakesBlockedWait) {
  // cancel: WAIT-CANCEL-1 needs it, and a hang in these waits is charged there.
  CF_REQUIRE(Cap::kWait, Cap::kCancel, Cap::kMaxWorkers, Cap::kCancelFutures, Cap::kShutdownNoWait);
  auto& ex = make_executor(1);
  int gate = lab.new_gate();
  int log = lab.new_log();
  FuturePtr blocker;
  occupy(ex, lab, gate, log, 1, &blocker);
  auto first = ex.submit(Probe().record(log, 2).returns(2));
  auto second = ex.submit(Probe().record(log, 3).returns(3));
  {
    Background<WaitSplit> any(
        lab, "WAIT-CANCEL-1",
        wait_call(impl(), {first, second, blocker}, ReturnWhen::kFirstCompleted));
    Background<WaitSplit> all(lab, "WAIT-CANCEL-1",
                              wait_call(impl(), {first, second}, ReturnWhen::kAllCompleted));
    CF_CHECK("WAIT-FIRST-1", !any.returns_within(kShort))
        << "FIRST_COMPLETED returned before any completion";
    CF_CHECK("WAIT-ALL-1", !all.returns_within(kShort))
        << "ALL_COMPLETED returned before any completion";
    ex.shutdown(false, true);
    const bool any_woke = any.returns_within(kLong);
    const bool all_woke = any_woke && all.returns_within(kLong);
    // A wait left blocked because the shutdown cancelled nothing (seen where
    // the state can be read without blocking) had nothing to wake it: that is
    // SHUT-CANCEL-1's rule broken, not WAIT-CANCEL-1's.
    const bool uncancelled =
        !all_woke && has(Cap::kStateQueries) && !(first->cancelled() && second->cancelled());
    const char* wake = uncancelled ? "SHUT-CANCEL-1" : "WAIT-CANCEL-1";
    CF_ASSERT(wake, any_woke) << "shutdown's cancellations did not wake FIRST_COMPLETED";
    CF_ASSERT(wake, all_woke) << "shutdown's cancellations did not wake ALL_COMPLETED";
    // FIRST_COMPLETED may wake before shutdown has cancelled the second one.
    auto split = split_of(any, "WAIT-CANCEL-1");
    CF_CHECK("WAIT-CANCEL-1", place_of(split, 0) == "done" || place_of(split, 1) == "done")
        << "done: " << ::testing::PrintToString(sorted(split.done));
    CF_CHECK_EQ("WAIT-FIRST-1", place_of(split, 2), "not_done") << "the blocked future";
    auto all_indices = split.done;
    all_indices.insert(all_indices.end(), split.not_done.begin(), split.not_done.end());
    CF_CHECK_EQ("WAIT-FIRST-1", sorted(all_indices), (Indices{0, 1, 2}));
    split = split_of(all, "WAIT-CANCEL-1");
    CF_CHECK_EQ("WAIT-CANCEL-1", sorted(split.done), (Indices{0, 1}));
    CF_CHECK_EQ("WAIT-CANCEL-1", split.not_done, Indices{});
  }
  lab.open(gate);
  CF_CHECK_VALUE("EXEC-SUBMIT-1", blocker->result(kLong), 1);
  shutdown_and_wait(ex);
  CF_CHECK_EQ("SHUT-CANCEL-1", lab.log(log), (std::vector<std::int64_t>{1}))
      << "a cancelled task ran";
}

}  // namespace
}  // namespace cf::conformance
