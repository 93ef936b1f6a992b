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

// The outcome result() reports for a done future: unchanged by cancel().
::testing::AssertionResult has_outcome_of(Future& f, State s) {
  Outcome o = f.result(kLong);
  bool ok = false;
  switch (s) {
    case State::kCancelled:
      ok = o.is(Kind::kCancelled);
      break;
    case State::kFinishedValue:
      ok = o.is(Kind::kValue) && o.value == kValue;
      break;
    case State::kFinishedError:
      ok = o.is(Kind::kTaskError) && o.message.find(kError) != std::string::npos;
      break;
    default:
      return ::testing::AssertionFailure() << name(s) << " has no outcome";
  }
  if (ok) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "result() of " << name(s) << " gave " << to_string(o);
}

// Holds the only worker of a one-worker executor at a gate, with filler tasks
// queued behind it, so that a task submitted after held() stays pending until
// release(). The fillers are needed because an executor may claim (mark
// running) a few queued calls before a worker takes them: CPython's
// ProcessPoolExecutor moves max_workers + 1 calls into its call queue.
class HeldWorker {
 public:
  static constexpr int kFillers = 8;

  HeldWorker(Executor& ex, Lab& lab)
      : ex_(ex), lab_(lab), gate_(lab.new_gate()), blocker_(ex.submit(Probe::gated(gate_, -1))) {}
  // Waits (bounded) for the worker to be held, then queues the fillers.
  bool held() {
    if (!lab_.await_arrivals(gate_, 1, kLong)) return false;
    for (int i = 0; i < kFillers; ++i) fillers_.push_back(ex_.submit(Probe::value_of(1000 + i)));
    return true;
  }
  void release() { lab_.open(gate_); }
  // release(), then accounts for the held task and the fillers: each ran once.
  void finish() {
    release();
    CF_EXPECT_VALUE(blocker_->result(kLong), -1);
    for (int i = 0; i < kFillers; ++i) CF_EXPECT_VALUE(fillers_[i]->result(kLong), 1000 + i);
  }

 private:
  Executor& ex_;
  Lab& lab_;
  int gate_;
  FuturePtr blocker_;
  std::vector<FuturePtr> fillers_;
};

// ---------------------------------------------------------------------------
// Queries per state [FUT-STATE-1..4], raw futures.

TEST_F(Conformance, FUT_STATE_NewFutureIsPending) {
  CF_CLAUSES("FUT-STATE-1");
  CF_REQUIRE(Cap::kRawFuture, Cap::kStateQueries);
  auto f = impl().make_future();
  EXPECT_FALSE(f->running());
  EXPECT_FALSE(f->cancelled());
  EXPECT_FALSE(f->done());
  // Asking again changes nothing: queries are not transitions.
  EXPECT_EQ(to_string(queries_of(*f)), to_string(Queries{false, false, false}));
}

TEST_F(Conformance, FUT_STATE_QueriesInEveryState) {
  CF_CLAUSES("FUT-STATE-1", "FUT-STATE-2", "FUT-STATE-3", "FUT-STATE-4");
  CF_REQUIRE(Cap::kRawFuture, Cap::kStateQueries, Cap::kCancel);
  for (State s : kAllStates) {
    SCOPED_TRACE(name(s));
    auto f = make_in(impl(), s);
    EXPECT_EQ(to_string(queries_of(*f)), to_string(expected_queries(s)));
  }
}

TEST_F(Conformance, FUT_STATE_SetRunningStartsPendingFuture) {
  CF_CLAUSES("FUT-STATE-2");
  CF_REQUIRE(Cap::kRawFuture, Cap::kStateQueries);
  auto f = impl().make_future();
  CF_EXPECT_VALUE(f->set_running_or_notify_cancel(), 1);
  EXPECT_TRUE(f->running());
  EXPECT_FALSE(f->done());
  EXPECT_FALSE(f->cancelled());
}

TEST_F(Conformance, FUT_STATE_OutcomeFinishesPendingOrRunningFuture) {
  CF_CLAUSES("FUT-STATE-3");
  CF_REQUIRE(Cap::kRawFuture, Cap::kStateQueries);
  for (State start : {State::kPending, State::kRunning}) {
    for (State end : {State::kFinishedValue, State::kFinishedError}) {
      SCOPED_TRACE(std::string(name(start)) + " -> " + name(end));
      auto f = make_in(impl(), start);
      Outcome set = end == State::kFinishedValue ? f->set_result(kValue) : f->set_exception(kError);
      EXPECT_TRUE(accepted(set)) << to_string(set);
      EXPECT_TRUE(f->done());
      EXPECT_FALSE(f->running());
      EXPECT_FALSE(f->cancelled());
      EXPECT_TRUE(has_outcome_of(*f, end));
    }
  }
}

TEST_F(Conformance, FUT_STATE_SuccessfulCancelMakesCancelled) {
  CF_CLAUSES("FUT-STATE-4");
  CF_REQUIRE(Cap::kRawFuture, Cap::kStateQueries, Cap::kCancel);
  auto f = impl().make_future();
  ASSERT_TRUE(f->cancel());
  EXPECT_TRUE(f->cancelled());
  EXPECT_TRUE(f->done());
  EXPECT_FALSE(f->running());
}

// ---------------------------------------------------------------------------
// Queries per state [FUT-STATE-1..4], through an executor.

TEST_F(Conformance, FUT_STATE_QueuedTaskIsPending) {
  CF_CLAUSES("FUT-STATE-1");
  CF_REQUIRE(Cap::kMaxWorkers, Cap::kStateQueries);
  auto& ex = make_executor(1);
  HeldWorker worker(ex, lab);
  ASSERT_TRUE(worker.held());
  int log = lab.new_log();
  auto f = ex.submit(Probe().record(log, 1).returns(kValue));
  EXPECT_EQ(to_string(queries_of(*f)), to_string(Queries{false, false, false}));
  worker.finish();
  CF_EXPECT_VALUE(f->result(kLong), kValue);
  EXPECT_EQ(lab.log(log), (std::vector<std::int64_t>{1}));
}

TEST_F(Conformance, FUT_STATE_StartedTaskIsRunning) {
  CF_CLAUSES("FUT-STATE-2");
  CF_REQUIRE(Cap::kStateQueries);
  auto& ex = make_executor(1);
  int gate = lab.new_gate();
  auto f = ex.submit(Probe::gated(gate, kValue));
  ASSERT_TRUE(lab.await_arrivals(gate, 1, kLong));
  EXPECT_EQ(to_string(queries_of(*f)), to_string(Queries{true, false, false}));
  lab.open(gate);
  CF_EXPECT_VALUE(f->result(kLong), kValue);
}

TEST_F(Conformance, FUT_STATE_CompletedTaskIsFinished) {
  CF_CLAUSES("FUT-STATE-3");
  CF_REQUIRE(Cap::kStateQueries);
  auto& ex = make_executor(2);
  auto ok = ex.submit(Probe::value_of(kValue));
  auto failed = ex.submit(Probe::failure(kError));
  CF_EXPECT_VALUE(ok->result(kLong), kValue);
  CF_EXPECT_OUTCOME(failed->result(kLong), Kind::kTaskError);
  EXPECT_EQ(to_string(queries_of(*ok)), to_string(Queries{false, false, true}));
  EXPECT_EQ(to_string(queries_of(*failed)), to_string(Queries{false, false, true}));
}

TEST_F(Conformance, FUT_STATE_CancelledTaskIsCancelled) {
  CF_CLAUSES("FUT-STATE-4");
  CF_REQUIRE(Cap::kMaxWorkers, Cap::kStateQueries, Cap::kCancel);
  auto& ex = make_executor(1);
  HeldWorker worker(ex, lab);
  ASSERT_TRUE(worker.held());
  int log = lab.new_log();
  auto f = ex.submit(Probe().record(log, 1).returns(kValue));
  ASSERT_TRUE(f->cancel());
  EXPECT_EQ(to_string(queries_of(*f)), to_string(Queries{false, true, true}));
  worker.finish();
  ex.shutdown(true, false);
  // The executor met the cancelled task and skipped it; the state is final.
  EXPECT_EQ(to_string(queries_of(*f)), to_string(Queries{false, true, true}));
  EXPECT_TRUE(lab.log(log).empty()) << "a cancelled task ran";
}

// ---------------------------------------------------------------------------
// cancel() in every state [FUT-CANCEL-1..4], raw futures.

TEST_F(Conformance, FUT_CANCEL_InEveryState) {
  CF_CLAUSES("FUT-CANCEL-1", "FUT-CANCEL-2", "FUT-CANCEL-3", "FUT-CANCEL-4", "FUT-STATE-4");
  CF_REQUIRE(Cap::kRawFuture, Cap::kStateQueries, Cap::kCancel);
  struct Row {
    State before;
    bool returns;
    State after;
  };
  const Row table[] = {
      {State::kPending, true, State::kCancelled},
      {State::kRunning, false, State::kRunning},
      {State::kCancelled, true, State::kCancelled},
      {State::kFinishedValue, false, State::kFinishedValue},
      {State::kFinishedError, false, State::kFinishedError},
  };
  for (const Row& row : table) {
    SCOPED_TRACE(name(row.before));
    auto f = make_in(impl(), row.before);
    // Twice: the second call meets the state the first one left.
    EXPECT_EQ(f->cancel(), row.returns);
    EXPECT_EQ(f->cancel(), row.returns);
    EXPECT_EQ(to_string(queries_of(*f)), to_string(expected_queries(row.after)));
    if (row.after != State::kRunning) {
      EXPECT_TRUE(has_outcome_of(*f, row.after));
    }
  }
}

TEST_F(Conformance, FUT_CANCEL_PendingReturnsTrue) {
  CF_CLAUSES("FUT-CANCEL-1");
  CF_REQUIRE(Cap::kRawFuture, Cap::kCancel);
  auto f = impl().make_future();
  EXPECT_TRUE(f->cancel());
  CF_EXPECT_OUTCOME(f->result(kLong), Kind::kCancelled);
}

TEST_F(Conformance, FUT_CANCEL_RunningReturnsFalse) {
  CF_CLAUSES("FUT-CANCEL-2");
  CF_REQUIRE(Cap::kRawFuture, Cap::kStateQueries, Cap::kCancel);
  auto f = make_in(impl(), State::kRunning);
  EXPECT_FALSE(f->cancel());
  EXPECT_TRUE(f->running());
  EXPECT_FALSE(f->cancelled());
  // The refused cancel left nothing behind: the producer still finishes it.
  EXPECT_TRUE(accepted(f->set_result(kValue)));
  CF_EXPECT_VALUE(f->result(kLong), kValue);
}

TEST_F(Conformance, FUT_CANCEL_FinishedReturnsFalse) {
  CF_CLAUSES("FUT-CANCEL-3");
  CF_REQUIRE(Cap::kRawFuture, Cap::kStateQueries, Cap::kCancel);
  for (State s : {State::kFinishedValue, State::kFinishedError}) {
    SCOPED_TRACE(name(s));
    auto f = make_in(impl(), s);
    EXPECT_FALSE(f->cancel());
    EXPECT_FALSE(f->cancelled());
    EXPECT_TRUE(f->done());
    EXPECT_TRUE(has_outcome_of(*f, s));
  }
}

TEST_F(Conformance, FUT_CANCEL_CancelledReturnsTrueAgain) {
  CF_CLAUSES("FUT-CANCEL-4");
  CF_REQUIRE(Cap::kRawFuture, Cap::kStateQueries, Cap::kCancel);
  auto f = impl().make_future();
  ASSERT_TRUE(f->cancel());
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(f->cancel()) << "cancel #" << i + 2;
  EXPECT_TRUE(f->cancelled());
  CF_EXPECT_OUTCOME(f->result(kLong), Kind::kCancelled);
}

TEST_F(Conformance, FUT_CANCEL_RepeatedCancelRunsNoCallbacksAgain) {
  CF_CLAUSES("FUT-CANCEL-4");
  CF_REQUIRE(Cap::kRawFuture, Cap::kCancel, Cap::kDoneCallbacks);
  auto f = impl().make_future();
  auto calls = std::make_shared<std::atomic<int>>(0);
  f->add_done_callback([calls](const CallbackEvent&) { ++*calls; });
  ASSERT_TRUE(f->cancel());
  ASSERT_EQ(*calls, 1);
  EXPECT_TRUE(f->cancel());
  EXPECT_TRUE(f->cancel());
  EXPECT_EQ(*calls, 1) << "a repeated cancel() ran the callbacks again";
}

// Racing cancellers (a user and shutdown(cancel_futures=true), say) all see
// success, and the callbacks still run exactly once.
TEST_F(Conformance, FUT_CANCEL_RacingCancellersAllSucceed) {
  CF_CLAUSES("FUT-CANCEL-1", "FUT-CANCEL-4");
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
    for (int i = 0; i < kCancellers; ++i) EXPECT_EQ(returned[i], 1) << "canceller " << i;
    EXPECT_EQ(*calls, 1) << "round " << round;
  }
}

// ---------------------------------------------------------------------------
// cancel() in every state [FUT-CANCEL-1..4], through an executor.

TEST_F(Conformance, FUT_CANCEL_QueuedTaskReturnsTrue) {
  CF_CLAUSES("FUT-CANCEL-1");
  CF_REQUIRE(Cap::kMaxWorkers, Cap::kCancel);
  auto& ex = make_executor(1);
  HeldWorker worker(ex, lab);
  ASSERT_TRUE(worker.held());
  int log = lab.new_log();
  auto withdrawn = ex.submit(Probe().record(log, 1).returns(1));
  auto kept = ex.submit(Probe().record(log, 2).returns(2));
  EXPECT_TRUE(withdrawn->cancel());
  CF_EXPECT_OUTCOME(withdrawn->result(kLong), Kind::kCancelled);
  worker.finish();
  CF_EXPECT_VALUE(kept->result(kLong), 2);
  ex.shutdown(true, false);
  // Every task accounted for: the withdrawn one never ran, the other ran once.
  EXPECT_EQ(lab.log(log), (std::vector<std::int64_t>{2}));
  CF_EXPECT_OUTCOME(withdrawn->result(kLong), Kind::kCancelled);
}

TEST_F(Conformance, FUT_CANCEL_StartedTaskReturnsFalse) {
  CF_CLAUSES("FUT-CANCEL-2");
  CF_REQUIRE(Cap::kCancel);
  auto& ex = make_executor(1);
  int gate = lab.new_gate();
  auto f = ex.submit(Probe::gated(gate, kValue));
  ASSERT_TRUE(lab.await_arrivals(gate, 1, kLong));
  EXPECT_FALSE(f->cancel());
  if (caps() & static_cast<Caps>(Cap::kStateQueries)) {
    EXPECT_TRUE(f->running());
    EXPECT_FALSE(f->cancelled());
  }
  lab.open(gate);
  // The call ran to its own outcome despite the cancel().
  CF_EXPECT_VALUE(f->result(kLong), kValue);
  EXPECT_FALSE(f->cancel());
}

TEST_F(Conformance, FUT_CANCEL_CompletedTaskReturnsFalse) {
  CF_CLAUSES("FUT-CANCEL-3");
  CF_REQUIRE(Cap::kCancel);
  auto& ex = make_executor(2);
  auto ok = ex.submit(Probe::value_of(kValue));
  auto failed = ex.submit(Probe::failure(kError));
  CF_EXPECT_VALUE(ok->result(kLong), kValue);
  CF_EXPECT_OUTCOME(failed->result(kLong), Kind::kTaskError);
  EXPECT_FALSE(ok->cancel());
  EXPECT_FALSE(failed->cancel());
  CF_EXPECT_VALUE(ok->result(kLong), kValue);
  Outcome error = failed->result(kLong);
  EXPECT_TRUE(error.is(Kind::kTaskError) && error.message.find(kError) != std::string::npos)
      << to_string(error);
}

TEST_F(Conformance, FUT_CANCEL_CancelledTaskReturnsTrueAgain) {
  CF_CLAUSES("FUT-CANCEL-4");
  CF_REQUIRE(Cap::kMaxWorkers, Cap::kCancel);
  auto& ex = make_executor(1);
  HeldWorker worker(ex, lab);
  ASSERT_TRUE(worker.held());
  int log = lab.new_log();
  auto f = ex.submit(Probe().record(log, 1).returns(1));
  ASSERT_TRUE(f->cancel());
  EXPECT_TRUE(f->cancel());
  worker.finish();
  ex.shutdown(true, false);
  // Still true once the executor has met the cancelled task and skipped it.
  EXPECT_TRUE(f->cancel());
  CF_EXPECT_OUTCOME(f->result(kLong), Kind::kCancelled);
  EXPECT_TRUE(lab.log(log).empty()) << "a cancelled task ran";
}

}  // namespace
}  // namespace cf::conformance
