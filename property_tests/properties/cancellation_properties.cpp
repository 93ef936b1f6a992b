// Cancellation properties: cancel of a pending task is true, idempotent, and
// the task never runs; cancel of a running or finished one is false and
// changes nothing; cancelled futures are done for every waiter at once;
// shutdown(cancel_futures) cancels exactly the queued; abandoned and
// timed-out maps cancel the rest.
//
// Queued calls an executor may already have marked running count as started
// (SPEC "Executors", EXEC-RUNNING-1): targets that must be pending sit behind
// kPrefetch padding calls per worker (harness/setups.hpp).
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "harness/background.hpp"
#include "harness/setups.hpp"
#include "harness/suite.hpp"
#include "properties/support.hpp"

namespace cf::conformance {
namespace {

using namespace props;
using props::iota;
using props::sorted;

// `workers` tasks blocked at `gate`, then kPrefetch queued per worker behind
// them.
std::vector<FuturePtr> block_workers(Executor& ex, Lab& lab, int workers, int gate) {
  std::vector<FuturePtr> pads;
  for (int i = 0; i < workers * (1 + kPrefetch); ++i) {
    pads.push_back(ex.submit(Probe().gate(gate).returns(-1)));
  }
  await_started(lab, gate, workers);
  return pads;
}

RC_GTEST_FIXTURE_PROP(Conformance, CAN_PendingCancelIsTrueIdempotentAndTheTaskNeverRuns, ()) {
  CF_REQUIRE(Cap::kCancel, Cap::kStateQueries, Cap::kMaxWorkers);
  const int workers = *rc::gen::inRange(1, 4);
  const auto n = static_cast<std::size_t>(*rc::gen::inRange(1, 15));
  const auto cancel = *rc::gen::container<std::vector<int>>(n, rc::gen::inRange(0, 4));  // times
  auto& ex = make_executor(workers);
  int gate = lab.new_gate();
  int log = lab.new_log();
  auto pads = block_workers(ex, lab, workers, gate);
  std::vector<FuturePtr> fs;
  for (std::size_t i = 0; i < n; ++i) {
    const auto id = static_cast<std::int64_t>(i);
    fs.push_back(ex.submit(Probe().record(log, id).returns(id)));
  }
  const bool callbacks = has(Cap::kDoneCallbacks);
  const auto me = impl().thread_token();
  auto seen_in = std::make_shared<std::vector<std::int64_t>>(n, 0);
  auto mutex = std::make_shared<std::mutex>();
  for (std::size_t i = 0; i < n; ++i) {
    const auto f = "f" + std::to_string(i);
    if (callbacks) {
      fs[i]->add_done_callback([seen_in, mutex, i](const CallbackEvent& e) {
        std::lock_guard lock(*mutex);
        (*seen_in)[i] = e.thread_token;
      });
    }
    for (int k = 0; k < cancel[i]; ++k) {
      // Pending, then already cancelled.
      CF_CHECK(k == 0 ? "FUT-CANCEL-1" : "FUT-CANCEL-4", fs[i]->cancel())
          << "cancel() number " << k + 1 << " of the queued " << f;
      CF_CHECK("FUT-STATE-4", fs[i]->cancelled() && fs[i]->done() && !fs[i]->running())
          << f << " after cancel() returned true: cancelled=" << fs[i]->cancelled()
          << " done=" << fs[i]->done() << " running=" << fs[i]->running();
    }
    // Where cancel() gives no answer, only a cancellation that took effect
    // owes its callbacks.
    if (callbacks && cancel[i] > 0 && fs[i]->cancelled()) {
      std::lock_guard lock(*mutex);
      CF_CHECK("FUT-CB-6", (*seen_in)[i] == me)
          << "the callback of " << f
          << (((*seen_in)[i] == 0) ? " had not run" : " ran in another thread")
          << " when cancel() returned";
    }
  }
  lab.open(gate);
  {
    CF_STEP("SHUT-WAIT-1");
    ex.shutdown(true, false);
  }
  auto ran = lab.log(log);
  for (std::size_t i = 0; i < n; ++i) {
    const auto id = static_cast<std::int64_t>(i);
    const auto f = "f" + std::to_string(i);
    if (cancel[i] > 0) {
      CF_CHECK_EQ("EXEC-CANCEL-1", times_in(ran, id), 0u) << "times the cancelled " << f << " ran";
      check_result(fs[i]->result(kLong), Outcome::error(Kind::kCancelled), f);
      check_exception(fs[i]->exception(kLong), Outcome::error(Kind::kCancelled), f);
    } else {
      CF_CHECK("SHUT-CANCEL-2", !fs[i]->cancelled())
          << f << " was cancelled by shutdown(wait=true, cancel_futures=false)";
      CF_CHECK_EQ("EXEC-SUBMIT-1", times_in(ran, id), 1u) << "times " << f << " ran";
      check_result(fs[i]->result(kLong), Outcome::of_value(id), f);
    }
  }
}

// Tasks all running at once, some finished: cancel() of each is refused, and
// changes nothing; the running ones then run to completion.
RC_GTEST_FIXTURE_PROP(Conformance, CAN_RunningOrFinishedCancelIsFalseAndChangesNothing, ()) {
  CF_REQUIRE(Cap::kCancel, Cap::kStateQueries, Cap::kMaxWorkers);
  const auto n = static_cast<std::size_t>(*rc::gen::inRange(1, 7));
  const auto fails = *rc::gen::container<std::vector<bool>>(n, rc::gen::arbitrary<bool>());
  const auto finished = *rc::gen::container<std::vector<bool>>(n, rc::gen::arbitrary<bool>());
  auto& ex = make_executor(static_cast<int>(n));
  int log = lab.new_log();
  auto g = submit_gated(ex, lab, log, n, fails, true);
  // What each finished future held before any cancel().
  std::vector<std::string> first(n);
  for (std::size_t i = 0; i < n; ++i) {
    if (!finished[i]) continue;
    lab.open(g.gates[i]);
    auto o = g.futures[i]->result(kLong);
    CF_PRECONDITION("EXEC-SUBMIT-1", !o.is(Kind::kTimeout)) << "f" << i << " never finished";
    check_result(o, gated_outcome(i, fails), "f" + std::to_string(i));
    first[i] = to_string(o);
  }
  for (int round = 0; round < 3; ++round) {
    for (std::size_t i = 0; i < n; ++i) {
      const auto f = "f" + std::to_string(i) + (finished[i] ? " (finished)" : " (running)");
      auto& future = *g.futures[i];
      if (finished[i]) {
        CF_CHECK("FUT-CANCEL-3", !future.cancel()) << "cancel() of " << f << " returned true";
        CF_CHECK("FUT-CANCEL-3", future.done() && !future.cancelled())
            << f << " after cancel(): done=" << future.done()
            << " cancelled=" << future.cancelled();
        // running() of a finished future is the state's own rule, whatever cancel() did.
        CF_CHECK("FUT-STATE-3", !future.running()) << f << " reports running()";
        CF_CHECK_EQ("FUT-CANCEL-3", to_string(future.result(kLong)), first[i]) << f;
      } else {
        CF_CHECK("FUT-CANCEL-2", !future.cancel()) << "cancel() of " << f << " returned true";
        CF_CHECK("FUT-CANCEL-2", !future.cancelled()) << f << " is cancelled after cancel()";
        CF_CHECK("EXEC-RUNNING-1", future.running() && !future.done())
            << f << ": running=" << future.running() << " done=" << future.done();
      }
    }
  }
  lab.open_all();
  for (std::size_t i = 0; i < n; ++i) {
    if (finished[i]) continue;
    auto o = g.futures[i]->result(kLong);
    CF_CHECK("EXEC-RUNNING-1", !o.is(Kind::kCancelled) && !o.is(Kind::kTimeout))
        << "f" << i << ", running when cancel() was tried, ended with " << to_string(o);
    check_result(o, gated_outcome(i, fails), "f" + std::to_string(i));
  }
}

// Raw futures with a blocked wait(ALL_COMPLETED), as_completed and result()
// on them; cancelling them one by one in a random order wakes each in turn.
// CPython's documented deviation (WAIT-CANCEL-1, ASC-CANCEL-1) makes the
// waiters hang there: those checks are tagged with the cancellation clauses,
// never WAIT-ALL-1 or ASC-ORDER-1.
RC_GTEST_FIXTURE_PROP(Conformance, CAN_CancelledFuturesAreDoneForEveryWaiterAtOnce, ()) {
  CF_REQUIRE(Cap::kRawFuture, Cap::kCancel, Cap::kWait, Cap::kAsCompleted);
  const auto n = static_cast<std::size_t>(*rc::gen::inRange(1, 7));
  std::vector<FuturePtr> fs;
  for (std::size_t i = 0; i < n; ++i) fs.push_back(impl().make_future());
  Background<WaitSplit> all(
      lab, "WAIT-CANCEL-1",
      [fs] { return guarded().wait(fs, ReturnWhen::kAllCompleted, Timeout()); },
      [fs] {
        for (auto& f : fs) f->cancel();
      });
  const auto order = permutation(n);
  // The reader blocks on the future cancelled first, and is judged at once.
  auto head = fs[order[0]];
  Background<Outcome> reader(
      lab, "FUT-CANCEL-5", [head] { return head->result(Timeout()); }, [head] { head->cancel(); });
  auto run = impl().as_completed(fs, kLong);
  std::size_t cancelled = 0;
  for (auto i : order) {
    // Not before the last is cancelled; a millisecond lets an early return show.
    CF_CHECK("WAIT-ALL-1", !all.returns_within(std::chrono::milliseconds(1)))
        << "wait(ALL_COMPLETED) returned with " << n - cancelled << " of " << n
        << " futures pending";
    CF_CHECK("FUT-CANCEL-1", fs[i]->cancel()) << "cancel() of the pending raw future " << i;
    if (cancelled++ == 0) {
      CF_CHECK("FUT-CANCEL-5", reader.returns_within(kLong))
          << "result() was not woken by cancel()";
      CF_CHECK_OUTCOME("FUT-CANCEL-5", reader.get(), Kind::kCancelled)
          << "what the woken result() gave";
    }
    const auto next = next_or_raised(*run);
    CF_CHECK(next.index ? "ASC-CANCEL-1" : unyielded_cancel_rule(impl(), fs[i]),
             next.index.has_value())
        << "as_completed ended before yielding the cancelled future " << i << next.raised;
    if (!next.index) break;
    CF_CHECK_EQ("ASC-ORDER-1", *next.index, i)
        << "the future yielded after future " << i << " was cancelled";
  }
  CF_CHECK("WAIT-CANCEL-1", all.returns_within(kLong))
      << "wait(ALL_COMPLETED) did not return once every future was cancelled";
  CF_CHECK_EQ("WAIT-CANCEL-1", sorted(all.get().done), iota(n)) << "the done set";
  std::optional<std::size_t> extra;
  CF_CHECK("ASC-ALL-1", !(extra = run->next()).has_value())
      << "as_completed yielded future " << *extra << " again";
}

// shutdown(wait=false, cancel_futures=true) with every worker blocked:
// exactly the queued targets are cancelled, and a wait on them returns at
// once, while the running tasks are still blocked.
RC_GTEST_FIXTURE_PROP(Conformance, CAN_ShutdownCancelFuturesReleasesWaitersOnTheQueued, ()) {
  CF_REQUIRE(Cap::kCancelFutures, Cap::kShutdownNoWait, Cap::kWait, Cap::kStateQueries,
             Cap::kMaxWorkers);
  const int workers = *rc::gen::inRange(1, 4);
  const auto n = static_cast<std::size_t>(*rc::gen::inRange(1, 10));
  auto& ex = make_executor(workers);
  int gate = lab.new_gate();
  int log = lab.new_log();
  auto pads = block_workers(ex, lab, workers, gate);
  std::vector<FuturePtr> targets;
  for (std::size_t i = 0; i < n; ++i) {
    targets.push_back(ex.submit(Probe().record(log, static_cast<std::int64_t>(i)).returns(0)));
  }
  Background<WaitSplit> waiting(lab, "WAIT-CANCEL-1", [targets] {
    return guarded().wait(targets, ReturnWhen::kAllCompleted, Timeout());
  });
  CF_CHECK("WAIT-ALL-1", !waiting.returns_within(std::chrono::nanoseconds(0)))
      << "wait(ALL_COMPLETED) returned while every target was queued";
  {
    CF_STEP("SHUT-NOWAIT-1");
    ex.shutdown(false, true);
  }
  for (std::size_t i = 0; i < n; ++i) {
    CF_CHECK("SHUT-CANCEL-1", targets[i]->cancelled())
        << "the queued target " << i
        << " is not cancelled when shutdown(cancel_futures=true) returned";
  }
  // The started pads were not cancelled: they are running.
  std::vector<std::size_t> running;
  for (std::size_t i = 0; i < pads.size(); ++i) {
    if (pads[i]->running()) running.push_back(i);
  }
  CF_CHECK("SHUT-CANCEL-1", running.size() >= static_cast<std::size_t>(workers))
      << running.size() << " tasks are running after shutdown(cancel_futures=true), although "
      << workers << " had started";
  CF_CHECK("WAIT-CANCEL-1",
           waiting.returns_within(kLong))  // although the workers are still blocked
      << "the wait on the cancelled targets did not return";
  // Returned, but before the last target was done: ALL_COMPLETED's rule.
  CF_CHECK("WAIT-ALL-1", waiting.get().not_done.empty()) << "cancelled targets in not_done";
  lab.open(gate);
  for (auto i : running) {
    CF_CHECK_VALUE("SHUT-CANCEL-1", pads[i]->result(kLong), -1)
        << "the task running at shutdown(cancel_futures=true), once released";
  }
  {
    CF_STEP("SHUT-WAIT-1");
    ex.shutdown(true, false);
  }
  CF_CHECK("SHUT-CANCEL-1", lab.log(log).empty()) << "a target cancelled by shutdown ran";
}

// One worker; a map whose first k calls are yielded, call k is running at a
// gate, padding and a tail are queued. Closing or dropping the sequence (or
// its timeout, from the call) cancels what was not yielded: the running call
// finishes, the tail never runs [MAP-ABANDON-1] [MAP-TIMEOUT-1] [MAP-TIMEOUT-2].
// Closed or dropped before its first step, it cancels nothing: the tail runs
// too [MAP-ABANDON-2].
RC_GTEST_FIXTURE_PROP(Conformance, CAN_AbandonedOrTimedOutMapCancelsTheRest, ()) {
  CF_REQUIRE(Cap::kMap, Cap::kMaxWorkers);
  // 0 close, 1 destroy, 2 timeout (the timed form only where it exists).
  const int how = *rc::gen::inRange(0, has(Cap::kMapTimeout) ? 3 : 2);
  // With a timeout, earlier results could miss the deadline: none then.
  const auto k = how == 2 ? 0 : static_cast<std::size_t>(*rc::gen::inRange(0, 4));
  const auto tail = static_cast<std::size_t>(*rc::gen::inRange(1, 6));
  // The rule that says what abandoning at position k cancels.
  const char* abandon = how == 2 ? "MAP-TIMEOUT-2" : k == 0 ? "MAP-ABANDON-2" : "MAP-ABANDON-1";
  // Calls of the log that run: every one if nothing is cancelled.
  const bool cancels = std::string(abandon) != "MAP-ABANDON-2";
  const std::size_t expected_runs = cancels ? k + 1 : k + 1 + tail;
  auto& ex = make_executor(1);
  int log = lab.new_log();
  int pad_log = lab.new_log();
  int gate = lab.new_gate();
  std::vector<Probe> probes;
  for (std::size_t i = 0; i < k; ++i) {
    probes.push_back(Probe().record(log, static_cast<std::int64_t>(i)).returns(0));
  }
  probes.push_back(Probe().record(log, static_cast<std::int64_t>(k)).gate(gate).returns(0));
  for (int i = 0; i < kPrefetch; ++i)
    probes.push_back(Probe().record(pad_log, i).gate(gate).returns(0));
  for (std::size_t i = 0; i < tail; ++i) {
    probes.push_back(Probe().record(log, static_cast<std::int64_t>(k + 1 + i)).returns(0));
  }
  const auto timeout =
      how == 2 ? gen_short_timeout() : EdgeTimeout{"30s", conformance::Timeout(kLong), {}, false};
  auto start = Clock::now();
  auto run = ex.map(probes, MapSpec{timeout.timeout, std::nullopt});
  std::optional<Outcome> o;
  for (std::size_t i = 0; i < k; ++i) {
    o = run->next();
    // A result that timed out while its call had not run and a later call
    // had started: the one worker broke submission order [TPE-FIFO-1].
    const bool overtaken = o && o->is(Kind::kTimeout) &&
                           times_in(lab.log(log), static_cast<std::int64_t>(i)) == 0 &&
                           lab.arrived(gate) > 0;
    CF_CHECK(overtaken ? "TPE-FIFO-1" : "MAP-ORDER-1", o && o->is(Kind::kValue))
        << "result " << i << " was " << describe(o);
  }
  CF_PRECONDITION("MAP-EAGER-1", lab.await_arrivals(gate, 1, kLong))
      << "call " << k << " never started";
  if (how == 2) {
    CF_CHECK("MAP-TIMEOUT-1", (o = run->next()) && o->is(Kind::kTimeout))
        << "the step at the blocked call gave " << describe(o);
    CF_CHECK("MAP-TIMEOUT-1", Clock::now() - start >= timeout.at_least)
        << "TimeoutError before the " << timeout.name << " deadline";
    CF_CHECK("MAP-TIMEOUT-2", !(o = run->next())) << "after the TimeoutError came " << describe(o);
  } else if (how == 1) {
    CF_STEP(abandon);
    run.reset();
  } else {
    {
      CF_STEP(abandon);
      run->close();
    }
    CF_CHECK(abandon, !(o = run->next())) << "after close() came " << describe(o);
  }
  lab.open(gate);
  // The calls that must run have the time to before the shutdown, so a
  // shutdown that cancels what it should not is not read as the map's doing
  // (no verdict here: the counts below judge).
  lab.await_log_size(log, expected_runs, kLong);
  {
    CF_STEP("SHUT-WAIT-1");
    ex.shutdown(true, false);
  }
  auto ran = lab.log(log);
  for (std::size_t i = 0; i < k; ++i) {
    CF_CHECK_EQ("MAP-ORDER-1", times_in(ran, static_cast<std::int64_t>(i)), 1u)
        << "times the yielded call " << i << " ran";
  }
  // The call running when the map was abandoned finishes.
  CF_CHECK_EQ(how == 2 ? "EXEC-RUNNING-1" : abandon, times_in(ran, static_cast<std::int64_t>(k)),
              1u)
      << "times the running call " << k << " ran";
  CF_CHECK_EQ(abandon, ran.size(), expected_runs)
      << "calls run, of " << k << " yielded, 1 running and " << tail
      << " queued behind the padding";
  auto pads = lab.log(pad_log);
  for (auto p : pads) {
    CF_CHECK_EQ("MAP-ORDER-1", times_in(pads, p), 1u) << "times padding call " << p << " ran";
  }
  RC_TAG(how == 0 ? "close" : how == 1 ? "destroy" : "timeout");
}

}  // namespace
}  // namespace cf::conformance
