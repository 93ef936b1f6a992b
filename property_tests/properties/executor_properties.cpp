// RapidCheck properties of submit [EXEC-*]: every task runs or is cancelled
// exactly once, cancelled queued tasks never run, a task's error stays in its
// future, and concurrent submitters lose nothing.
//
// Each case gets a fresh fixture (a new Lab; executors drained, gates opened,
// however the case ends).
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <barrier>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <future>
#include <memory>
#include <mutex>
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

// A gated task's future as the caller sees it: its task logs when it starts.
enum class Seen { kPending, kStarted, kFinished, kCancelled };

Seen seen_state(Future& f, const std::vector<std::int64_t>& log, std::size_t i) {
  if (f.cancelled()) return Seen::kCancelled;
  if (f.done()) return Seen::kFinished;
  if (f.running() || times_in(log, static_cast<std::int64_t>(i)) > 0) return Seen::kStarted;
  return Seen::kPending;
}

const char* text(Seen s) {
  switch (s) {
    case Seen::kPending:
      return "pending";
    case Seen::kStarted:
      return "running";
    case Seen::kFinished:
      return "finished";
    case Seen::kCancelled:
      return "cancelled";
  }
  return "?";
}

// The state a cancel() found, from what was seen just before and just after
// the call, where that can be told: a task may start during the call, and
// finish during it once its gate is open.
std::optional<Seen> found_at_call(Seen before, Seen after, bool gate_open) {
  switch (before) {
    case Seen::kFinished:
    case Seen::kCancelled:
      return before;  // terminal
    case Seen::kStarted:
      if (!gate_open || after == Seen::kStarted) return before;
      return std::nullopt;
    case Seen::kPending:
      if (after == Seen::kPending) return before;
      return std::nullopt;
  }
  return std::nullopt;
}

// The rule a cancel() breaks by returning true and leaving the future
// uncancelled, by the state it found.
const char* true_cancel_rule(Seen found) {
  switch (found) {
    case Seen::kPending:
      return "FUT-STATE-4";
    case Seen::kStarted:
      return "FUT-CANCEL-2";
    case Seen::kFinished:
      return "FUT-CANCEL-3";
    case Seen::kCancelled:
      return "FUT-CANCEL-4";
  }
  return "FUT-STATE-4";
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

// Random tasks (some failing) at their own gates; in a random order, gates
// are opened and cancels tried; then shutdown with random flags. Afterwards
// each future is cancelled and its task never ran, or it ran exactly once and
// holds its own outcome. Each check names the rule its failure breaks: who
// cancelled a future (a cancel() that said so, or shutdown) decides which.
RC_GTEST_FIXTURE_PROP(Conformance, ACC_EveryTaskRunsOrIsCancelledExactlyOnce, ()) {
  CF_REQUIRE(Cap::kCancel, Cap::kStateQueries);
  const int workers = *rc::gen::inRange(1, 4);
  const auto n = static_cast<std::size_t>(*rc::gen::inRange(1, 16));
  const auto fails = *rc::gen::container<std::vector<bool>>(n, rc::gen::arbitrary<bool>());
  // With gates still closed only a shutdown that does not wait can come first.
  const bool cancel_futures =
      has(Cap::kCancelFutures) && has(Cap::kShutdownNoWait) && *rc::gen::arbitrary<bool>();
  auto& ex = make_executor(workers);
  int log = lab.new_log();
  auto g = submit_gated(ex, lab, log, n, fails, false);
  std::vector<bool> cancel_tried(n, false);
  std::vector<bool> cancel_said(n, false);   // a cancel() returned true
  std::vector<bool> said_started(n, false);  // ... called after the task had started
  std::vector<bool> opened(n, false);
  // A cancel() that returned true and left the future uncancelled: the state
  // it found, where that can be told.
  std::vector<std::optional<Seen>> kept(n);
  for (int step = 0, steps = *rc::gen::inRange(0, 2 * static_cast<int>(n) + 1); step < steps;
       ++step) {
    auto i = *rc::gen::inRange<std::size_t>(0, n);
    if (*rc::gen::arbitrary<bool>()) {
      lab.open(g.gates[i]);
      opened[i] = true;
    } else {
      cancel_tried[i] = true;
      const Seen before = seen_state(*g.futures[i], lab.log(log), i);
      if (g.futures[i]->cancel()) {
        cancel_said[i] = true;
        said_started[i] = said_started[i] || before == Seen::kStarted || before == Seen::kFinished;
        if (!g.futures[i]->cancelled() && !kept[i]) {
          kept[i] = found_at_call(before, seen_state(*g.futures[i], lab.log(log), i), opened[i]);
        }
      }
    }
  }
  if (has(Cap::kShutdownNoWait)) {
    CF_STEP("SHUT-NOWAIT-1");
    ex.shutdown(false, cancel_futures);
  }
  lab.open_all();
  {
    CF_STEP("SHUT-WAIT-1");
    ex.shutdown(true, false);
  }
  for (std::size_t i = 0; i < n; ++i) {
    CF_CHECK("SHUT-WAIT-1", g.futures[i]->done())
        << future_name(i) << " is not done after shutdown(wait=true) returned";
  }
  auto ran = lab.log(log);
  // Cancelled by no one who may cancel: no cancel() was tried on it, and
  // shutdown did not cancel futures.
  for (std::size_t i = 0; i < n; ++i) {
    if (!g.futures[i]->cancelled() || cancel_tried[i] || cancel_futures) continue;
    CF_CHECK("SHUT-CANCEL-2", false)
        << future_name(i) << " is cancelled, yet no cancel() was tried on it and shutdown did not "
        << "cancel futures";
  }
  for (std::size_t i = 0; i < n; ++i) {
    const auto f = future_name(i);
    const auto times = times_in(ran, static_cast<std::int64_t>(i));
    if (g.futures[i]->cancelled()) {
      // The cancel() that did it should have said so: whichever state the
      // future was in, a cancel() that does not take effect returns false
      // and one that does returns true.
      if (cancel_tried[i]) {
        CF_CHECK("FUT-CANCEL-1", cancel_said[i] || cancel_futures)
            << f << " is cancelled, yet every cancel() tried on it returned false";
      }
      // A started task cannot be cancelled [FUT-CANCEL-2]; a cancelled one
      // never runs [EXEC-CANCEL-1] [SHUT-CANCEL-1].
      const char* rule = !cancel_said[i]   ? "SHUT-CANCEL-1"
                         : said_started[i] ? "FUT-CANCEL-2"
                                           : "EXEC-CANCEL-1";
      CF_CHECK(rule, times == 0) << f << " is cancelled (by "
                                 << (cancel_said[i] ? "cancel()" : "shutdown")
                                 << "), yet its task ran " << times << " times";
      check_result(g.futures[i]->result(kLong), Outcome::error(Kind::kCancelled), f);
      continue;
    }
    if (kept[i]) {
      CF_CHECK(true_cancel_rule(*kept[i]), false)
          << "cancel() of " << f << " (" << text(*kept[i])
          << " when called) returned true, yet it is not cancelled and its task ran " << times
          << " times";
    }
    CF_CHECK_EQ("EXEC-SUBMIT-1", times, 1u) << "times the task of " << f << " ran";
    check_result(g.futures[i]->result(kLong), gated_outcome(i, fails), f);
  }
}

// Failing and succeeding tasks in random order: each future holds its own
// outcome, and the executor keeps running what comes after a failure.
RC_GTEST_FIXTURE_PROP(Conformance, ACC_TaskErrorsStayInTheirFutures, ()) {
  const auto fails = *rc::gen::container<std::vector<bool>>(*rc::gen::inRange<std::size_t>(1, 30),
                                                            rc::gen::arbitrary<bool>());
  auto& ex = make_executor(*rc::gen::inRange(1, 5));
  std::vector<FuturePtr> fs;
  for (std::size_t i = 0; i < fails.size(); ++i) {
    Probe p;
    fs.push_back(ex.submit(fails[i] ? p.raises(failure_message(i))
                                    : p.returns(static_cast<std::int64_t>(i))));
  }
  bool failed_before = false;
  for (std::size_t i = 0; i < fails.size(); ++i) {
    const auto expected = gated_outcome(i, fails);
    // A task submitted after a failing one completes as if none had failed.
    check_result(fs[i]->result(kLong), expected, future_name(i),
                 failed_before ? "EXEC-SUBMIT-3" : "EXEC-SUBMIT-1");
    check_exception(fs[i]->exception(kLong), expected, future_name(i));
    failed_before = failed_before || fails[i];
  }
}

// Several threads submit at once: every task runs exactly once, with its value.
RC_GTEST_FIXTURE_PROP(Conformance, ACC_ConcurrentSubmittersLoseNothing, ()) {
  const int submitters = *rc::gen::inRange(2, 5);
  const int per = *rc::gen::inRange(1, 25);
  auto& ex = make_executor(*rc::gen::inRange(1, 5));
  int log = lab.new_log();
  std::vector<std::vector<FuturePtr>> fs(static_cast<std::size_t>(submitters));
  std::vector<std::optional<Outcome>> refused(static_cast<std::size_t>(submitters));
  std::barrier start(submitters);
  {
    // Every submit returns at once, busy workers or not [EXEC-QUEUE-1].
    CF_STEP("EXEC-QUEUE-1");
    std::vector<std::jthread> threads;
    for (int s = 0; s < submitters; ++s) {
      threads.emplace_back([&, s] {
        auto& mine = fs[static_cast<std::size_t>(s)];
        start.arrive_and_wait();
        for (int i = 0; i < per; ++i) {
          std::int64_t id = s * 1000 + i;
          try {
            mine.push_back(ex.submit(Probe().record(log, id).returns(id)));
          } catch (const Raised& r) {
            refused[static_cast<std::size_t>(s)] = r.outcome;
            return;
          }
        }
      });
    }
  }
  for (int s = 0; s < submitters; ++s) {
    const auto& r = refused[static_cast<std::size_t>(s)];
    CF_PRECONDITION("EXEC-QUEUE-1", !r.has_value())
        << "submitter " << s << ": a submit raised " << to_string(*r);
  }
  for (int s = 0; s < submitters; ++s) {
    for (int i = 0; i < per; ++i) {
      const std::int64_t id = s * 1000 + i;
      check_result(fs[static_cast<std::size_t>(s)][static_cast<std::size_t>(i)]->result(kLong),
                   Outcome::of_value(id),
                   "submitter " + std::to_string(s) + "'s task " + std::to_string(i));
    }
  }
  auto ran = lab.log(log);
  for (int s = 0; s < submitters; ++s) {
    for (int i = 0; i < per; ++i) {
      CF_CHECK_EQ("EXEC-SUBMIT-1", times_in(ran, s * 1000 + i), 1u)
          << "times submitter " << s << "'s task " << i << " ran";
    }
  }
  CF_CHECK_EQ("EXEC-SUBMIT-1", ran.size(), static_cast<std::size_t>(submitters * per))
      << "tasks run in all";
}

}  // namespace
}  // namespace cf::conformance
