// RapidCheck properties of the executor-level sections (EXEC, MAP, SHUT,
// TPE): map keeps input order whatever the completion order, cancel_futures
// cancels exactly the unstarted tasks, every task runs or is cancelled exactly
// once however submit and shutdown interleave, cancelled queued tasks never
// run, and one worker starts tasks in submission order.
//
// Each case gets a fresh fixture (a new Lab; executors drained, gates opened,
// however the case ends).
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

using namespace props;

std::string future_name(int i) { return "f" + std::to_string(i); }

// Runs a map over `values`, each call held at its own gate; opens the gates in
// a random order, then reads every result: in input order [MAP-ORDER-1], with
// or without a buffersize (MAP-BUF-1 restates the rule for it; a map out of
// order breaks MAP-ORDER-1 whatever its buffer).
void check_map_order(Lab& lab, Executor& ex, const std::vector<std::int64_t>& values,
                     std::optional<std::size_t> buffersize) {
  const char* rule = "MAP-ORDER-1";
  const int n = static_cast<int>(values.size());
  std::vector<int> gates;
  std::vector<Probe> probes;
  for (int i = 0; i < n; ++i) {
    gates.push_back(lab.new_gate());
    probes.push_back(Probe().gate(gates[i]).returns(values[i]));
  }
  auto run = ex.map(probes, MapSpec{kLong, buffersize});
  for (auto i : permutation(static_cast<std::size_t>(n))) lab.open(gates[i]);
  std::optional<Outcome> o;
  for (int i = 0; i < n; ++i) {
    CF_CHECK(rule, (o = run->next()) && o->is(Kind::kValue) && o->value == values[i])
        << "result " << i << " was " << describe(o) << ", expected value(" << values[i] << ")";
  }
  CF_CHECK(rule, !(o = run->next())) << "after " << n << " results came " << describe(o);
}

// --- MAP-ORDER-1 ------------------------------------------------------------

RC_GTEST_FIXTURE_PROP(Conformance, MAP_ORDER_InputOrderForAnyCompletionOrder, ()) {
  CF_REQUIRE(Cap::kMap, Cap::kMaxWorkers);
  const int workers = *rc::gen::inRange(1, 5);
  const int n = *rc::gen::inRange(0, 25);
  auto values = *rc::gen::container<std::vector<std::int64_t>>(static_cast<std::size_t>(n),
                                                               rc::gen::arbitrary<std::int64_t>());
  check_map_order(lab, make_executor(workers), values, std::nullopt);
}

RC_GTEST_FIXTURE_PROP(Conformance, MAP_BUF_InputOrderForAnyBuffersize, ()) {
  CF_REQUIRE(Cap::kMap, Cap::kMapBuffersize, Cap::kMaxWorkers);
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
  CF_REQUIRE(Cap::kCancelFutures, Cap::kShutdownNoWait, Cap::kStateQueries, Cap::kMaxWorkers);
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
  await_logged(lab, started_log, static_cast<std::size_t>(workers));
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
    CF_PRECONDITION("EXEC-SUBMIT-1", lab.await_log_size(started_log, workers + j + 1, kLong))
        << "no queued task started when task " << release << " freed its worker";
  }
  // Every worker is now blocked at a closed gate, so the set of tasks that
  // reached their gate is stable.
  auto arrived = lab.log(started_log);
  CF_PRECONDITION("TPE-MAX-1", arrived.size() == static_cast<std::size_t>(workers + extra))
      << arrived.size() << " tasks started on " << workers << " workers with " << extra
      << " released";
  std::set<std::int64_t> arrived_set(arrived.begin(), arrived.end());

  {
    CF_STEP("SHUT-NOWAIT-1");
    ex.shutdown(false, true);
  }
  for (int i = 0; i < n; ++i) {
    auto& f = *futures[i];
    if (arrived_set.count(i)) {
      CF_CHECK("SHUT-CANCEL-1", !f.cancelled())
          << future_name(i) << " had started, yet shutdown(cancel_futures=true) cancelled it";
    } else {
      CF_CHECK("SHUT-CANCEL-1", f.cancelled() || f.running() || f.done())
          << future_name(i) << " is still pending after shutdown(cancel_futures=true) returned";
    }
  }
  lab.open_all();
  // The logs are read once every future is done (this property is about
  // which tasks are cancelled; SHUT-WAIT-1 has its own tests).
  std::vector<Outcome> outcomes;
  for (int i = 0; i < n; ++i) {
    outcomes.push_back(futures[i]->result(kLong));
    CF_PRECONDITION("EXEC-SUBMIT-1", !outcomes.back().is(Kind::kTimeout))
        << future_name(i) << " is not done " << kLong.count() << " s after every gate opened";
  }
  {
    CF_STEP("SHUT-WAIT-1");
    ex.shutdown(true, false);
  }
  auto started = lab.log(started_log);
  auto done = lab.log(done_log);
  for (int i = 0; i < n; ++i) {
    const auto f = future_name(i);
    if (futures[i]->cancelled()) {
      CF_CHECK_EQ("SHUT-CANCEL-1", times_in(started, i), 0u)
          << "times the cancelled " << f << " started";
      check_result(outcomes[i], Outcome::error(Kind::kCancelled), f);
    } else {
      // Either cancelled or run, never neither.
      CF_CHECK("SHUT-CANCEL-1", times_in(done, i) >= 1u) << f << " was neither cancelled nor run";
      CF_CHECK_EQ("EXEC-SUBMIT-1", times_in(done, i), 1u) << "times " << f << " ran";
      check_result(outcomes[i], Outcome::of_value(i), f);
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
  CF_REQUIRE(Cap::kStateQueries, Cap::kMaxWorkers);
  const int workers = *rc::gen::inRange(1, 5);
  const int n = *rc::gen::inRange(1, 41);
  const int head = *rc::gen::inRange(0, n + 1);
  const bool cancel = has(Cap::kCancelFutures) && *rc::gen::arbitrary<bool>();
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
  // Submits never block for lack of a worker [EXEC-QUEUE-1].
  CF_PRECONDITION("EXEC-QUEUE-1", head_done.wait_for(kLong) == std::future_status::ready)
      << "the first " << head << " submits did not return within " << kLong.count() << " s";
  {
    CF_STEP("SHUT-WAIT-1");
    ex.shutdown(true, cancel);
  }
  {
    // Submits after shutdown raise at once [EXEC-SUBMIT-4].
    CF_STEP("EXEC-SUBMIT-4");
    submitter.join();
  }

  auto ran = lab.log(log);
  bool refusing = false;
  for (int i = 0; i < n; ++i) {
    const auto f = future_name(i);
    const auto times = times_in(ran, i);
    if (refused[i] && i < head) {
      // Submitted before shutdown was called: must be accepted. Refused
      // then, it was not refused for shutdown, so EXEC-SUBMIT-4's checks
      // (the refusal's kind, refusing every later submit) do not apply.
      CF_CHECK("EXEC-QUEUE-1", false)
          << "submit " << i << ", made before shutdown, raised " << to_string(*refused[i]);
      continue;
    }
    if (refused[i]) {
      CF_CHECK_OUTCOME("EXEC-SUBMIT-4", *refused[i], Kind::kShutdown) << "submit " << i;
      CF_CHECK_EQ("EXEC-SUBMIT-4", times, 0u) << "times the refused task " << i << " ran";
      refusing = true;
      continue;
    }
    if (refusing) {
      CF_CHECK("EXEC-SUBMIT-4", false) << "submit " << i << " was accepted after one was refused";
    }
    CF_PRECONDITION(nullptr, futures[i] != nullptr) << "submit " << i << " returned no future";
    // Accepted before shutdown began, so done once shutdown(wait=true) returned.
    CF_CHECK("SHUT-WAIT-1", futures[i]->done()) << f << " is not done after shutdown(wait=true)";
    if (futures[i]->cancelled()) {
      CF_CHECK("SHUT-CANCEL-2", cancel)
          << f << " is cancelled by a shutdown without cancel_futures";
      CF_CHECK_EQ("SHUT-CANCEL-1", times, 0u) << "times the cancelled " << f << " ran";
      check_result(futures[i]->result(kLong), Outcome::error(Kind::kCancelled), f);
    } else {
      // Not cancelled: it ran. Without cancel_futures nothing is cancelled,
      // so everything runs; with it, each one is cancelled or run.
      CF_CHECK(cancel ? "SHUT-CANCEL-1" : "SHUT-CANCEL-2", times >= 1u)
          << f << " was neither cancelled nor run";
      CF_CHECK_EQ("EXEC-SUBMIT-1", times, 1u) << "times " << f << " ran";
      check_result(futures[i]->result(kLong), Outcome::of_value(i), f);
    }
  }
}

// --- EXEC-CANCEL-1 ----------------------------------------------------------

// Any subset of the tasks queued behind a blocked worker can be cancelled;
// exactly those never run, and the others run in submission order. A cancel()
// may only fail for a task the executor had already marked running (CPython's
// process pool does, for a few queued calls); such a task then runs.
RC_GTEST_FIXTURE_PROP(Conformance, EXEC_CANCEL_CancelledQueuedTasksNeverRun, ()) {
  CF_REQUIRE(Cap::kCancel, Cap::kStateQueries, Cap::kMaxWorkers);
  const int n = *rc::gen::inRange(1, 30);
  auto cancel = *rc::gen::container<std::vector<bool>>(static_cast<std::size_t>(n),
                                                       rc::gen::arbitrary<bool>());
  auto& ex = make_executor(1);
  int log = lab.new_log();
  int gate = lab.new_gate();
  auto blocker = ex.submit(Probe().gate(gate).returns(-1));
  await_started(lab, gate, 1);
  std::vector<FuturePtr> futures;
  for (int i = 0; i < n; ++i) futures.push_back(ex.submit(Probe().record(log, i).returns(i)));
  std::vector<std::int64_t> expected;
  std::vector<bool> cancelled(static_cast<std::size_t>(n), false);
  for (int i = 0; i < n; ++i) {
    if (cancel[i]) {
      cancelled[i] = cancel_took_effect(*futures[i], caps());
      if (!cancelled[i]) {
        // Refused: only possible if the task is no longer pending.
        CF_CHECK("FUT-CANCEL-1", futures[i]->running() || futures[i]->done())
            << "cancel() of the pending " << future_name(i) << " returned false";
      }
    }
    if (!cancelled[i]) expected.push_back(i);
  }
  lab.open(gate);
  {
    CF_STEP("SHUT-WAIT-1");
    ex.shutdown(true, false);
  }
  auto ran = lab.log(log);
  for (int i = 0; i < n; ++i) {
    const auto f = future_name(i);
    if (cancelled[i]) {
      CF_CHECK_EQ("EXEC-CANCEL-1", times_in(ran, i), 0u) << "times the cancelled " << f << " ran";
      check_result(futures[i]->result(kLong), Outcome::error(Kind::kCancelled), f);
    } else {
      CF_CHECK("SHUT-CANCEL-2", !futures[i]->cancelled())
          << f << " was cancelled by shutdown(wait=true, cancel_futures=false)";
      CF_CHECK_EQ("EXEC-SUBMIT-1", times_in(ran, i), 1u) << "times " << f << " ran";
      check_result(futures[i]->result(kLong), Outcome::of_value(i), f);
    }
  }
  CF_CHECK_EQ("TPE-FIFO-1", ran, expected) << "the order the queued tasks started in";
}

// --- TPE-FIFO-1 -------------------------------------------------------------

// With one worker, N queued tasks (failing or not) start in submission order.
RC_GTEST_FIXTURE_PROP(Conformance, TPE_FIFO_OneWorkerStartsInSubmissionOrder, ()) {
  CF_REQUIRE(Cap::kMaxWorkers);
  const int n = *rc::gen::inRange(1, 60);
  auto fails = *rc::gen::container<std::vector<bool>>(static_cast<std::size_t>(n),
                                                      rc::gen::arbitrary<bool>());
  auto& ex = make_executor(1);
  int log = lab.new_log();
  int gate = lab.new_gate();
  auto blocker = ex.submit(Probe().record(log, -1).gate(gate).returns(-1));
  await_started(lab, gate, 1);
  std::vector<FuturePtr> futures;
  for (int i = 0; i < n; ++i) {
    Probe p = Probe().record(log, i);
    futures.push_back(ex.submit(fails[i] ? p.raises(failure_message(i)) : p.returns(i)));
  }
  lab.open(gate);
  std::vector<Outcome> outcomes;
  for (int i = 0; i < n; ++i) {
    outcomes.push_back(futures[i]->result(kLong));
    CF_PRECONDITION("EXEC-SUBMIT-1", !outcomes.back().is(Kind::kTimeout))
        << future_name(i) << " did not finish once the worker was released";
  }
  // The order first: how outcomes are reported is judged after it.
  std::vector<std::int64_t> expected(static_cast<std::size_t>(n) + 1);
  std::iota(expected.begin(), expected.end(), -1);
  auto ran = lab.log(log);
  std::vector<std::int64_t> each_once = ran;
  std::sort(each_once.begin(), each_once.end());
  CF_CHECK_EQ("EXEC-SUBMIT-1", each_once, expected) << "the tasks that ran, sorted";
  CF_CHECK_EQ("TPE-FIFO-1", ran, expected) << "the order the tasks started in";
  for (int i = 0; i < n; ++i) {
    check_result(outcomes[i], gated_outcome(static_cast<std::size_t>(i), fails), future_name(i));
  }
}

}  // namespace
}  // namespace cf::conformance
