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
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <future>
#include <optional>
#include <string>
#include <thread>
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
  CF_CLAUSES("WAIT-ALL-1");
  CF_REQUIRE(Cap::kWait);
  auto& ex = make_executor(4);
  int g1 = lab.new_gate();
  int g2 = lab.new_gate();
  FuturePtr ok, bad;
  ASSERT_NO_FATAL_FAILURE(finished(ex, 1, &ok));
  ASSERT_NO_FATAL_FAILURE(failed(ex, "boom", &bad));
  auto first = ex.submit(Probe::gated(g1, 2));
  auto second = ex.submit(Probe::gated(g2, 3));
  Background<WaitSplit> waiting(
      lab, wait_call(impl(), {ok, bad, first, second}, ReturnWhen::kAllCompleted));

  EXPECT_FALSE(waiting.returns_within(kShort)) << "returned with two futures blocked";
  lab.open(g1);
  CF_EXPECT_VALUE(first->result(kLong), 2);
  EXPECT_FALSE(waiting.returns_within(kShort)) << "returned with one future blocked";
  lab.open(g2);
  ASSERT_TRUE(waiting.returns_within(kLong)) << "still blocked after every future completed";
  auto split = waiting.get();
  EXPECT_EQ(sorted(split.done), (Indices{0, 1, 2, 3}));
  EXPECT_EQ(split.not_done, Indices{});
}

TEST_F(Conformance, WAIT_ALL_AllDoneReturnsAtOnce) {
  CF_CLAUSES("WAIT-ALL-1");
  CF_REQUIRE(Cap::kWait);
  auto& ex = make_executor(2);
  FuturePtr ok, bad;
  ASSERT_NO_FATAL_FAILURE(finished(ex, 1, &ok));
  ASSERT_NO_FATAL_FAILURE(failed(ex, "boom", &bad));
  auto start = Clock::now();
  auto split = impl().wait({ok, bad}, ReturnWhen::kAllCompleted, kLong);
  EXPECT_LT(Clock::now() - start, kLateSlack) << "blocked although every future was done";
  EXPECT_EQ(sorted(split.done), (Indices{0, 1}));
  EXPECT_EQ(split.not_done, Indices{});
}

// --- WAIT-FIRST-1 / WAIT-FIRST-2 -------------------------------------------

// CPython test_first_completed (without its cancelled fixture: see WAIT-CANCEL-1).
TEST_F(Conformance, WAIT_FIRST_ReturnsOnFirstCompletion) {
  CF_CLAUSES("WAIT-FIRST-1");
  // All three must run at once, so that opening one gate completes its task.
  CF_REQUIRE(Cap::kWait, Cap::kMaxWorkers);
  auto& ex = make_executor(3);
  std::vector<int> gates;
  std::vector<FuturePtr> fs;
  for (int i = 0; i < 3; ++i) {
    gates.push_back(lab.new_gate());
    fs.push_back(ex.submit(Probe::gated(gates.back(), i)));
    ASSERT_TRUE(lab.await_arrivals(gates.back(), 1, kLong));
  }
  Background<WaitSplit> waiting(lab, wait_call(impl(), fs, ReturnWhen::kFirstCompleted));

  EXPECT_FALSE(waiting.returns_within(kShort)) << "returned before any future completed";
  lab.open(gates[1]);
  ASSERT_TRUE(waiting.returns_within(kLong)) << "still blocked after a future completed";
  auto split = waiting.get();
  EXPECT_EQ(sorted(split.done), (Indices{1}));
  EXPECT_EQ(sorted(split.not_done), (Indices{0, 2}));
}

// CPython test_first_completed_some_already_completed: the gate stays closed,
// so returning at all proves the call did not wait for a completion.
TEST_F(Conformance, WAIT_FIRST_AlreadyDoneReturnsAtOnce) {
  CF_CLAUSES("WAIT-FIRST-2", "WAIT-FIRST-1");
  CF_REQUIRE(Cap::kWait);
  auto& ex = make_executor(2);
  int gate = lab.new_gate();
  auto blocked = ex.submit(Probe::gated(gate, 0));
  FuturePtr ok, bad;
  ASSERT_NO_FATAL_FAILURE(finished(ex, 1, &ok));
  ASSERT_NO_FATAL_FAILURE(failed(ex, "boom", &bad));
  Background<WaitSplit> waiting(lab,
                                wait_call(impl(), {blocked, ok, bad}, ReturnWhen::kFirstCompleted));

  ASSERT_TRUE(waiting.returns_within(kLong)) << "blocked although two futures were done";
  auto split = waiting.get();
  EXPECT_EQ(sorted(split.done), (Indices{1, 2}));
  EXPECT_EQ(sorted(split.not_done), (Indices{0}));
}

// --- WAIT-FEXC-1..3 --------------------------------------------------------

// CPython test_first_exception: a success does not end the wait, a failure does.
TEST_F(Conformance, WAIT_FEXC_ReturnsOnFirstFailure) {
  CF_CLAUSES("WAIT-FEXC-1");
  CF_REQUIRE(Cap::kWait, Cap::kWaitFirstException);
  auto& ex = make_executor(4);
  int g_ok = lab.new_gate();
  int g_fail = lab.new_gate();
  int g_rest = lab.new_gate();
  FuturePtr done;
  ASSERT_NO_FATAL_FAILURE(finished(ex, 1, &done));
  // Submitted in this order, so even one worker runs them in the order opened.
  auto ok = ex.submit(Probe::gated(g_ok, 2));
  auto failing = ex.submit(Probe().gate(g_fail).raises("boom"));
  auto rest = ex.submit(Probe::gated(g_rest, 3));
  Background<WaitSplit> waiting(
      lab, wait_call(impl(), {done, ok, failing, rest}, ReturnWhen::kFirstException));

  EXPECT_FALSE(waiting.returns_within(kShort)) << "returned before any failure";
  lab.open(g_ok);
  CF_EXPECT_VALUE(ok->result(kLong), 2);
  EXPECT_FALSE(waiting.returns_within(kShort)) << "a success ended FIRST_EXCEPTION";
  lab.open(g_fail);
  ASSERT_TRUE(waiting.returns_within(kLong)) << "still blocked after a future failed";
  auto split = waiting.get();
  EXPECT_EQ(sorted(split.done), (Indices{0, 1, 2}));
  EXPECT_EQ(sorted(split.not_done), (Indices{3}));
}

// CPython test_first_exception_one_already_failed.
TEST_F(Conformance, WAIT_FEXC_FailureAlreadyPresentReturnsAtOnce) {
  CF_CLAUSES("WAIT-FEXC-2");
  CF_REQUIRE(Cap::kWait, Cap::kWaitFirstException);
  auto& ex = make_executor(2);
  int gate = lab.new_gate();
  auto blocked = ex.submit(Probe::gated(gate, 0));
  FuturePtr ok, bad;
  ASSERT_NO_FATAL_FAILURE(finished(ex, 1, &ok));
  ASSERT_NO_FATAL_FAILURE(failed(ex, "boom", &bad));
  Background<WaitSplit> waiting(lab,
                                wait_call(impl(), {blocked, ok, bad}, ReturnWhen::kFirstException));

  ASSERT_TRUE(waiting.returns_within(kLong)) << "blocked although a future had already failed";
  auto split = waiting.get();
  EXPECT_EQ(sorted(split.done), (Indices{1, 2}));
  EXPECT_EQ(sorted(split.not_done), (Indices{0}));
}

TEST_F(Conformance, WAIT_FEXC_WithoutFailureActsAsAllCompleted) {
  CF_CLAUSES("WAIT-FEXC-3");
  CF_REQUIRE(Cap::kWait, Cap::kWaitFirstException);
  auto& ex = make_executor(3);
  int g1 = lab.new_gate();
  int g2 = lab.new_gate();
  FuturePtr ok;
  ASSERT_NO_FATAL_FAILURE(finished(ex, 1, &ok));
  auto first = ex.submit(Probe::gated(g1, 2));
  auto second = ex.submit(Probe::gated(g2, 3));
  Background<WaitSplit> waiting(
      lab, wait_call(impl(), {ok, first, second}, ReturnWhen::kFirstException));

  EXPECT_FALSE(waiting.returns_within(kShort)) << "returned with two futures blocked";
  lab.open(g1);
  CF_EXPECT_VALUE(first->result(kLong), 2);
  EXPECT_FALSE(waiting.returns_within(kShort)) << "returned with one future blocked";
  lab.open(g2);
  ASSERT_TRUE(waiting.returns_within(kLong)) << "still blocked after every future completed";
  auto split = waiting.get();
  EXPECT_EQ(sorted(split.done), (Indices{0, 1, 2}));
  EXPECT_EQ(split.not_done, Indices{});
}

// A cancellation, before or during the wait, is not a failure: the wait goes
// on until every future is done.
TEST_F(Conformance, WAIT_FEXC_CancellationDoesNotEndTheWait) {
  CF_CLAUSES("WAIT-FEXC-3", "WAIT-CANCEL-1");
  CF_REQUIRE(Cap::kWait, Cap::kWaitFirstException, Cap::kCancel, Cap::kMaxWorkers);
  auto& ex = make_executor(1);
  int gate = lab.new_gate();
  int log = lab.new_log();
  FuturePtr blocker, before;
  ASSERT_NO_FATAL_FAILURE(occupy(ex, lab, gate, log, 1, &blocker));
  ASSERT_NO_FATAL_FAILURE(cancelled_queued(ex, log, 2, &before));
  auto during = ex.submit(Probe().record(log, 3).returns(3));
  Background<WaitSplit> waiting(
      lab, wait_call(impl(), {before, blocker, during}, ReturnWhen::kFirstException));

  EXPECT_FALSE(waiting.returns_within(kShort)) << "a cancelled future ended FIRST_EXCEPTION";
  ASSERT_TRUE(during->cancel());
  EXPECT_FALSE(waiting.returns_within(kShort)) << "a cancellation ended FIRST_EXCEPTION";
  lab.open(gate);
  ASSERT_TRUE(waiting.returns_within(kLong)) << "still blocked after every future was done";
  auto split = waiting.get();
  EXPECT_EQ(sorted(split.done), (Indices{0, 1, 2}));
  EXPECT_EQ(split.not_done, Indices{});
  ex.shutdown(true, false);
  EXPECT_EQ(lab.log(log), (std::vector<std::int64_t>{1})) << "a cancelled task ran";
}

// --- WAIT-TIMEOUT-1 --------------------------------------------------------

// CPython test_timeout: the split at expiry, returned rather than raised.
TEST_F(Conformance, WAIT_TIMEOUT_ExpiredWaitReturnsSplit) {
  CF_CLAUSES("WAIT-TIMEOUT-1");
  CF_REQUIRE(Cap::kWait);
  auto& ex = make_executor(3);
  int gate = lab.new_gate();
  FuturePtr ok, bad;
  ASSERT_NO_FATAL_FAILURE(finished(ex, 1, &ok));
  ASSERT_NO_FATAL_FAILURE(failed(ex, "boom", &bad));
  auto blocked = ex.submit(Probe::gated(gate, 2));
  auto start = Clock::now();
  try {
    auto split = impl().wait({ok, bad, blocked}, ReturnWhen::kAllCompleted, kShort);
    auto elapsed = Clock::now() - start;
    EXPECT_GE(elapsed, kShort) << "returned before its timeout";
    EXPECT_LE(elapsed, kShort + kLateSlack) << "returned too late after its timeout";
    EXPECT_EQ(sorted(split.done), (Indices{0, 1}));
    EXPECT_EQ(sorted(split.not_done), (Indices{2}));
  } catch (const Raised& raised) {
    ADD_FAILURE() << "an expired wait raised " << to_string(raised.outcome);
  }
}

TEST_F(Conformance, WAIT_TIMEOUT_EveryConditionReturnsOnExpiry) {
  CF_CLAUSES("WAIT-TIMEOUT-1");
  CF_REQUIRE(Cap::kWait);
  auto& ex = make_executor(2);
  int gate = lab.new_gate();
  auto first = ex.submit(Probe::gated(gate, 1));
  auto second = ex.submit(Probe::gated(gate, 2));
  for (ReturnWhen when : modes(caps())) {
    SCOPED_TRACE(mode_name(when));
    auto start = Clock::now();
    try {
      auto split = impl().wait({first, second}, when, kShort);
      auto elapsed = Clock::now() - start;
      EXPECT_GE(elapsed, kShort) << "returned before its timeout";
      EXPECT_LE(elapsed, kShort + kLateSlack) << "returned too late after its timeout";
      EXPECT_EQ(split.done, Indices{});
      EXPECT_EQ(sorted(split.not_done), (Indices{0, 1}));
    } catch (const Raised& raised) {
      ADD_FAILURE() << "an expired wait raised " << to_string(raised.outcome);
    }
  }
}

// A zero or negative timeout checks once and does not block.
TEST_F(Conformance, WAIT_TIMEOUT_ZeroOrNegativeTimeoutPolls) {
  CF_CLAUSES("WAIT-TIMEOUT-1");
  CF_REQUIRE(Cap::kWait);
  auto& ex = make_executor(2);
  int gate = lab.new_gate();
  FuturePtr ok;
  ASSERT_NO_FATAL_FAILURE(finished(ex, 1, &ok));
  auto blocked = ex.submit(Probe::gated(gate, 2));
  for (Timeout timeout : {Timeout(0s), Timeout(-1s)}) {
    for (ReturnWhen when : modes(caps())) {
      SCOPED_TRACE(mode_name(when));
      auto start = Clock::now();
      try {
        // ALL_COMPLETED and FIRST_EXCEPTION are unmet; FIRST_COMPLETED is met.
        auto split = impl().wait({ok, blocked}, when, timeout);
        EXPECT_LT(Clock::now() - start, kLateSlack) << "a polling wait blocked";
        EXPECT_EQ(sorted(split.done), (Indices{0}));
        EXPECT_EQ(sorted(split.not_done), (Indices{1}));
      } catch (const Raised& raised) {
        ADD_FAILURE() << "a polling wait raised " << to_string(raised.outcome);
      }
    }
  }
}

// --- WAIT-DUP-1 ------------------------------------------------------------

// CPython test_20369, plus pending duplicates: a future is reported once,
// under the index of its first occurrence.
TEST_F(Conformance, WAIT_DUP_DuplicateFutureAppearsOnce) {
  CF_CLAUSES("WAIT-DUP-1");
  CF_REQUIRE(Cap::kWait);
  auto& ex = make_executor(2);
  int gate = lab.new_gate();
  FuturePtr ok;
  ASSERT_NO_FATAL_FAILURE(finished(ex, 1, &ok));
  auto blocked = ex.submit(Probe::gated(gate, 2));

  auto split = impl().wait({ok, ok}, ReturnWhen::kAllCompleted, kLong);
  EXPECT_EQ(sorted(split.done), (Indices{0}));
  EXPECT_EQ(split.not_done, Indices{});

  split = impl().wait({blocked, ok, blocked}, ReturnWhen::kFirstCompleted, kLong);
  EXPECT_EQ(sorted(split.done), (Indices{1}));
  EXPECT_EQ(sorted(split.not_done), (Indices{0}));

  split = impl().wait({blocked, blocked}, ReturnWhen::kAllCompleted, 0s);
  EXPECT_EQ(split.done, Indices{});
  EXPECT_EQ(sorted(split.not_done), (Indices{0}));

  split = impl().wait({ok, blocked, ok, blocked}, ReturnWhen::kAllCompleted, 0s);
  EXPECT_EQ(sorted(split.done), (Indices{0}));
  EXPECT_EQ(sorted(split.not_done), (Indices{1}));

  // Once the duplicated pending future completes, ALL_COMPLETED needs no second completion.
  lab.open(gate);
  CF_EXPECT_VALUE(blocked->result(kLong), 2);
  split = impl().wait({blocked, ok, blocked}, ReturnWhen::kAllCompleted, kLong);
  EXPECT_EQ(sorted(split.done), (Indices{0, 1}));
  EXPECT_EQ(split.not_done, Indices{});
}

// --- WAIT-EMPTY-1 ----------------------------------------------------------

TEST_F(Conformance, WAIT_EMPTY_ReturnsTwoEmptySets) {
  CF_CLAUSES("WAIT-EMPTY-1");
  CF_REQUIRE(Cap::kWait);
  // A timeout of kLong tells "returns at once" from "waits out the timeout".
  for (Timeout timeout : {Timeout(), Timeout(0s), Timeout(kLong)}) {
    for (ReturnWhen when : modes(caps())) {
      SCOPED_TRACE(std::string(mode_name(when)) + (timeout.is_none() ? ", no timeout" : ""));
      Background<WaitSplit> waiting(lab, wait_call(impl(), {}, when, timeout));
      ASSERT_TRUE(waiting.returns_within(kLateSlack)) << "wait on no futures blocked";
      try {
        auto split = waiting.get();
        EXPECT_EQ(split.done, Indices{});
        EXPECT_EQ(split.not_done, Indices{});
      } catch (const Raised& raised) {
        ADD_FAILURE() << "wait on no futures raised " << to_string(raised.outcome);
      }
    }
  }
}

// --- WAIT-CANCEL-1 ---------------------------------------------------------
// CPython counts a future whose cancel() succeeded as not done until an
// executor notices it (gh-92001, gh-109934); cfspec counts it done at once.

// CPython test_first_completed puts its CANCELLED fixture in not_done.
TEST_F(Conformance, WAIT_CANCEL_CancelledQueuedTaskIsDone) {
  CF_CLAUSES("WAIT-CANCEL-1");
  CF_REQUIRE(Cap::kWait, Cap::kCancel, Cap::kMaxWorkers);
  auto& ex = make_executor(1);
  int gate = lab.new_gate();
  int log = lab.new_log();
  FuturePtr blocker, cancelled;
  ASSERT_NO_FATAL_FAILURE(occupy(ex, lab, gate, log, 1, &blocker));
  ASSERT_NO_FATAL_FAILURE(cancelled_queued(ex, log, 2, &cancelled));
  {
    Background<WaitSplit> waiting(
        lab, wait_call(impl(), {cancelled, blocker}, ReturnWhen::kFirstCompleted));
    ASSERT_TRUE(waiting.returns_within(kLong))
        << "FIRST_COMPLETED blocked although a future was cancelled";
    auto split = waiting.get();
    EXPECT_EQ(sorted(split.done), (Indices{0}));
    EXPECT_EQ(sorted(split.not_done), (Indices{1}));
  }
  {
    Background<WaitSplit> waiting(lab, wait_call(impl(), {cancelled}, ReturnWhen::kAllCompleted));
    ASSERT_TRUE(waiting.returns_within(kLong)) << "ALL_COMPLETED on a cancelled future blocked";
    auto split = waiting.get();
    EXPECT_EQ(sorted(split.done), (Indices{0}));
    EXPECT_EQ(split.not_done, Indices{});
  }
  lab.open(gate);
  CF_EXPECT_VALUE(blocker->result(kLong), 1);
  ex.shutdown(true, false);
  EXPECT_EQ(lab.log(log), (std::vector<std::int64_t>{1})) << "a cancelled task ran";
}

TEST_F(Conformance, WAIT_CANCEL_CancelledRawFutureIsDone) {
  CF_CLAUSES("WAIT-CANCEL-1");
  CF_REQUIRE(Cap::kWait, Cap::kCancel, Cap::kRawFuture);
  auto cancelled = impl().make_future();
  auto pending = impl().make_future();
  ASSERT_TRUE(cancelled->cancel());
  // Setting `pending` is the only way to release a wait that ignored the cancellation.
  auto rescue = [pending] { pending->set_result(0); };
  {
    Background<WaitSplit> waiting(
        lab, wait_call(impl(), {pending, cancelled}, ReturnWhen::kFirstCompleted), rescue);
    ASSERT_TRUE(waiting.returns_within(kLong))
        << "FIRST_COMPLETED blocked although a future was cancelled";
    auto split = waiting.get();
    EXPECT_EQ(sorted(split.done), (Indices{1}));
    EXPECT_EQ(sorted(split.not_done), (Indices{0}));
  }
  // A raw future is never handed to an executor, so CPython would wait forever here.
  auto later = impl().make_future();
  {
    Background<WaitSplit> waiting(lab,
                                  wait_call(impl(), {cancelled, later}, ReturnWhen::kAllCompleted));
    EXPECT_FALSE(waiting.returns_within(kShort)) << "returned with a future pending";
    ASSERT_TRUE(later->cancel());
    ASSERT_TRUE(waiting.returns_within(kLong)) << "cancel() did not wake a blocked wait";
    auto split = waiting.get();
    EXPECT_EQ(sorted(split.done), (Indices{0, 1}));
    EXPECT_EQ(split.not_done, Indices{});
  }
}

TEST_F(Conformance, WAIT_CANCEL_CancelWakesBlockedWait) {
  CF_CLAUSES("WAIT-CANCEL-1");
  CF_REQUIRE(Cap::kWait, Cap::kCancel, Cap::kMaxWorkers);
  auto& ex = make_executor(1);
  int gate = lab.new_gate();
  int log = lab.new_log();
  FuturePtr blocker;
  ASSERT_NO_FATAL_FAILURE(occupy(ex, lab, gate, log, 1, &blocker));
  auto first = ex.submit(Probe().record(log, 2).returns(2));
  auto second = ex.submit(Probe().record(log, 3).returns(3));
  {
    Background<WaitSplit> waiting(lab,
                                  wait_call(impl(), {first, blocker}, ReturnWhen::kFirstCompleted));
    EXPECT_FALSE(waiting.returns_within(kShort)) << "returned before any future completed";
    ASSERT_TRUE(first->cancel());
    ASSERT_TRUE(waiting.returns_within(kLong)) << "cancel() did not wake FIRST_COMPLETED";
    auto split = waiting.get();
    EXPECT_EQ(sorted(split.done), (Indices{0}));
    EXPECT_EQ(sorted(split.not_done), (Indices{1}));
  }
  {
    Background<WaitSplit> waiting(lab, wait_call(impl(), {second}, ReturnWhen::kAllCompleted));
    EXPECT_FALSE(waiting.returns_within(kShort)) << "returned before any future completed";
    ASSERT_TRUE(second->cancel());
    ASSERT_TRUE(waiting.returns_within(kLong)) << "cancel() did not wake ALL_COMPLETED";
    auto split = waiting.get();
    EXPECT_EQ(sorted(split.done), (Indices{0}));
    EXPECT_EQ(split.not_done, Indices{});
  }
  lab.open(gate);
  CF_EXPECT_VALUE(blocker->result(kLong), 1);
  ex.shutdown(true, false);
  EXPECT_EQ(lab.log(log), (std::vector<std::int64_t>{1})) << "a cancelled task ran";
}

// gh-87893: CPython never notifies futures cancelled by shutdown, so a wait
// without a timeout on them hangs.
TEST_F(Conformance, WAIT_CANCEL_ShutdownCancelledAreDone) {
  CF_CLAUSES("WAIT-CANCEL-1");
  CF_REQUIRE(Cap::kWait, Cap::kCancel, Cap::kMaxWorkers, Cap::kCancelFutures, Cap::kShutdownNoWait);
  auto& ex = make_executor(1);
  int gate = lab.new_gate();
  int log = lab.new_log();
  FuturePtr blocker;
  ASSERT_NO_FATAL_FAILURE(occupy(ex, lab, gate, log, 1, &blocker));
  auto first = ex.submit(Probe().record(log, 2).returns(2));
  auto second = ex.submit(Probe().record(log, 3).returns(3));
  ex.shutdown(false, true);
  CF_EXPECT_OUTCOME(first->result(kLong), Kind::kCancelled);
  CF_EXPECT_OUTCOME(second->result(kLong), Kind::kCancelled);

  // Done at the call, so the timeout only bounds a failing implementation.
  auto split = impl().wait({first, second}, ReturnWhen::kAllCompleted, kLateSlack);
  EXPECT_EQ(sorted(split.done), (Indices{0, 1}));
  EXPECT_EQ(split.not_done, Indices{});
  {
    Background<WaitSplit> waiting(lab,
                                  wait_call(impl(), {first, second}, ReturnWhen::kAllCompleted));
    ASSERT_TRUE(waiting.returns_within(kLong))
        << "wait without a timeout on futures cancelled by shutdown blocked";
    split = waiting.get();
    EXPECT_EQ(sorted(split.done), (Indices{0, 1}));
    EXPECT_EQ(split.not_done, Indices{});
  }
  lab.open(gate);
  CF_EXPECT_VALUE(blocker->result(kLong), 1);
  ex.shutdown(true, false);
  EXPECT_EQ(lab.log(log), (std::vector<std::int64_t>{1})) << "a cancelled task ran";
}

TEST_F(Conformance, WAIT_CANCEL_ShutdownCancelWakesBlockedWait) {
  CF_CLAUSES("WAIT-CANCEL-1");
  CF_REQUIRE(Cap::kWait, Cap::kCancel, Cap::kMaxWorkers, Cap::kCancelFutures, Cap::kShutdownNoWait);
  auto& ex = make_executor(1);
  int gate = lab.new_gate();
  int log = lab.new_log();
  FuturePtr blocker;
  ASSERT_NO_FATAL_FAILURE(occupy(ex, lab, gate, log, 1, &blocker));
  auto first = ex.submit(Probe().record(log, 2).returns(2));
  auto second = ex.submit(Probe().record(log, 3).returns(3));
  {
    Background<WaitSplit> any(
        lab, wait_call(impl(), {first, second, blocker}, ReturnWhen::kFirstCompleted));
    Background<WaitSplit> all(lab, wait_call(impl(), {first, second}, ReturnWhen::kAllCompleted));
    EXPECT_FALSE(any.returns_within(kShort)) << "FIRST_COMPLETED returned before any completion";
    EXPECT_FALSE(all.returns_within(kShort)) << "ALL_COMPLETED returned before any completion";
    ex.shutdown(false, true);
    ASSERT_TRUE(any.returns_within(kLong))
        << "shutdown's cancellations did not wake FIRST_COMPLETED";
    ASSERT_TRUE(all.returns_within(kLong)) << "shutdown's cancellations did not wake ALL_COMPLETED";
    // FIRST_COMPLETED may wake before shutdown has cancelled the second one.
    auto split = any.get();
    auto done = sorted(split.done);
    EXPECT_TRUE(done == Indices{0} || done == Indices{1} || done == (Indices{0, 1}))
        << "done: " << ::testing::PrintToString(done);
    auto all_indices = done;
    all_indices.insert(all_indices.end(), split.not_done.begin(), split.not_done.end());
    EXPECT_EQ(sorted(all_indices), (Indices{0, 1, 2}));
    split = all.get();
    EXPECT_EQ(sorted(split.done), (Indices{0, 1}));
    EXPECT_EQ(split.not_done, Indices{});
  }
  lab.open(gate);
  CF_EXPECT_VALUE(blocker->result(kLong), 1);
  ex.shutdown(true, false);
  EXPECT_EQ(lab.log(log), (std::vector<std::int64_t>{1})) << "a cancelled task ran";
}

}  // namespace
}  // namespace cf::conformance
