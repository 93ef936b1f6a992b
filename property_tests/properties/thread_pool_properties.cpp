// RapidCheck properties of the pool's scheduling [TPE-*]: one worker starts
// tasks in submission order (queued behind a busy worker, or in bursts on an
// idle one), and a freed worker starts the oldest queued task.
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

// With one worker, bursts of tasks, each burst submitted once the last task
// of the one before has its result, start in submission order. The worker has
// just gone idle when a burst begins: an executor that hands the first task
// to the worker it knows is idle must not let the tasks queued behind it
// overtake it.
RC_GTEST_FIXTURE_PROP(Conformance, TPE_FIFO_BurstsOnAnIdleWorkerStartInSubmissionOrder, ()) {
  CF_REQUIRE(Cap::kMaxWorkers);
  const auto bursts = static_cast<std::size_t>(*rc::gen::inRange(1, 12));
  auto sizes = *rc::gen::container<std::vector<int>>(bursts, rc::gen::inRange(1, 6));
  auto& ex = make_executor(1);
  int log = lab.new_log();
  std::vector<FuturePtr> futures;
  for (int size : sizes) {
    if (!futures.empty()) {
      CF_PRECONDITION("EXEC-SUBMIT-1", !futures.back()->result(kLong).is(Kind::kTimeout))
          << future_name(futures.size() - 1) << " did not finish on an otherwise idle worker";
    }
    for (int k = 0; k < size; ++k) {
      auto i = static_cast<std::int64_t>(futures.size());
      futures.push_back(ex.submit(Probe().record(log, i).returns(i)));
    }
  }
  std::vector<Outcome> outcomes;
  for (std::size_t i = 0; i < futures.size(); ++i) {
    outcomes.push_back(futures[i]->result(kLong));
    CF_PRECONDITION("EXEC-SUBMIT-1", !outcomes.back().is(Kind::kTimeout))
        << future_name(i) << " did not finish";
  }
  std::vector<std::int64_t> expected(futures.size());
  std::iota(expected.begin(), expected.end(), 0);
  auto ran = lab.log(log);
  std::vector<std::int64_t> each_once = ran;
  std::sort(each_once.begin(), each_once.end());
  CF_CHECK_EQ("EXEC-SUBMIT-1", each_once, expected) << "the tasks that ran, sorted";
  CF_CHECK_EQ("TPE-FIFO-1", ran, expected) << "the order the tasks started in";
  for (std::size_t i = 0; i < futures.size(); ++i) {
    check_result(outcomes[i], Outcome::of_value(static_cast<std::int64_t>(i)), future_name(i));
  }
}

// W workers, tasks each at its own gate: the first W start; whenever one is
// released, the oldest queued task is the one that starts [TPE-FIFO-1], and
// never more than W run at once [TPE-MAX-1]: concurrency is seen in the
// tasks' own arrivals, not through a thread count.
RC_GTEST_FIXTURE_PROP(Conformance, ORD_FreedWorkerStartsTheOldestQueuedTask, ()) {
  CF_REQUIRE(Cap::kMaxWorkers);
  const int workers = *rc::gen::inRange(1, 4);
  const auto n = static_cast<std::size_t>(*rc::gen::inRange(workers, 13));
  auto& ex = make_executor(workers);
  int log = lab.new_log();
  auto g = submit_gated(ex, lab, log, n, {}, false);
  const auto w = static_cast<std::size_t>(workers);
  await_logged(lab, log, w);
  const auto first = lab.log(log);
  std::set<std::int64_t> started(first.begin(), first.end());
  CF_CHECK_EQ("TPE-MAX-1", first.size(), w) << "tasks running at once on " << w << " workers";
  CF_CHECK("TPE-FIFO-1",
           started.size() == w && *started.rbegin() == static_cast<std::int64_t>(w) - 1)
      << "the first " << w << " tasks to start were " << ::testing::PrintToString(first);
  std::set<std::int64_t> running = started;
  for (std::size_t next = w; next < n; ++next) {
    auto release = *rc::gen::elementOf(std::vector<std::int64_t>(running.begin(), running.end()));
    running.erase(release);
    lab.open(g.gates[static_cast<std::size_t>(release)]);
    CF_PRECONDITION("EXEC-SUBMIT-1", lab.await_log_size(log, next + 1, kLong))
        << "no queued task started when task " << release << " freed its worker";
    auto now = lab.log(log);
    CF_CHECK_EQ("TPE-MAX-1", now.size(), next + 1)
        << "tasks started once " << next - w + 1 << " of " << n << " were released";
    CF_CHECK_EQ("TPE-FIFO-1", now.back(), static_cast<std::int64_t>(next))
        << "the task started when task " << release << " freed its worker";
    running.insert(now.back());
  }
}

}  // namespace
}  // namespace cf::conformance
