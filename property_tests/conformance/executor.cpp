// Conformance tests for the EXEC section of SPEC.md: submit, a task's
// exception, submit after shutdown, cancelling a queued task, and a started
// task running to completion. Modelled on CPython's executor.py
// (test_submit), test_shutdown.py (test_run_after_shutdown, test_hang_gh94440)
// and test_deadlock.py, with gates instead of sleeps.
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "harness/setups.hpp"
#include "harness/suite.hpp"

namespace cf::conformance {
namespace {

using Kind = Outcome::Kind;

// kPrefetch padding calls, each recording to `log`.
std::vector<FuturePtr> pad_queue(Executor& ex, int log) {
  std::vector<FuturePtr> pads;
  for (int i = 0; i < kPrefetch; ++i) pads.push_back(ex.submit(Probe().record(log, i).returns(i)));
  return pads;
}

// Every padding call ran once.
void expect_pads_ran(Lab& lab, int log, const std::vector<FuturePtr>& pads) {
  for (int i = 0; i < kPrefetch; ++i) CF_EXPECT_VALUE(pads[i]->result(kLong), i);
  std::vector<std::int64_t> expected;
  for (int i = 0; i < kPrefetch; ++i) expected.push_back(i);
  EXPECT_EQ(sorted(lab.log(log)), expected);
}

// --- EXEC-SUBMIT-1 ----------------------------------------------------------

TEST_F(Conformance, EXEC_SUBMIT_ReturnsTheCallsValue) {
  CF_CLAUSES("EXEC-SUBMIT-1");
  auto& ex = make_executor();
  auto f = ex.submit(Probe::value_of(256));
  CF_EXPECT_VALUE(f->result(kLong), 256);
  // The outcome is kept: reading it again gives the same value.
  CF_EXPECT_VALUE(f->result(kLong), 256);
}

TEST_F(Conformance, EXEC_SUBMIT_EachFutureGetsItsOwnCallsValue) {
  CF_CLAUSES("EXEC-SUBMIT-1");
  auto& ex = make_executor();
  int log = lab.new_log();
  std::vector<FuturePtr> futures;
  for (int i = 0; i < 20; ++i) futures.push_back(ex.submit(Probe().record(log, i).returns(i * i)));
  for (int i = 0; i < 20; ++i) CF_EXPECT_VALUE(futures[i]->result(kLong), i * i);
  // Each call ran exactly once.
  std::vector<std::int64_t> expected;
  for (int i = 0; i < 20; ++i) expected.push_back(i);
  EXPECT_EQ(sorted(lab.log(log)), expected);
}

// --- EXEC-SUBMIT-2 ----------------------------------------------------------

TEST_F(Conformance, EXEC_SUBMIT_TaskExceptionIsStoredInItsFuture) {
  CF_CLAUSES("EXEC-SUBMIT-2");
  auto& ex = make_executor();
  auto f = ex.submit(Probe::failure("boom"));
  auto result = f->result(kLong);
  CF_EXPECT_OUTCOME(result, Kind::kTaskError);
  EXPECT_EQ(result.message, "boom");
  auto error = f->exception(kLong);
  CF_EXPECT_OUTCOME(error, Kind::kTaskError);
  EXPECT_EQ(error.message, "boom");
  // result() rethrows the same stored error every time.
  auto again = f->result(kLong);
  CF_EXPECT_OUTCOME(again, Kind::kTaskError);
  EXPECT_EQ(again.message, "boom");
}

TEST_F(Conformance, EXEC_SUBMIT_SuccessfulTaskHasNoException) {
  CF_CLAUSES("EXEC-SUBMIT-2");
  auto& ex = make_executor();
  auto f = ex.submit(Probe::value_of(3));
  CF_EXPECT_OUTCOME(f->exception(kLong), Kind::kNone);
}

// --- EXEC-SUBMIT-3 ----------------------------------------------------------

// One worker, so the tasks after the failure run on the very worker that saw it.
TEST_F(Conformance, EXEC_SUBMIT_TaskExceptionDoesNotHarmTheExecutor) {
  CF_CLAUSES("EXEC-SUBMIT-3");
  CF_REQUIRE(Cap::kMaxWorkers);
  auto& ex = make_executor(1);
  int log = lab.new_log();
  int gate = lab.new_gate();
  // Queue a mix of failing and succeeding tasks behind a blocked one, so the
  // failures happen while work submitted before and after them is waiting.
  auto blocker = ex.submit(Probe().record(log, 0).gate(gate).returns(0));
  ASSERT_TRUE(lab.await_arrivals(gate, 1, kLong));
  std::vector<FuturePtr> queued;
  for (int i = 1; i <= 6; ++i) {
    Probe p = Probe().record(log, i);
    queued.push_back(ex.submit(i % 2 ? p.raises("fail " + std::to_string(i)) : p.returns(i)));
  }
  lab.open(gate);
  CF_EXPECT_VALUE(blocker->result(kLong), 0);
  for (int i = 1; i <= 6; ++i) {
    auto o = queued[i - 1]->result(kLong);
    if (i % 2) {
      CF_EXPECT_OUTCOME(o, Kind::kTaskError);
      EXPECT_EQ(o.message, "fail " + std::to_string(i));
    } else {
      CF_EXPECT_VALUE(o, i);
    }
  }
  // Work submitted after the failures still runs.
  auto after = ex.submit(Probe().record(log, 7).returns(7));
  CF_EXPECT_VALUE(after->result(kLong), 7);
  EXPECT_EQ(sorted(lab.log(log)), (std::vector<std::int64_t>{0, 1, 2, 3, 4, 5, 6, 7}));
}

// --- EXEC-SUBMIT-4 ----------------------------------------------------------

TEST_F(Conformance, EXEC_SUBMIT_AfterShutdownThrowsShutdownError) {
  CF_CLAUSES("EXEC-SUBMIT-4");
  auto& ex = make_executor();
  int log = lab.new_log();
  CF_EXPECT_VALUE(ex.submit(Probe().record(log, 1).returns(1))->result(kLong), 1);
  ex.shutdown(true, false);
  try {
    ex.submit(Probe().record(log, 2).returns(2));
    ADD_FAILURE() << "submit after shutdown returned a future";
  } catch (const Raised& raised) {
    CF_EXPECT_OUTCOME(raised.outcome, Kind::kShutdown);
    EXPECT_EQ(raised.outcome.message, "cannot schedule new futures after shutdown");
  }
  // A second refused submit is refused the same way.
  CF_EXPECT_RAISES(ex.submit(Probe().record(log, 3).returns(3)), Kind::kShutdown);
  EXPECT_EQ(lab.log(log), (std::vector<std::int64_t>{1}));
}

// The refused call is not scheduled even while the executor still has a
// running task and live workers that could have picked it up.
TEST_F(Conformance, EXEC_SUBMIT_AfterShutdownNoWaitSchedulesNothing) {
  CF_CLAUSES("EXEC-SUBMIT-4");
  CF_REQUIRE(Cap::kShutdownNoWait);
  auto& ex = make_executor(2);
  int log = lab.new_log();
  int gate = lab.new_gate();
  auto running = ex.submit(Probe().record(log, 0).gate(gate).returns(0));
  ASSERT_TRUE(lab.await_arrivals(gate, 1, kLong));
  ex.shutdown(false, false);
  for (int i = 1; i <= 3; ++i) {
    CF_EXPECT_RAISES(ex.submit(Probe().record(log, i).returns(i)), Kind::kShutdown);
  }
  lab.open(gate);
  CF_EXPECT_VALUE(running->result(kLong), 0);
  ex.shutdown(true, false);
  EXPECT_EQ(lab.log(log), (std::vector<std::int64_t>{0}));
}

// --- EXEC-CANCEL-1 ----------------------------------------------------------

TEST_F(Conformance, EXEC_CANCEL_QueuedTaskCancelsAndNeverRuns) {
  CF_CLAUSES("EXEC-CANCEL-1");
  CF_REQUIRE(Cap::kCancel, Cap::kMaxWorkers);
  auto& ex = make_executor(1);
  int log = lab.new_log();
  int pad_log = lab.new_log();
  int gate = lab.new_gate();
  auto blocker = ex.submit(Probe().record(log, 0).gate(gate).returns(0));
  ASSERT_TRUE(lab.await_arrivals(gate, 1, kLong));
  auto pads = pad_queue(ex, pad_log);
  // The only worker is blocked and the padding is ahead, so these two are
  // still pending.
  auto victim = ex.submit(Probe().record(log, 1).returns(1));
  auto after = ex.submit(Probe().record(log, 2).returns(2));
  EXPECT_TRUE(victim->cancel());
  lab.open(gate);
  CF_EXPECT_VALUE(blocker->result(kLong), 0);
  CF_EXPECT_VALUE(after->result(kLong), 2);
  CF_EXPECT_OUTCOME(victim->result(kLong), Kind::kCancelled);
  ex.shutdown(true, false);
  // The worker skipped the cancelled task and went on to the next one.
  EXPECT_EQ(lab.log(log), (std::vector<std::int64_t>{0, 2}));
  expect_pads_ran(lab, pad_log, pads);
}

// CPython's test_hang_gh94440: a cancelled queued task must not stop
// shutdown(wait=true) from returning (the watchdog turns a hang into a failure).
TEST_F(Conformance, EXEC_CANCEL_CancelledTaskDoesNotBlockShutdown) {
  CF_CLAUSES("EXEC-CANCEL-1");
  CF_REQUIRE(Cap::kCancel, Cap::kMaxWorkers);
  auto& ex = make_executor(1);
  int log = lab.new_log();
  int pad_log = lab.new_log();
  int gate = lab.new_gate();
  CF_EXPECT_VALUE(ex.submit(Probe::value_of(1))->result(kLong), 1);
  auto blocker = ex.submit(Probe().record(log, 0).gate(gate).returns(0));
  ASSERT_TRUE(lab.await_arrivals(gate, 1, kLong));
  auto pads = pad_queue(ex, pad_log);
  auto victim = ex.submit(Probe().record(log, 1).returns(1));
  EXPECT_TRUE(victim->cancel());
  lab.open(gate);
  ex.shutdown(true, false);
  CF_EXPECT_VALUE(blocker->result(kLong), 0);
  CF_EXPECT_OUTCOME(victim->result(kLong), Kind::kCancelled);
  EXPECT_EQ(lab.log(log), (std::vector<std::int64_t>{0}));
  expect_pads_ran(lab, pad_log, pads);
}

// --- EXEC-RUNNING-1 ---------------------------------------------------------

TEST_F(Conformance, EXEC_RUNNING_StartedTaskRunsToCompletion) {
  CF_CLAUSES("EXEC-RUNNING-1");
  CF_REQUIRE(Cap::kCancel, Cap::kStateQueries);
  auto& ex = make_executor();
  int log = lab.new_log();
  int gate = lab.new_gate();
  auto f = ex.submit(Probe().record(log, 1).gate(gate).record(log, 2).returns(7));
  ASSERT_TRUE(lab.await_arrivals(gate, 1, kLong));
  EXPECT_TRUE(f->running());
  EXPECT_FALSE(f->done());
  EXPECT_FALSE(f->cancel());
  // A refused cancel leaves it running, not cancelled.
  EXPECT_TRUE(f->running());
  EXPECT_FALSE(f->cancelled());
  EXPECT_FALSE(f->done());
  lab.open(gate);
  CF_EXPECT_VALUE(f->result(kLong), 7);
  EXPECT_FALSE(f->running());
  EXPECT_TRUE(f->done());
  EXPECT_FALSE(f->cancelled());
  // Both halves of the call ran, once.
  EXPECT_EQ(lab.log(log), (std::vector<std::int64_t>{1, 2}));
}

// A started task that fails still runs to completion and reports its error,
// not a cancellation.
TEST_F(Conformance, EXEC_RUNNING_RefusedCancelKeepsTheTasksOwnOutcome) {
  CF_CLAUSES("EXEC-RUNNING-1");
  CF_REQUIRE(Cap::kCancel, Cap::kStateQueries);
  auto& ex = make_executor();
  int log = lab.new_log();
  int gate = lab.new_gate();
  auto f = ex.submit(Probe().gate(gate).record(log, 1).raises("late failure"));
  ASSERT_TRUE(lab.await_arrivals(gate, 1, kLong));
  EXPECT_FALSE(f->cancel());
  EXPECT_FALSE(f->cancel());
  lab.open(gate);
  auto o = f->result(kLong);
  CF_EXPECT_OUTCOME(o, Kind::kTaskError);
  EXPECT_EQ(o.message, "late failure");
  EXPECT_FALSE(f->cancelled());
  EXPECT_EQ(lab.log(log), (std::vector<std::int64_t>{1}));
}

}  // namespace
}  // namespace cf::conformance
