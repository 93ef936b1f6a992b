// The producer API: set_running_or_notify_cancel(), set_result() and
// set_exception() in every state [FUT-SET-1..5] [FUT-STATE-2..3].
//
// The producer rows of SPEC.md's state table, checked cell by cell on the
// canonical futures (Cap::kRawFuture), then the races an executor meets: two
// producers, a producer against a canceller, and the executor's claim on a
// task (set_running_or_notify_cancel) against a canceller. Through an
// executor, FUT-SET-1 is visible as a cancelled task that never runs.
#include <atomic>
#include <barrier>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "harness/setups.hpp"
#include "harness/suite.hpp"

namespace cf::conformance {
namespace {

using Kind = Outcome::Kind;

// What a second producer tries to store.
constexpr std::int64_t kOtherValue = 7;
const std::string kOtherError = "second failure";

::testing::AssertionResult matches(const Outcome& actual, const Outcome& expected) {
  bool ok = actual.kind == expected.kind;
  if (ok && expected.is(Kind::kValue)) ok = actual.value == expected.value;
  if (ok && expected.is(Kind::kTaskError)) {
    ok = actual.message.find(expected.message) != std::string::npos;
  }
  if (ok) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "got " << to_string(actual) << ", expected " << to_string(expected);
}

enum class Op { kSetRunning, kSetResult, kSetException };

const char* name(Op op) {
  switch (op) {
    case Op::kSetRunning:
      return "set_running_or_notify_cancel()";
    case Op::kSetResult:
      return "set_result()";
    case Op::kSetException:
      return "set_exception()";
  }
  return "?";
}

Outcome apply(Future& f, Op op) {
  switch (op) {
    case Op::kSetRunning:
      return f.set_running_or_notify_cancel();
    case Op::kSetResult:
      return f.set_result(kOtherValue);
    case Op::kSetException:
      return f.set_exception(kOtherError);
  }
  return {};
}

// What a producer operation must return.
enum class Returns { kTrue, kFalse, kAccepted, kInvalidState };

::testing::AssertionResult returned(const Outcome& o, Returns expected) {
  bool ok = false;
  const char* want = "";
  switch (expected) {
    case Returns::kTrue:
      ok = o.is(Kind::kValue) && o.value == 1;
      want = "true";
      break;
    case Returns::kFalse:
      ok = o.is(Kind::kValue) && o.value == 0;
      want = "false";
      break;
    case Returns::kAccepted:
      ok = accepted(o);
      want = "acceptance";
      break;
    case Returns::kInvalidState:
      ok = o.is(Kind::kInvalidState);
      want = "InvalidStateError";
      break;
  }
  if (ok) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "returned " << to_string(o) << ", expected " << want;
}

// The state a future is in, as its queries and (once done) result() tell.
// `outcome` is what result() must give; unused while not done.
struct After {
  bool running;
  bool cancelled;
  bool done;
  Outcome outcome;
};

void expect_state(Future& f, const After& after, bool queries) {
  if (queries) {
    EXPECT_EQ(f.running(), after.running);
    EXPECT_EQ(f.cancelled(), after.cancelled);
    EXPECT_EQ(f.done(), after.done);
  }
  if (after.done) {
    EXPECT_TRUE(matches(f.result(kLong), after.outcome));
  }
}

const After kStillRunning{true, false, false, {}};
const After kStillCancelled{false, true, true, Outcome::error(Kind::kCancelled)};
const After kFirstValue{false, false, true, Outcome::of_value(kValue)};
const After kFirstError{false, false, true, Outcome::error(Kind::kTaskError, kError)};
const After kNowValue{false, false, true, Outcome::of_value(kOtherValue)};
const After kNowError{false, false, true, Outcome::error(Kind::kTaskError, kOtherError)};

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
// The producer rows of the state table.

TEST_F(Conformance, FUT_SET_ProducerOpsInEveryState) {
  CF_CLAUSES("FUT-STATE-2", "FUT-STATE-3", "FUT-SET-1", "FUT-SET-2", "FUT-SET-3", "FUT-SET-4",
             "FUT-SET-5");
  CF_REQUIRE(Cap::kRawFuture, Cap::kStateQueries, Cap::kCancel);
  struct Row {
    State before;
    Op op;
    Returns returns;
    After after;
  };
  const Row table[] = {
      {State::kPending, Op::kSetRunning, Returns::kTrue, kStillRunning},
      {State::kRunning, Op::kSetRunning, Returns::kInvalidState, kStillRunning},
      {State::kCancelled, Op::kSetRunning, Returns::kFalse, kStillCancelled},
      {State::kFinishedValue, Op::kSetRunning, Returns::kInvalidState, kFirstValue},
      {State::kFinishedError, Op::kSetRunning, Returns::kInvalidState, kFirstError},

      {State::kPending, Op::kSetResult, Returns::kAccepted, kNowValue},
      {State::kRunning, Op::kSetResult, Returns::kAccepted, kNowValue},
      {State::kCancelled, Op::kSetResult, Returns::kInvalidState, kStillCancelled},
      {State::kFinishedValue, Op::kSetResult, Returns::kInvalidState, kFirstValue},
      {State::kFinishedError, Op::kSetResult, Returns::kInvalidState, kFirstError},

      {State::kPending, Op::kSetException, Returns::kAccepted, kNowError},
      {State::kRunning, Op::kSetException, Returns::kAccepted, kNowError},
      {State::kCancelled, Op::kSetException, Returns::kInvalidState, kStillCancelled},
      {State::kFinishedValue, Op::kSetException, Returns::kInvalidState, kFirstValue},
      {State::kFinishedError, Op::kSetException, Returns::kInvalidState, kFirstError},
  };
  for (const Row& row : table) {
    SCOPED_TRACE(std::string(name(row.op)) + " in " + name(row.before));
    auto f = make_in(impl(), row.before);
    EXPECT_TRUE(returned(apply(*f, row.op), row.returns));
    expect_state(*f, row.after, true);
  }
}

// ---------------------------------------------------------------------------
// [FUT-SET-1] the executor learns of a cancellation.

TEST_F(Conformance, FUT_SET_SetRunningOnCancelledReturnsFalse) {
  CF_CLAUSES("FUT-SET-1");
  CF_REQUIRE(Cap::kRawFuture, Cap::kCancel);
  bool queries = caps() & static_cast<Caps>(Cap::kStateQueries);
  auto f = make_in(impl(), State::kCancelled);
  EXPECT_TRUE(returned(f->set_running_or_notify_cancel(), Returns::kFalse));
  expect_state(*f, kStillCancelled, queries);
}

// cfspec has one cancelled state, so the rule applies again to a future
// already notified. (CPython moves it to CANCELLED_AND_NOTIFIED, and there a
// second call raises RuntimeError.)
TEST_F(Conformance, EXT_NOTIFY_RepeatedNotifyOnCancelledReturnsFalse) {
  CF_CLAUSES("EXT-NOTIFY-1");
  CF_REQUIRE(Cap::kRawFuture, Cap::kCancel);
  bool queries = caps() & static_cast<Caps>(Cap::kStateQueries);
  auto f = make_in(impl(), State::kCancelled);
  for (int i = 0; i < 3; ++i) {
    EXPECT_TRUE(returned(f->set_running_or_notify_cancel(), Returns::kFalse)) << "call #" << i + 1;
    expect_state(*f, kStillCancelled, queries);
  }
}

TEST_F(Conformance, FUT_SET_SetRunningOnCancelledRunsNoCallbacks) {
  CF_CLAUSES("FUT-SET-1");
  CF_REQUIRE(Cap::kRawFuture, Cap::kCancel, Cap::kDoneCallbacks);
  auto f = impl().make_future();
  auto calls = std::make_shared<std::atomic<int>>(0);
  f->add_done_callback([calls](const CallbackEvent&) { ++*calls; });
  ASSERT_TRUE(f->cancel());
  ASSERT_EQ(*calls, 1);
  EXPECT_TRUE(returned(f->set_running_or_notify_cancel(), Returns::kFalse));
  EXPECT_EQ(*calls, 1) << "the callbacks ran again when the executor was notified";
}

TEST_F(Conformance, FUT_SET_CancelledQueuedTaskIsSkipped) {
  CF_CLAUSES("FUT-SET-1");
  CF_REQUIRE(Cap::kMaxWorkers, Cap::kCancel);
  auto& ex = make_executor(1);
  HeldWorker worker(ex, lab);
  ASSERT_TRUE(worker.held());
  int log = lab.new_log();
  std::vector<FuturePtr> tasks;
  for (int i = 0; i < 6; ++i) tasks.push_back(ex.submit(Probe().record(log, i).returns(i)));
  // Withdraw every other task; the executor must skip exactly those.
  for (int i = 0; i < 6; i += 2) ASSERT_TRUE(tasks[i]->cancel());
  worker.finish();
  ex.shutdown(true, false);
  EXPECT_EQ(lab.log(log), (std::vector<std::int64_t>{1, 3, 5}));
  for (int i = 0; i < 6; ++i) {
    if (i % 2 == 0) {
      CF_EXPECT_OUTCOME(tasks[i]->result(kLong), Kind::kCancelled);
    } else {
      CF_EXPECT_VALUE(tasks[i]->result(kLong), i);
    }
  }
}

// ---------------------------------------------------------------------------
// [FUT-SET-2] a second claim is a misuse.

TEST_F(Conformance, FUT_SET_SetRunningOnRunningOrFinishedIsInvalid) {
  CF_CLAUSES("FUT-SET-2");
  CF_REQUIRE(Cap::kRawFuture);
  bool queries = caps() & static_cast<Caps>(Cap::kStateQueries);
  struct Row {
    State state;
    After after;
  };
  for (const Row& row :
       {Row{State::kRunning, kStillRunning}, Row{State::kFinishedValue, kFirstValue},
        Row{State::kFinishedError, kFirstError}}) {
    SCOPED_TRACE(name(row.state));
    auto f = make_in(impl(), row.state);
    for (int i = 0; i < 2; ++i) {
      EXPECT_TRUE(returned(f->set_running_or_notify_cancel(), Returns::kInvalidState));
      expect_state(*f, row.after, queries);
    }
  }
}

// ---------------------------------------------------------------------------
// [FUT-SET-3] [FUT-SET-4] the first outcome wins.

TEST_F(Conformance, FUT_SET_SetResultOnDoneFutureIsInvalid) {
  CF_CLAUSES("FUT-SET-3");
  CF_REQUIRE(Cap::kRawFuture, Cap::kCancel);
  bool queries = caps() & static_cast<Caps>(Cap::kStateQueries);
  struct Row {
    State state;
    After after;
  };
  for (const Row& row :
       {Row{State::kCancelled, kStillCancelled}, Row{State::kFinishedValue, kFirstValue},
        Row{State::kFinishedError, kFirstError}}) {
    SCOPED_TRACE(name(row.state));
    auto f = make_in(impl(), row.state);
    EXPECT_TRUE(returned(f->set_result(kOtherValue), Returns::kInvalidState));
    expect_state(*f, row.after, queries);
  }
}

TEST_F(Conformance, FUT_SET_SetExceptionOnDoneFutureIsInvalid) {
  CF_CLAUSES("FUT-SET-4");
  CF_REQUIRE(Cap::kRawFuture, Cap::kCancel);
  bool queries = caps() & static_cast<Caps>(Cap::kStateQueries);
  struct Row {
    State state;
    After after;
  };
  for (const Row& row :
       {Row{State::kCancelled, kStillCancelled}, Row{State::kFinishedValue, kFirstValue},
        Row{State::kFinishedError, kFirstError}}) {
    SCOPED_TRACE(name(row.state));
    auto f = make_in(impl(), row.state);
    EXPECT_TRUE(returned(f->set_exception(kOtherError), Returns::kInvalidState));
    expect_state(*f, row.after, queries);
    // exception() agrees with result(): the first outcome, or none for a value.
    if (row.state == State::kFinishedValue) {
      CF_EXPECT_OUTCOME(f->exception(kLong), Kind::kNone);
    }
    if (row.state == State::kFinishedError) {
      EXPECT_TRUE(matches(f->exception(kLong), Outcome::error(Kind::kTaskError, kError)));
    }
  }
}

// A refused outcome completes nothing, so it runs no callbacks.
TEST_F(Conformance, FUT_SET_RefusedOutcomeRunsNoCallbacks) {
  CF_CLAUSES("FUT-SET-3", "FUT-SET-4");
  CF_REQUIRE(Cap::kRawFuture, Cap::kCancel, Cap::kDoneCallbacks);
  for (State s : {State::kCancelled, State::kFinishedValue, State::kFinishedError}) {
    SCOPED_TRACE(name(s));
    auto f = impl().make_future();
    auto calls = std::make_shared<std::atomic<int>>(0);
    f->add_done_callback([calls](const CallbackEvent&) { ++*calls; });
    switch (s) {
      case State::kCancelled:
        ASSERT_TRUE(f->cancel());
        break;
      case State::kFinishedValue:
        ASSERT_TRUE(accepted(f->set_result(kValue)));
        break;
      default:
        ASSERT_TRUE(accepted(f->set_exception(kError)));
        break;
    }
    ASSERT_EQ(*calls, 1);
    EXPECT_TRUE(returned(f->set_result(kOtherValue), Returns::kInvalidState));
    EXPECT_TRUE(returned(f->set_exception(kOtherError), Returns::kInvalidState));
    EXPECT_EQ(*calls, 1) << "a refused outcome ran the callbacks again";
  }
}

// ---------------------------------------------------------------------------
// [FUT-SET-5] straight from pending to finished.

TEST_F(Conformance, FUT_SET_OutcomeOnPendingFuture) {
  CF_CLAUSES("FUT-SET-5", "FUT-STATE-3");
  CF_REQUIRE(Cap::kRawFuture);
  bool queries = caps() & static_cast<Caps>(Cap::kStateQueries);
  for (Op op : {Op::kSetResult, Op::kSetException}) {
    SCOPED_TRACE(name(op));
    auto f = impl().make_future();
    auto saw_running = std::make_shared<std::atomic<bool>>(false);
    if (caps() & static_cast<Caps>(Cap::kDoneCallbacks)) {
      // Seen from inside the completion too: never running.
      f->add_done_callback([f_weak = std::weak_ptr<Future>(f), saw_running](const CallbackEvent&) {
        if (auto self = f_weak.lock()) *saw_running = self->running();
      });
    }
    EXPECT_TRUE(returned(apply(*f, op), Returns::kAccepted));
    expect_state(*f, op == Op::kSetResult ? kNowValue : kNowError, queries);
    EXPECT_FALSE(*saw_running) << "the future passed through RUNNING";
  }
}

// ---------------------------------------------------------------------------
// Races between producers and cancellers: one winner, the rest are told.

TEST_F(Conformance, FUT_SET_RacingProducersFirstOutcomeWins) {
  CF_CLAUSES("FUT-SET-3", "FUT-SET-4", "FUT-SET-5");
  CF_REQUIRE(Cap::kRawFuture);
  constexpr int kProducers = 4;
  for (int round = 0; round < 50; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    auto f = impl().make_future();
    std::barrier start(kProducers);
    std::vector<Outcome> returns(kProducers);
    {
      std::vector<std::jthread> producers;
      for (int i = 0; i < kProducers; ++i) {
        producers.emplace_back([&, i] {
          start.arrive_and_wait();
          // Even producers store a value, odd ones an exception.
          returns[i] =
              i % 2 == 0 ? f->set_result(100 + i) : f->set_exception("error " + std::to_string(i));
        });
      }
    }
    int winner = -1;
    for (int i = 0; i < kProducers; ++i) {
      if (accepted(returns[i])) {
        EXPECT_EQ(winner, -1) << "two producers both stored an outcome";
        winner = i;
      } else {
        CF_EXPECT_OUTCOME(returns[i], Kind::kInvalidState);
      }
    }
    ASSERT_NE(winner, -1) << "no producer stored an outcome";
    Outcome expected = winner % 2 == 0
                           ? Outcome::of_value(100 + winner)
                           : Outcome::error(Kind::kTaskError, "error " + std::to_string(winner));
    EXPECT_TRUE(matches(f->result(kLong), expected));
  }
}

TEST_F(Conformance, FUT_SET_ProducerRacingCancellerOneWins) {
  CF_CLAUSES("FUT-SET-3", "FUT-CANCEL-1", "FUT-CANCEL-3");
  CF_REQUIRE(Cap::kRawFuture, Cap::kCancel);
  for (int round = 0; round < 50; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    auto f = impl().make_future();
    std::barrier start(2);
    Outcome set;
    bool cancelled = false;
    {
      std::jthread producer([&] {
        start.arrive_and_wait();
        set = f->set_result(kValue);
      });
      std::jthread canceller([&] {
        start.arrive_and_wait();
        cancelled = f->cancel();
      });
    }
    if (cancelled) {
      CF_EXPECT_OUTCOME(set, Kind::kInvalidState);
      CF_EXPECT_OUTCOME(f->result(kLong), Kind::kCancelled);
    } else {
      EXPECT_TRUE(accepted(set)) << "neither the producer nor the canceller won: "
                                 << to_string(set);
      CF_EXPECT_VALUE(f->result(kLong), kValue);
    }
  }
}

// The executor's claim on a task against a user's cancel(): exactly one wins,
// and each side learns the outcome from its return value.
TEST_F(Conformance, FUT_SET_ClaimRacingCancellerOneWins) {
  CF_CLAUSES("FUT-STATE-2", "FUT-SET-1", "FUT-CANCEL-1", "FUT-CANCEL-2");
  CF_REQUIRE(Cap::kRawFuture, Cap::kCancel);
  bool queries = caps() & static_cast<Caps>(Cap::kStateQueries);
  for (int round = 0; round < 50; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    auto f = impl().make_future();
    std::barrier start(2);
    Outcome claim;
    bool cancelled = false;
    {
      std::jthread executor([&] {
        start.arrive_and_wait();
        claim = f->set_running_or_notify_cancel();
      });
      std::jthread user([&] {
        start.arrive_and_wait();
        cancelled = f->cancel();
      });
    }
    if (cancelled) {
      EXPECT_TRUE(returned(claim, Returns::kFalse));
      expect_state(*f, kStillCancelled, queries);
    } else {
      EXPECT_TRUE(returned(claim, Returns::kTrue));
      expect_state(*f, kStillRunning, queries);
    }
  }
}

}  // namespace
}  // namespace cf::conformance
