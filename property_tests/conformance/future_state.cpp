// The future's states and cancel() [FUT-STATE-1..4] [FUT-CANCEL-1..4].
//
// The state table in SPEC.md is the spine: every state is built once per row
// (CPython's test_future.py keeps PENDING_FUTURE ... SUCCESSFUL_FUTURE), and
// every query and cancel() is checked in every state. Each state is built two
// ways: with the producer API (Cap::kRawFuture), and through an executor, so
// an implementation without raw futures is still judged. Through an executor,
// pending is a task queued behind the held worker of a one-worker executor,
// running is a task held at a gate, and finished is a task that returned or
// failed. Blocked readers woken by cancel() [FUT-CANCEL-5] are in
// future_result.cpp, with the other wake-ups.
#include <atomic>
#include <barrier>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "harness/setups.hpp"
#include "harness/suite.hpp"

namespace cf::conformance {
namespace {

using Kind = Outcome::Kind;

struct Queries {
  bool running;
  bool cancelled;
  bool done;
  bool operator==(const Queries&) const = default;
};

Queries queries_of(Future& f) { return {f.running(), f.cancelled(), f.done()}; }

Queries expected_queries(State s) {
  switch (s) {
    case State::kPending:
      return {false, false, false};
    case State::kRunning:
      return {true, false, false};
    case State::kCancelled:
      return {false, true, true};
    case State::kFinishedValue:
    case State::kFinishedError:
      return {false, false, true};
  }
  return {};
}

std::string to_string(const Queries& q) {
  return std::string("running=") + (q.running ? "true" : "false") +
         " cancelled=" + (q.cancelled ? "true" : "false") + " done=" + (q.done ? "true" : "false");
}

// Checks that result() of a done future reports the outcome of state `s`,
// judged by the clause that says what result() gives there.
void check_outcome_of(Future& f, State s) {
  Outcome o = f.result(kLong);
  switch (s) {
    case State::kCancelled:
      CF_CHECK_OUTCOME("FUT-RESULT-3", o, Kind::kCancelled);
      break;
    case State::kFinishedValue:
      CF_CHECK_VALUE("FUT-RESULT-1", o, kValue);
      break;
    case State::kFinishedError:
      CF_CHECK("FUT-RESULT-2",
               o.is(Kind::kTaskError) && o.message.find(kError) != std::string::npos)
          << "result() of " << name(s) << " gave " << to_string(o);
      break;
    default:
      break;
  }
}

// The clause that says what the queries return in state `s`.
const char* queries_clause(State s) {
  switch (s) {
    case State::kPending:
      return "FUT-STATE-1";
    case State::kRunning:
      return "FUT-STATE-2";
    case State::kCancelled:
      return "FUT-STATE-4";
    default:
      return "FUT-STATE-3";
  }
}

// ---------------------------------------------------------------------------
// Queries per state [FUT-STATE-1..4], raw futures.

TEST_F(Conformance, FUT_STATE_NewFutureIsPending) {
  CF_REQUIRE(Cap::kRawFuture, Cap::kStateQueries);
  auto f = impl().make_future();
  CF_CHECK("FUT-STATE-1", !f->running());
  CF_CHECK("FUT-STATE-1", !f->cancelled());
  CF_CHECK("FUT-STATE-1", !f->done());
  // Asking again changes nothing: queries are not transitions.
  CF_CHECK_EQ("FUT-STATE-1", to_string(queries_of(*f)), to_string(Queries{false, false, false}));
}

TEST_F(Conformance, FUT_STATE_QueriesInEveryState) {
  CF_REQUIRE(Cap::kRawFuture, Cap::kStateQueries, Cap::kCancel);
  for (State s : kAllStates) {
    auto f = make_in(impl(), s);
    CF_CHECK_EQ(queries_clause(s), to_string(queries_of(*f)), to_string(expected_queries(s)))
        << name(s);
  }
}

TEST_F(Conformance, FUT_STATE_SetRunningStartsPendingFuture) {
  CF_REQUIRE(Cap::kRawFuture, Cap::kStateQueries);
  auto f = impl().make_future();
  CF_CHECK_VALUE("FUT-STATE-2", f->set_running_or_notify_cancel(), 1);
  CF_CHECK("FUT-STATE-2", f->running());
  CF_CHECK("FUT-STATE-2", !f->done());
  CF_CHECK("FUT-STATE-2", !f->cancelled());
}

TEST_F(Conformance, FUT_STATE_OutcomeFinishesPendingOrRunningFuture) {
  CF_REQUIRE(Cap::kRawFuture, Cap::kStateQueries);
  for (State start : {State::kPending, State::kRunning}) {
    for (State end : {State::kFinishedValue, State::kFinishedError}) {
      std::string path = std::string(name(start)) + " -> " + name(end);
      auto f = make_in(impl(), start);
      Outcome set = end == State::kFinishedValue ? f->set_result(kValue) : f->set_exception(kError);
      CF_CHECK("FUT-STATE-3", accepted(set)) << path << ": " << to_string(set);
      CF_CHECK("FUT-STATE-3", f->done()) << path;
      CF_CHECK("FUT-STATE-3", !f->running()) << path;
      CF_CHECK("FUT-STATE-3", !f->cancelled()) << path;
      check_outcome_of(*f, end);
    }
  }
}

TEST_F(Conformance, FUT_STATE_SuccessfulCancelMakesCancelled) {
  CF_REQUIRE(Cap::kRawFuture, Cap::kStateQueries, Cap::kCancel);
  auto f = impl().make_future();
  CF_PRECONDITION("FUT-CANCEL-1", f->cancel());
  CF_CHECK("FUT-STATE-4", f->cancelled());
  CF_CHECK("FUT-STATE-4", f->done());
  CF_CHECK("FUT-STATE-4", !f->running());
}

// ---------------------------------------------------------------------------
// Queries per state [FUT-STATE-1..4], through an executor.

TEST_F(Conformance, FUT_STATE_QueuedTaskIsPending) {
  CF_REQUIRE(Cap::kMaxWorkers, Cap::kStateQueries);
  auto& ex = make_executor(1);
  HeldWorker worker(ex, lab);
  worker.hold();
  int log = lab.new_log();
  auto f = ex.submit(Probe().record(log, 1).returns(kValue));
  CF_CHECK_EQ("FUT-STATE-1", to_string(queries_of(*f)), to_string(Queries{false, false, false}))
      << "a task queued behind the only (busy) worker";
  worker.finish();
  CF_CHECK_VALUE("EXEC-SUBMIT-1", f->result(kLong), kValue);
  CF_CHECK_EQ("EXEC-SUBMIT-1", lab.log(log), (std::vector<std::int64_t>{1}));
}

TEST_F(Conformance, FUT_STATE_StartedTaskIsRunning) {
  CF_REQUIRE(Cap::kStateQueries);
  auto& ex = make_executor(1);
  int gate = lab.new_gate();
  auto f = ex.submit(Probe::gated(gate, kValue));
  CF_PRECONDITION("EXEC-SUBMIT-1", lab.await_arrivals(gate, 1, kLong)) << "the task never started";
  CF_CHECK_EQ("FUT-STATE-2", to_string(queries_of(*f)), to_string(Queries{true, false, false}));
  lab.open(gate);
  CF_CHECK_VALUE("EXEC-SUBMIT-1", f->result(kLong), kValue);
}

TEST_F(Conformance, FUT_STATE_CompletedTaskIsFinished) {
  CF_REQUIRE(Cap::kStateQueries);
  auto& ex = make_executor(2);
  FuturePtr ok, bad;
  finished(ex, kValue, &ok);
  failed(ex, kError, &bad);
  CF_CHECK_EQ("FUT-STATE-3", to_string(queries_of(*ok)), to_string(Queries{false, false, true}));
  CF_CHECK_EQ("FUT-STATE-3", to_string(queries_of(*bad)), to_string(Queries{false, false, true}))
      << "a task that raised";
}

TEST_F(Conformance, FUT_STATE_CancelledTaskIsCancelled) {
  CF_REQUIRE(Cap::kMaxWorkers, Cap::kStateQueries, Cap::kCancel);
  auto& ex = make_executor(1);
  HeldWorker worker(ex, lab);
  worker.hold();
  int log = lab.new_log();
  auto f = ex.submit(Probe().record(log, 1).returns(kValue));
  CF_PRECONDITION("FUT-CANCEL-1", f->cancel()) << "cancel() of a queued task";
  CF_CHECK_EQ("FUT-STATE-4", to_string(queries_of(*f)), to_string(Queries{false, true, true}));
  worker.finish();
  ex.shutdown(true, false);
  // The executor met the cancelled task and skipped it; the state is final.
  CF_CHECK_EQ("FUT-STATE-4", to_string(queries_of(*f)), to_string(Queries{false, true, true}))
      << "after the executor reached the cancelled task";
  CF_CHECK("EXEC-CANCEL-1", lab.log(log).empty()) << "a cancelled task ran";
}

// ---------------------------------------------------------------------------
// cancel() in every state [FUT-CANCEL-1..4], raw futures.

TEST_F(Conformance, FUT_CANCEL_InEveryState) {
  CF_REQUIRE(Cap::kRawFuture, Cap::kStateQueries, Cap::kCancel);
  struct Row {
    State before;
    const char* clause;  // the rule for cancel() in `before`
    bool returns;
    State after;
  };
  const Row table[] = {
      {State::kPending, "FUT-CANCEL-1", true, State::kCancelled},
      {State::kRunning, "FUT-CANCEL-2", false, State::kRunning},
      {State::kCancelled, "FUT-CANCEL-4", true, State::kCancelled},
      {State::kFinishedValue, "FUT-CANCEL-3", false, State::kFinishedValue},
      {State::kFinishedError, "FUT-CANCEL-3", false, State::kFinishedError},
  };
  for (const Row& row : table) {
    auto f = make_in(impl(), row.before);
    const std::string before = to_string(queries_of(*f));
    // Twice: the second call meets the state the first one left, which for a
    // pending future is FUT-CANCEL-4's.
    CF_CHECK_EQ(row.clause, f->cancel(), row.returns) << "cancel() in " << name(row.before);
    if (row.before == State::kPending) {
      // A successful cancel makes it cancelled and done [FUT-STATE-4].
      CF_CHECK_EQ("FUT-STATE-4", to_string(queries_of(*f)), to_string(expected_queries(row.after)))
          << "after cancel() in " << name(row.before);
    } else {
      // Any other cancel() leaves the state as it was.
      CF_CHECK_EQ(row.clause, to_string(queries_of(*f)), before)
          << "after cancel() in " << name(row.before);
    }
    const std::string after_first = to_string(queries_of(*f));
    CF_CHECK_EQ(row.before == State::kPending ? "FUT-CANCEL-4" : row.clause, f->cancel(),
                row.returns)
        << "second cancel() after " << name(row.before);
    CF_CHECK_EQ(row.before == State::kPending ? "FUT-CANCEL-4" : row.clause,
                to_string(queries_of(*f)), after_first)
        << "after a second cancel() in " << name(row.before);
    if (row.after != State::kRunning) check_outcome_of(*f, row.after);
  }
}

TEST_F(Conformance, FUT_CANCEL_PendingReturnsTrue) {
  CF_REQUIRE(Cap::kRawFuture, Cap::kCancel);
  auto f = impl().make_future();
  CF_CHECK("FUT-CANCEL-1", f->cancel());
  // What a reader then sees is FUT-RESULT-3's rule, not FUT-CANCEL-1's.
  CF_CHECK_OUTCOME("FUT-RESULT-3", f->result(kLong), Kind::kCancelled);
}

TEST_F(Conformance, FUT_CANCEL_RunningReturnsFalse) {
  CF_REQUIRE(Cap::kRawFuture, Cap::kStateQueries, Cap::kCancel);
  auto f = make_in(impl(), State::kRunning);
  CF_CHECK("FUT-CANCEL-2", !f->cancel());
  CF_CHECK("FUT-CANCEL-2", f->running());
  CF_CHECK("FUT-CANCEL-2", !f->cancelled());
  // The refused cancel left nothing behind: the producer still finishes it.
  CF_CHECK("FUT-CANCEL-2", accepted(f->set_result(kValue)));
  CF_CHECK_VALUE("FUT-CANCEL-2", f->result(kLong), kValue)
      << "the outcome set after the refused cancel()";
}

TEST_F(Conformance, FUT_CANCEL_FinishedReturnsFalse) {
  CF_REQUIRE(Cap::kRawFuture, Cap::kStateQueries, Cap::kCancel);
  for (State s : {State::kFinishedValue, State::kFinishedError}) {
    auto f = make_in(impl(), s);
    CF_CHECK("FUT-CANCEL-3", !f->cancel()) << name(s);
    CF_CHECK("FUT-CANCEL-3", !f->cancelled()) << name(s);
    CF_CHECK("FUT-CANCEL-3", f->done()) << name(s);
    check_outcome_of(*f, s);
  }
}

TEST_F(Conformance, FUT_CANCEL_CancelledReturnsTrueAgain) {
  CF_REQUIRE(Cap::kRawFuture, Cap::kStateQueries, Cap::kCancel);
  auto f = impl().make_future();
  CF_PRECONDITION("FUT-CANCEL-1", f->cancel());
  for (int i = 0; i < 3; ++i) CF_CHECK("FUT-CANCEL-4", f->cancel()) << "cancel #" << i + 2;
  CF_CHECK("FUT-CANCEL-4", f->cancelled());
  CF_CHECK_OUTCOME("FUT-RESULT-3", f->result(kLong), Kind::kCancelled);
}

TEST_F(Conformance, FUT_CANCEL_RepeatedCancelRunsNoCallbacksAgain) {
  CF_REQUIRE(Cap::kRawFuture, Cap::kCancel, Cap::kDoneCallbacks);
  auto f = impl().make_future();
  auto calls = std::make_shared<std::atomic<int>>(0);
  f->add_done_callback([calls](const CallbackEvent&) { ++*calls; });
  CF_PRECONDITION("FUT-CANCEL-1", f->cancel());
  CF_PRECONDITION("FUT-CB-6", *calls == 1)
      << "the callback ran " << *calls << " times at the cancel";
  CF_CHECK("FUT-CANCEL-4", f->cancel());
  CF_CHECK("FUT-CANCEL-4", f->cancel());
  CF_CHECK_EQ("FUT-CANCEL-4", calls->load(), 1) << "a repeated cancel() ran the callbacks again";
}

// Racing cancellers (a user and shutdown(cancel_futures=true), say) all see
// success, and the callbacks still run exactly once.
TEST_F(Conformance, FUT_CANCEL_RacingCancellersAllSucceed) {
  CF_REQUIRE(Cap::kRawFuture, Cap::kCancel, Cap::kDoneCallbacks);
  constexpr int kCancellers = 4;
  for (int round = 0; round < 20; ++round) {
    auto f = impl().make_future();
    auto calls = std::make_shared<std::atomic<int>>(0);
    f->add_done_callback([calls](const CallbackEvent&) { ++*calls; });
    std::barrier start(kCancellers);
    std::vector<char> returned(kCancellers, 0);
    {
      std::vector<std::jthread> threads;
      for (int i = 0; i < kCancellers; ++i) {
        threads.emplace_back([&, i] {
          start.arrive_and_wait();
          returned[i] = f->cancel() ? 1 : 0;
        });
      }
    }
    // One of them cancelled a pending future [FUT-CANCEL-1]; the others met
    // a cancelled one [FUT-CANCEL-4]: every one returns true.
    int succeeded = 0;
    for (int i = 0; i < kCancellers; ++i) succeeded += returned[i];
    CF_CHECK("FUT-CANCEL-1", succeeded >= 1) << "round " << round << ": no canceller succeeded";
    CF_CHECK_EQ("FUT-CANCEL-4", succeeded, kCancellers) << "round " << round;
    // The cancel that succeeded ran the callback [FUT-CB-6]; the others ran it
    // no more [FUT-CANCEL-4].
    CF_CHECK("FUT-CB-6", calls->load() >= 1) << "round " << round << ": the callback never ran";
    CF_CHECK("FUT-CANCEL-4", calls->load() <= 1)
        << "round " << round << ": the callback ran " << calls->load() << " times";
  }
}

// ---------------------------------------------------------------------------
// cancel() in every state [FUT-CANCEL-1..4], through an executor.

TEST_F(Conformance, FUT_CANCEL_QueuedTaskReturnsTrue) {
  CF_REQUIRE(Cap::kMaxWorkers, Cap::kCancel);
  auto& ex = make_executor(1);
  HeldWorker worker(ex, lab);
  worker.hold();
  int log = lab.new_log();
  auto withdrawn = ex.submit(Probe().record(log, 1).returns(1));
  auto kept = ex.submit(Probe().record(log, 2).returns(2));
  CF_CHECK("FUT-CANCEL-1", withdrawn->cancel()) << "cancel() of a queued task";
  CF_CHECK_OUTCOME("FUT-RESULT-3", withdrawn->result(kLong), Kind::kCancelled);
  worker.finish();
  CF_CHECK_VALUE("EXEC-SUBMIT-1", kept->result(kLong), 2);
  ex.shutdown(true, false);
  // Every task accounted for: the withdrawn one never ran, the other ran once.
  CF_CHECK_EQ("EXEC-CANCEL-1", lab.log(log), (std::vector<std::int64_t>{2}));
  CF_CHECK_OUTCOME("FUT-RESULT-3", withdrawn->result(kLong), Kind::kCancelled)
      << "after the executor reached the cancelled task";
}

TEST_F(Conformance, FUT_CANCEL_StartedTaskReturnsFalse) {
  CF_REQUIRE(Cap::kCancel);
  auto& ex = make_executor(1);
  int gate = lab.new_gate();
  auto f = ex.submit(Probe::gated(gate, kValue));
  CF_PRECONDITION("EXEC-SUBMIT-1", lab.await_arrivals(gate, 1, kLong)) << "the task never started";
  CF_CHECK("FUT-CANCEL-2", !f->cancel());
  if (has(Cap::kStateQueries)) {
    CF_CHECK("FUT-CANCEL-2", f->running());
    CF_CHECK("FUT-CANCEL-2", !f->cancelled());
  }
  lab.open(gate);
  // The call ran to its own outcome despite the cancel().
  CF_CHECK_VALUE("EXEC-RUNNING-1", f->result(kLong), kValue);
  CF_CHECK("FUT-CANCEL-3", !f->cancel()) << "cancel() once the task finished";
}

TEST_F(Conformance, FUT_CANCEL_CompletedTaskReturnsFalse) {
  CF_REQUIRE(Cap::kCancel);
  auto& ex = make_executor(2);
  FuturePtr ok, bad;
  finished(ex, kValue, &ok);
  failed(ex, kError, &bad);
  const Outcome error_before = bad->result(kLong);
  CF_CHECK("FUT-CANCEL-3", !ok->cancel());
  CF_CHECK("FUT-CANCEL-3", !bad->cancel());
  CF_CHECK_VALUE("FUT-CANCEL-3", ok->result(kLong), kValue) << "the value survives the cancel()";
  // The error is whatever the implementation stores (its type is
  // EXEC-SUBMIT-2's business); the cancel() must leave it as it was.
  CF_CHECK_EQ("FUT-CANCEL-3", to_string(bad->result(kLong)), to_string(error_before))
      << "the error survives the cancel()";
}

TEST_F(Conformance, FUT_CANCEL_CancelledTaskReturnsTrueAgain) {
  CF_REQUIRE(Cap::kMaxWorkers, Cap::kCancel);
  auto& ex = make_executor(1);
  HeldWorker worker(ex, lab);
  worker.hold();
  int log = lab.new_log();
  auto f = ex.submit(Probe().record(log, 1).returns(1));
  CF_PRECONDITION("FUT-CANCEL-1", f->cancel()) << "cancel() of a queued task";
  CF_CHECK("FUT-CANCEL-4", f->cancel());
  worker.finish();
  ex.shutdown(true, false);
  // Still true once the executor has met the cancelled task and skipped it.
  CF_CHECK("FUT-CANCEL-4", f->cancel()) << "after the executor reached the cancelled task";
  CF_CHECK_OUTCOME("FUT-RESULT-3", f->result(kLong), Kind::kCancelled);
  CF_CHECK("EXEC-CANCEL-1", lab.log(log).empty()) << "a cancelled task ran";
}

}  // namespace
}  // namespace cf::conformance
