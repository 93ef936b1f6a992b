// Conformance tests for as_completed() [ASC-*].
//
// They follow CPython's test_as_completed.py, with gates instead of sleeps:
// a "blocked" future is a task held at a gate the test opens later, a
// "finished" or "failed" one a task whose outcome the test already awaited,
// a "cancelled" one a task queued behind a blocker on a one-worker executor
// (or a raw future) whose cancel() succeeded. Completion order is set by
// opening gates one at a time and awaiting each result before the next.
//
// Where cfspec deliberately differs from CPython (a cancelled future is
// yielded without an executor noticing it [ASC-CANCEL-1]; the deadline counts
// from the call, not from the first next() [ASC-TIMEOUT-1]) the test says so.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
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
using SharedRun = std::shared_ptr<AsCompletedRun>;

// run->next() as a call for Background; it shares ownership of the run.
std::function<std::optional<std::size_t>()> next_call(SharedRun run) {
  return [run = std::move(run)] { return run->next(); };
}

// The error next() raised, or nullopt if it returned.
std::optional<Outcome> raised_by_next(AsCompletedRun& run) {
  try {
    run.next();
    return std::nullopt;
  } catch (const Raised& raised) {
    return raised.outcome;
  }
}

// next() until the end, at most `limit` yields; fails on a raised error.
void drain(AsCompletedRun& run, std::size_t limit, Indices* out) {
  for (std::size_t calls = 0; calls <= limit; ++calls) {
    std::optional<std::size_t> index;
    try {
      index = run.next();
    } catch (const Raised& raised) {
      FAIL() << "next() raised " << to_string(raised.outcome) << " after yielding "
             << ::testing::PrintToString(*out);
    }
    if (!index) return;
    out->push_back(*index);
  }
  FAIL() << "as_completed yielded more than " << limit
         << " futures: " << ::testing::PrintToString(*out);
}

// Expects next() to yield `expected`, without raising.
void expect_next(AsCompletedRun& run, std::optional<std::size_t> expected) {
  try {
    auto index = run.next();
    EXPECT_EQ(index, expected);
  } catch (const Raised& raised) {
    ADD_FAILURE() << "next() raised " << to_string(raised.outcome);
  }
}

// Expects next() to raise TimeoutError "N (of M) futures unfinished"; the
// message is checked when the implementation reports one.
void expect_timeout(AsCompletedRun& run, std::size_t unfinished, std::size_t total) {
  auto raised = raised_by_next(run);
  ASSERT_TRUE(raised.has_value()) << "next() returned; expected TimeoutError";
  CF_EXPECT_OUTCOME(*raised, Kind::kTimeout);
  if (!raised->message.empty()) {
    EXPECT_EQ(raised->message, std::to_string(unfinished) + " (of " + std::to_string(total) +
                                   ") futures unfinished");
  }
}

// `n` tasks blocked at their own gates, all running at once.
void blocked_tasks(Executor& ex, Lab& lab, int n, std::vector<int>* gates,
                   std::vector<FuturePtr>* fs) {
  for (int i = 0; i < n; ++i) {
    gates->push_back(lab.new_gate());
    fs->push_back(ex.submit(Probe::gated(gates->back(), i)));
    ASSERT_TRUE(lab.await_arrivals(gates->back(), 1, kLong)) << "task " << i << " never started";
  }
}

// --- ASC-ALL-1 -------------------------------------------------------------

// CPython test_no_timeout: done fixtures and submitted futures, each yielded once.
TEST_F(Conformance, ASC_ALL_YieldsEveryFutureOnce) {
  CF_CLAUSES("ASC-ALL-1");
  CF_REQUIRE(Cap::kAsCompleted);
  auto& ex = make_executor(4);
  int g1 = lab.new_gate();
  int g2 = lab.new_gate();
  FuturePtr ok, bad;
  ASSERT_NO_FATAL_FAILURE(finished(ex, 1, &ok));
  ASSERT_NO_FATAL_FAILURE(failed(ex, "boom", &bad));
  auto first = ex.submit(Probe::gated(g1, 2));
  auto second = ex.submit(Probe::gated(g2, 3));
  auto run = impl().as_completed({ok, bad, first, second}, kLong);
  lab.open(g1);
  lab.open(g2);
  Indices yielded;
  ASSERT_NO_FATAL_FAILURE(drain(*run, 4, &yielded));
  EXPECT_EQ(sorted(yielded), (Indices{0, 1, 2, 3}));
  expect_next(*run, std::nullopt);  // an ended run stays ended
}

TEST_F(Conformance, ASC_ALL_EmptyInputEndsAtOnce) {
  CF_CLAUSES("ASC-ALL-1");
  CF_REQUIRE(Cap::kAsCompleted);
  for (Timeout timeout : {Timeout(0s), Timeout(kLong)}) {
    auto run = impl().as_completed({}, timeout);
    auto start = Clock::now();
    expect_next(*run, std::nullopt);
    EXPECT_LT(Clock::now() - start, kLateSlack);
  }
}

// --- ASC-ORDER-1 -----------------------------------------------------------

// All completions happen before the first next(): the run must have kept
// their order.
TEST_F(Conformance, ASC_ORDER_YieldsInCompletionOrder) {
  CF_CLAUSES("ASC-ORDER-1");
  CF_REQUIRE(Cap::kAsCompleted, Cap::kMaxWorkers);
  auto& ex = make_executor(4);
  std::vector<int> gates;
  std::vector<FuturePtr> fs;
  ASSERT_NO_FATAL_FAILURE(blocked_tasks(ex, lab, 4, &gates, &fs));
  auto run = impl().as_completed(fs, kLong);
  const Indices order{2, 0, 3, 1};
  for (std::size_t i : order) {
    lab.open(gates[i]);
    CF_EXPECT_VALUE(fs[i]->result(kLong), static_cast<std::int64_t>(i));
  }
  Indices yielded;
  ASSERT_NO_FATAL_FAILURE(drain(*run, 4, &yielded));
  EXPECT_EQ(yielded, order);
}

// A next() blocked with nothing ready wakes on the next completion.
TEST_F(Conformance, ASC_ORDER_BlockedNextWakesOnEachCompletion) {
  CF_CLAUSES("ASC-ORDER-1");
  CF_REQUIRE(Cap::kAsCompleted, Cap::kMaxWorkers);
  auto& ex = make_executor(3);
  std::vector<int> gates;
  std::vector<FuturePtr> fs;
  ASSERT_NO_FATAL_FAILURE(blocked_tasks(ex, lab, 3, &gates, &fs));
  SharedRun run = impl().as_completed(fs, kLong);
  for (std::size_t i : {1, 2, 0}) {
    Background<std::optional<std::size_t>> next(lab, next_call(run));
    EXPECT_FALSE(next.returns_within(kShort)) << "next() returned before a completion";
    lab.open(gates[i]);
    ASSERT_TRUE(next.returns_within(kLong)) << "next() still blocked after a completion";
    EXPECT_EQ(next.get(), std::optional<std::size_t>(i));
  }
  expect_next(*run, std::nullopt);
}

TEST_F(Conformance, ASC_ORDER_RawFuturesInSetOrder) {
  CF_CLAUSES("ASC-ORDER-1");
  CF_REQUIRE(Cap::kAsCompleted, Cap::kRawFuture);
  std::vector<FuturePtr> fs;
  for (int i = 0; i < 5; ++i) fs.push_back(impl().make_future());
  auto run = impl().as_completed(fs, kLong);
  const Indices order{3, 1, 4, 0, 2};
  for (std::size_t i : order) {
    auto set = i == 4 ? fs[i]->set_exception("boom") : fs[i]->set_result(i);
    ASSERT_TRUE(set.is(Kind::kNone) || set.is(Kind::kValue))
        << "setting an outcome raised " << to_string(set);
  }
  Indices yielded;
  ASSERT_NO_FATAL_FAILURE(drain(*run, 5, &yielded));
  EXPECT_EQ(yielded, order);
}

// --- ASC-DONE-1 ------------------------------------------------------------

// A future that completes after the call, even before the first next(),
// comes after the ones done at the call (CPython, a generator, would count it
// among the done ones: it looks at the futures only at the first next()).
TEST_F(Conformance, ASC_DONE_AlreadyDoneComeFirst) {
  CF_CLAUSES("ASC-DONE-1", "ASC-ORDER-1");
  CF_REQUIRE(Cap::kAsCompleted);
  auto& ex = make_executor(4);
  int g1 = lab.new_gate();
  int g2 = lab.new_gate();
  FuturePtr ok, bad;
  ASSERT_NO_FATAL_FAILURE(finished(ex, 1, &ok));
  ASSERT_NO_FATAL_FAILURE(failed(ex, "boom", &bad));
  // Submitted after the done ones, in opening order, so one worker suffices.
  auto early = ex.submit(Probe::gated(g1, 2));
  auto late = ex.submit(Probe::gated(g2, 3));
  auto run = impl().as_completed({early, ok, late, bad}, kLong);
  lab.open(g1);
  CF_EXPECT_VALUE(early->result(kLong), 2);

  Indices first_two;
  for (int i = 0; i < 2; ++i) {
    auto index = run->next();  // done futures are ready: no blocking, no raise expected
    ASSERT_TRUE(index.has_value());
    first_two.push_back(*index);
  }
  EXPECT_EQ(sorted(first_two), (Indices{1, 3}))
      << "the futures done at the call did not come first";
  expect_next(*run, 0);
  lab.open(g2);
  expect_next(*run, 2);
  expect_next(*run, std::nullopt);
}

// --- ASC-DUP-1 -------------------------------------------------------------

// CPython test_duplicate_futures, plus pending duplicates.
TEST_F(Conformance, ASC_DUP_DuplicateYieldedOnce) {
  CF_CLAUSES("ASC-DUP-1");
  CF_REQUIRE(Cap::kAsCompleted);
  auto& ex = make_executor(2);
  int gate = lab.new_gate();
  FuturePtr ok;
  ASSERT_NO_FATAL_FAILURE(finished(ex, 1, &ok));
  auto blocked = ex.submit(Probe::gated(gate, 2));

  auto run = impl().as_completed({ok, ok, ok}, kLong);
  Indices yielded;
  ASSERT_NO_FATAL_FAILURE(drain(*run, 3, &yielded));
  EXPECT_EQ(yielded, (Indices{0}));

  run = impl().as_completed({blocked, ok, blocked, ok}, kLong);
  expect_next(*run, 1);
  lab.open(gate);
  yielded.clear();
  ASSERT_NO_FATAL_FAILURE(drain(*run, 3, &yielded));
  EXPECT_EQ(yielded, (Indices{0})) << "a pending duplicate was not yielded exactly once";
}

// --- ASC-TIMEOUT-1 ---------------------------------------------------------

// Long enough that "at once" (under half of it) cannot be mistaken for "at a
// deadline counted from the first next()", even on a loaded machine.
constexpr auto kDeadline = std::chrono::milliseconds(400);

// The run is created, then left idle past its deadline: the first next() that
// has to block raises at once. CPython would start the clock at the first
// next() and raise kDeadline later.
TEST_F(Conformance, ASC_TIMEOUT_DeadlineCountsFromTheCall) {
  CF_CLAUSES("ASC-TIMEOUT-1");
  CF_REQUIRE(Cap::kAsCompleted);
  auto& ex = make_executor(3);
  int gate = lab.new_gate();
  FuturePtr ok;
  ASSERT_NO_FATAL_FAILURE(finished(ex, 1, &ok));
  auto first = ex.submit(Probe::gated(gate, 2));
  auto second = ex.submit(Probe::gated(gate, 3));
  auto run = impl().as_completed({ok, first, second}, kDeadline);
  auto called = Clock::now();
  // Idle past the deadline: a bounded wait at a gate no task reaches.
  int nobody = lab.new_gate();
  while (Clock::now() - called < kDeadline) lab.await_arrivals(nobody, 1, kDeadline);

  auto start = Clock::now();
  expect_next(*run, 0);  // done at the call: yielded even past the deadline
  ASSERT_NO_FATAL_FAILURE(expect_timeout(*run, 2, 3));
  EXPECT_LT(Clock::now() - start, kDeadline / 2)
      << "the deadline was counted from the first next(), not from the call";
}

TEST_F(Conformance, ASC_TIMEOUT_ExpiresWhileBlocked) {
  CF_CLAUSES("ASC-TIMEOUT-1");
  CF_REQUIRE(Cap::kAsCompleted);
  auto& ex = make_executor(1);
  int gate = lab.new_gate();
  auto blocked = ex.submit(Probe::gated(gate, 1));
  auto start = Clock::now();
  auto run = impl().as_completed({blocked}, kShort);
  ASSERT_NO_FATAL_FAILURE(expect_timeout(*run, 1, 1));
  auto elapsed = Clock::now() - start;
  EXPECT_GE(elapsed, kShort) << "raised before the deadline";
  EXPECT_LE(elapsed, kShort + kLateSlack) << "raised too late after the deadline";
}

// CPython test_correct_timeout_exception_msg: N counts the futures not
// yielded, M the distinct inputs.
TEST_F(Conformance, ASC_TIMEOUT_MessageCountsDistinctFutures) {
  CF_CLAUSES("ASC-TIMEOUT-1", "ASC-DUP-1");
  CF_REQUIRE(Cap::kAsCompleted);
  auto& ex = make_executor(4);
  int gate = lab.new_gate();
  FuturePtr ok, bad;
  ASSERT_NO_FATAL_FAILURE(finished(ex, 1, &ok));
  ASSERT_NO_FATAL_FAILURE(failed(ex, "boom", &bad));
  auto first = ex.submit(Probe::gated(gate, 2));
  auto second = ex.submit(Probe::gated(gate, 3));
  auto run = impl().as_completed({first, ok, first, second, bad, ok}, 0s);
  Indices done;
  for (int i = 0; i < 2; ++i) {
    auto index = run->next();
    ASSERT_TRUE(index.has_value());
    done.push_back(*index);
  }
  EXPECT_EQ(sorted(done), (Indices{1, 4}));
  ASSERT_NO_FATAL_FAILURE(expect_timeout(*run, 2, 4));
}

// --- ASC-TIMEOUT-2 ---------------------------------------------------------

// CPython test_future_times_out: with timeouts of zero (and here negative and
// short), the done futures are yielded and then the rest time out.
TEST_F(Conformance, ASC_TIMEOUT_DoneYieldedWithZeroTimeout) {
  CF_CLAUSES("ASC-TIMEOUT-2", "ASC-TIMEOUT-1");
  CF_REQUIRE(Cap::kAsCompleted);
  auto& ex = make_executor(2);
  int gate = lab.new_gate();
  FuturePtr ok, bad;
  ASSERT_NO_FATAL_FAILURE(finished(ex, 1, &ok));
  auto blocked = ex.submit(Probe::gated(gate, 2));
  ASSERT_NO_FATAL_FAILURE(failed(ex, "boom", &bad));
  for (Timeout timeout : {Timeout(0s), Timeout(-1s), Timeout(kShort)}) {
    auto run = impl().as_completed({ok, blocked, bad}, timeout);
    Indices done;
    for (int i = 0; i < 2; ++i) {
      std::optional<std::size_t> index;
      try {
        index = run->next();
      } catch (const Raised& raised) {
        FAIL() << "a done future was not yielded: " << to_string(raised.outcome);
      }
      ASSERT_TRUE(index.has_value());
      done.push_back(*index);
    }
    EXPECT_EQ(sorted(done), (Indices{0, 2}));
    ASSERT_NO_FATAL_FAILURE(expect_timeout(*run, 1, 3));
  }
}

// --- ASC-CANCEL-1 ----------------------------------------------------------
// CPython yields a cancelled future only once an executor has noticed the
// cancellation (gh-87893, gh-136655); cfspec yields it as soon as it is done.

TEST_F(Conformance, ASC_CANCEL_CancelledBeforeCallIsYielded) {
  CF_CLAUSES("ASC-CANCEL-1");
  CF_REQUIRE(Cap::kAsCompleted, Cap::kCancel, Cap::kMaxWorkers);
  auto& ex = make_executor(1);
  int gate = lab.new_gate();
  int log = lab.new_log();
  FuturePtr blocker, cancelled;
  ASSERT_NO_FATAL_FAILURE(occupy(ex, lab, gate, log, 1, &blocker));
  ASSERT_NO_FATAL_FAILURE(cancelled_queued(ex, log, 2, &cancelled));

  // With a zero timeout only what is done at the call can be yielded.
  auto run = impl().as_completed({cancelled, blocker}, 0s);
  expect_next(*run, 0);
  ASSERT_NO_FATAL_FAILURE(expect_timeout(*run, 1, 2));

  run = impl().as_completed({cancelled, blocker}, kLong);
  expect_next(*run, 0);
  lab.open(gate);
  expect_next(*run, 1);
  expect_next(*run, std::nullopt);
  ex.shutdown(true, false);
  EXPECT_EQ(lab.log(log), (std::vector<std::int64_t>{1})) << "a cancelled task ran";
}

TEST_F(Conformance, ASC_CANCEL_CancelDuringIterationIsYielded) {
  CF_CLAUSES("ASC-CANCEL-1");
  CF_REQUIRE(Cap::kAsCompleted, Cap::kCancel, Cap::kMaxWorkers);
  auto& ex = make_executor(1);
  int gate = lab.new_gate();
  int log = lab.new_log();
  FuturePtr blocker;
  ASSERT_NO_FATAL_FAILURE(occupy(ex, lab, gate, log, 1, &blocker));
  auto queued = ex.submit(Probe().record(log, 2).returns(2));
  SharedRun run = impl().as_completed({queued, blocker}, kLong);
  {
    Background<std::optional<std::size_t>> next(lab, next_call(run));
    EXPECT_FALSE(next.returns_within(kShort)) << "next() returned before any completion";
    ASSERT_TRUE(queued->cancel());
    ASSERT_TRUE(next.returns_within(kLong)) << "cancel() did not wake a blocked next()";
    EXPECT_EQ(next.get(), std::optional<std::size_t>(0));
  }
  lab.open(gate);
  expect_next(*run, 1);
  expect_next(*run, std::nullopt);
  ex.shutdown(true, false);
  EXPECT_EQ(lab.log(log), (std::vector<std::int64_t>{1})) << "a cancelled task ran";
}

// A raw future is never handed to an executor: CPython would never yield it.
TEST_F(Conformance, ASC_CANCEL_CancelledRawFutureIsYielded) {
  CF_CLAUSES("ASC-CANCEL-1");
  CF_REQUIRE(Cap::kAsCompleted, Cap::kCancel, Cap::kRawFuture);
  auto before = impl().make_future();
  auto during = impl().make_future();
  ASSERT_TRUE(before->cancel());
  SharedRun run = impl().as_completed({before, during}, kLong);
  expect_next(*run, 0);
  {
    // Setting `during` releases a next() that ignored the cancellation.
    Background<std::optional<std::size_t>> next(lab, next_call(run),
                                                [during] { during->set_result(0); });
    EXPECT_FALSE(next.returns_within(kShort)) << "next() returned before any completion";
    ASSERT_TRUE(during->cancel());
    ASSERT_TRUE(next.returns_within(kLong)) << "cancel() did not wake a blocked next()";
    EXPECT_EQ(next.get(), std::optional<std::size_t>(1));
  }
  expect_next(*run, std::nullopt);
}

TEST_F(Conformance, ASC_CANCEL_ShutdownCancelledAreYielded) {
  CF_CLAUSES("ASC-CANCEL-1");
  CF_REQUIRE(Cap::kAsCompleted, Cap::kCancel, Cap::kMaxWorkers, Cap::kCancelFutures,
             Cap::kShutdownNoWait);
  auto& ex = make_executor(1);
  int gate = lab.new_gate();
  int log = lab.new_log();
  FuturePtr blocker;
  ASSERT_NO_FATAL_FAILURE(occupy(ex, lab, gate, log, 1, &blocker));
  auto first = ex.submit(Probe().record(log, 2).returns(2));
  auto second = ex.submit(Probe().record(log, 3).returns(3));
  SharedRun run = impl().as_completed({blocker, first, second}, kLong);
  {
    Background<std::optional<std::size_t>> next(lab, next_call(run));
    EXPECT_FALSE(next.returns_within(kShort)) << "next() returned before any completion";
    ex.shutdown(false, true);
    ASSERT_TRUE(next.returns_within(kLong)) << "shutdown's cancellations did not wake next()";
    auto index = next.get();
    ASSERT_TRUE(index == 1u || index == 2u) << "yielded " << ::testing::PrintToString(index);
    expect_next(*run, *index == 1 ? 2 : 1);
  }
  // Cancelled by shutdown before the call: done at the call, yielded with a zero timeout.
  auto after = impl().as_completed({first, second}, 0s);
  Indices yielded;
  ASSERT_NO_FATAL_FAILURE(drain(*after, 2, &yielded));
  EXPECT_EQ(sorted(yielded), (Indices{0, 1}));

  lab.open(gate);
  expect_next(*run, 0);
  expect_next(*run, std::nullopt);
  ex.shutdown(true, false);
  EXPECT_EQ(lab.log(log), (std::vector<std::int64_t>{1})) << "a cancelled task ran";
}

}  // namespace
}  // namespace cf::conformance
