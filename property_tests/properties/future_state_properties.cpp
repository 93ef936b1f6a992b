// RapidCheck properties of cancel() [FUT-CANCEL-*]: a pending future's cancel()
// is true, idempotent, and its task never runs; a running or finished one's is
// false and changes nothing.
//
// The state table's model-based properties are in future_properties.cpp.
//
// Each case gets a fresh fixture (a new Lab; executors drained, gates opened,
// however the case ends).
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

}  // namespace
}  // namespace cf::conformance
