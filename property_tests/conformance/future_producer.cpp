// The producer API: set_running_or_notify_cancel(), set_result() and
// set_exception() in every state [FUT-SET-1..5] [FUT-STATE-2..3].
//
// The producer rows of SPEC.md's state table, checked cell by cell on the
// canonical futures (Cap::kRawFuture), then the races an executor meets: two
// producers, a producer against a canceller, and the executor's claim on a
// task (set_running_or_notify_cancel) against a canceller. Through an
// executor, FUT-SET-1 is visible as a cancelled task that never runs
// [EXEC-CANCEL-1].
//
// A cell's clause judges what the operation returned and the state it left;
// what result() reads afterwards is judged by the clause of that read
// [FUT-RESULT-1..3], except after a refused call: whatever then differs from
// the first outcome is the refusing clause's failure (it must keep it).
//
// Long on purpose: one spec section (FUT-SET-*), one self-contained scene per
// test, as each conformance file holds its section.
#include <algorithm>
#include <atomic>
#include <barrier>
#include <cstdint>
#include <functional>
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

// Checks, as a verdict on `clause`, that a producer operation returned `expected`.
void check_returned(const char* clause, const Outcome& o, Returns expected,
                    const std::string& label) {
  switch (expected) {
    case Returns::kTrue:
      CF_CHECK_VALUE(clause, o, 1) << label;
      break;
    case Returns::kFalse:
      CF_CHECK_VALUE(clause, o, 0) << label;
      break;
    case Returns::kAccepted:
      CF_CHECK(clause, accepted(o)) << label << " returned " << to_string(o);
      break;
    case Returns::kInvalidState:
      CF_CHECK_OUTCOME(clause, o, Kind::kInvalidState) << label;
      break;
  }
}

// The state a future is in, as its queries and (once done) result() tell.
struct After {
  bool running;
  bool cancelled;
  bool done;
  Outcome outcome;  // what result() gives; unused while not done
  bool first;       // the outcome stored first, which a refused outcome must leave
};

const After kStillRunning{true, false, false, {}, false};
const After kStillCancelled{false, true, true, Outcome::error(Kind::kCancelled), true};
const After kFirstValue{false, false, true, Outcome::of_value(kValue), true};
const After kFirstError{false, false, true, Outcome::error(Kind::kTaskError, kError), true};
const After kNowValue{false, false, true, Outcome::of_value(kOtherValue), false};
const After kNowError{false, false, true, Outcome::error(Kind::kTaskError, kOtherError), false};

// The clause that says what result() reads as `expected`.
const char* read_clause(const Outcome& expected) {
  if (expected.is(Kind::kValue)) return "FUT-RESULT-1";
  if (expected.is(Kind::kCancelled)) return "FUT-RESULT-3";
  return "FUT-RESULT-2";
}

// The second producer's outcome (kOtherValue or kOtherError).
bool second_outcome(const Outcome& got) {
  return (got.is(Kind::kValue) && got.value == kOtherValue) ||
         got.message.find(kOtherError) != std::string::npos;
}

// Checks that `f` is in `after`: its queries (when declared) as `clause` says;
// once done, that a refused outcome did not replace the first [`clause`], and
// what result() reads [the clause of that read].
void check_state(const char* clause, Future& f, const After& after, bool queries,
                 const std::string& label) {
  if (queries) {
    CF_CHECK_EQ(clause, f.running(), after.running) << label << ": running()";
    CF_CHECK_EQ(clause, f.cancelled(), after.cancelled) << label << ": cancelled()";
    CF_CHECK_EQ(clause, f.done(), after.done) << label << ": done()";
  }
  if (!after.done) return;
  Outcome got = f.result(kLong);
  if (after.first) {
    // The refused call must leave the first outcome as it was: whatever
    // result() reads instead is that refusal's rule broken.
    CF_CHECK(clause, !second_outcome(got))
        << label << ": the refused outcome replaced the first: " << to_string(got);
    if (second_outcome(got)) return;
    check_outcome(clause, got, after.outcome, label + ": result() after the refused call");
    return;
  }
  check_outcome(read_clause(after.outcome), got, after.outcome, label + ": result()");
}

// Counts the calls of a done-callback, and those made before its future was
// done (the event it got says: done() false, or result(0s) timing out).
struct Counted {
  std::atomic<int> calls{0};
  std::atomic<int> early{0};
};

std::function<void(const CallbackEvent&)> counting(const std::shared_ptr<Counted>& counted) {
  return [counted](const CallbackEvent& event) {
    if (!event.done || event.result.is(Kind::kTimeout)) ++counted->early;
    ++counted->calls;
  };
}

// ---------------------------------------------------------------------------
// The producer rows of the state table.

TEST_F(Conformance, FUT_SET_ProducerOpsInEveryState) {
  CF_REQUIRE(Cap::kRawFuture, Cap::kStateQueries, Cap::kCancel);
  struct Row {
    State before;
    Op op;
    const char* clause;  // the rule of this cell
    Returns returns;
    After after;
  };
  const Row table[] = {
      {State::kPending, Op::kSetRunning, "FUT-STATE-2", Returns::kTrue, kStillRunning},
      {State::kRunning, Op::kSetRunning, "FUT-SET-2", Returns::kInvalidState, kStillRunning},
      {State::kCancelled, Op::kSetRunning, "FUT-SET-1", Returns::kFalse, kStillCancelled},
      {State::kFinishedValue, Op::kSetRunning, "FUT-SET-2", Returns::kInvalidState, kFirstValue},
      {State::kFinishedError, Op::kSetRunning, "FUT-SET-2", Returns::kInvalidState, kFirstError},

      {State::kPending, Op::kSetResult, "FUT-SET-5", Returns::kAccepted, kNowValue},
      {State::kRunning, Op::kSetResult, "FUT-STATE-3", Returns::kAccepted, kNowValue},
      {State::kCancelled, Op::kSetResult, "FUT-SET-3", Returns::kInvalidState, kStillCancelled},
      {State::kFinishedValue, Op::kSetResult, "FUT-SET-3", Returns::kInvalidState, kFirstValue},
      {State::kFinishedError, Op::kSetResult, "FUT-SET-3", Returns::kInvalidState, kFirstError},

      {State::kPending, Op::kSetException, "FUT-SET-5", Returns::kAccepted, kNowError},
      {State::kRunning, Op::kSetException, "FUT-STATE-3", Returns::kAccepted, kNowError},
      {State::kCancelled, Op::kSetException, "FUT-SET-4", Returns::kInvalidState, kStillCancelled},
      {State::kFinishedValue, Op::kSetException, "FUT-SET-4", Returns::kInvalidState, kFirstValue},
      {State::kFinishedError, Op::kSetException, "FUT-SET-4", Returns::kInvalidState, kFirstError},
  };
  for (const Row& row : table) {
    std::string label = std::string(name(row.op)) + " in " + name(row.before);
    auto f = make_in(impl(), row.before);
    check_returned(row.clause, apply(*f, row.op), row.returns, label);
    check_state(row.clause, *f, row.after, true, label);
  }
}

// ---------------------------------------------------------------------------
// [FUT-SET-1] the executor learns of a cancellation.

TEST_F(Conformance, FUT_SET_SetRunningOnCancelledReturnsFalse) {
  CF_REQUIRE(Cap::kRawFuture, Cap::kCancel);
  auto f = make_in(impl(), State::kCancelled);
  check_returned("FUT-SET-1", f->set_running_or_notify_cancel(), Returns::kFalse, "the first call");
  check_state("FUT-SET-1", *f, kStillCancelled, has(Cap::kStateQueries), "after the first call");
}

// cfspec has one cancelled state, so the rule applies again to a future
// already notified. (CPython moves it to CANCELLED_AND_NOTIFIED, and there a
// second call raises RuntimeError.)
TEST_F(Conformance, EXT_NOTIFY_RepeatedNotifyOnCancelledReturnsFalse) {
  CF_REQUIRE(Cap::kRawFuture, Cap::kCancel);
  auto f = make_in(impl(), State::kCancelled);
  Outcome first = f->set_running_or_notify_cancel();
  CF_PRECONDITION("FUT-SET-1", first.is(Kind::kValue) && first.value == 0)
      << "the first call returned " << to_string(first);
  for (int i = 0; i < 3; ++i) {
    std::string label = "call #" + std::to_string(i + 2);
    check_returned("EXT-NOTIFY-1", f->set_running_or_notify_cancel(), Returns::kFalse, label);
    check_state("EXT-NOTIFY-1", *f, kStillCancelled, has(Cap::kStateQueries), "after " + label);
  }
}

TEST_F(Conformance, FUT_SET_SetRunningOnCancelledRunsNoCallbacks) {
  CF_REQUIRE(Cap::kRawFuture, Cap::kCancel, Cap::kDoneCallbacks);
  auto f = impl().make_future();
  auto counted = std::make_shared<Counted>();
  f->add_done_callback(counting(counted));
  CF_PRECONDITION("FUT-CANCEL-1", f->cancel()) << "cancel() of a pending future";
  CF_PRECONDITION("FUT-CB-6", counted->calls == 1 && counted->early == 0)
      << "the callback ran " << counted->calls << " times at the cancel, " << counted->early
      << " of them before the future was done";
  check_returned("FUT-SET-1", f->set_running_or_notify_cancel(), Returns::kFalse, "notify");
  CF_CHECK_EQ("FUT-CB-1", counted->calls.load(), 1)
      << "the callback ran again when the executor was notified";
}

TEST_F(Conformance, FUT_SET_CancelledQueuedTaskIsSkipped) {
  CF_REQUIRE(Cap::kMaxWorkers, Cap::kCancel);
  auto& ex = make_executor(1);
  HeldWorker worker(ex, lab);
  worker.hold();
  int log = lab.new_log();
  std::vector<FuturePtr> tasks;
  for (int i = 0; i < 6; ++i) tasks.push_back(ex.submit(Probe().record(log, i).returns(i)));
  // Withdraw every other task; the executor must skip exactly those.
  for (int i = 0; i < 6; i += 2) {
    CF_PRECONDITION("FUT-CANCEL-1", tasks[i]->cancel()) << "cancel() of queued task " << i;
  }
  worker.finish();
  shutdown_and_wait(ex);
  auto ran = lab.log(log);
  for (int i = 0; i < 6; ++i) {
    auto times = std::count(ran.begin(), ran.end(), i);
    if (i % 2 == 0) {
      CF_CHECK_EQ("EXEC-CANCEL-1", times, 0) << "cancelled task " << i << " ran";
      CF_CHECK_OUTCOME("FUT-RESULT-3", tasks[i]->result(kLong), Kind::kCancelled) << "task " << i;
    } else {
      CF_CHECK_EQ("EXEC-SUBMIT-1", times, 1) << "task " << i << " ran " << times << " times";
      CF_CHECK_VALUE("EXEC-SUBMIT-1", tasks[i]->result(kLong), i) << "task " << i;
    }
  }
}

// ---------------------------------------------------------------------------
// [FUT-SET-2] a second claim is a misuse.

TEST_F(Conformance, FUT_SET_SetRunningOnRunningOrFinishedIsInvalid) {
  CF_REQUIRE(Cap::kRawFuture);
  struct Row {
    State state;
    After after;
  };
  for (const Row& row :
       {Row{State::kRunning, kStillRunning}, Row{State::kFinishedValue, kFirstValue},
        Row{State::kFinishedError, kFirstError}}) {
    auto f = make_in(impl(), row.state);
    for (int i = 0; i < 2; ++i) {
      std::string label = std::string("call #") + std::to_string(i + 1) + " in " + name(row.state);
      check_returned("FUT-SET-2", f->set_running_or_notify_cancel(), Returns::kInvalidState, label);
      check_state("FUT-SET-2", *f, row.after, has(Cap::kStateQueries), "after " + label);
    }
  }
}

// ---------------------------------------------------------------------------
// [FUT-SET-3] [FUT-SET-4] the first outcome wins.

// Each done state, and what a second outcome must leave it showing.
struct DoneRow {
  State state;
  After after;
};
const DoneRow kDoneRows[] = {{State::kCancelled, kStillCancelled},
                             {State::kFinishedValue, kFirstValue},
                             {State::kFinishedError, kFirstError}};

TEST_F(Conformance, FUT_SET_SetResultOnDoneFutureIsInvalid) {
  CF_REQUIRE(Cap::kRawFuture, Cap::kCancel);
  for (const DoneRow& row : kDoneRows) {
    std::string label = std::string("set_result() in ") + name(row.state);
    auto f = make_in(impl(), row.state);
    check_returned("FUT-SET-3", f->set_result(kOtherValue), Returns::kInvalidState, label);
    check_state("FUT-SET-3", *f, row.after, has(Cap::kStateQueries), label);
  }
}

TEST_F(Conformance, FUT_SET_SetExceptionOnDoneFutureIsInvalid) {
  CF_REQUIRE(Cap::kRawFuture, Cap::kCancel);
  for (const DoneRow& row : kDoneRows) {
    std::string label = std::string("set_exception() in ") + name(row.state);
    auto f = make_in(impl(), row.state);
    check_returned("FUT-SET-4", f->set_exception(kOtherError), Returns::kInvalidState, label);
    check_state("FUT-SET-4", *f, row.after, has(Cap::kStateQueries), label);
    // exception() agrees with result(): the first outcome, or none for a value.
    if (row.state == State::kCancelled) continue;
    Outcome exception = f->exception(kLong);
    CF_CHECK("FUT-SET-4", !second_outcome(exception))
        << label << ": exception() returns the refused error: " << to_string(exception);
    if (second_outcome(exception)) continue;
    check_outcome(
        "FUT-SET-4", exception,
        row.state == State::kFinishedValue ? Outcome{} : Outcome::error(Kind::kTaskError, kError),
        label + ": exception()");
  }
}

// A refused outcome completes nothing, so it runs no callbacks.
TEST_F(Conformance, FUT_SET_RefusedOutcomeRunsNoCallbacks) {
  CF_REQUIRE(Cap::kRawFuture, Cap::kCancel, Cap::kDoneCallbacks);
  for (State s : {State::kCancelled, State::kFinishedValue, State::kFinishedError}) {
    auto f = impl().make_future();
    auto counted = std::make_shared<Counted>();
    f->add_done_callback(counting(counted));
    switch (s) {
      case State::kCancelled:
        CF_PRECONDITION("FUT-CANCEL-1", f->cancel()) << "cancel() of a pending future";
        break;
      case State::kFinishedValue:
        CF_PRECONDITION("FUT-SET-5", accepted(f->set_result(kValue)))
            << "set_result() of a pending future";
        break;
      default:
        CF_PRECONDITION("FUT-SET-5", accepted(f->set_exception(kError)))
            << "set_exception() of a pending future";
        break;
    }
    CF_PRECONDITION(s == State::kCancelled ? "FUT-CB-6" : "FUT-CB-1",
                    counted->calls == 1 && counted->early == 0)
        << "the callback ran " << counted->calls << " times at the completion, " << counted->early
        << " of them before the future was done";
    check_returned("FUT-SET-3", f->set_result(kOtherValue), Returns::kInvalidState,
                   std::string("set_result() in ") + name(s));
    check_returned("FUT-SET-4", f->set_exception(kOtherError), Returns::kInvalidState,
                   std::string("set_exception() in ") + name(s));
    CF_CHECK_EQ("FUT-CB-1", counted->calls.load(), 1)
        << name(s) << ": a refused outcome ran the callback again";
  }
}

// ---------------------------------------------------------------------------
// [FUT-SET-5] straight from pending to finished.

TEST_F(Conformance, FUT_SET_OutcomeOnPendingFuture) {
  CF_REQUIRE(Cap::kRawFuture);
  // Seen from inside the completion too, where a callback can look.
  const bool look_inside = has(Cap::kDoneCallbacks) && has(Cap::kStateQueries);
  for (Op op : {Op::kSetResult, Op::kSetException}) {
    auto f = impl().make_future();
    // -1: the callback has not run; else whether running() was true in it;
    // 2: it ran before the future was done.
    auto saw_running = std::make_shared<std::atomic<int>>(-1);
    if (look_inside) {
      f->add_done_callback(
          [f_weak = std::weak_ptr<Future>(f), saw_running](const CallbackEvent& event) {
            auto self = f_weak.lock();
            if (!event.done || event.result.is(Kind::kTimeout)) {
              *saw_running = 2;
            } else if (self && *saw_running != 2) {
              *saw_running = self->running() ? 1 : 0;
            }
          });
    }
    check_returned("FUT-SET-5", apply(*f, op), Returns::kAccepted, name(op));
    check_state("FUT-STATE-3", *f, op == Op::kSetResult ? kNowValue : kNowError,
                has(Cap::kStateQueries), name(op));
    if (look_inside) {
      CF_PRECONDITION("FUT-CB-1", *saw_running != -1) << name(op) << ": the callback never ran";
      CF_PRECONDITION("FUT-CB-1", *saw_running != 2)
          << name(op) << ": the callback ran before the future was done";
      CF_CHECK("FUT-SET-5", *saw_running == 0) << name(op) << ": the future passed through RUNNING";
    }
  }
}

// ---------------------------------------------------------------------------
// Races between producers and cancellers: one winner, the rest are told.

// The rule that refuses `op` on a done future.
const char* refusing_clause(Op op) { return op == Op::kSetResult ? "FUT-SET-3" : "FUT-SET-4"; }

TEST_F(Conformance, FUT_SET_RacingProducersFirstOutcomeWins) {
  CF_REQUIRE(Cap::kRawFuture);
  constexpr int kProducers = 4;
  // Even producers store a value, odd ones an exception.
  auto op_of = [](int i) { return i % 2 == 0 ? Op::kSetResult : Op::kSetException; };
  auto outcome_of = [](int i) {
    return i % 2 == 0 ? Outcome::of_value(100 + i)
                      : Outcome::error(Kind::kTaskError, "error " + std::to_string(i));
  };
  auto stored_by = [&](const Outcome& got, int i) {
    Outcome mine = outcome_of(i);
    return mine.is(Kind::kValue)
               ? got.is(Kind::kValue) && got.value == mine.value
               : !got.is(Kind::kValue) && got.message.find(mine.message) != std::string::npos;
  };
  for (int round = 0; round < 50; ++round) {
    std::string label = "round " + std::to_string(round);
    auto f = impl().make_future();
    std::barrier start(kProducers);
    std::vector<Outcome> returns(kProducers);
    {
      std::vector<std::jthread> producers;
      for (int i = 0; i < kProducers; ++i) {
        producers.emplace_back([&, i] {
          start.arrive_and_wait();
          returns[i] = i % 2 == 0 ? f->set_result(outcome_of(i).value)
                                  : f->set_exception(outcome_of(i).message);
        });
      }
    }
    int winner = -1;
    int extra = -1;  // a second producer that stored an outcome too
    for (int i = 0; i < kProducers; ++i) {
      if (!accepted(returns[i])) {
        CF_CHECK_OUTCOME(refusing_clause(op_of(i)), returns[i], Kind::kInvalidState)
            << label << ", producer " << i;
      } else if (winner == -1) {
        winner = i;
      } else {
        if (extra == -1) extra = i;
        CF_CHECK(refusing_clause(op_of(i)), false)
            << label << ": producers " << winner << " and " << i << " both stored an outcome";
      }
    }
    CF_ASSERT("FUT-SET-5", winner != -1) << label << ": no producer stored an outcome";
    Outcome got = f->result(kLong);
    bool replaced = false;
    for (int i = 0; i < kProducers; ++i) {
      if (i != winner && stored_by(got, i)) {
        CF_CHECK(refusing_clause(op_of(i)), false)
            << label << ": producer " << i << " was refused, yet result() gives its outcome "
            << to_string(got);
        replaced = true;
      }
    }
    // After a second outcome that should have been refused, whatever result()
    // reads instead of the first is that refusal's rule broken.
    if (!replaced) {
      const char* clause = extra != -1       ? refusing_clause(op_of(extra))
                           : winner % 2 == 0 ? "FUT-RESULT-1"
                                             : "FUT-RESULT-2";
      check_outcome(clause, got, outcome_of(winner), label + ": result()");
    }
  }
}

// A producer against a canceller. One of them comes first; when both claim
// to have won, or neither, the final state says which one misreported.
TEST_F(Conformance, FUT_SET_ProducerRacingCancellerOneWins) {
  CF_REQUIRE(Cap::kRawFuture, Cap::kCancel, Cap::kCancelResult);
  for (int round = 0; round < 50; ++round) {
    std::string label = "round " + std::to_string(round);
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
    Outcome got = f->result(kLong);
    if (cancelled && !accepted(set)) {
      // The cancel came first: the producer was refused, the cancellation kept.
      CF_CHECK_OUTCOME("FUT-SET-3", set, Kind::kInvalidState) << label;
      CF_CHECK_OUTCOME("FUT-RESULT-3", got, Kind::kCancelled) << label;
    } else if (!cancelled && accepted(set)) {
      // The producer came first: the cancel found a finished future.
      CF_CHECK_VALUE("FUT-RESULT-1", got, kValue) << label;
    } else if (cancelled) {
      if (got.is(Kind::kValue)) {
        CF_CHECK("FUT-CANCEL-3", false) << label << ": cancel() of a finished future returned true";
      } else {
        CF_CHECK("FUT-SET-3", false)
            << label << ": set_result() of a cancelled future was accepted: " << to_string(set);
      }
    } else if (got.is(Kind::kCancelled)) {
      CF_CHECK("FUT-CANCEL-1", false) << label << ": cancel() took effect, yet returned false";
    } else {
      CF_CHECK("FUT-SET-5", false)
          << label << ": set_result() of a pending future was refused: " << to_string(set);
    }
  }
}

// The executor's claim on a task against a user's cancel(): exactly one wins,
// and each side learns the outcome from its return value.
TEST_F(Conformance, FUT_SET_ClaimRacingCancellerOneWins) {
  CF_REQUIRE(Cap::kRawFuture, Cap::kCancel, Cap::kCancelResult);
  const bool queries = has(Cap::kStateQueries);
  for (int round = 0; round < 50; ++round) {
    std::string label = "round " + std::to_string(round);
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
    const bool claimed = claim.is(Kind::kValue) && claim.value == 1;
    const bool told_cancelled = claim.is(Kind::kValue) && claim.value == 0;
    if (cancelled && !claimed) {
      // The cancel came first: the claim learns of it [FUT-SET-1].
      check_returned("FUT-SET-1", claim, Returns::kFalse, label);
      check_state("FUT-SET-1", *f, kStillCancelled, queries, label);
    } else if (!cancelled && !told_cancelled) {
      // The claim came first [FUT-STATE-2]: the cancel found it running [FUT-CANCEL-2].
      check_returned("FUT-STATE-2", claim, Returns::kTrue, label);
      check_state("FUT-CANCEL-2", *f, kStillRunning, queries, label);
    } else if (cancelled) {
      // Both won: the state says which one misreported.
      if (queries && f->running()) {
        CF_CHECK("FUT-CANCEL-2", false) << label << ": cancel() of a running future returned true";
      } else {
        CF_CHECK("FUT-SET-1", false) << label << ": the claim on a cancelled future returned true";
      }
    } else {
      CF_CHECK("FUT-CANCEL-1", false)
          << label << ": cancel() returned false, yet the claim was told the future is cancelled";
    }
  }
}

}  // namespace
}  // namespace cf::conformance
