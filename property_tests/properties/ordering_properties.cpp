// Ordering properties: map keeps input order up to a failure; one queue
// starts the oldest task whenever a worker frees; as_completed follows the
// order of completion events, cancellations included; callbacks run in the
// order added; map(buffersize) never runs ahead of its window.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <mutex>
#include <numeric>
#include <set>
#include <string>
#include <vector>

#include "harness/suite.hpp"
#include "properties/support.hpp"

namespace cf::conformance {
namespace {

using namespace props;

// Calls all running at once, released in a random order: results come in
// input order up to the first failing call, which raises there; then the
// sequence ends [MAP-EXC-1] [MAP-EXC-2].
RC_GTEST_FIXTURE_PROP(Conformance, ORD_MapRaisesAtTheFailingPositionAfterEarlierResults, ()) {
  CF_CLAUSES("MAP-ORDER-1", "MAP-EXC-1", "MAP-EXC-2", "MAP-EAGER-1");
  CF_REQUIRE(Cap::kMap, Cap::kMaxWorkers);
  OpenGatesAtExit guard{lab};
  const auto n = static_cast<std::size_t>(*rc::gen::inRange(1, 9));
  const auto fails = *rc::gen::container<std::vector<bool>>(
      n, rc::gen::weightedElement<bool>({{3, false}, {1, true}}));
  auto& ex = make_executor(static_cast<int>(n));
  int log = lab.new_log();
  std::vector<int> gates;
  auto probes = gated_probes(lab, log, n, fails, &gates);
  auto run = ex.map(probes, MapSpec{kLong, std::nullopt});
  // Every call is submitted before the first result is asked for [MAP-EAGER-1].
  RC_ASSERT(lab.await_log_size(log, n, kLong));
  for (auto i : permutation(n)) lab.open(gates[i]);
  for (std::size_t i = 0; i < n; ++i) {
    auto o = run->next();
    RC_ASSERT(o.has_value());
    RC_ASSERT(seen(*o, gated_outcome(i, fails)) == to_string(gated_outcome(i, fails)));
    if (fails[i]) break;
  }
  RC_ASSERT(!run->next().has_value());
}

// W workers, tasks each at its own gate: the first W start; whenever one is
// released, the oldest queued task is the one that starts [TPE-FIFO-1], and
// never more than W run at once [TPE-MAX-1].
RC_GTEST_FIXTURE_PROP(Conformance, ORD_FreedWorkerStartsTheOldestQueuedTask, ()) {
  CF_CLAUSES("TPE-FIFO-1", "TPE-MAX-1");
  CF_REQUIRE(Cap::kMaxWorkers);
  OpenGatesAtExit guard{lab};
  const int workers = *rc::gen::inRange(1, 4);
  const auto n = static_cast<std::size_t>(*rc::gen::inRange(workers, 13));
  auto& ex = make_executor(workers);
  int log = lab.new_log();
  auto g = submit_gated(ex, lab, log, n, {}, false);
  const auto w = static_cast<std::size_t>(workers);
  RC_ASSERT(lab.await_log_size(log, w, kLong));
  const auto first = lab.log(log);
  std::set<std::int64_t> started(first.begin(), first.end());
  RC_ASSERT(first.size() == w);
  RC_ASSERT(started.size() == w && *started.rbegin() == static_cast<std::int64_t>(w) - 1);
  std::set<std::int64_t> running = started;
  for (std::size_t next = w; next < n; ++next) {
    auto release = *rc::gen::elementOf(std::vector<std::int64_t>(running.begin(), running.end()));
    running.erase(release);
    lab.open(g.gates[static_cast<std::size_t>(release)]);
    RC_ASSERT(lab.await_log_size(log, next + 1, kLong));
    auto now = lab.log(log);
    RC_ASSERT(now.size() == next + 1);  // exactly one more started
    RC_ASSERT(now.back() == static_cast<std::int64_t>(next));
    running.insert(now.back());
  }
}

// Completion events, in a random order: releasing a running task or
// cancelling a queued one. Each completes exactly one future, and
// as_completed yields it next [ASC-ORDER-1] [ASC-CANCEL-1].
RC_GTEST_FIXTURE_PROP(Conformance, ORD_AsCompletedFollowsCompletionsIncludingCancels, ()) {
  CF_CLAUSES("ASC-ORDER-1", "ASC-CANCEL-1", "ASC-ALL-1");
  CF_REQUIRE(Cap::kAsCompleted, Cap::kCancel, Cap::kStateQueries, Cap::kMaxWorkers);
  OpenGatesAtExit guard{lab};
  const int workers = *rc::gen::inRange(1, 4);
  const auto n = static_cast<std::size_t>(*rc::gen::inRange(1, 10));
  auto& ex = make_executor(workers);
  int log = lab.new_log();
  // Padding keeps the executor's prefetch window away from the targets.
  int pad_gate = lab.new_gate();
  std::vector<FuturePtr> pads;
  for (int i = 0; i < workers * (1 + 4); ++i) pads.push_back(ex.submit(Probe().gate(pad_gate).returns(-1)));
  RC_ASSERT(lab.await_arrivals(pad_gate, workers, kLong));
  auto g = submit_gated(ex, lab, log, n, {}, false);
  auto run = impl().as_completed(g.futures, kLong);
  // Cancel a random subset of the (queued) targets, in a random order.
  std::vector<std::size_t> expected;
  for (auto i : permutation(n)) {
    if (!*rc::gen::arbitrary<bool>()) continue;
    if (!g.futures[i]->cancel()) {
      RC_ASSERT(g.futures[i]->running());  // refused only if already claimed
      continue;
    }
    auto next = run->next();
    RC_ASSERT(next.has_value());
    RC_ASSERT(*next == i);
    expected.push_back(i);
  }
  // Release the rest: whenever the oldest ones have started (FIFO), a
  // random started one; each opened gate completes exactly its task.
  lab.open(pad_gate);
  std::vector<std::size_t> remaining;
  for (std::size_t i = 0; i < n; ++i) {
    if (!g.futures[i]->cancelled()) remaining.push_back(i);
  }
  while (!remaining.empty()) {
    auto started = std::min(remaining.size(), static_cast<std::size_t>(workers));
    for (std::size_t k = 0; k < started; ++k) {
      RC_ASSERT(lab.await_arrivals(g.gates[remaining[k]], 1, kLong));
    }
    auto pick = static_cast<std::size_t>(*rc::gen::inRange<std::size_t>(0, started));
    auto i = remaining[pick];
    remaining.erase(remaining.begin() + static_cast<std::ptrdiff_t>(pick));
    lab.open(g.gates[i]);
    RC_ASSERT(!g.futures[i]->result(kLong).is(Kind::kTimeout));
    auto next = run->next();
    RC_ASSERT(next.has_value());
    RC_ASSERT(*next == i);
  }
  RC_ASSERT(!run->next().has_value());
}

// Done-callbacks of an executor's future run in the order added: those added
// before completion when it completes, those added after at once, in the
// adding thread [FUT-CB-1] [FUT-CB-2] [FUT-CB-3].
RC_GTEST_FIXTURE_PROP(Conformance, ORD_CallbacksRunInTheOrderAdded, ()) {
  CF_CLAUSES("FUT-CB-1", "FUT-CB-2", "FUT-CB-3");
  CF_REQUIRE(Cap::kDoneCallbacks);
  OpenGatesAtExit guard{lab};
  const int before = *rc::gen::inRange(0, 8);
  const int after = *rc::gen::inRange(0, 5);
  const bool fails = *rc::gen::arbitrary<bool>();
  auto& ex = make_executor(1);
  int log = lab.new_log();
  auto g = submit_gated(ex, lab, log, 1, {fails}, false);
  // Shared with the callbacks, which may outlive a failed case.
  struct Calls {
    std::mutex mutex;
    std::vector<std::pair<int, std::int64_t>> list;  // id, thread
  };
  auto shared = std::make_shared<Calls>();
  std::mutex& mutex = shared->mutex;
  auto& calls = shared->list;
  auto record = [shared](int id) {
    return [shared, id](const CallbackEvent& e) {
      std::lock_guard lock(shared->mutex);
      shared->list.emplace_back(id, e.thread_token);
    };
  };
  for (int id = 0; id < before; ++id) g.futures[0]->add_done_callback(record(id));
  {
    std::lock_guard lock(mutex);
    RC_ASSERT(calls.empty());  // nothing runs before completion
  }
  lab.open(g.gates[0]);
  RC_ASSERT(!g.futures[0]->result(kLong).is(Kind::kTimeout));
  const auto me = impl().thread_token();
  auto ran_here = [&](int id) {
    std::lock_guard lock(mutex);
    return std::count(calls.begin(), calls.end(), std::pair<int, std::int64_t>(id, me)) == 1;
  };
  for (int id = before; id < before + after; ++id) {
    g.futures[0]->add_done_callback(record(id));
    RC_ASSERT(ran_here(id));  // at once, in this thread
  }
  // The callbacks added before may still be finishing in the completing
  // thread after result() returned; the pool's shutdown waits for them.
  ex.shutdown(true, false);
  std::lock_guard lock(mutex);
  std::vector<int> ids, early;
  for (const auto& c : calls) ids.push_back(c.first);
  for (int id : ids) {
    if (id < before) early.push_back(id);
  }
  std::vector<int> all(static_cast<std::size_t>(before + after));
  std::iota(all.begin(), all.end(), 0);
  std::sort(ids.begin(), ids.end());
  RC_ASSERT(ids == all);  // each ran exactly once
  RC_ASSERT(std::is_sorted(early.begin(), early.end()));  // in the order added
}

// map(buffersize=B) over calls each at its own gate: at most B calls have
// started before the first result is taken, and at most B + k after k
// results [MAP-BUF-1]; the results still come in order [MAP-ORDER-1].
RC_GTEST_FIXTURE_PROP(Conformance, ORD_MapBuffersizeNeverRunsAheadOfItsWindow, ()) {
  CF_CLAUSES("MAP-BUF-1", "MAP-ORDER-1");
  CF_REQUIRE(Cap::kMap, Cap::kMapBuffersize, Cap::kMaxWorkers);
  OpenGatesAtExit guard{lab};
  const auto n = static_cast<std::size_t>(*rc::gen::inRange(1, 10));
  const auto b = static_cast<std::size_t>(*rc::gen::inRange(1, 5));
  auto& ex = make_executor(static_cast<int>(n));
  int log = lab.new_log();
  std::vector<int> gates;
  auto probes = gated_probes(lab, log, n, {}, &gates);
  auto run = ex.map(probes, MapSpec{kLong, b});
  RC_ASSERT(lab.await_log_size(log, std::min(n, b), kLong));
  RC_ASSERT(lab.log(log).size() <= b);
  for (std::size_t k = 0; k < n; ++k) {
    lab.open(gates[k]);
    auto o = run->next();
    RC_ASSERT(o && o->is(Kind::kValue) && o->value == static_cast<std::int64_t>(k));
    RC_ASSERT(lab.log(log).size() <= std::min(n, b + k + 1));
  }
  RC_ASSERT(!run->next().has_value());
}

}  // namespace
}  // namespace cf::conformance
