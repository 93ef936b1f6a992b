// Cancellation properties: cancel of a pending task is true, idempotent, and
// the task never runs; cancel of a running or finished one is false and
// changes nothing; cancelled futures are done for every waiter at once;
// shutdown(cancel_futures) cancels exactly the queued; abandoned and
// timed-out maps cancel the rest.
//
// Queued calls an executor may already have marked running count as started
// (SPEC "Executors", EXEC-RUNNING-1): targets that must be pending sit behind
// kPad padding calls per worker, as in the conformance tests.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "harness/background.hpp"
#include "harness/suite.hpp"
#include "properties/support.hpp"

namespace cf::conformance {
namespace {

using namespace props;

constexpr int kPad = 4;  // queued calls per worker an executor may claim early

// `workers` tasks blocked at `gate`, then kPad queued per worker behind them.
std::vector<FuturePtr> block_workers(Executor& ex, Lab& lab, int workers, int gate) {
  std::vector<FuturePtr> pads;
  for (int i = 0; i < workers * (1 + kPad); ++i) pads.push_back(ex.submit(Probe().gate(gate).returns(-1)));
  RC_ASSERT(lab.await_arrivals(gate, workers, kLong));
  return pads;
}

RC_GTEST_FIXTURE_PROP(Conformance, CAN_PendingCancelIsTrueIdempotentAndTheTaskNeverRuns, ()) {
  CF_CLAUSES("EXEC-CANCEL-1", "FUT-CANCEL-1", "FUT-CANCEL-4", "FUT-STATE-4", "FUT-RESULT-3",
             "FUT-EXC-2", "FUT-CB-6");
  CF_REQUIRE(Cap::kCancel, Cap::kStateQueries, Cap::kMaxWorkers);
  OpenGatesAtExit guard{lab};
  const int workers = *rc::gen::inRange(1, 4);
  const auto n = static_cast<std::size_t>(*rc::gen::inRange(1, 15));
  const auto cancel = *rc::gen::container<std::vector<int>>(n, rc::gen::inRange(0, 4));  // times
  auto& ex = make_executor(workers);
  int gate = lab.new_gate();
  int log = lab.new_log();
  auto pads = block_workers(ex, lab, workers, gate);
  std::vector<FuturePtr> fs;
  for (std::size_t i = 0; i < n; ++i) {
    fs.push_back(ex.submit(Probe().record(log, static_cast<std::int64_t>(i)).returns(static_cast<std::int64_t>(i))));
  }
  const bool callbacks = has(caps(), Cap::kDoneCallbacks);
  const auto me = impl().thread_token();
  auto seen_in = std::make_shared<std::vector<std::int64_t>>(n, 0);
  auto mutex = std::make_shared<std::mutex>();
  for (std::size_t i = 0; i < n; ++i) {
    if (callbacks) {
      fs[i]->add_done_callback([seen_in, mutex, i](const CallbackEvent& e) {
        std::lock_guard lock(*mutex);
        (*seen_in)[i] = e.thread_token;
      });
    }
    for (int k = 0; k < cancel[i]; ++k) {
      RC_ASSERT(fs[i]->cancel());  // pending, then already cancelled [FUT-CANCEL-1/4]
      RC_ASSERT(fs[i]->cancelled() && fs[i]->done() && !fs[i]->running());
    }
    if (callbacks && cancel[i] > 0) {
      std::lock_guard lock(*mutex);
      RC_ASSERT((*seen_in)[i] == me);  // before cancel() returned, in its thread [FUT-CB-6]
    }
  }
  lab.open(gate);
  ex.shutdown(true, false);
  auto ran = lab.log(log);
  for (std::size_t i = 0; i < n; ++i) {
    const auto id = static_cast<std::int64_t>(i);
    if (cancel[i] > 0) {
      RC_ASSERT(times_in(ran, id) == 0u);
      RC_ASSERT(fs[i]->result(kLong).is(Kind::kCancelled));
      RC_ASSERT(fs[i]->exception(kLong).is(Kind::kCancelled));
    } else {
      RC_ASSERT(times_in(ran, id) == 1u);
      auto o = fs[i]->result(kLong);
      RC_ASSERT(o.is(Kind::kValue) && o.value == id);
    }
  }
}

RC_GTEST_FIXTURE_PROP(Conformance, CAN_RunningOrFinishedCancelIsFalseAndChangesNothing, ()) {
  CF_CLAUSES("FUT-CANCEL-2", "FUT-CANCEL-3", "EXEC-RUNNING-1", "FUT-RESULT-1", "FUT-RESULT-2");
  CF_REQUIRE(Cap::kCancel, Cap::kStateQueries, Cap::kMaxWorkers);
  OpenGatesAtExit guard{lab};
  const auto n = static_cast<std::size_t>(*rc::gen::inRange(1, 7));
  const auto fails = *rc::gen::container<std::vector<bool>>(n, rc::gen::arbitrary<bool>());
  const auto finished = *rc::gen::container<std::vector<bool>>(n, rc::gen::arbitrary<bool>());
  auto& ex = make_executor(static_cast<int>(n));
  int log = lab.new_log();
  auto g = submit_gated(ex, lab, log, n, fails, true);
  for (std::size_t i = 0; i < n; ++i) {
    if (!finished[i]) continue;
    lab.open(g.gates[i]);
    RC_ASSERT(!g.futures[i]->result(kLong).is(Kind::kTimeout));
  }
  for (int round = 0; round < 3; ++round) {
    for (std::size_t i = 0; i < n; ++i) {
      RC_ASSERT(!g.futures[i]->cancel());
      RC_ASSERT(!g.futures[i]->cancelled());
      RC_ASSERT(g.futures[i]->running() == !finished[i]);
      RC_ASSERT(g.futures[i]->done() == finished[i]);
      if (finished[i]) {
        RC_ASSERT(seen(g.futures[i]->result(kLong), gated_outcome(i, fails)) ==
                  to_string(gated_outcome(i, fails)));
      }
    }
  }
  lab.open_all();
  for (std::size_t i = 0; i < n; ++i) {
    RC_ASSERT(seen(g.futures[i]->result(kLong), gated_outcome(i, fails)) ==
              to_string(gated_outcome(i, fails)));  // ran to completion
  }
}

// Raw futures with a blocked wait(ALL_COMPLETED), as_completed and result()
// on them; cancelling them one by one in a random order wakes each in turn.
RC_GTEST_FIXTURE_PROP(Conformance, CAN_CancelledFuturesAreDoneForEveryWaiterAtOnce, ()) {
  // Only the clauses about cancelled futures: CPython's documented deviation
  // (WAIT-CANCEL-1, ASC-CANCEL-1) makes this hang there, and must not be
  // charged to WAIT-ALL-1 or ASC-ORDER-1.
  CF_CLAUSES("WAIT-CANCEL-1", "ASC-CANCEL-1", "FUT-CANCEL-5");
  CF_REQUIRE(Cap::kRawFuture, Cap::kCancel, Cap::kWait, Cap::kAsCompleted);
  const auto n = static_cast<std::size_t>(*rc::gen::inRange(1, 7));
  std::vector<FuturePtr> fs;
  for (std::size_t i = 0; i < n; ++i) fs.push_back(impl().make_future());
  Implementation& im = impl();
  Background<WaitSplit> all(lab, [&im, fs] { return im.wait(fs, ReturnWhen::kAllCompleted, Timeout()); },
                            [fs] { for (auto& f : fs) f->cancel(); });
  auto head = fs[0];
  Background<Outcome> reader(lab, [head] { return head->result(Timeout()); }, [head] { head->cancel(); });
  auto run = impl().as_completed(fs, kLong);
  for (auto i : permutation(n)) {
    // Not before the last is cancelled; a millisecond lets an early return show.
    RC_ASSERT(!all.returns_within(std::chrono::milliseconds(1)));
    RC_ASSERT(fs[i]->cancel());
    auto next = run->next();
    RC_ASSERT(next && *next == i);
  }
  RC_ASSERT(all.returns_within(kLong));
  RC_ASSERT(sorted(all.get().done) == iota(n));
  RC_ASSERT(reader.returns_within(kLong));
  RC_ASSERT(reader.get().is(Kind::kCancelled));
  RC_ASSERT(!run->next().has_value());
}

// shutdown(wait=false, cancel_futures=true) with every worker blocked:
// exactly the queued targets are cancelled, and a wait on them returns at
// once, while the running tasks are still blocked [SHUT-CANCEL-1].
RC_GTEST_FIXTURE_PROP(Conformance, CAN_ShutdownCancelFuturesReleasesWaitersOnTheQueued, ()) {
  CF_CLAUSES("SHUT-CANCEL-1", "WAIT-CANCEL-1", "SHUT-NOWAIT-1");
  CF_REQUIRE(Cap::kCancelFutures, Cap::kShutdownNoWait, Cap::kWait, Cap::kStateQueries,
             Cap::kMaxWorkers);
  OpenGatesAtExit guard{lab};
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
  Implementation& im = impl();
  Background<WaitSplit> waiting(lab, [&im, targets] {
    return im.wait(targets, ReturnWhen::kAllCompleted, Timeout());
  });
  RC_ASSERT(!waiting.returns_within(std::chrono::nanoseconds(0)));
  ex.shutdown(false, true);
  RC_ASSERT(waiting.returns_within(kLong));  // although the workers are still blocked
  RC_ASSERT(waiting.get().not_done.empty());
  for (std::size_t i = 0; i < static_cast<std::size_t>(workers); ++i) {
    RC_ASSERT(pads[i]->running());  // the running ones were not cancelled
  }
  for (auto& t : targets) RC_ASSERT(t->cancelled());
  lab.open(gate);
  for (std::size_t i = 0; i < static_cast<std::size_t>(workers); ++i) {
    RC_ASSERT(pads[i]->result(kLong).is(Kind::kValue));
  }
  ex.shutdown(true, false);
  RC_ASSERT(lab.log(log).empty());
}

// One worker; a map whose first k calls are yielded, call k is running at a
// gate, padding and a tail are queued. Closing or dropping the sequence (or
// its timeout, from the call) cancels what was not yielded: the running call
// finishes, the tail never runs [MAP-ABANDON-1] [MAP-TIMEOUT-1] [MAP-TIMEOUT-2]
// (before the first step: [EXT-ABANDON-1]).
RC_GTEST_FIXTURE_PROP(Conformance, CAN_AbandonedOrTimedOutMapCancelsTheRest, ()) {
  CF_CLAUSES("MAP-ABANDON-1", "MAP-TIMEOUT-1", "MAP-TIMEOUT-2", "EXT-ABANDON-1");
  CF_REQUIRE(Cap::kMap, Cap::kMaxWorkers);
  OpenGatesAtExit guard{lab};
  const int how = *rc::gen::inRange(0, 3);  // 0 close, 1 destroy, 2 timeout
  // With a timeout, earlier results could miss the deadline: none then.
  const auto k = how == 2 ? 0 : static_cast<std::size_t>(*rc::gen::inRange(0, 4));
  const auto tail = static_cast<std::size_t>(*rc::gen::inRange(1, 6));
  auto& ex = make_executor(1);
  int log = lab.new_log();
  int pad_log = lab.new_log();
  int gate = lab.new_gate();
  std::vector<Probe> probes;
  for (std::size_t i = 0; i < k; ++i) probes.push_back(Probe().record(log, static_cast<std::int64_t>(i)).returns(0));
  probes.push_back(Probe().record(log, static_cast<std::int64_t>(k)).gate(gate).returns(0));
  for (int i = 0; i < kPad; ++i) probes.push_back(Probe().record(pad_log, i).gate(gate).returns(0));
  for (std::size_t i = 0; i < tail; ++i) {
    probes.push_back(Probe().record(log, static_cast<std::int64_t>(k + 1 + i)).returns(0));
  }
  const auto timeout = how == 2 ? gen_short_timeout() : EdgeTimeout{"30s", Timeout(kLong), {}, false};
  auto start = Clock::now();
  auto run = ex.map(probes, MapSpec{timeout.timeout, std::nullopt});
  for (std::size_t i = 0; i < k; ++i) {
    auto o = run->next();
    RC_ASSERT(o && o->is(Kind::kValue));
  }
  RC_ASSERT(lab.await_arrivals(gate, 1, kLong));
  if (how == 2) {
    auto o = run->next();
    RC_ASSERT(o && o->is(Kind::kTimeout));
    RC_ASSERT(Clock::now() - start >= timeout.at_least);
    RC_ASSERT(!run->next().has_value());
  } else if (how == 1) {
    run.reset();
  } else {
    run->close();
    RC_ASSERT(!run->next().has_value());
  }
  lab.open(gate);
  ex.shutdown(true, false);
  auto ran = lab.log(log);
  for (std::size_t i = 0; i <= k; ++i) RC_ASSERT(times_in(ran, static_cast<std::int64_t>(i)) == 1u);
  if (ran.size() != k + 1) {
    // A map closed or dropped before its first step is cf's rule only.
    CF_RC_FAIL(std::string(how == 2   ? "[MAP-TIMEOUT-1 MAP-TIMEOUT-2]"
                        : k == 0 ? "[EXT-ABANDON-1]"
                                 : "[MAP-ABANDON-1]") +
            " a call after the abandoned position ran");
  }
  for (auto p : lab.log(pad_log)) RC_ASSERT(times_in(lab.log(pad_log), p) == 1u);
  RC_TAG(how == 0 ? "close" : how == 1 ? "destroy" : "timeout");
}

}  // namespace
}  // namespace cf::conformance
