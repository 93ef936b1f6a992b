// Accounting properties: every submitted task is run or cancelled exactly
// once, never both, never lost; a done-callback attached before completion
// and one attached after each run exactly once; task errors stay in their
// own futures; concurrent submitters lose nothing; map runs each call once;
// every reader of a shared future sees the one outcome.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <barrier>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "harness/suite.hpp"
#include "properties/support.hpp"

namespace cf::conformance {
namespace {

using namespace props;

std::string future_name(std::size_t i) { return "f" + std::to_string(i); }

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
  for (int step = 0, steps = *rc::gen::inRange(0, 2 * static_cast<int>(n) + 1); step < steps;
       ++step) {
    auto i = *rc::gen::inRange<std::size_t>(0, n);
    if (*rc::gen::arbitrary<bool>()) {
      lab.open(g.gates[i]);
    } else {
      cancel_tried[i] = true;
      const bool started = times_in(lab.log(log), static_cast<std::int64_t>(i)) > 0;
      if (g.futures[i]->cancel()) {
        cancel_said[i] = true;
        said_started[i] = said_started[i] || started;
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
    if (cancel_tried[i]) {
      CF_CHECK(said_started[i] ? "FUT-CANCEL-2" : "FUT-STATE-4", !cancel_said[i])
          << "cancel() of " << f << (said_started[i] ? ", called after its task started," : "")
          << " returned true, yet it is not cancelled and its task ran " << times << " times";
    }
    CF_CHECK_EQ("EXEC-SUBMIT-1", times, 1u) << "times the task of " << f << " ran";
    check_result(g.futures[i]->result(kLong), gated_outcome(i, fails), f);
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
  CF_REQUIRE(Cap::kDoneCallbacks, Cap::kMaxWorkers);
  const auto n = static_cast<std::size_t>(*rc::gen::inRange(1, 10));
  const auto fails = *rc::gen::container<std::vector<bool>>(n, rc::gen::arbitrary<bool>());
  const auto before = *rc::gen::container<std::vector<int>>(n, rc::gen::inRange(0, 3));
  const auto after = *rc::gen::container<std::vector<int>>(n, rc::gen::inRange(0, 3));
  const bool cancel_some = has(Cap::kCancel) && *rc::gen::arbitrary<bool>();
  const bool shutdown_cancel =
      has(Cap::kCancelFutures) && has(Cap::kShutdownNoWait) && *rc::gen::arbitrary<bool>();
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
    return "callback " + std::to_string(slot % 8) + " of " + future_name(i);
  };
  for (std::size_t i = 0; i < n; ++i) {
    for (int k = 0; k < before[i]; ++k) {
      g.futures[i]->add_done_callback(callback(i * 8 + static_cast<std::size_t>(k)));
    }
  }
  if (cancel_some) {
    for (std::size_t i = 1; i < n; i += 2) {  // queued behind task 0, or claimed
      if (!cancel_took_effect(*g.futures[i], caps())) continue;
      for (int k = 0; k < before[i]; ++k) {
        auto slot = i * 8 + static_cast<std::size_t>(k);
        CF_CHECK_EQ("FUT-CB-6", counts->get(slot), 1)
            << "runs of " << name(i, slot) << " when cancel() returned";
      }
    }
  }
  if (shutdown_cancel) {
    CF_STEP("SHUT-NOWAIT-1");
    ex.shutdown(false, true);
  }
  lab.open_all();
  // The callbacks a future had when it completed run then [FUT-CB-1]; where
  // it completed by a cancellation (cancel(), or shutdown's), the cancel is
  // what runs them [FUT-CB-6].
  std::vector<const char*> completes(n, "FUT-CB-1");
  for (std::size_t i = 0; i < n; ++i) {
    const Outcome got = g.futures[i]->result(kLong);
    CF_PRECONDITION("EXEC-SUBMIT-1", !got.is(Kind::kTimeout))
        << future_name(i) << " is not done " << kLong.count() << " s after every gate opened";
    if (got.is(Kind::kCancelled)) completes[i] = "FUT-CB-6";
  }
  for (std::size_t i = 0; i < n; ++i) {
    for (int k = 0; k < after[i]; ++k) {
      auto slot = i * 8 + 4 + static_cast<std::size_t>(k);
      g.futures[i]->add_done_callback(callback(slot));
      CF_CHECK_EQ("FUT-CB-3", counts->get(slot), 1)
          << "runs of " << name(i, slot)
          << ", added to a done future, when add_done_callback returned";
    }
  }
  // A future's readers may wake before its completing thread has run its
  // callbacks (it sets the state, then calls them): wait for them, bounded.
  for (std::size_t i = 0; i < n; ++i) {
    for (int k = 0; k < before[i]; ++k) {
      auto slot = i * 8 + static_cast<std::size_t>(k);
      CF_CHECK(completes[i], counts->await_at_least(slot, 1, kLong))
          << name(i, slot) << " did not run within " << kLong.count() << " s of " << future_name(i)
          << " completing";
    }
  }
  {
    CF_STEP("SHUT-WAIT-1");
    ex.shutdown(true, false);
  }
  for (std::size_t i = 0; i < n; ++i) {
    for (int k = 0; k < before[i]; ++k) {
      auto slot = i * 8 + static_cast<std::size_t>(k);
      CF_CHECK_EQ(completes[i], counts->get(slot), 1) << "runs of " << name(i, slot);
    }
    for (int k = 0; k < after[i]; ++k) {
      auto slot = i * 8 + 4 + static_cast<std::size_t>(k);
      CF_CHECK_EQ("FUT-CB-3", counts->get(slot), 1) << "runs of " << name(i, slot);
    }
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

// map over ungated calls, with or without buffersize: each call runs once,
// results in input order, and then the sequence ends. Order is MAP-ORDER-1's
// rule with or without a buffersize (MAP-BUF-1 restates it): what MAP-BUF-1
// adds, the bound on submission, is not observed here.
RC_GTEST_FIXTURE_PROP(Conformance, ACC_MapRunsEveryCallOnce, ()) {
  CF_REQUIRE(Cap::kMap);
  const auto n = static_cast<std::size_t>(*rc::gen::inRange(0, 30));
  std::optional<std::size_t> buffersize;
  if (has(Cap::kMapBuffersize) && *rc::gen::arbitrary<bool>()) {
    buffersize = *rc::gen::inRange<std::size_t>(1, 6);
  }
  const char* order = "MAP-ORDER-1";
  const char* ends = n == 0 ? "MAP-EMPTY-1" : order;
  auto& ex = make_executor(*rc::gen::inRange(1, 5));
  int log = lab.new_log();
  std::vector<Probe> probes;
  for (std::size_t i = 0; i < n; ++i) {
    const auto id = static_cast<std::int64_t>(i);
    probes.push_back(Probe().record(log, id).returns(id * 3));
  }
  auto run = ex.map(probes, MapSpec{kLong, buffersize});
  std::optional<Outcome> o;
  for (std::size_t i = 0; i < n; ++i) {
    const auto value = static_cast<std::int64_t>(i) * 3;
    CF_CHECK(order, (o = run->next()) && o->is(Kind::kValue) && o->value == value)
        << "result " << i << " was " << describe(o) << ", expected value(" << value << ")";
  }
  CF_CHECK(ends, !(o = run->next())) << "after " << n << " results came " << describe(o);
  auto ran = lab.log(log);
  for (std::size_t i = 0; i < n; ++i) {
    CF_CHECK_EQ(order, times_in(ran, static_cast<std::int64_t>(i)), 1u)
        << "times call " << i << " ran";
  }
  CF_CHECK_EQ(ends, ran.size(), n) << "calls run in all";
  RC_CLASSIFY(buffersize.has_value(), "buffersize");
}

// Readers on several threads call result() repeatedly, before and after
// completion, on one shared future: each of them sees the one outcome.
RC_GTEST_FIXTURE_PROP(Conformance, ACC_EveryReaderSeesTheOneOutcome, ()) {
  const int readers = *rc::gen::inRange(1, 6);
  const int reads = *rc::gen::inRange(1, 5);
  const bool fails = *rc::gen::arbitrary<bool>();
  auto& ex = make_executor(1);
  int log = lab.new_log();
  auto g = submit_gated(ex, lab, log, 1, {fails}, false);
  const auto expected = gated_outcome(0, {fails});
  // The first read that differed from `expected`, per reader.
  std::vector<std::optional<Outcome>> wrong(static_cast<std::size_t>(readers));
  std::barrier start(readers + 1);
  {
    std::vector<std::jthread> threads;
    for (int r = 0; r < readers; ++r) {
      threads.emplace_back([&, r] {
        start.arrive_and_wait();
        for (int k = 0; k < reads; ++k) {
          auto o = g.futures[0]->result(kLong);
          if (seen(o, expected) != to_string(expected)) {
            wrong[static_cast<std::size_t>(r)] = o;
            return;
          }
        }
      });
    }
    start.arrive_and_wait();
    lab.open(g.gates[0]);
  }
  for (int r = 0; r < readers; ++r) {
    const auto& o = wrong[static_cast<std::size_t>(r)];
    CF_CHECK(fails ? "FUT-RESULT-2" : "FUT-RESULT-1", !o.has_value())
        << "reader " << r << " got " << to_string(*o) << ", expected " << to_string(expected);
  }
  check_result(g.futures[0]->result(kLong), expected, "the future, read once more", "FUT-RESULT-1");
}

}  // namespace
}  // namespace cf::conformance
