// Accounting properties: every submitted task is run or cancelled exactly
// once, never both, never lost; a done-callback attached before completion
// and one attached after each run exactly once; task errors stay in their
// own futures; concurrent submitters lose nothing; map runs each call once;
// every reader of a shared future sees the one outcome.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <atomic>
#include <barrier>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "harness/suite.hpp"
#include "properties/support.hpp"

namespace cf::conformance {
namespace {

using namespace props;

// Random tasks (some failing) at their own gates; in a random order, gates
// are opened and cancels tried; then shutdown with random flags. Afterwards
// each future is cancelled and its task never ran, or it ran exactly once and
// holds its own outcome.
RC_GTEST_FIXTURE_PROP(Conformance, ACC_EveryTaskRunsOrIsCancelledExactlyOnce, ()) {
  CF_CLAUSES("EXEC-CANCEL-1", "EXEC-SUBMIT-1", "EXEC-SUBMIT-2", "SHUT-CANCEL-1", "SHUT-CANCEL-2",
             "SHUT-WAIT-1", "FUT-CANCEL-2");
  CF_REQUIRE(Cap::kCancel, Cap::kStateQueries);
  OpenGatesAtExit guard{lab};
  const int workers = *rc::gen::inRange(1, 4);
  const auto n = static_cast<std::size_t>(*rc::gen::inRange(1, 16));
  const auto fails = *rc::gen::container<std::vector<bool>>(n, rc::gen::arbitrary<bool>());
  // With gates still closed only a shutdown that does not wait can come first.
  const bool cancel_futures = has(caps(), Cap::kCancelFutures) && has(caps(), Cap::kShutdownNoWait) &&
                              *rc::gen::arbitrary<bool>();
  auto& ex = make_executor(workers);
  int log = lab.new_log();
  auto g = submit_gated(ex, lab, log, n, fails, false);
  std::vector<bool> cancel_said(n, false);
  for (int step = 0, steps = *rc::gen::inRange(0, 2 * static_cast<int>(n) + 1); step < steps; ++step) {
    auto i = *rc::gen::inRange<std::size_t>(0, n);
    if (*rc::gen::arbitrary<bool>()) {
      lab.open(g.gates[i]);
    } else if (g.futures[i]->cancel()) {
      cancel_said[i] = true;
    }
  }
  if (has(caps(), Cap::kShutdownNoWait)) ex.shutdown(false, cancel_futures);
  lab.open_all();
  ex.shutdown(true, false);
  // Each failed check is one line naming its clauses, so a departure from
  // one rule (say, a shutdown(wait=true) that returns early) is charged to
  // that rule, and the accounting is still judged once every task settled.
  std::vector<std::string> failed;
  for (std::size_t i = 0; i < n; ++i) {
    if (!g.futures[i]->done()) {
      failed.push_back("[SHUT-WAIT-1] f" + std::to_string(i) + " is not done after shutdown(wait=true)");
    }
  }
  std::vector<Outcome> outcomes;
  for (std::size_t i = 0; i < n; ++i) outcomes.push_back(g.futures[i]->result(kLong));
  auto ran = lab.log(log);
  for (std::size_t i = 0; i < n; ++i) {
    const auto id = static_cast<std::int64_t>(i);
    const auto f = "f" + std::to_string(i);
    const auto times = times_in(ran, id);
    if (g.futures[i]->cancelled()) {
      if (!cancel_said[i] && !cancel_futures) {
        failed.push_back("[EXEC-CANCEL-1 SHUT-CANCEL-2] " + f +
                         " is cancelled, yet no cancel() returned true and shutdown did not cancel futures");
      }
      if (times != 0) failed.push_back("[EXEC-CANCEL-1 SHUT-CANCEL-1] " + f + " is cancelled, yet its task ran");
    } else if (outcomes[i].is(Kind::kTimeout)) {
      failed.push_back("[EXEC-SUBMIT-1] " + f + " is not done " + std::to_string(kLong.count()) +
                       " s after every gate opened");
    } else {
      if (cancel_said[i]) failed.push_back("[EXEC-CANCEL-1 FUT-CANCEL-2] cancel() of " + f + " returned true, yet its task ran");
      if (times != 1) {
        failed.push_back("[EXEC-SUBMIT-1] the task of " + f + " ran " + std::to_string(times) + " times");
      }
      const auto expected = gated_outcome(i, fails);
      if (seen(outcomes[i], expected) != to_string(expected)) {
        failed.push_back("[EXEC-SUBMIT-1 EXEC-SUBMIT-2] " + f + " holds " + to_string(outcomes[i]) +
                         ", not its task's outcome " + to_string(expected));
      }
    }
  }
  if (!failed.empty()) {
    std::string message;
    for (const auto& line : failed) message += line + "\n";
    CF_RC_FAIL(message + replay_hint());
  }
}

// How many times each callback ran; waits are bounded.
class CallCounts {
 public:
  explicit CallCounts(std::size_t slots) : counts_(slots, 0) {}
  void add(std::size_t slot) {
    {
      std::lock_guard lock(mutex_);
      ++counts_[slot];
    }
    changed_.notify_all();
  }
  int get(std::size_t slot) {
    std::lock_guard lock(mutex_);
    return counts_[slot];
  }
  bool await_at_least(std::size_t slot, int times, std::chrono::seconds limit) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, limit, [&] { return counts_[slot] >= times; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<int> counts_;
};

// Each future gets callbacks before and after completion; it completes by
// its task (value or failure), by cancel() while queued, or by
// shutdown(cancel_futures). Every callback ran exactly once.
RC_GTEST_FIXTURE_PROP(Conformance, ACC_CallbacksBeforeAndAfterCompletionRunOnce, ()) {
  CF_CLAUSES("FUT-CB-1", "FUT-CB-3", "FUT-CB-6", "SHUT-CANCEL-1");
  CF_REQUIRE(Cap::kDoneCallbacks, Cap::kMaxWorkers);
  OpenGatesAtExit guard{lab};
  const auto n = static_cast<std::size_t>(*rc::gen::inRange(1, 10));
  const auto fails = *rc::gen::container<std::vector<bool>>(n, rc::gen::arbitrary<bool>());
  const auto before = *rc::gen::container<std::vector<int>>(n, rc::gen::inRange(0, 3));
  const auto after = *rc::gen::container<std::vector<int>>(n, rc::gen::inRange(0, 3));
  const bool cancel_some = has(caps(), Cap::kCancel) && *rc::gen::arbitrary<bool>();
  const bool shutdown_cancel = has(caps(), Cap::kCancelFutures) && has(caps(), Cap::kShutdownNoWait) &&
                               *rc::gen::arbitrary<bool>();
  auto& ex = make_executor(1);
  int log = lab.new_log();
  auto g = submit_gated(ex, lab, log, n, fails, false);
  auto counts = std::make_shared<CallCounts>(n * 8);
  auto callback = [counts](std::size_t slot) {
    return [counts, slot](const CallbackEvent& e) {
      if (e.done) counts->add(slot);
    };
  };
  auto name = [](std::size_t i, std::size_t slot) {
    return "callback " + std::to_string(slot % 8) + " of f" + std::to_string(i);
  };
  for (std::size_t i = 0; i < n; ++i) {
    for (int k = 0; k < before[i]; ++k) g.futures[i]->add_done_callback(callback(i * 8 + static_cast<std::size_t>(k)));
  }
  if (cancel_some) {
    for (std::size_t i = 1; i < n; i += 2) {  // queued behind task 0, or claimed
      if (!g.futures[i]->cancel()) continue;
      for (int k = 0; k < before[i]; ++k) {
        auto slot = i * 8 + static_cast<std::size_t>(k);
        if (counts->get(slot) != 1) CF_RC_FAIL("[FUT-CB-6] " + name(i, slot) + " had not run when cancel() returned");
      }
    }
  }
  if (shutdown_cancel) ex.shutdown(false, true);
  lab.open_all();
  for (std::size_t i = 0; i < n; ++i) RC_ASSERT(!g.futures[i]->result(kLong).is(Kind::kTimeout));
  for (std::size_t i = 0; i < n; ++i) {
    for (int k = 0; k < after[i]; ++k) {
      auto slot = i * 8 + 4 + static_cast<std::size_t>(k);
      g.futures[i]->add_done_callback(callback(slot));
      if (counts->get(slot) != 1) CF_RC_FAIL("[FUT-CB-3] " + name(i, slot) + ", added to a done future, did not run at once");
    }
  }
  // A future's readers may wake before its completing thread has run its
  // callbacks (it sets the state, then calls them): wait for them, bounded.
  for (std::size_t i = 0; i < n; ++i) {
    for (int k = 0; k < before[i]; ++k) {
      auto slot = i * 8 + static_cast<std::size_t>(k);
      if (!counts->await_at_least(slot, 1, kLong)) {
        CF_RC_FAIL("[FUT-CB-1] " + name(i, slot) + " did not run within " + std::to_string(kLong.count()) +
                   " s of f" + std::to_string(i) + " completing");
      }
    }
  }
  ex.shutdown(true, false);
  auto ran_once = [&](std::size_t i, std::size_t slot, const char* clause) {
    if (auto times = counts->get(slot); times != 1) {
      CF_RC_FAIL(std::string("[") + clause + "] " + name(i, slot) + " ran " + std::to_string(times) + " times");
    }
  };
  for (std::size_t i = 0; i < n; ++i) {
    for (int k = 0; k < before[i]; ++k) ran_once(i, i * 8 + static_cast<std::size_t>(k), "FUT-CB-1");
    for (int k = 0; k < after[i]; ++k) ran_once(i, i * 8 + 4 + static_cast<std::size_t>(k), "FUT-CB-3");
  }
}

// Failing and succeeding tasks in random order: each future holds its own
// outcome, and the executor keeps running what comes after a failure.
RC_GTEST_FIXTURE_PROP(Conformance, ACC_TaskErrorsStayInTheirFutures, ()) {
  CF_CLAUSES("EXEC-SUBMIT-1", "EXEC-SUBMIT-2", "EXEC-SUBMIT-3", "FUT-RESULT-2", "FUT-EXC-1");
  OpenGatesAtExit guard{lab};
  const auto fails = *rc::gen::container<std::vector<bool>>(*rc::gen::inRange<std::size_t>(1, 30),
                                                           rc::gen::arbitrary<bool>());
  auto& ex = make_executor(*rc::gen::inRange(1, 5));
  std::vector<FuturePtr> fs;
  for (std::size_t i = 0; i < fails.size(); ++i) {
    Probe p;
    fs.push_back(ex.submit(fails[i] ? p.raises(failure_message(i)) : p.returns(static_cast<std::int64_t>(i))));
  }
  for (std::size_t i = 0; i < fails.size(); ++i) {
    auto expected = gated_outcome(i, fails);
    RC_ASSERT(seen(fs[i]->result(kLong), expected) == to_string(expected));
    auto e = fs[i]->exception(kLong);
    auto expected_e = fails[i] ? expected : Outcome{};
    RC_ASSERT(seen(e, expected_e) == to_string(expected_e));
  }
}

// Several threads submit at once: every task runs exactly once, with its value.
RC_GTEST_FIXTURE_PROP(Conformance, ACC_ConcurrentSubmittersLoseNothing, ()) {
  CF_CLAUSES("EXEC-SUBMIT-1", "TPE-MAX-1");
  OpenGatesAtExit guard{lab};
  const int submitters = *rc::gen::inRange(2, 5);
  const int per = *rc::gen::inRange(1, 25);
  auto& ex = make_executor(*rc::gen::inRange(1, 5));
  int log = lab.new_log();
  std::vector<std::vector<FuturePtr>> fs(static_cast<std::size_t>(submitters));
  std::barrier start(submitters);
  {
    std::vector<std::jthread> threads;
    for (int s = 0; s < submitters; ++s) {
      threads.emplace_back([&, s] {
        start.arrive_and_wait();
        for (int i = 0; i < per; ++i) {
          std::int64_t id = s * 1000 + i;
          fs[static_cast<std::size_t>(s)].push_back(ex.submit(Probe().record(log, id).returns(id)));
        }
      });
    }
  }
  for (int s = 0; s < submitters; ++s) {
    for (int i = 0; i < per; ++i) {
      auto o = fs[static_cast<std::size_t>(s)][static_cast<std::size_t>(i)]->result(kLong);
      RC_ASSERT(o.is(Kind::kValue) && o.value == s * 1000 + i);
    }
  }
  auto ran = lab.log(log);
  RC_ASSERT(ran.size() == static_cast<std::size_t>(submitters * per));
  for (int s = 0; s < submitters; ++s) {
    for (int i = 0; i < per; ++i) RC_ASSERT(times_in(ran, s * 1000 + i) == 1u);
  }
}

// map over ungated calls, with or without buffersize: each call runs once,
// results in input order, and then the sequence ends.
RC_GTEST_FIXTURE_PROP(Conformance, ACC_MapRunsEveryCallOnce, ()) {
  CF_CLAUSES("MAP-ORDER-1", "MAP-EAGER-1", "MAP-BUF-1", "MAP-EMPTY-1");
  CF_REQUIRE(Cap::kMap);
  OpenGatesAtExit guard{lab};
  const auto n = static_cast<std::size_t>(*rc::gen::inRange(0, 30));
  std::optional<std::size_t> buffersize;
  if (has(caps(), Cap::kMapBuffersize) && *rc::gen::arbitrary<bool>()) {
    buffersize = *rc::gen::inRange<std::size_t>(1, 6);
  }
  auto& ex = make_executor(*rc::gen::inRange(1, 5));
  int log = lab.new_log();
  std::vector<Probe> probes;
  for (std::size_t i = 0; i < n; ++i) {
    probes.push_back(Probe().record(log, static_cast<std::int64_t>(i)).returns(static_cast<std::int64_t>(i) * 3));
  }
  auto run = ex.map(probes, MapSpec{kLong, buffersize});
  for (std::size_t i = 0; i < n; ++i) {
    auto o = run->next();
    RC_ASSERT(o && o->is(Kind::kValue) && o->value == static_cast<std::int64_t>(i) * 3);
  }
  RC_ASSERT(!run->next().has_value());
  auto ran = lab.log(log);
  RC_ASSERT(ran.size() == n);
  for (std::size_t i = 0; i < n; ++i) RC_ASSERT(times_in(ran, static_cast<std::int64_t>(i)) == 1u);
}

// Readers on several threads call result()/exception() repeatedly, before
// and after completion, on one shared future: all see the one outcome.
RC_GTEST_FIXTURE_PROP(Conformance, ACC_EveryReaderSeesTheOneOutcome, ()) {
  CF_CLAUSES("FUT-RESULT-1", "FUT-RESULT-2", "FUT-RESULT-5", "EXT-SHARED-1");
  OpenGatesAtExit guard{lab};
  const int readers = *rc::gen::inRange(1, 6);
  const int reads = *rc::gen::inRange(1, 5);
  const bool fails = *rc::gen::arbitrary<bool>();
  auto& ex = make_executor(1);
  int log = lab.new_log();
  auto g = submit_gated(ex, lab, log, 1, {fails}, false);
  auto expected = gated_outcome(0, {fails});
  std::atomic<int> wrong{0};
  std::barrier start(readers + 1);
  {
    std::vector<std::jthread> threads;
    for (int r = 0; r < readers; ++r) {
      threads.emplace_back([&] {
        start.arrive_and_wait();
        for (int k = 0; k < reads; ++k) {
          auto o = g.futures[0]->result(kLong);
          if (seen(o, expected) != to_string(expected)) wrong.fetch_add(1);
        }
      });
    }
    start.arrive_and_wait();
    lab.open(g.gates[0]);
  }
  RC_ASSERT(wrong.load() == 0);
  RC_ASSERT(seen(g.futures[0]->result(kLong), expected) == to_string(expected));
}

}  // namespace
}  // namespace cf::conformance
