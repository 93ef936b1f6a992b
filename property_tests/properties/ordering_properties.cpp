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
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "harness/setups.hpp"
#include "harness/suite.hpp"
#include "properties/support.hpp"

namespace cf::conformance {
namespace {

using namespace props;

// Calls all running at once, released in a random order: results come in
// input order up to the first failing call, which raises there; then the
// sequence ends [MAP-EXC-1] [MAP-EXC-2].
RC_GTEST_FIXTURE_PROP(Conformance, ORD_MapRaisesAtTheFailingPositionAfterEarlierResults, ()) {
  CF_REQUIRE(Cap::kMap, Cap::kMaxWorkers);
  const auto n = static_cast<std::size_t>(*rc::gen::inRange(1, 9));
  const auto fails = *rc::gen::container<std::vector<bool>>(
      n, rc::gen::weightedElement<bool>({{3, false}, {1, true}}));
  auto& ex = make_executor(static_cast<int>(n));
  int log = lab.new_log();
  std::vector<int> gates;
  auto probes = gated_probes(lab, log, n, fails, &gates);
  auto run = ex.map(probes, MapSpec{kLong, std::nullopt});
  // Every call is submitted before the first result is asked for, and all n
  // run at once on n workers.
  CF_CHECK("MAP-EAGER-1", lab.await_log_size(log, n, kLong))
      << lab.log(log).size() << " of " << n
      << " calls started before the first result was asked for";
  for (auto i : permutation(n)) lab.open(gates[i]);
  bool failed = false;
  std::optional<Outcome> o;
  for (std::size_t i = 0; i < n && !failed; ++i) {
    const auto expected = gated_outcome(i, fails);
    failed = fails[i];
    CF_CHECK(failed ? "MAP-EXC-1" : "MAP-ORDER-1", (o = run->next()).has_value())
        << "the sequence ended at position " << i;
    if (!failed) {
      // An error where an earlier call's value belongs, with a failing call
      // later in the input, is that error raised ahead of its position
      // [MAP-EXC-1]; any other wrong result is out of order [MAP-ORDER-1].
      const bool later_fails = std::find(fails.begin() + static_cast<std::ptrdiff_t>(i),
                                         fails.end(), true) != fails.end();
      const bool raised_early = later_fails && o && !o->is(Kind::kValue) && !o->is(Kind::kNone);
      CF_CHECK_EQ(raised_early ? "MAP-EXC-1" : "MAP-ORDER-1", to_string(*o), to_string(expected))
          << "result " << i;
      continue;
    }
    // The call's own error, at its position.
    CF_CHECK("MAP-EXC-1", !(o->is(Kind::kValue) || o->is(Kind::kNone) || o->is(Kind::kTimeout) ||
                            o->is(Kind::kCancelled)))
        << "the failing call " << i << " gave " << to_string(*o);
    CF_CHECK("FUT-RESULT-2", seen(*o, expected) == to_string(expected))
        << "the failing call " << i << " raised " << to_string(*o) << ", not its own "
        << to_string(expected);
  }
  CF_CHECK(failed ? "MAP-EXC-2" : "MAP-ORDER-1", !(o = run->next()))
      << "after " << (failed ? "the failure" : "the last result") << " came " << describe(o);
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

// Completion events, in a random order: releasing a running task or
// cancelling a queued one. Each completes exactly one future, and
// as_completed yields it next [ASC-ORDER-1] [ASC-CANCEL-1].
RC_GTEST_FIXTURE_PROP(Conformance, ORD_AsCompletedFollowsCompletionsIncludingCancels, ()) {
  CF_REQUIRE(Cap::kAsCompleted, Cap::kCancel, Cap::kStateQueries, Cap::kMaxWorkers);
  const int workers = *rc::gen::inRange(1, 4);
  const auto n = static_cast<std::size_t>(*rc::gen::inRange(1, 10));
  auto& ex = make_executor(workers);
  int log = lab.new_log();
  // Padding keeps the executor's prefetch window away from the targets.
  int pad_gate = lab.new_gate();
  std::vector<FuturePtr> pads;
  for (int i = 0; i < workers * (1 + kPrefetch); ++i) {
    pads.push_back(ex.submit(Probe().gate(pad_gate).returns(-1)));
  }
  await_started(lab, pad_gate, workers);
  auto g = submit_gated(ex, lab, log, n, {}, false);
  auto run = impl().as_completed(g.futures, kLong);
  std::optional<std::size_t> next;
  // Cancel a random subset of the (queued) targets, in a random order.
  for (auto i : permutation(n)) {
    if (!*rc::gen::arbitrary<bool>()) continue;
    if (!cancel_took_effect(*g.futures[i], caps())) {
      CF_CHECK("FUT-CANCEL-1", g.futures[i]->running())  // refused only if already claimed
          << "cancel() of the queued target " << i << " returned false";
      continue;
    }
    const auto step = next_or_raised(*run);
    next = step.index;
    CF_CHECK(next ? "ASC-CANCEL-1" : unyielded_cancel_rule(impl(), g.futures[i]), next.has_value())
        << "as_completed ended before yielding the cancelled target " << i << step.raised;
    if (!next) break;
    CF_CHECK_EQ("ASC-ORDER-1", *next, i)
        << "the future yielded after target " << i << " was cancelled";
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
      CF_PRECONDITION("TPE-FIFO-1", lab.await_arrivals(g.gates[remaining[k]], 1, kLong))
          << "target " << remaining[k] << ", among the " << started
          << " oldest queued, never started";
    }
    auto pick = static_cast<std::size_t>(*rc::gen::inRange<std::size_t>(0, started));
    auto i = remaining[pick];
    remaining.erase(remaining.begin() + static_cast<std::ptrdiff_t>(pick));
    lab.open(g.gates[i]);
    CF_PRECONDITION("EXEC-SUBMIT-1", !g.futures[i]->result(kLong).is(Kind::kTimeout))
        << "target " << i << " did not finish once released";
    CF_CHECK("ASC-ALL-1", (next = run->next()).has_value())
        << "as_completed ended before yielding target " << i;
    CF_CHECK_EQ("ASC-ORDER-1", *next, i) << "the future yielded after target " << i << " finished";
  }
  CF_CHECK("ASC-ALL-1", !(next = run->next()).has_value())
      << "as_completed yielded target " << *next << " again";
}

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

// map(buffersize=B) over calls each at its own gate: at most B calls have
// started before the first result is taken, and at most B + k after k
// results [MAP-BUF-1]; the results still come in order [MAP-ORDER-1].
RC_GTEST_FIXTURE_PROP(Conformance, ORD_MapBuffersizeNeverRunsAheadOfItsWindow, ()) {
  CF_REQUIRE(Cap::kMap, Cap::kMapBuffersize, Cap::kMaxWorkers);
  const auto n = static_cast<std::size_t>(*rc::gen::inRange(1, 10));
  const auto b = static_cast<std::size_t>(*rc::gen::inRange(1, 5));
  auto& ex = make_executor(static_cast<int>(n));
  int log = lab.new_log();
  std::vector<int> gates;
  auto probes = gated_probes(lab, log, n, {}, &gates);
  auto run = ex.map(probes, MapSpec{kLong, b});
  CF_CHECK("MAP-BUF-1", lab.await_log_size(log, std::min(n, b), kLong))
      << lab.log(log).size()
      << " calls started before the first result was asked for, with buffersize " << b;
  CF_CHECK("MAP-BUF-1", lab.log(log).size() <= b)
      << lab.log(log).size()
      << " calls started before the first result was asked for, with buffersize " << b;
  std::optional<Outcome> o;
  for (std::size_t k = 0; k < n; ++k) {
    lab.open(gates[k]);
    const auto value = static_cast<std::int64_t>(k);
    CF_CHECK("MAP-ORDER-1", (o = run->next()) && o->is(Kind::kValue) && o->value == value)
        << "result " << k << " was " << describe(o);
    CF_CHECK("MAP-BUF-1", lab.log(log).size() <= std::min(n, b + k + 1))
        << lab.log(log).size() << " calls started after " << k + 1 << " results, with buffersize "
        << b;
  }
  CF_CHECK("MAP-ORDER-1", !(o = run->next())) << "after " << n << " results came " << describe(o);
}

}  // namespace
}  // namespace cf::conformance
