// RapidCheck properties of the executor-level sections (EXEC, MAP, SHUT,
// TPE): map keeps input order whatever the completion order, cancel_futures
// cancels exactly the unstarted tasks, every task runs or is cancelled exactly
// once however submit and shutdown interleave, cancelled queued tasks never
// run, and one worker starts tasks in submission order.
//
// Each case gets a fresh fixture (a new Lab, executors drained at TearDown).
// A failed RC_ASSERT throws past TearDown, so every property opens all gates
// on the way out (OpenGatesAtExit) before the fixture's executors are
// destroyed; otherwise their destructors would wait for a closed gate.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <future>
#include <numeric>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "harness/suite.hpp"
#include "properties/support.hpp"

namespace cf::conformance {
namespace {

using Kind = Outcome::Kind;

using props::has;
using props::OpenGatesAtExit;

// Runs a map over `values`, each call held at its own gate; opens the gates in
// a random order, then reads every result.
void check_map_order(Lab& lab, Executor& ex, const std::vector<std::int64_t>& values,
                     std::optional<std::size_t> buffersize) {
  const int n = static_cast<int>(values.size());
  std::vector<int> gates;
  std::vector<Probe> probes;
  for (int i = 0; i < n; ++i) {
    gates.push_back(lab.new_gate());
    probes.push_back(Probe().gate(gates[i]).returns(values[i]));
  }
  auto run = ex.map(probes, MapSpec{kLong, buffersize});
  for (auto i : props::permutation(static_cast<std::size_t>(n))) lab.open(gates[i]);
  std::vector<std::int64_t> results;
  while (auto o = run->next()) {
    RC_ASSERT(o->is(Kind::kValue));
    results.push_back(o->value);
    RC_ASSERT(results.size() <= values.size());
  }
  RC_ASSERT(results == values);
}

// --- MAP-ORDER-1 ------------------------------------------------------------

RC_GTEST_FIXTURE_PROP(Conformance, MAP_ORDER_InputOrderForAnyCompletionOrder, ()) {
  CF_CLAUSES("MAP-ORDER-1", "MAP-EAGER-1");
  CF_REQUIRE(Cap::kMap, Cap::kMaxWorkers);
  OpenGatesAtExit guard{lab};
  const int workers = *rc::gen::inRange(1, 5);
  const int n = *rc::gen::inRange(0, 25);
  auto values = *rc::gen::container<std::vector<std::int64_t>>(static_cast<std::size_t>(n),
                                                               rc::gen::arbitrary<std::int64_t>());
  check_map_order(lab, make_executor(workers), values, std::nullopt);
}

RC_GTEST_FIXTURE_PROP(Conformance, MAP_BUF_InputOrderForAnyBuffersize, ()) {
  CF_CLAUSES("MAP-BUF-1", "MAP-ORDER-1");
  CF_REQUIRE(Cap::kMap, Cap::kMapBuffersize, Cap::kMaxWorkers);
  OpenGatesAtExit guard{lab};
  const int workers = *rc::gen::inRange(1, 5);
  const auto buffersize = *rc::gen::inRange<std::size_t>(1, 8);
  const int n = *rc::gen::inRange(0, 25);
  auto values = *rc::gen::container<std::vector<std::int64_t>>(static_cast<std::size_t>(n),
                                                               rc::gen::arbitrary<std::int64_t>());
  check_map_order(lab, make_executor(workers), values, buffersize);
}

// --- SHUT-CANCEL-1 ----------------------------------------------------------

// W workers blocked at closed gates, `extra` tasks already finished and the
// rest queued: shutdown(cancel_futures=true) cancels exactly the ones not
// started. The tasks that reached their gate have started and are never
// cancelled; every other one must be cancelled, unless the executor had
// already marked it running (CPython's process pool does, for a few queued
// calls): so after shutdown no future is pending, a cancelled one never
// records, and every other one runs exactly once.
RC_GTEST_FIXTURE_PROP(Conformance, SHUT_CANCEL_CancelsExactlyTheNotStarted, ()) {
  CF_CLAUSES("SHUT-CANCEL-1");
  CF_REQUIRE(Cap::kCancelFutures, Cap::kShutdownNoWait, Cap::kStateQueries, Cap::kMaxWorkers);
  OpenGatesAtExit guard{lab};
  const int workers = *rc::gen::inRange(1, 5);
  const int n = *rc::gen::inRange(workers, 17);
  const int extra = *rc::gen::inRange(0, n - workers + 1);
  auto& ex = make_executor(workers);
  int started_log = lab.new_log();
  int done_log = lab.new_log();
  std::vector<int> gates;
  std::vector<FuturePtr> futures;
  for (int i = 0; i < n; ++i) {
    gates.push_back(lab.new_gate());
    futures.push_back(
        ex.submit(Probe().record(started_log, i).gate(gates[i]).record(done_log, i).returns(i)));
  }
  RC_ASSERT(lab.await_log_size(started_log, workers, kLong));
  // Release `extra` started tasks, one at a time; each frees its worker, which
  // then starts exactly one more task (all other workers are blocked).
  std::set<std::int64_t> opened;
  for (int j = 0; j < extra; ++j) {
    std::vector<std::int64_t> blocked;
    for (auto i : lab.log(started_log)) {
      if (!opened.count(i)) blocked.push_back(i);
    }
    auto release = *rc::gen::elementOf(blocked);
    opened.insert(release);
    lab.open(gates[release]);
    RC_ASSERT(lab.await_log_size(started_log, workers + j + 1, kLong));
  }
  // Every worker is now blocked at a closed gate, so the set of tasks that
  // reached their gate is stable.
  auto arrived = lab.log(started_log);
  RC_ASSERT(arrived.size() == static_cast<std::size_t>(workers + extra));
  std::set<std::int64_t> arrived_set(arrived.begin(), arrived.end());

  ex.shutdown(false, true);
  for (int i = 0; i < n; ++i) {
    const auto f = "f" + std::to_string(i);
    if (arrived_set.count(i) && futures[i]->cancelled()) {
      CF_RC_FAIL("[SHUT-CANCEL-1] " + f + " had started, yet shutdown(cancel_futures=true) cancelled it");
    }
    if (!futures[i]->cancelled() && !futures[i]->running() && !futures[i]->done()) {
      CF_RC_FAIL("[SHUT-CANCEL-1] " + f + " is still pending after shutdown(cancel_futures=true) returned");
    }
  }
  lab.open_all();
  // The logs are read once every future is done (this property is about
  // which tasks are cancelled; SHUT-WAIT-1 has its own tests).
  std::vector<Outcome> outcomes;
  for (int i = 0; i < n; ++i) outcomes.push_back(futures[i]->result(kLong));
  ex.shutdown(true, false);
  auto started = lab.log(started_log);
  auto done = lab.log(done_log);
  for (int i = 0; i < n; ++i) {
    const auto& o = outcomes[i];
    auto times = std::count(done.begin(), done.end(), i);
    const auto f = "f" + std::to_string(i);
    if (futures[i]->cancelled()) {
      if (!o.is(Kind::kCancelled)) CF_RC_FAIL("[SHUT-CANCEL-1] " + f + " is cancelled, yet result() gave " + to_string(o));
      if (std::count(started.begin(), started.end(), i) != 0) {
        CF_RC_FAIL("[SHUT-CANCEL-1] " + f + " is cancelled, yet its task started");
      }
    } else {
      if (!o.is(Kind::kValue) || o.value != i) {
        CF_RC_FAIL("[SHUT-CANCEL-1] " + f + " was not cancelled, yet result() gave " + to_string(o));
      }
      if (times != 1) CF_RC_FAIL("[SHUT-CANCEL-1] the task of " + f + " ran " + std::to_string(times) + " times");
    }
  }
}

// --- EXEC-SUBMIT-4 / SHUT-WAIT-1 / SHUT-CANCEL-1,2 --------------------------

// A thread submits N tasks while the test thread calls shutdown after a
// random number of them. Every accepted task is done when shutdown(wait=true)
// has returned, and either ran exactly once or (cancel_futures only) was
// cancelled and never ran; every refused submit raised ShutdownError, left
// nothing behind, and was followed only by refusals.
RC_GTEST_FIXTURE_PROP(Conformance, SHUT_EveryTaskRunsOrIsCancelledExactlyOnce, ()) {
  CF_CLAUSES("EXEC-SUBMIT-4", "SHUT-WAIT-1", "SHUT-CANCEL-1", "SHUT-CANCEL-2");
  CF_REQUIRE(Cap::kStateQueries, Cap::kMaxWorkers);
  OpenGatesAtExit guard{lab};
  const int workers = *rc::gen::inRange(1, 5);
  const int n = *rc::gen::inRange(1, 41);
  const int head = *rc::gen::inRange(0, n + 1);
  const bool cancel = has(caps(), Cap::kCancelFutures) && *rc::gen::arbitrary<bool>();
  auto& ex = make_executor(workers);
  int log = lab.new_log();

  std::vector<FuturePtr> futures(static_cast<std::size_t>(n));
  std::vector<std::optional<Outcome>> refused(static_cast<std::size_t>(n));
  std::promise<void> head_submitted;
  auto head_done = head_submitted.get_future();
  std::jthread submitter([&] {
    for (int i = 0; i < n; ++i) {
      if (i == head) head_submitted.set_value();
      try {
        futures[i] = ex.submit(Probe().record(log, i).returns(i));
      } catch (const Raised& raised) {
        refused[i] = raised.outcome;
      }
    }
    if (head == n) head_submitted.set_value();
  });
  RC_ASSERT(head_done.wait_for(kLong) == std::future_status::ready);
  ex.shutdown(true, cancel);
  submitter.join();

  auto ran = lab.log(log);
  bool refusing = false;
  for (int i = 0; i < n; ++i) {
    auto times = std::count(ran.begin(), ran.end(), i);
    if (refused[i]) {
      RC_ASSERT(i >= head);  // submitted before shutdown was called: must be accepted
      RC_ASSERT(refused[i]->is(Kind::kShutdown));
      RC_ASSERT(times == 0);
      refusing = true;
      continue;
    }
    RC_ASSERT(!refusing);  // an accepted submit after a refused one
    RC_ASSERT(futures[i] != nullptr);
    // Accepted before shutdown began, so done once shutdown(wait=true) returned.
    RC_ASSERT(futures[i]->done());
    if (futures[i]->cancelled()) {
      RC_ASSERT(cancel);
      RC_ASSERT(times == 0);
      RC_ASSERT(futures[i]->result(kLong).is(Kind::kCancelled));
    } else {
      RC_ASSERT(times == 1);
      auto o = futures[i]->result(kLong);
      RC_ASSERT(o.is(Kind::kValue) && o.value == i);
    }
  }
}

// --- EXEC-CANCEL-1 ----------------------------------------------------------

// Any subset of the tasks queued behind a blocked worker can be cancelled;
// exactly those never run, and the others run in submission order. A cancel()
// may only fail for a task the executor had already marked running (CPython's
// process pool does, for a few queued calls); such a task then runs.
RC_GTEST_FIXTURE_PROP(Conformance, EXEC_CANCEL_CancelledQueuedTasksNeverRun, ()) {
  CF_CLAUSES("EXEC-CANCEL-1", "TPE-FIFO-1");
  CF_REQUIRE(Cap::kCancel, Cap::kStateQueries, Cap::kMaxWorkers);
  OpenGatesAtExit guard{lab};
  const int n = *rc::gen::inRange(1, 30);
  auto cancel = *rc::gen::container<std::vector<bool>>(static_cast<std::size_t>(n),
                                                       rc::gen::arbitrary<bool>());
  auto& ex = make_executor(1);
  int log = lab.new_log();
  int gate = lab.new_gate();
  auto blocker = ex.submit(Probe().gate(gate).returns(-1));
  RC_ASSERT(lab.await_arrivals(gate, 1, kLong));
  std::vector<FuturePtr> futures;
  for (int i = 0; i < n; ++i) futures.push_back(ex.submit(Probe().record(log, i).returns(i)));
  std::vector<std::int64_t> expected;
  std::vector<bool> cancelled(static_cast<std::size_t>(n), false);
  for (int i = 0; i < n; ++i) {
    if (cancel[i]) cancelled[i] = futures[i]->cancel();
    if (cancel[i] && !cancelled[i]) {
      // Refused: only possible if the task is no longer pending.
      const bool not_pending = futures[i]->running() || futures[i]->done();
      RC_ASSERT(not_pending);
    }
    if (!cancelled[i]) expected.push_back(i);
  }
  lab.open(gate);
  ex.shutdown(true, false);
  for (int i = 0; i < n; ++i) {
    auto o = futures[i]->result(kLong);
    const bool as_expected =
        cancelled[i] ? o.is(Kind::kCancelled) : (o.is(Kind::kValue) && o.value == i);
    RC_ASSERT(as_expected);
  }
  RC_ASSERT(lab.log(log) == expected);
}

// --- TPE-FIFO-1 -------------------------------------------------------------

// With one worker, N queued tasks (failing or not) start in submission order.
RC_GTEST_FIXTURE_PROP(Conformance, TPE_FIFO_OneWorkerStartsInSubmissionOrder, ()) {
  CF_CLAUSES("TPE-FIFO-1");
  CF_REQUIRE(Cap::kMaxWorkers);
  OpenGatesAtExit guard{lab};
  const int n = *rc::gen::inRange(1, 60);
  auto fails = *rc::gen::container<std::vector<bool>>(static_cast<std::size_t>(n),
                                                      rc::gen::arbitrary<bool>());
  auto& ex = make_executor(1);
  int log = lab.new_log();
  int gate = lab.new_gate();
  auto blocker = ex.submit(Probe().record(log, -1).gate(gate).returns(-1));
  RC_ASSERT(lab.await_arrivals(gate, 1, kLong));
  std::vector<FuturePtr> futures;
  for (int i = 0; i < n; ++i) {
    Probe p = Probe().record(log, i);
    futures.push_back(ex.submit(fails[i] ? p.raises("x") : p.returns(i)));
  }
  lab.open(gate);
  for (int i = 0; i < n; ++i) {
    auto o = futures[i]->result(kLong);
    const bool as_expected =
        fails[i] ? o.is(Kind::kTaskError) : (o.is(Kind::kValue) && o.value == i);
    RC_ASSERT(as_expected);
  }
  std::vector<std::int64_t> expected(static_cast<std::size_t>(n) + 1);
  std::iota(expected.begin(), expected.end(), -1);
  RC_ASSERT(lab.log(log) == expected);
}

}  // namespace
}  // namespace cf::conformance
