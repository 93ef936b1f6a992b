// RapidCheck properties of done-callbacks [FUT-CB-*]: they run in the order added,
// each once, whether added before or after completion.
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
#include <memory>
#include <mutex>
#include <numeric>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "harness/setups.hpp"
#include "harness/suite.hpp"
#include "properties/support.hpp"

namespace cf::conformance {
namespace {

using namespace props;

// Done-callbacks of an executor's future run in the order added: those added
// before completion when it completes (not before: each sees the future
// done), those added after at once, in the adding thread [FUT-CB-1]
// [FUT-CB-2] [FUT-CB-3].
RC_GTEST_FIXTURE_PROP(Conformance, ORD_CallbacksRunInTheOrderAdded, ()) {
  CF_REQUIRE(Cap::kDoneCallbacks);
  const int before = *rc::gen::inRange(0, 8);
  const int after = *rc::gen::inRange(0, 5);
  const bool fails = *rc::gen::arbitrary<bool>();
  auto& ex = make_executor(1);
  int log = lab.new_log();
  auto g = submit_gated(ex, lab, log, 1, {fails}, false);
  // Shared with the callbacks, which may outlive a failed case.
  struct Call {
    int id;
    std::int64_t thread;
    bool done;  // the future was done when the callback ran
  };
  struct Calls {
    std::mutex mutex;
    std::vector<Call> list;
  };
  auto shared = std::make_shared<Calls>();
  auto record = [shared](int id) {
    return [shared, id](const CallbackEvent& e) {
      std::lock_guard lock(shared->mutex);
      shared->list.push_back({id, e.thread_token, e.done});
    };
  };
  auto calls = [shared] {
    std::lock_guard lock(shared->mutex);
    return shared->list;
  };
  for (int id = 0; id < before; ++id) g.futures[0]->add_done_callback(record(id));
  CF_CHECK("FUT-CB-1", calls().empty()) << calls().size() << " callbacks ran before completion";
  lab.open(g.gates[0]);
  CF_PRECONDITION("EXEC-SUBMIT-1", !g.futures[0]->result(kLong).is(Kind::kTimeout))
      << "the task did not finish once released";
  const auto me = impl().thread_token();
  for (int id = before; id < before + after; ++id) {
    g.futures[0]->add_done_callback(record(id));
    auto now = calls();
    CF_CHECK("FUT-CB-3",
             std::count_if(now.begin(), now.end(),
                           [&](const Call& c) { return c.id == id && c.thread == me; }) == 1)
        << "callback " << id << ", added to the done future, had not run in the adding thread when "
        << "add_done_callback returned";
  }
  // The callbacks added before may still be finishing in the completing
  // thread after result() returned; the pool's shutdown waits for them.
  {
    CF_STEP("SHUT-WAIT-1");
    ex.shutdown(true, false);
  }
  auto all = calls();
  std::vector<int> early;
  for (int id = 0; id < before + after; ++id) {
    const char* rule = id < before ? "FUT-CB-1" : "FUT-CB-3";
    auto runs = std::count_if(all.begin(), all.end(), [&](const Call& c) { return c.id == id; });
    CF_CHECK_EQ(rule, runs, 1) << "runs of callback " << id;
  }
  for (const auto& c : all) {
    CF_CHECK(c.id < before ? "FUT-CB-1" : "FUT-CB-3", c.done)
        << "callback " << c.id << " saw the future not done";
    if (c.id < before) early.push_back(c.id);
  }
  CF_CHECK("FUT-CB-2", std::is_sorted(early.begin(), early.end()))
      << "the callbacks added before completion ran in the order "
      << ::testing::PrintToString(early);
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

}  // namespace
}  // namespace cf::conformance
