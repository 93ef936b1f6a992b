// Conformance tests for the SHUT section of SPEC.md: shutdown(wait=true)
// waits, shutdown(wait=false) does not, cancel_futures cancels exactly the
// unstarted tasks, shutdown is idempotent, and destroying an executor is
// shutdown(wait=true). Modelled on CPython's test_shutdown.py
// (test_hang_issue12364, test_shutdown_no_wait, test_cancel_futures,
// test_context_manager_shutdown) with gates instead of sleeps.
//
// A shutdown that is expected to block runs in a Background: the test checks,
// with a bounded wait, that it has not returned while a gate it must wait for
// is still closed, then opens the gate and checks that it returns. What had
// run is read from the logs at the moment it returned, before any result() is
// awaited, so a shutdown that returns early is seen even without state
// queries (which, where declared, add that every future is done by then).
//
// Long on purpose: one spec section (SHUT-*), one self-contained scene per
// test, as each conformance file holds its section.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "harness/background.hpp"
#include "harness/setups.hpp"
#include "harness/suite.hpp"

namespace cf::conformance {
namespace {

using Kind = Outcome::Kind;

// What a blocking call that has returned did: "returned", or what it raised.
std::string ending(Background<void>& call) {
  try {
    call.get();
    return "returned";
  } catch (const Raised& raised) {
    return "raised " + to_string(raised.outcome);
  }
}

// How many times `id` is in `log`.
std::int64_t times(const Values& log, std::int64_t id) {
  return std::count(log.begin(), log.end(), id);
}

// The futures of the tasks that ran hold their values [EXEC-SUBMIT-1]
// (futures[i] returns i). Whether every task ran is the shutdown's rule,
// judged from the log: a task dropped without running is charged there, not
// here.
void check_values_of_tasks_that_ran(const std::vector<FuturePtr>& futures, const Values& ran) {
  for (std::size_t i = 0; i < futures.size(); ++i) {
    const auto id = static_cast<std::int64_t>(i);
    if (times(ran, id) == 0) continue;
    CF_CHECK_VALUE("EXEC-SUBMIT-1", futures[i]->result(kLong), id) << "task " << i;
  }
}

// One bound for a series of reads, so that a wrong implementation fails
// after kLong in all, not kLong per read.
class Deadline {
 public:
  explicit Deadline(Clock::duration length) : end_(Clock::now() + length) {}
  Clock::duration left() const { return std::max(Clock::duration::zero(), end_ - Clock::now()); }

 private:
  Clock::time_point end_;
};

// The rule a task cancelled by a waiting call that did not ask for it broke:
// a shutdown's [SHUT-CANCEL-2].
using CancelRule = std::function<const char*()>;
const char* shutdown_cancelled() { return "SHUT-CANCEL-2"; }

// Judges that every task (futures[i] logs i) had run when a waiting call
// returned [clause]. A task missing because it was cancelled broke
// `if_cancelled()`'s rule instead: nothing here asks for cancel_futures.
void check_every_task_ran(const char* clause, const std::string& what,
                          const std::vector<FuturePtr>& futures, const Values& at_return,
                          const CancelRule& if_cancelled = shutdown_cancelled) {
  Values cancelled, missing;
  const Deadline deadline(kLong);  // a missing task's future may never complete
  for (std::size_t i = 0; i < futures.size(); ++i) {
    const auto id = static_cast<std::int64_t>(i);
    if (times(at_return, id) > 0) continue;
    const bool was_cancelled = futures[i]->result(deadline.left()).is(Kind::kCancelled);
    (was_cancelled ? cancelled : missing).push_back(id);
  }
  if (!cancelled.empty()) {
    CF_CHECK_EQ(if_cancelled(), cancelled, Values{})
        << "tasks cancelled, though nothing asked for it, not run when " << what << " returned";
  }
  CF_CHECK_EQ(clause, missing, Values{})
      << "the tasks that had not run when " << what << " returned";
}

// A call that must wait for the work [clause]: `what` (a shutdown or a
// destructor, running in `call`) has not returned while the gate the tasks
// wait at is closed, returns once it opens, and at that moment every task
// had run and (with state queries) every future was done. futures[i] logs
// i to `log` and returns i. The "not yet" is bounded: kShort is an upper
// bound on how soon a wrong early return is caught; a later one is caught by
// the log read when it returned.
void check_waits_for_the_work(Lab& lab, const char* clause, const char* what,
                              Background<void>& call, int gate, int log,
                              const std::vector<FuturePtr>& futures, bool queries,
                              const CancelRule& if_cancelled = shutdown_cancelled) {
  CF_CHECK(clause, !call.returns_within(kShort)) << what << " returned with work left";
  lab.open(gate);
  CF_ASSERT(clause, call.returns_within(kLong)) << what << " did not return";
  auto at_return = lab.log(log);
  CF_CHECK_EQ(clause, ending(call), "returned") << what;
  check_every_task_ran(clause, what, futures, at_return, if_cancelled);
  if (queries) {
    for (std::size_t i = 0; i < futures.size(); ++i) {
      CF_CHECK(clause, futures[i]->done()) << "future " << i << " not done after " << what;
    }
  }
  check_values_of_tasks_that_ran(futures, lab.log(log));
}

// On a one-worker executor: task 0 started and held at `gate`, tasks 1..queued
// behind it; each records its index in `log` and returns it.
std::vector<FuturePtr> started_then_queued(Lab& lab, Executor& ex, int log, int gate, int queued) {
  std::vector<FuturePtr> futures;
  futures.push_back(ex.submit(Probe().gate(gate).record(log, 0).returns(0)));
  CF_PRECONDITION("EXEC-SUBMIT-1", lab.await_arrivals(gate, 1, kLong))
      << "the first task never started";
  for (int i = 1; i <= queued; ++i) futures.push_back(ex.submit(Probe().record(log, i).returns(i)));
  return futures;
}

// shutdown(wait=false) as a scene step: it returns although a task it would
// otherwise wait for is blocked at a closed gate [SHUT-NOWAIT-1].
void shutdown_without_waiting(Lab& lab, Executor& ex, bool cancel_futures = false) {
  Background<void> call(lab, "SHUT-NOWAIT-1",
                        [&ex, cancel_futures] { ex.shutdown(false, cancel_futures); });
  CF_PRECONDITION("SHUT-NOWAIT-1", call.returns_within(kLong))
      << "shutdown(wait=false) waited for a closed gate";
  auto how = ending(call);
  CF_PRECONDITION("SHUT-NOWAIT-1", how == "returned") << "shutdown(wait=false) " << how;
}

// Opens every gate when the test leaves its scope, even by a failed
// assertion, for an executor the test destroys itself.
struct OpenGatesAtExit {
  Lab& lab;
  ~OpenGatesAtExit() { lab.open_all(); }
};

// --- SHUT-WAIT-1 ------------------------------------------------------------

TEST_F(Conformance, SHUT_WAIT_WaitsForRunningAndQueuedWork) {
  CF_REQUIRE(Cap::kMaxWorkers);
  auto& ex = make_executor(2);
  int log = lab.new_log();
  int gate = lab.new_gate();
  std::vector<FuturePtr> futures;
  for (int i = 0; i < 6; ++i)
    futures.push_back(ex.submit(Probe().gate(gate).record(log, i).returns(i)));
  CF_PRECONDITION("EXEC-SUBMIT-1", lab.await_arrivals(gate, 2, kLong)) << "two tasks never started";
  Background<void> shutdown(lab, "SHUT-WAIT-1", [&ex] { ex.shutdown(true, false); });
  check_waits_for_the_work(lab, "SHUT-WAIT-1", "shutdown(wait=true)", shutdown, gate, log, futures,
                           has(Cap::kStateQueries));
}

// test_hang_issue12364: many queued tasks, then shutdown() in the test's own
// thread; afterwards every future is done.
TEST_F(Conformance, SHUT_WAIT_EveryFutureDoneAfterwards) {
  auto& ex = make_executor();
  int log = lab.new_log();
  std::vector<FuturePtr> futures;
  for (int i = 0; i < 50; ++i) futures.push_back(ex.submit(Probe().record(log, i).returns(i)));
  auto shut = [&] {
    ex.shutdown(true, false);
    return true;
  };
  CF_ASSERT("SHUT-WAIT-1", shut()) << "shutdown(wait=true)";
  auto at_return = lab.log(log);
  if (has(Cap::kStateQueries)) {
    for (int i = 0; i < 50; ++i) CF_CHECK("SHUT-WAIT-1", futures[i]->done()) << "future " << i;
  }
  check_every_task_ran("SHUT-WAIT-1", "shutdown(wait=true)", futures, at_return);
  check_values_of_tasks_that_ran(futures, lab.log(log));
}

// shutdown(wait=false) first, then shutdown(wait=true): the second call still
// waits for the work (SHUT-IDEM-1 makes it legal, SHUT-WAIT-1 makes it wait).
TEST_F(Conformance, SHUT_WAIT_WaitsEvenAfterShutdownNoWait) {
  CF_REQUIRE(Cap::kShutdownNoWait, Cap::kMaxWorkers);
  auto& ex = make_executor(1);
  int log = lab.new_log();
  int gate = lab.new_gate();
  auto futures = started_then_queued(lab, ex, log, gate, 3);
  shutdown_without_waiting(lab, ex);
  Background<void> shutdown(lab, "SHUT-WAIT-1", [&ex] { ex.shutdown(true, false); });
  check_waits_for_the_work(lab, "SHUT-WAIT-1", "shutdown(wait=true) after shutdown(wait=false)",
                           shutdown, gate, log, futures, has(Cap::kStateQueries));
}

// Cancelled futures are not waited for: shutdown returns once the rest is done.
TEST_F(Conformance, SHUT_WAIT_DoesNotWaitForCancelledTasks) {
  CF_REQUIRE(Cap::kCancel, Cap::kMaxWorkers);
  auto& ex = make_executor(1);
  int log = lab.new_log();
  int pad_log = lab.new_log();
  int gate = lab.new_gate();
  auto running = ex.submit(Probe().gate(gate).record(log, 0).returns(0));
  CF_PRECONDITION("EXEC-SUBMIT-1", lab.await_arrivals(gate, 1, kLong))
      << "the first task never started";
  std::vector<FuturePtr> pads;
  for (int i = 0; i < kPrefetch; ++i)
    pads.push_back(ex.submit(Probe().record(pad_log, i).returns(i)));
  auto cancelled = ex.submit(Probe().record(log, 1).returns(1));
  auto queued = ex.submit(Probe().record(log, 2).returns(2));
  CF_PRECONDITION("FUT-CANCEL-1", cancelled->cancel()) << "cancel() of a queued task";
  lab.open(gate);
  Background<void> shutdown(lab, "SHUT-WAIT-1", [&ex] { ex.shutdown(true, false); });
  CF_ASSERT("SHUT-WAIT-1", shutdown.returns_within(kLong))
      << "shutdown(wait=true) did not return with a cancelled task queued";
  auto at_return = lab.log(log);
  auto pads_at_return = lab.log(pad_log);
  CF_CHECK_EQ("SHUT-WAIT-1", ending(shutdown), "returned");
  if (has(Cap::kStateQueries)) {
    CF_CHECK("SHUT-WAIT-1", running->done());
    CF_CHECK("SHUT-WAIT-1", queued->done());
    for (auto& pad : pads) CF_CHECK("SHUT-WAIT-1", pad->done());
  }
  CF_CHECK_OUTCOME("FUT-RESULT-3", cancelled->result(kLong), Kind::kCancelled);
  CF_CHECK_EQ("EXEC-CANCEL-1", times(lab.log(log), 1), 0) << "the cancelled task ran";
  auto others = at_return;
  others.erase(std::remove(others.begin(), others.end(), 1), others.end());
  CF_CHECK_EQ("SHUT-WAIT-1", others, (Values{0, 2})) << "tasks that had run when it returned";
  CF_CHECK_EQ("SHUT-WAIT-1", sorted(pads_at_return), iota(0, kPrefetch));
}

// shutdown(wait=true) while a concurrent shutdown(cancel_futures=true) is still
// cancelling the queued futures it took: the done-callback of the first one it
// cancels holds it. The waiting call returns only once the other one is
// cancelled too, since afterwards every future is done.
TEST_F(Conformance, SHUT_WAIT_WaitsForAConcurrentCancelToEnd) {
  CF_REQUIRE(Cap::kDoneCallbacks, Cap::kCancelFutures, Cap::kShutdownNoWait, Cap::kMaxWorkers,
             Cap::kStateQueries);
  // An early return is seen if it comes within this window; a slower one goes
  // unseen (a missed finding, never a false one), and a correct executor
  // costs the test this long.
  constexpr auto kWindow = std::chrono::milliseconds(500);
  auto& ex = make_executor(1);
  int gate = lab.new_gate();
  auto running = ex.submit(Probe().gate(gate).returns(0));
  CF_PRECONDITION("EXEC-SUBMIT-1", lab.await_arrivals(gate, 1, kLong))
      << "the first task never started";
  std::vector<FuturePtr> pads;  // what a pool may start ahead of its workers
  for (int i = 0; i < kPrefetch; ++i) pads.push_back(ex.submit(Probe().returns(i)));
  const std::vector<FuturePtr> queued = {ex.submit(Probe().returns(1)),
                                         ex.submit(Probe().returns(2))};
  struct Hold {
    std::atomic<int> first{-1};
    std::promise<void> entered;
    std::promise<void> released;
    std::shared_future<void> release = released.get_future().share();
    std::once_flag once;
    void open() {
      std::call_once(once, [this] { released.set_value(); });
    }
  };
  auto hold = std::make_shared<Hold>();
  for (int k = 0; k < 2; ++k) {
    queued[static_cast<std::size_t>(k)]->add_done_callback([hold, k](const CallbackEvent&) {
      int none = -1;
      if (!hold->first.compare_exchange_strong(none, k)) return;
      hold->entered.set_value();
      hold->release.wait_for(kLong);
    });
  }
  auto entered = hold->entered.get_future();
  Background<void> cancelling(
      lab, "SHUT-CANCEL-1", [&ex] { ex.shutdown(false, true); }, [hold] { hold->open(); });
  if (entered.wait_for(kLong) != std::future_status::ready) {
    // Whose rule stops the scene: the shutdown's, if it cancelled neither;
    // else cancel()'s, which runs the callbacks [FUT-CB-6].
    const bool cancelled = queued[0]->cancelled() || queued[1]->cancelled();
    CF_PRECONDITION(cancelled ? "FUT-CB-6" : "SHUT-CANCEL-1", false)
        << (cancelled ? "a queued future cancelled by shutdown(cancel_futures=true) ran no "
                        "callback"
                      : "shutdown(wait=false, cancel_futures=true) cancelled no queued future");
  }
  const auto other = static_cast<std::size_t>(1 - hold->first.load());
  lab.open(gate);
  Background<void> waiting(
      lab, "SHUT-WAIT-1", [&ex] { ex.shutdown(true, false); }, [hold] { hold->open(); });
  if (waiting.returns_within(kWindow)) {
    CF_CHECK("SHUT-WAIT-1", queued[other]->done())
        << "shutdown(wait=true) returned while a concurrent shutdown(cancel_futures=true) had "
        << "not yet cancelled a queued future";
  }
  hold->open();
  CF_ASSERT("SHUT-WAIT-1", waiting.returns_within(kLong))
      << "shutdown(wait=true) did not return once the cancelling ended";
  CF_CHECK_EQ("SHUT-WAIT-1", ending(waiting), "returned");
  for (auto& f : queued) CF_CHECK("SHUT-WAIT-1", f->done()) << "a queued future after shutdown";
  CF_PRECONDITION("SHUT-NOWAIT-1", cancelling.returns_within(kLong))
      << "shutdown(wait=false, cancel_futures=true) did not return";
}

// --- SHUT-NOWAIT-1 ----------------------------------------------------------

// test_shutdown_no_wait: shutdown(wait=false) returns while a task is blocked
// and others are queued behind it; they all still run to completion.
TEST_F(Conformance, SHUT_NOWAIT_ReturnsAtOnceAndQueuedWorkStillRuns) {
  CF_REQUIRE(Cap::kShutdownNoWait, Cap::kMaxWorkers);
  auto& ex = make_executor(1);
  int log = lab.new_log();
  int gate = lab.new_gate();
  auto futures = started_then_queued(lab, ex, log, gate, 4);
  Background<void> shutdown(lab, "SHUT-NOWAIT-1", [&ex] { ex.shutdown(false, false); });
  CF_ASSERT("SHUT-NOWAIT-1", shutdown.returns_within(kLong))
      << "shutdown(wait=false) waited for a closed gate";
  CF_CHECK_EQ("SHUT-NOWAIT-1", ending(shutdown), "returned");
  // Nothing else could run while the only worker was blocked: a task that
  // did ran beside it, in a second thread.
  CF_CHECK("TPE-MAX-1", lab.log(log).empty())
      << "tasks ran while the only worker was blocked: " << ::testing::PrintToString(lab.log(log));
  lab.open(gate);
  CF_CHECK_VALUE("EXEC-RUNNING-1", futures[0]->result(kLong), 0)
      << "the task running at the shutdown";
  for (int i = 1; i <= 4; ++i) {
    CF_CHECK_VALUE("SHUT-NOWAIT-1", futures[i]->result(kLong), i) << "queued task " << i;
  }
  CF_CHECK_EQ("SHUT-NOWAIT-1", sorted(lab.log(log)), iota(0, 5));
}

// --- SHUT-CANCEL-1 ----------------------------------------------------------

// Two tasks running at a gate, ten queued: shutdown(wait=false,
// cancel_futures=true) leaves no future pending (each queued one is cancelled
// or, if the executor had already marked it running, runs), and the two
// running ones finish normally. For an executor whose queued calls stay
// pending until a worker takes them, that is "all ten cancelled".
TEST_F(Conformance, SHUT_CANCEL_CancelsExactlyTheUnstartedTasks) {
  CF_REQUIRE(Cap::kCancelFutures, Cap::kShutdownNoWait, Cap::kMaxWorkers);
  const bool queries = has(Cap::kStateQueries);
  auto& ex = make_executor(2);
  int log = lab.new_log();
  int gate = lab.new_gate();
  std::vector<FuturePtr> running, queued;
  for (int i = 0; i < 2; ++i)
    running.push_back(ex.submit(Probe().gate(gate).record(log, i).returns(i)));
  CF_PRECONDITION("EXEC-SUBMIT-1", lab.await_arrivals(gate, 2, kLong)) << "two tasks never started";
  for (int i = 2; i < 12; ++i) queued.push_back(ex.submit(Probe().record(log, i).returns(i)));
  shutdown_without_waiting(lab, ex, true);
  if (queries) {
    for (std::size_t i = 0; i < queued.size(); ++i) {
      CF_CHECK("SHUT-CANCEL-1", queued[i]->cancelled() || queued[i]->running() || queued[i]->done())
          << "queued task " << i + 2 << " is still pending after shutdown(cancel_futures=true)";
    }
    for (auto& f : running) {
      CF_CHECK("SHUT-CANCEL-1", !f->cancelled()) << "a running task was cancelled";
      CF_CHECK("SHUT-CANCEL-1", f->running()) << "a running task stopped running";
    }
  }
  lab.open(gate);
  for (int i = 0; i < 2; ++i) {
    CF_CHECK_VALUE("SHUT-CANCEL-1", running[i]->result(kLong), i) << "running task " << i;
  }
  shutdown_and_wait(ex);
  Deadline deadline(kLong);
  std::vector<Outcome> outcomes;
  for (auto& f : queued) outcomes.push_back(f->result(deadline.left()));
  auto ran = lab.log(log);
  for (std::size_t i = 0; i < queued.size(); ++i) {
    const std::int64_t id = static_cast<std::int64_t>(i) + 2;
    const bool cancelled = queries ? queued[i]->cancelled() : outcomes[i].is(Kind::kCancelled);
    if (cancelled) {
      CF_CHECK_EQ("SHUT-CANCEL-1", times(ran, id), 0) << "task " << id << " was cancelled and ran";
      CF_CHECK_OUTCOME("FUT-RESULT-3", outcomes[i], Kind::kCancelled) << "task " << id;
    } else {
      CF_CHECK_EQ("SHUT-CANCEL-1", times(ran, id), 1)
          << "task " << id << " was neither cancelled nor run once (" << to_string(outcomes[i])
          << ")";
      if (times(ran, id) == 1) {
        CF_CHECK_VALUE("EXEC-SUBMIT-1", outcomes[i], id) << "task " << id;
      }
    }
  }
  CF_CHECK_EQ("SHUT-CANCEL-1", times(ran, 0), 1) << "running task 0";
  CF_CHECK_EQ("SHUT-CANCEL-1", times(ran, 1), 1) << "running task 1";
}

// The same with wait=true: the queued tasks behind the padding are cancelled
// while shutdown is still waiting for the running ones.
TEST_F(Conformance, SHUT_CANCEL_WithWaitCancelsThenWaitsForTheRunning) {
  CF_REQUIRE(Cap::kCancelFutures, Cap::kMaxWorkers);
  const bool queries = has(Cap::kStateQueries);
  auto& ex = make_executor(2);
  int log = lab.new_log();
  int pad_log = lab.new_log();
  int gate = lab.new_gate();
  std::vector<FuturePtr> running, pads, queued;
  for (int i = 0; i < 2; ++i)
    running.push_back(ex.submit(Probe().gate(gate).record(log, i).returns(i)));
  CF_PRECONDITION("EXEC-SUBMIT-1", lab.await_arrivals(gate, 2, kLong)) << "two tasks never started";
  for (int i = 0; i < 2 * kPrefetch; ++i)
    pads.push_back(ex.submit(Probe().record(pad_log, i).returns(i)));
  for (int i = 2; i < 7; ++i) queued.push_back(ex.submit(Probe().record(log, i).returns(i)));
  Background<void> shutdown(lab, "SHUT-WAIT-1", [&ex] { ex.shutdown(true, true); });
  // One deadline for all five, so a wrong implementation fails here rather
  // than at the watchdog.
  Deadline deadline(kLong);
  for (std::size_t i = 0; i < queued.size(); ++i) {
    CF_ASSERT_OUTCOME("SHUT-CANCEL-1", queued[i]->result(deadline.left()), Kind::kCancelled)
        << "queued task " << i + 2 << ", with shutdown(wait=true, cancel_futures=true) in progress";
  }
  CF_CHECK("SHUT-WAIT-1", !shutdown.returns_within(kShort))
      << "shutdown(wait=true) returned with work left";
  lab.open(gate);
  CF_ASSERT("SHUT-WAIT-1", shutdown.returns_within(kLong)) << "shutdown(wait=true) did not return";
  auto at_return = lab.log(log);
  auto pads_at_return = lab.log(pad_log);
  CF_CHECK_EQ("SHUT-WAIT-1", ending(shutdown), "returned");
  CF_CHECK("SHUT-WAIT-1", times(at_return, 0) == 1 && times(at_return, 1) == 1)
      << "the running tasks, when it returned: " << ::testing::PrintToString(at_return);
  for (std::int64_t id = 2; id < 7; ++id) {
    CF_CHECK_EQ("SHUT-CANCEL-1", times(at_return, id), 0) << "cancelled task " << id << " ran";
  }
  for (int i = 0; i < 2; ++i) {
    CF_CHECK_VALUE("SHUT-CANCEL-1", running[i]->result(kLong), i) << "running task " << i;
  }
  // Each padding task was cancelled, or ran exactly once and had run when
  // shutdown returned.
  std::vector<Outcome> pad_outcomes;
  for (auto& pad : pads) pad_outcomes.push_back(pad->result(deadline.left()));
  auto pad_ran = lab.log(pad_log);
  for (int i = 0; i < 2 * kPrefetch; ++i) {
    if (queries) {
      CF_CHECK("SHUT-WAIT-1", pads[i]->done()) << "padding task " << i;
    }
    const bool cancelled = queries ? pads[i]->cancelled() : pad_outcomes[i].is(Kind::kCancelled);
    if (cancelled) {
      CF_CHECK_EQ("SHUT-CANCEL-1", times(pad_ran, i), 0)
          << "padding task " << i << " was cancelled and ran";
    } else {
      CF_CHECK_EQ("SHUT-CANCEL-1", times(pad_ran, i), 1)
          << "padding task " << i << " was neither cancelled nor run once ("
          << to_string(pad_outcomes[i]) << ")";
      if (times(pad_ran, i) == 1) {
        CF_CHECK_EQ("SHUT-WAIT-1", times(pads_at_return, i), 1)
            << "padding task " << i << " had not run when shutdown(wait=true) returned";
      }
    }
  }
}

// test_cancel_futures, racy on purpose: which tasks have started is up to the
// workers; every task is either cancelled or run, never both, never neither.
TEST_F(Conformance, SHUT_CANCEL_EveryTaskRunOrCancelledExactlyOnce) {
  CF_REQUIRE(Cap::kCancelFutures);
  const bool queries = has(Cap::kStateQueries);
  auto& ex = make_executor(2);
  int log = lab.new_log();
  constexpr int kN = 50;
  std::vector<FuturePtr> futures;
  for (int i = 0; i < kN; ++i) futures.push_back(ex.submit(Probe().record(log, i).returns(i)));
  shutdown_and_wait(ex, true);
  auto at_return = lab.log(log);
  if (queries) {
    for (int i = 0; i < kN; ++i) CF_CHECK("SHUT-WAIT-1", futures[i]->done()) << "task " << i;
  }
  Deadline deadline(kLong);
  std::vector<Outcome> outcomes;
  for (auto& f : futures) outcomes.push_back(f->result(deadline.left()));
  auto ran = lab.log(log);
  for (int i = 0; i < kN; ++i) {
    const bool cancelled = queries ? futures[i]->cancelled() : outcomes[i].is(Kind::kCancelled);
    if (cancelled) {
      CF_CHECK_EQ("SHUT-CANCEL-1", times(ran, i), 0) << "task " << i << " was cancelled and ran";
      CF_CHECK_OUTCOME("FUT-RESULT-3", outcomes[i], Kind::kCancelled) << "task " << i;
    } else {
      CF_CHECK_EQ("SHUT-CANCEL-1", times(ran, i), 1)
          << "task " << i << " was neither cancelled nor run once (" << to_string(outcomes[i])
          << ")";
      if (times(ran, i) == 1) {
        CF_CHECK_VALUE("EXEC-SUBMIT-1", outcomes[i], i) << "task " << i;
        CF_CHECK_EQ("SHUT-WAIT-1", times(at_return, i), 1)
            << "task " << i << " had not run when shutdown(wait=true) returned";
      }
    }
  }
}

// --- SHUT-CANCEL-2 ----------------------------------------------------------

TEST_F(Conformance, SHUT_CANCEL_WithoutCancelFuturesNothingIsCancelled) {
  CF_REQUIRE(Cap::kShutdownNoWait, Cap::kMaxWorkers);
  auto& ex = make_executor(1);
  int log = lab.new_log();
  int gate = lab.new_gate();
  auto futures = started_then_queued(lab, ex, log, gate, 5);
  shutdown_without_waiting(lab, ex);
  if (has(Cap::kStateQueries)) {
    for (int i = 0; i <= 5; ++i)
      CF_CHECK("SHUT-CANCEL-2", !futures[i]->cancelled()) << "task " << i;
  }
  lab.open(gate);
  for (int i = 0; i <= 5; ++i)
    CF_CHECK_VALUE("SHUT-CANCEL-2", futures[i]->result(kLong), i) << "task " << i;
  CF_CHECK_EQ("SHUT-CANCEL-2", sorted(lab.log(log)), iota(0, 6));
}

// shutdown(wait=true) right after submitting, with most tasks still queued
// on the single worker: every one of them runs.
TEST_F(Conformance, SHUT_CANCEL_WaitWithoutCancelFuturesRunsEverything) {
  CF_REQUIRE(Cap::kMaxWorkers);
  auto& ex = make_executor(1);
  int log = lab.new_log();
  std::vector<FuturePtr> futures;
  for (int i = 0; i < 20; ++i) futures.push_back(ex.submit(Probe().record(log, i).returns(i)));
  shutdown_and_wait(ex);
  for (int i = 0; i < 20; ++i)
    CF_CHECK_VALUE("SHUT-CANCEL-2", futures[i]->result(kLong), i) << "task " << i;
  CF_CHECK_EQ("SHUT-CANCEL-2", sorted(lab.log(log)), iota(0, 20));
}

// --- SHUT-IDEM-1 ------------------------------------------------------------

TEST_F(Conformance, SHUT_IDEM_RepeatedShutdownHasNoFurtherEffect) {
  auto& ex = make_executor();
  int log = lab.new_log();
  auto f = ex.submit(Probe().record(log, 1).returns(1));
  auto shut = [&](bool wait, bool cancel_futures) {
    ex.shutdown(wait, cancel_futures);
    return true;
  };
  CF_PRECONDITION("SHUT-WAIT-1", shut(true, false)) << "the first shutdown(wait=true)";
  CF_CHECK("SHUT-IDEM-1", shut(true, false)) << "a second shutdown(wait=true)";
  CF_CHECK("SHUT-IDEM-1", shut(true, false)) << "a third shutdown(wait=true)";
  if (has(Cap::kShutdownNoWait)) {
    CF_CHECK("SHUT-IDEM-1", shut(false, false)) << "shutdown(wait=false)";
  }
  if (has(Cap::kCancelFutures)) {
    CF_CHECK("SHUT-IDEM-1", shut(true, true)) << "shutdown(cancel_futures=true)";
  }
  // The finished future keeps its outcome and its task ran once; the
  // executor stays shut.
  // (Cancelled by the first shutdown, which did not ask for it: SHUT-CANCEL-2's.)
  const Outcome got = f->result(kLong);
  const char* kept = got.is(Kind::kCancelled) ? "SHUT-CANCEL-2" : "SHUT-IDEM-1";
  CF_CHECK_VALUE(kept, got, 1);
  CF_CHECK_RAISES("EXEC-SUBMIT-4", ex.submit(Probe().record(log, 2).returns(2)), Kind::kShutdown);
  auto ran = lab.log(log);
  CF_CHECK_EQ(kept, times(ran, 1), 1) << "the task, after the repeated shutdowns";
  CF_CHECK_EQ("EXEC-SUBMIT-4", times(ran, 2), 0) << "a task submitted after shutdown ran";
}

// Concurrent shutdown(wait=true) calls from several threads: every one of
// them waits for the running task [SHUT-WAIT-1], and every one returns, none
// raising [SHUT-IDEM-1].
TEST_F(Conformance, SHUT_IDEM_ConcurrentShutdownsFromSeveralThreads) {
  constexpr int kCallers = 4;
  auto& ex = make_executor();
  int log = lab.new_log();
  int gate = lab.new_gate();
  auto f = ex.submit(Probe().gate(gate).record(log, 0).returns(0));
  CF_PRECONDITION("EXEC-SUBMIT-1", lab.await_arrivals(gate, 1, kLong)) << "the task never started";
  std::vector<std::unique_ptr<Background<void>>> callers;
  for (int i = 0; i < kCallers; ++i) {
    callers.push_back(std::make_unique<Background<void>>(lab, "SHUT-WAIT-1",
                                                         [&ex] { ex.shutdown(true, false); }));
  }
  // Each caller gets its own bounded "not yet", so a caller that returns
  // early is caught whichever it is; one that raised is SHUT-IDEM-1's.
  std::vector<bool> early(kCallers);
  for (int i = 0; i < kCallers; ++i) early[i] = callers[i]->returns_within(kShort);
  lab.open(gate);
  std::vector<bool> returned(kCallers);
  for (int i = 0; i < kCallers; ++i) {
    returned[i] = early[i] || callers[i]->returns_within(kLong);
    CF_CHECK("SHUT-WAIT-1", returned[i])
        << "caller " << i << ": a concurrent shutdown did not return";
  }
  auto ran = lab.log(log);
  for (int i = 0; i < kCallers; ++i) {
    if (!returned[i]) continue;
    auto how = ending(*callers[i]);
    CF_CHECK_EQ("SHUT-IDEM-1", how, "returned") << "caller " << i;
    if (how == "returned") {
      CF_CHECK("SHUT-WAIT-1", !early[i])
          << "caller " << i << ": shutdown(wait=true) returned while the task was running";
    }
  }
  CF_CHECK_EQ("SHUT-WAIT-1", ran, (Values{0})) << "the task, when every shutdown had returned";
  check_values_of_tasks_that_ran({f}, lab.log(log));
}

// --- SHUT-DTOR-1 ------------------------------------------------------------
//
// The executor is destroyed by the test (on a Background thread), so it is
// held where that thread can own it.

using Holder = std::shared_ptr<std::unique_ptr<Executor>>;

Holder one_worker_executor(Implementation& impl, Lab& lab) {
  ExecutorSpec spec;
  spec.max_workers = 1;
  return std::make_shared<std::unique_ptr<Executor>>(impl.make_executor(lab, spec));
}

// Asked when a destructor cancelled queued work: does shutdown(wait=true)
// cancel such work too? Then the destructor did what shutdown(true) does,
// and shutdown broke SHUT-CANCEL-2; else the destructor broke its own rule
// [SHUT-DTOR-1]. A fresh one-worker executor, its worker held, 4 calls queued.
const char* destructor_cancel_rule(Implementation& impl, Lab& lab) {
  Holder ex = one_worker_executor(impl, lab);
  const int gate = lab.new_gate();
  auto blocker = (*ex)->submit(Probe::gated(gate, 0));
  if (!lab.await_arrivals(gate, 1, kLong)) return "SHUT-DTOR-1";
  std::vector<FuturePtr> queued;
  for (int i = 1; i <= 4; ++i) queued.push_back((*ex)->submit(Probe::value_of(i)));
  Background<void> shut(lab, "SHUT-WAIT-1", [ex] { (*ex)->shutdown(true, false); });
  lab.open(gate);
  if (!shut.returns_within(kLong)) return "SHUT-DTOR-1";
  const Deadline deadline(kLong);
  for (const auto& f : queued) {
    if (f->result(deadline.left()).is(Kind::kCancelled)) return "SHUT-CANCEL-2";
  }
  return "SHUT-DTOR-1";
}

// test_context_manager_shutdown: the executor's destructor, run on a helper
// thread, waits for the running task and the queue behind it.
TEST_F(Conformance, SHUT_DTOR_DestructorWaitsForQueuedWork) {
  CF_REQUIRE(Cap::kDrainingDestructor, Cap::kMaxWorkers);
  Holder ex = one_worker_executor(impl(), lab);
  OpenGatesAtExit open_gates{lab};
  int log = lab.new_log();
  int gate = lab.new_gate();
  std::vector<FuturePtr> futures;
  futures.push_back((*ex)->submit(Probe().gate(gate).record(log, 0).returns(0)));
  CF_PRECONDITION("EXEC-SUBMIT-1", lab.await_arrivals(gate, 1, kLong))
      << "the first task never started";
  for (int i = 1; i <= 4; ++i) futures.push_back((*ex)->submit(Probe().record(log, i).returns(i)));
  Background<void> destroy(lab, "SHUT-DTOR-1", [ex] { ex->reset(); });
  check_waits_for_the_work(lab, "SHUT-DTOR-1", "the destructor", destroy, gate, log, futures,
                           has(Cap::kStateQueries),
                           [this] { return destructor_cancel_rule(impl(), lab); });
}

// Explicit shutdown(wait=false) then destruction: the destructor still waits.
TEST_F(Conformance, SHUT_DTOR_DestructorWaitsAfterShutdownNoWait) {
  CF_REQUIRE(Cap::kDrainingDestructor, Cap::kShutdownNoWait, Cap::kMaxWorkers);
  Holder ex = one_worker_executor(impl(), lab);
  OpenGatesAtExit open_gates{lab};
  int log = lab.new_log();
  int gate = lab.new_gate();
  std::vector<FuturePtr> futures;
  futures.push_back((*ex)->submit(Probe().gate(gate).record(log, 0).returns(0)));
  CF_PRECONDITION("EXEC-SUBMIT-1", lab.await_arrivals(gate, 1, kLong))
      << "the first task never started";
  for (int i = 1; i <= 4; ++i) futures.push_back((*ex)->submit(Probe().record(log, i).returns(i)));
  shutdown_without_waiting(lab, **ex);
  // Tasks already cancelled when shutdown(wait=false) returned were
  // cancelled by it [SHUT-CANCEL-2]; later ones, by the destructor.
  bool shutdown_cancelled_some = false;
  if (has(Cap::kStateQueries)) {
    for (const auto& f : futures) shutdown_cancelled_some |= f->cancelled();
  }
  Background<void> destroy(lab, "SHUT-DTOR-1", [ex] { ex->reset(); });
  check_waits_for_the_work(lab, "SHUT-DTOR-1", "the destructor after shutdown(wait=false)", destroy,
                           gate, log, futures, has(Cap::kStateQueries), [&] {
                             return shutdown_cancelled_some ? "SHUT-CANCEL-2"
                                                            : destructor_cancel_rule(impl(), lab);
                           });
}

// Destroying an idle executor that was never used returns.
TEST_F(Conformance, SHUT_DTOR_DestroyingUnusedExecutorReturns) {
  CF_REQUIRE(Cap::kDrainingDestructor);
  auto ex = std::make_shared<std::unique_ptr<Executor>>(impl().make_executor(lab, ExecutorSpec{}));
  Background<void> destroy(lab, "SHUT-DTOR-1", [ex] { ex->reset(); });
  CF_ASSERT("SHUT-DTOR-1", destroy.returns_within(kLong))
      << "the destructor of an unused executor did not return";
  CF_CHECK_EQ("SHUT-DTOR-1", ending(destroy), "returned");
}

}  // namespace
}  // namespace cf::conformance
