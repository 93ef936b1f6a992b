// RapidCheck properties of wait() and as_completed() [WAIT-*] [ASC-*].
//
// Each case builds a few tasks blocked at their own gates (all running at
// once, so opening a gate completes exactly that task), opens the gates in a
// random order, awaiting each result before the next so the completion order
// is known, and checks what wait / as_completed report against that order.
// Sizes stay small (at most 7 tasks) so a property runs in about a second.
// ORD_ and CAN_ properties here judge the same two calls: as_completed's order
// over cancellations, and cancelled futures done for every waiter.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <numeric>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "harness/background.hpp"
#include "harness/setups.hpp"
#include "harness/suite.hpp"
#include "properties/support.hpp"

namespace cf::conformance {
namespace {

using Kind = Outcome::Kind;
using props::describe;
using props::guarded;
using props::Indices;
using props::iota;
using props::permutation;
using props::sorted;
using namespace props;
// `fs` followed by a few random repeats of its elements: the first index of
// every future stays its index in `fs`.
std::vector<FuturePtr> with_duplicates(const std::vector<FuturePtr>& fs) {
  auto count = *rc::gen::inRange(0, 4);
  auto repeats = *rc::gen::container<Indices>(static_cast<std::size_t>(count),
                                              rc::gen::inRange<std::size_t>(0, fs.size()));
  auto input = fs;
  for (std::size_t r : repeats) input.push_back(fs[r]);
  return input;
}

// Whether fs[i] appears more than once in `input`.
bool repeated(const std::vector<FuturePtr>& input, std::size_t i) {
  return std::count(input.begin(), input.end(), input[i]) > 1;
}

// Judges a report of the distinct futures of `input` (the first n are
// distinct): each index below n appears exactly once, and no other. An index
// missing, or reported twice, breaks `rule`; where the future is repeated in
// the input, a second report of it, or a report under a later index, breaks
// the rule that duplicates are collapsed (`dup_rule`).
void check_each_once(const Indices& reported, const std::vector<FuturePtr>& input, std::size_t n,
                     const char* rule, const char* dup_rule, const std::string& what) {
  for (std::size_t i = 0; i < n; ++i) {
    auto times = std::count(reported.begin(), reported.end(), i);
    CF_CHECK(times > 1 && repeated(input, i) ? dup_rule : rule, times == 1)
        << what << " reported future " << i << " " << times
        << " times: " << ::testing::PrintToString(reported);
  }
  const bool repeats = input.size() > n;
  for (auto i : reported) {
    CF_CHECK(repeats ? dup_rule : rule, i < n)
        << what << " reported input " << i << " of " << input.size()
        << " as a future of its own: " << ::testing::PrintToString(reported);
  }
}

// `n` tasks, task i blocked at gates[i] and then returning i (or failing when
// fails[i]), all running at once.
void start_blocked(Executor& ex, Lab& lab, std::size_t n, const std::vector<int>& fails,
                   std::vector<int>* gates, std::vector<FuturePtr>* fs) {
  for (std::size_t i = 0; i < n; ++i) {
    gates->push_back(lab.new_gate());
    Probe probe = Probe().gate(gates->back());
    if (!fails.empty() && fails[i]) {
      probe.raises("failure " + std::to_string(i));
    } else {
      probe.returns(static_cast<std::int64_t>(i));
    }
    fs->push_back(ex.submit(probe));
    props::await_alongside(lab, gates->back(), i);
  }
}

// Opens task i's gate and waits until its future is done.
void complete(Lab& lab, const std::vector<int>& gates, const std::vector<FuturePtr>& fs,
              std::size_t i) {
  lab.open(gates[i]);
  CF_PRECONDITION("EXEC-SUBMIT-1", !fs[i]->result(kLong).is(Kind::kTimeout))
      << "task " << i << " did not finish once released";
}

struct Drained {
  Indices yielded;
  std::optional<Outcome> raised;
};

// next() until the end or a raised error, at most `limit` + 1 yields (more
// than the input holds: the caller judges them).
Drained read_all(AsCompletedRun& run, std::size_t limit) {
  Drained out;
  for (std::size_t calls = 0; calls <= limit; ++calls) {
    try {
      auto index = run.next();
      if (!index) return out;
      out.yielded.push_back(*index);
    } catch (const Raised& raised) {
      out.raised = raised.outcome;
      return out;
    }
  }
  return out;
}

// For a random opening order, as_completed yields every distinct future once,
// in the order they completed, even when all completed before the first next().
RC_GTEST_FIXTURE_PROP(Conformance, ASC_ORDER_YieldsEachOnceInCompletionOrder, ()) {
  CF_REQUIRE(Cap::kAsCompleted, Cap::kMaxWorkers);
  const auto n = static_cast<std::size_t>(*rc::gen::inRange(1, 8));
  const Indices order = permutation(n);
  auto& ex = make_executor(static_cast<int>(n));
  std::vector<int> gates;
  std::vector<FuturePtr> fs;
  start_blocked(ex, lab, n, {}, &gates, &fs);
  auto input = with_duplicates(fs);

  auto run = impl().as_completed(input, kLong);
  for (std::size_t i : order) complete(lab, gates, fs, i);
  Drained drained;
  {
    CF_STEP("ASC-ALL-1");
    drained = read_all(*run, input.size());
  }
  CF_CHECK("ASC-ALL-1", !drained.raised.has_value())
      << "as_completed raised " << describe(drained.raised) << " after yielding "
      << ::testing::PrintToString(drained.yielded);
  check_each_once(drained.yielded, input, n, "ASC-ALL-1", "ASC-DUP-1", "as_completed");
  CF_CHECK_EQ("ASC-ORDER-1", drained.yielded, order) << "the order of completion";
}

// Futures done at the call come first (as a set), then the rest in completion
// order; with a zero timeout exactly the done ones are yielded before
// TimeoutError("N (of M) futures unfinished").
RC_GTEST_FIXTURE_PROP(Conformance, ASC_DONE_DoneAtCallFirstThenCompletionOrder, ()) {
  CF_REQUIRE(Cap::kAsCompleted, Cap::kMaxWorkers);
  const auto n = static_cast<std::size_t>(*rc::gen::inRange(1, 8));
  const auto early = *rc::gen::container<std::vector<int>>(n, rc::gen::inRange(0, 2));
  const auto fails = *rc::gen::container<std::vector<int>>(n, rc::gen::inRange(0, 2));
  const Indices order = permutation(n);
  auto& ex = make_executor(static_cast<int>(n));
  std::vector<int> gates;
  std::vector<FuturePtr> fs;
  start_blocked(ex, lab, n, fails, &gates, &fs);
  Indices done_at_call, later;
  for (std::size_t i : order) (early[i] ? done_at_call : later).push_back(i);
  for (std::size_t i : done_at_call) complete(lab, gates, fs, i);

  if (has(Cap::kAsCompletedTimeout)) {
    Drained polled;
    {
      CF_STEP("ASC-TIMEOUT-2");
      polled = read_all(*impl().as_completed(fs, std::chrono::seconds(0)), n);
    }
    CF_CHECK_EQ("ASC-TIMEOUT-2", sorted(polled.yielded), sorted(done_at_call))
        << "what a zero timeout yielded";
    if (later.empty()) {
      CF_CHECK("ASC-TIMEOUT-2", !polled.raised.has_value())
          << "a zero timeout raised " << describe(polled.raised) << " with every future done";
    } else {
      CF_CHECK("ASC-TIMEOUT-1", polled.raised.has_value())
          << "a zero timeout did not raise with " << later.size() << " futures pending";
      CF_CHECK_OUTCOME("ASC-TIMEOUT-1", *polled.raised, Kind::kTimeout)
          << "what a zero timeout raised";
      const auto message =
          std::to_string(later.size()) + " (of " + std::to_string(n) + ") futures unfinished";
      if (!polled.raised->message.empty()) {
        CF_CHECK_EQ("ASC-TIMEOUT-1", polled.raised->message, message)
            << "the TimeoutError's message";
      }
    }
  }

  auto run = impl().as_completed(fs, kLong);
  for (std::size_t i : later) complete(lab, gates, fs, i);
  Drained drained;
  {
    CF_STEP("ASC-ALL-1");
    drained = read_all(*run, n);
  }
  CF_CHECK("ASC-ALL-1", !drained.raised.has_value())
      << "as_completed raised " << describe(drained.raised) << " after yielding "
      << ::testing::PrintToString(drained.yielded);
  check_each_once(drained.yielded, fs, n, "ASC-ALL-1", "ASC-DUP-1", "as_completed");
  const auto split = drained.yielded.begin() + static_cast<std::ptrdiff_t>(done_at_call.size());
  CF_CHECK_EQ("ASC-DONE-1", sorted(Indices(drained.yielded.begin(), split)), sorted(done_at_call))
      << "the first futures yielded, against those done at the call";
  CF_CHECK_EQ("ASC-ORDER-1", Indices(split, drained.yielded.end()), later)
      << "the futures completed after the call, in the order yielded";
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

// FIRST_COMPLETED: `done` is non-empty and holds exactly the completed
// futures; `done` and `not_done` split the distinct inputs, each under its
// first index. With none done at the call, the first completion ends the wait.
RC_GTEST_FIXTURE_PROP(Conformance, WAIT_FIRST_SplitsTheInputAtTheFirstCompletion, ()) {
  CF_REQUIRE(Cap::kWait, Cap::kMaxWorkers);
  const auto n = static_cast<std::size_t>(*rc::gen::inRange(1, 8));
  const auto k = static_cast<std::size_t>(*rc::gen::inRange<int>(0, static_cast<int>(n) + 1));
  const auto fails = *rc::gen::container<std::vector<int>>(n, rc::gen::inRange(0, 2));
  const Indices order = permutation(n);
  auto& ex = make_executor(static_cast<int>(n));
  std::vector<int> gates;
  std::vector<FuturePtr> fs;
  start_blocked(ex, lab, n, fails, &gates, &fs);
  auto input = with_duplicates(fs);

  WaitSplit split;
  Indices expected_done;
  if (k == 0) {
    Background<WaitSplit> waiting(lab, "WAIT-FIRST-1", [input] {
      return guarded().wait(input, ReturnWhen::kFirstCompleted, Timeout());
    });
    CF_CHECK("WAIT-FIRST-1", !waiting.returns_within(std::chrono::nanoseconds(0)))
        << "wait(FIRST_COMPLETED) returned with no future done";
    complete(lab, gates, fs, order[0]);
    CF_CHECK("WAIT-FIRST-1", waiting.returns_within(kLong))
        << "wait(FIRST_COMPLETED) did not return at the first completion";
    split = waiting.get();
    expected_done = {order[0]};
  } else {
    expected_done.assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k));
    for (std::size_t i : expected_done) complete(lab, gates, fs, i);
    auto start = Clock::now();
    CF_CHECK("WAIT-FIRST-2",
             (split = impl().wait(input, ReturnWhen::kFirstCompleted, kLong), true));
    auto elapsed = Clock::now() - start;
    CF_CHECK("WAIT-FIRST-2", elapsed < kLateSlack)
        << "wait(FIRST_COMPLETED) with " << k << " futures done took " << elapsed.count() << " ns";
  }
  CF_CHECK("WAIT-FIRST-1", !split.done.empty()) << "done is empty";
  // Which futures are done, each once: a duplicate reported under two
  // indices is WAIT-DUP-1's, judged below.
  std::set<const Future*> done_futures, expected_futures;
  for (auto i : split.done) {
    if (i < input.size()) done_futures.insert(input[i].get());
  }
  for (auto i : expected_done) expected_futures.insert(fs[i].get());
  CF_CHECK("WAIT-FIRST-1", done_futures == expected_futures)
      << "the done futures: done " << ::testing::PrintToString(sorted(split.done))
      << ", expected the futures at " << ::testing::PrintToString(sorted(expected_done));
  // Disjoint, and together the distinct inputs.
  Indices all = split.done;
  all.insert(all.end(), split.not_done.begin(), split.not_done.end());
  check_each_once(all, input, n, "WAIT-FIRST-1", "WAIT-DUP-1", "wait(FIRST_COMPLETED)");
}

// ALL_COMPLETED over random successes and failures: it waits for all, then
// every future is in `done`, each with its own outcome.
RC_GTEST_FIXTURE_PROP(Conformance, WAIT_ALL_ReturnsEveryFutureAfterTheLast, ()) {
  CF_REQUIRE(Cap::kWait);
  const auto n = static_cast<std::size_t>(*rc::gen::inRange(1, 8));
  const auto fails = *rc::gen::container<std::vector<int>>(n, rc::gen::inRange(0, 2));
  const int workers = *rc::gen::inRange(1, 4);
  auto& ex = make_executor(workers);
  int gate = lab.new_gate();  // one gate holds every task, running or queued
  std::vector<FuturePtr> fs;
  for (std::size_t i = 0; i < n; ++i) {
    Probe probe = Probe().gate(gate);
    if (fails[i]) {
      probe.raises("failure " + std::to_string(i));
    } else {
      probe.returns(static_cast<std::int64_t>(i));
    }
    fs.push_back(ex.submit(probe));
  }
  Background<WaitSplit> waiting(
      lab, "WAIT-ALL-1", [fs] { return guarded().wait(fs, ReturnWhen::kAllCompleted, Timeout()); });
  CF_CHECK("WAIT-ALL-1", !waiting.returns_within(std::chrono::nanoseconds(0)))
      << "wait(ALL_COMPLETED) returned while every task was blocked";
  lab.open(gate);
  CF_CHECK("WAIT-ALL-1", waiting.returns_within(kLong))
      << "wait(ALL_COMPLETED) did not return once every task could finish";
  auto split = waiting.get();
  CF_CHECK_EQ("WAIT-ALL-1", sorted(split.done), iota(n)) << "the done futures";
  CF_CHECK("WAIT-ALL-1", split.not_done.empty())
      << "not_done holds " << ::testing::PrintToString(split.not_done);
  const bool can_poll = has(Cap::kResultTimeout) || has(Cap::kStateQueries);
  for (std::size_t i = 0; i < n; ++i) {
    auto outcome = fs[i]->result(can_poll ? conformance::Timeout(std::chrono::seconds(0))
                                          : conformance::Timeout(kLong));
    CF_CHECK("WAIT-ALL-1", !outcome.is(Kind::kTimeout))
        << "f" << i << " is not done after wait(ALL_COMPLETED) returned";
    if (fails[i]) {
      // The task's error; how it is reported is FUT-RESULT-2's business.
      CF_CHECK("EXEC-SUBMIT-2", !outcome.is(Kind::kValue) && !outcome.is(Kind::kNone) &&
                                    !outcome.is(Kind::kCancelled))
          << "the failing f" << i << " gave " << to_string(outcome);
    } else {
      CF_CHECK_VALUE("EXEC-SUBMIT-1", outcome, static_cast<std::int64_t>(i)) << "f" << i;
    }
  }
}

// FIRST_EXCEPTION: with the futures completing in a random order, the wait
// ends at the first failure (with the futures completed so far in `done`), or
// after the last future when none fails.
RC_GTEST_FIXTURE_PROP(Conformance, WAIT_FEXC_ReturnsAtTheFirstFailure, ()) {
  CF_REQUIRE(Cap::kWait, Cap::kWaitFirstException, Cap::kMaxWorkers);
  const auto n = static_cast<std::size_t>(*rc::gen::inRange(1, 8));
  const auto fails = *rc::gen::container<std::vector<int>>(n, rc::gen::inRange(0, 2));
  const Indices order = permutation(n);
  auto& ex = make_executor(static_cast<int>(n));
  std::vector<int> gates;
  std::vector<FuturePtr> fs;
  start_blocked(ex, lab, n, fails, &gates, &fs);
  // The position in `order` whose completion must end the wait.
  std::size_t last = n - 1;
  for (std::size_t p = 0; p < n; ++p) {
    if (fails[order[p]]) {
      last = p;
      break;
    }
  }
  // A failure ends the wait [WAIT-FEXC-1]; with none, it acts as ALL_COMPLETED [WAIT-FEXC-3].
  const char* rule = fails[order[last]] ? "WAIT-FEXC-1" : "WAIT-FEXC-3";
  for (std::size_t p = 0; p < last; ++p) complete(lab, gates, fs, order[p]);

  Background<WaitSplit> waiting(
      lab, rule, [fs] { return guarded().wait(fs, ReturnWhen::kFirstException, Timeout()); });
  CF_CHECK(rule, !waiting.returns_within(std::chrono::nanoseconds(0)))
      << "wait(FIRST_EXCEPTION) returned with " << last << " of " << n << " done and no failure";
  complete(lab, gates, fs, order[last]);
  CF_CHECK(rule, waiting.returns_within(kLong))
      << "wait(FIRST_EXCEPTION) did not return once "
      << (fails[order[last]] ? "a task failed" : "all were done");
  auto split = waiting.get();
  const Indices done(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(last) + 1);
  const Indices not_done(order.begin() + static_cast<std::ptrdiff_t>(last) + 1, order.end());
  CF_CHECK_EQ(rule, sorted(split.done), sorted(done)) << "the done futures";
  CF_CHECK_EQ(rule, sorted(split.not_done), sorted(not_done)) << "the futures not done";
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

}  // namespace
}  // namespace cf::conformance
