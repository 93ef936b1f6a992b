// Conformance tests for the EXEC section of SPEC.md: submit, a task's
// exception, submit after shutdown, cancelling a queued task, and a started
// task running to completion. Modelled on CPython's executor.py
// (test_submit), test_shutdown.py (test_run_after_shutdown, test_hang_gh94440)
// and test_deadlock.py, with gates instead of sleeps.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "harness/setups.hpp"
#include "harness/suite.hpp"

namespace cf::conformance {
namespace {

using Kind = Outcome::Kind;

// What a submit() after shutdown did: the error it raised, or none("submit
// returned a future") when it accepted the call.
Outcome submit_after_shutdown(Executor& ex, const Probe& probe) {
  try {
    ex.submit(probe);
    return Outcome::error(Kind::kNone, "submit returned a future");
  } catch (const Raised& raised) {
    return raised.outcome;
  }
}

// How many times `value` is in `log`.
std::size_t times(const std::vector<std::int64_t>& log, std::int64_t value) {
  return static_cast<std::size_t>(std::count(log.begin(), log.end(), value));
}

// --- EXEC-SUBMIT-1 ----------------------------------------------------------

TEST_F(Conformance, EXEC_SUBMIT_ReturnsTheCallsValue) {
  auto& ex = make_executor();
  auto f = ex.submit(Probe::value_of(256));
  CF_CHECK_VALUE("EXEC-SUBMIT-1", f->result(kLong), 256);
  // The outcome is kept: reading it again gives the same value.
  CF_CHECK_VALUE("FUT-RESULT-1", f->result(kLong), 256);
}

TEST_F(Conformance, EXEC_SUBMIT_EachFutureGetsItsOwnCallsValue) {
  auto& ex = make_executor();
  int log = lab.new_log();
  std::vector<FuturePtr> futures;
  for (int i = 0; i < 20; ++i) futures.push_back(ex.submit(Probe().record(log, i).returns(i * i)));
  for (int i = 0; i < 20; ++i) {
    CF_CHECK_VALUE("EXEC-SUBMIT-1", futures[i]->result(kLong), i * i) << "task " << i;
  }
  // Each call ran exactly once.
  CF_CHECK_EQ("EXEC-SUBMIT-1", sorted(lab.log(log)), iota(0, 20));
}

// --- EXEC-SUBMIT-2 ----------------------------------------------------------

TEST_F(Conformance, EXEC_SUBMIT_TaskExceptionIsStoredInItsFuture) {
  auto& ex = make_executor();
  auto f = ex.submit(Probe::failure("boom"));
  auto result = f->result(kLong);
  CF_CHECK_OUTCOME("EXEC-SUBMIT-2", result, Kind::kTaskError);
  CF_CHECK_EQ("EXEC-SUBMIT-2", result.message, "boom");
  auto error = f->exception(kLong);
  CF_CHECK_OUTCOME("EXEC-SUBMIT-2", error, Kind::kTaskError);
  CF_CHECK_EQ("EXEC-SUBMIT-2", error.message, "boom");
  // result() rethrows the same stored error every time, whatever was stored.
  CF_CHECK_EQ("FUT-RESULT-2", to_string(f->result(kLong)), to_string(result))
      << "a second result()";
}

// exception() of a task that returned is "no exception".
TEST_F(Conformance, EXEC_SUBMIT_SuccessfulTaskHasNoException) {
  auto& ex = make_executor();
  auto f = ex.submit(Probe::value_of(3));
  CF_CHECK_OUTCOME("FUT-EXC-1", f->exception(kLong), Kind::kNone);
}

// --- EXEC-SUBMIT-3 ----------------------------------------------------------

// One worker, so the tasks after the failure run on the very worker that saw
// it. How each failure is reported is EXEC-SUBMIT-2's rule; that every task
// still finishes, and the successes succeed, is EXEC-SUBMIT-3's.
TEST_F(Conformance, EXEC_SUBMIT_TaskExceptionDoesNotHarmTheExecutor) {
  CF_REQUIRE(Cap::kMaxWorkers);
  auto& ex = make_executor(1);
  int log = lab.new_log();
  int gate = lab.new_gate();
  // Queue a mix of failing and succeeding tasks behind a blocked one, so the
  // failures happen while work submitted before and after them is waiting.
  auto blocker = ex.submit(Probe().record(log, 0).gate(gate).returns(0));
  CF_PRECONDITION("EXEC-SUBMIT-1", lab.await_arrivals(gate, 1, kLong))
      << "the blocker never started";
  std::vector<FuturePtr> queued;
  for (int i = 1; i <= 6; ++i) {
    Probe p = Probe().record(log, i);
    queued.push_back(ex.submit(i % 2 ? p.raises("fail " + std::to_string(i)) : p.returns(i)));
  }
  lab.open(gate);
  CF_CHECK_VALUE("EXEC-SUBMIT-1", blocker->result(kLong), 0);
  for (int i = 1; i <= 6; ++i) {
    auto o = queued[i - 1]->result(kLong);
    if (i % 2) {
      CF_CHECK("EXEC-SUBMIT-3", !o.is(Kind::kTimeout)) << "failing task " << i << " never finished";
      if (o.is(Kind::kTimeout)) continue;
      CF_CHECK_OUTCOME("EXEC-SUBMIT-2", o, Kind::kTaskError) << "task " << i;
      CF_CHECK_EQ("EXEC-SUBMIT-2", o.message, "fail " + std::to_string(i));
    } else {
      CF_CHECK_VALUE("EXEC-SUBMIT-3", o, i) << "task " << i << ", after a failure";
    }
  }
  // Work submitted after the failures still runs.
  auto after = ex.submit(Probe().record(log, 7).returns(7));
  CF_CHECK_VALUE("EXEC-SUBMIT-3", after->result(kLong), 7);
  CF_CHECK_EQ("EXEC-SUBMIT-3", sorted(lab.log(log)), iota(0, 8));
}

// --- EXEC-SUBMIT-4 ----------------------------------------------------------

TEST_F(Conformance, EXEC_SUBMIT_AfterShutdownThrowsShutdownError) {
  auto& ex = make_executor();
  int log = lab.new_log();
  auto before = ex.submit(Probe().record(log, 1).returns(1));
  CF_PRECONDITION("EXEC-SUBMIT-1", before->result(kLong).is(Kind::kValue));
  shutdown_and_wait(ex);
  Outcome refused;
  CF_CHECK_OUTCOME("EXEC-SUBMIT-4",
                   refused = submit_after_shutdown(ex, Probe().record(log, 2).returns(2)),
                   Kind::kShutdown);
  if (!refused.is(Kind::kNone)) {
    CF_CHECK_EQ("EXEC-SUBMIT-4", refused.message, "cannot schedule new futures after shutdown");
  }
  // A second refused submit is refused the same way.
  CF_CHECK_RAISES("EXEC-SUBMIT-4", ex.submit(Probe().record(log, 3).returns(3)), Kind::kShutdown);
  CF_CHECK_EQ("EXEC-SUBMIT-4", lab.log(log), (std::vector<std::int64_t>{1}))
      << "a refused call ran";
}

// The refused call is not scheduled even while the executor still has a
// running task and live workers that could have picked it up.
TEST_F(Conformance, EXEC_SUBMIT_AfterShutdownNoWaitSchedulesNothing) {
  CF_REQUIRE(Cap::kShutdownNoWait);
  auto& ex = make_executor(2);
  int log = lab.new_log();
  int gate = lab.new_gate();
  auto running = ex.submit(Probe().record(log, 0).gate(gate).returns(0));
  CF_PRECONDITION("EXEC-SUBMIT-1", lab.await_arrivals(gate, 1, kLong)) << "the task never started";
  ex.shutdown(false, false);
  for (int i = 1; i <= 3; ++i) {
    CF_CHECK_RAISES("EXEC-SUBMIT-4", ex.submit(Probe().record(log, i).returns(i)), Kind::kShutdown)
        << "submit #" << i;
  }
  lab.open(gate);
  // shutdown(wait=false) let the running task finish.
  CF_CHECK_VALUE("SHUT-NOWAIT-1", running->result(kLong), 0);
  shutdown_and_wait(ex);
  CF_CHECK_EQ("EXEC-SUBMIT-4", lab.log(log), (std::vector<std::int64_t>{0}))
      << "a refused call ran";
}

// --- EXEC-CANCEL-1 ----------------------------------------------------------
// What cancel() returns is FUT-CANCEL-1's rule (it needs a cancel that
// reports); that the call then never runs is EXEC-CANCEL-1's.

TEST_F(Conformance, EXEC_CANCEL_QueuedTaskCancelsAndNeverRuns) {
  CF_REQUIRE(Cap::kCancel, Cap::kMaxWorkers);
  auto& ex = make_executor(1);
  int log = lab.new_log();
  HeldWorker worker(ex, lab);
  worker.hold();
  // The only worker is held, so these two are still pending.
  auto victim = ex.submit(Probe().record(log, 1).returns(1));
  auto after = ex.submit(Probe().record(log, 2).returns(2));
  CF_CHECK("FUT-CANCEL-1", victim->cancel()) << "cancel() of a queued task";
  worker.finish();
  CF_CHECK_VALUE("EXEC-SUBMIT-1", after->result(kLong), 2);
  CF_CHECK_OUTCOME("FUT-RESULT-3", victim->result(kLong), Kind::kCancelled);
  shutdown_and_wait(ex);
  // The worker skipped the cancelled task and went on to the next one.
  auto ran = lab.log(log);
  CF_CHECK_EQ("EXEC-CANCEL-1", times(ran, 1), 0u) << "the cancelled task ran";
  CF_CHECK_EQ("EXEC-SUBMIT-1", times(ran, 2), 1u) << "the task after it";
}

// CPython's test_hang_gh94440: a cancelled queued task must not stop
// shutdown(wait=true) from returning (a hang is charged to SHUT-WAIT-1, whose
// rule says it returns once the tasks not cancelled are done).
TEST_F(Conformance, EXEC_CANCEL_CancelledTaskDoesNotBlockShutdown) {
  CF_REQUIRE(Cap::kCancel, Cap::kMaxWorkers);
  auto& ex = make_executor(1);
  int log = lab.new_log();
  // The worker has run a task and is idle when the blocker arrives.
  auto warm_up = ex.submit(Probe::value_of(1));
  CF_PRECONDITION("EXEC-SUBMIT-1", warm_up->result(kLong).is(Kind::kValue));
  HeldWorker worker(ex, lab);
  worker.hold();
  auto victim = ex.submit(Probe().record(log, 1).returns(1));
  CF_CHECK("FUT-CANCEL-1", victim->cancel()) << "cancel() of a queued task";
  worker.release();
  shutdown_and_wait(ex);
  CF_CHECK_OUTCOME("FUT-RESULT-3", victim->result(kLong), Kind::kCancelled);
  CF_CHECK("EXEC-CANCEL-1", lab.log(log).empty()) << "the cancelled task ran";
}

// --- EXEC-RUNNING-1 ---------------------------------------------------------
// That a started task runs to completion is judged everywhere; its state
// queries where they exist; what a refused cancel() returns and leaves behind
// is FUT-CANCEL-2's rule (it needs a cancel that reports).

TEST_F(Conformance, EXEC_RUNNING_StartedTaskRunsToCompletion) {
  auto& ex = make_executor();
  int log = lab.new_log();
  int gate = lab.new_gate();
  auto f = ex.submit(Probe().record(log, 1).gate(gate).record(log, 2).returns(7));
  CF_PRECONDITION("EXEC-SUBMIT-1", lab.await_arrivals(gate, 1, kLong)) << "the task never started";
  if (has(Cap::kStateQueries)) {
    CF_CHECK("EXEC-RUNNING-1", f->running());
    CF_CHECK("EXEC-RUNNING-1", !f->done());
  }
  if (has(Cap::kCancel)) {
    CF_CHECK("FUT-CANCEL-2", !f->cancel());
    // A refused cancel leaves it running, not cancelled.
    if (has(Cap::kStateQueries)) {
      CF_CHECK("FUT-CANCEL-2", f->running());
      CF_CHECK("FUT-CANCEL-2", !f->cancelled());
      CF_CHECK("FUT-CANCEL-2", !f->done());
    }
  }
  lab.open(gate);
  CF_CHECK_VALUE("EXEC-RUNNING-1", f->result(kLong), 7);
  if (has(Cap::kStateQueries)) {
    CF_CHECK("FUT-STATE-3", !f->running());
    CF_CHECK("FUT-STATE-3", f->done());
    CF_CHECK("FUT-STATE-3", !f->cancelled());
  }
  // Both halves of the call ran, once.
  CF_CHECK_EQ("EXEC-RUNNING-1", lab.log(log), (std::vector<std::int64_t>{1, 2}));
}

// A started task that fails still runs to completion and reports its own
// outcome, not a cancellation [EXEC-RUNNING-1]; that the outcome is its error
// is EXEC-SUBMIT-2's rule.
TEST_F(Conformance, EXEC_RUNNING_RefusedCancelKeepsTheTasksOwnOutcome) {
  CF_REQUIRE(Cap::kCancel);
  auto& ex = make_executor();
  int log = lab.new_log();
  int gate = lab.new_gate();
  auto f = ex.submit(Probe().gate(gate).record(log, 1).raises("late failure"));
  CF_PRECONDITION("EXEC-SUBMIT-1", lab.await_arrivals(gate, 1, kLong)) << "the task never started";
  CF_CHECK("FUT-CANCEL-2", !f->cancel());
  CF_CHECK("FUT-CANCEL-2", !f->cancel()) << "a second cancel()";
  lab.open(gate);
  auto o = f->result(kLong);
  CF_CHECK("EXEC-RUNNING-1", !o.is(Kind::kCancelled) && !o.is(Kind::kTimeout))
      << "the started task did not finish: " << to_string(o);
  CF_CHECK_OUTCOME("EXEC-SUBMIT-2", o, Kind::kTaskError);
  CF_CHECK_EQ("EXEC-SUBMIT-2", o.message, "late failure");
  if (has(Cap::kStateQueries)) {
    CF_CHECK("FUT-CANCEL-2", !f->cancelled()) << "after the task finished";
  }
  CF_CHECK_EQ("EXEC-RUNNING-1", lab.log(log), (std::vector<std::int64_t>{1}));
}

}  // namespace
}  // namespace cf::conformance
