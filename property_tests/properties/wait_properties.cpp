// RapidCheck properties of wait() and as_completed() [WAIT-*] [ASC-*].
//
// Each case builds a few tasks blocked at their own gates (all running at
// once, so opening a gate completes exactly that task), opens the gates in a
// random order, awaiting each result before the next so the completion order
// is known, and checks what wait / as_completed report against that order.
// Sizes stay small (at most 7 tasks) so a property runs in about a second.
#include <gtest/gtest.h>  // before rapidcheck/gtest.h, which uses it
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <future>
#include <numeric>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "harness/background.hpp"
#include "harness/suite.hpp"
#include "properties/support.hpp"

namespace cf::conformance {
namespace {

using Kind = Outcome::Kind;
using props::iota;
using props::Indices;
using props::permutation;
using props::sorted;

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
    RC_ASSERT(lab.await_arrivals(gates->back(), 1, kLong));
  }
}

// Opens task i's gate and waits until its future is done.
void complete(Lab& lab, const std::vector<int>& gates, const std::vector<FuturePtr>& fs,
              std::size_t i) {
  lab.open(gates[i]);
  RC_ASSERT(!fs[i]->result(kLong).is(Kind::kTimeout));
}

struct Drained {
  Indices yielded;
  std::optional<Outcome> raised;
};

// next() until the end or a raised error, at most `limit` yields.
Drained drain(AsCompletedRun& run, std::size_t limit) {
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
  CF_RC_FAIL("as_completed yielded more futures than it was given");
  return out;
}

// For a random opening order, as_completed yields every distinct future once,
// in the order they completed, even when all completed before the first next().
RC_GTEST_FIXTURE_PROP(Conformance, ASC_ORDER_YieldsEachOnceInCompletionOrder, ()) {
  CF_CLAUSES("ASC-ORDER-1", "ASC-ALL-1", "ASC-DUP-1");
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
  auto drained = drain(*run, input.size());
  if (drained.raised.has_value() || sorted(drained.yielded) != sorted(order)) {
    CF_RC_FAIL("[ASC-ALL-1 ASC-DUP-1] as_completed did not yield every distinct future once");
  }
  if (drained.yielded != order) CF_RC_FAIL("[ASC-ORDER-1] as_completed did not keep the completion order");
}

// Futures done at the call come first (as a set), then the rest in completion
// order; with a zero timeout exactly the done ones are yielded before
// TimeoutError("N (of M) futures unfinished").
RC_GTEST_FIXTURE_PROP(Conformance, ASC_DONE_DoneAtCallFirstThenCompletionOrder, ()) {
  CF_CLAUSES("ASC-DONE-1", "ASC-ORDER-1", "ASC-TIMEOUT-2", "ASC-TIMEOUT-1", "ASC-ALL-1");
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

  auto polled = drain(*impl().as_completed(fs, std::chrono::seconds(0)), n);
  if (sorted(polled.yielded) != sorted(done_at_call)) {
    CF_RC_FAIL("[ASC-DONE-1 ASC-TIMEOUT-2] a zero timeout did not yield exactly the done futures");
  }
  if (later.empty() == polled.raised.has_value()) {
    CF_RC_FAIL("[ASC-TIMEOUT-2] a zero timeout raised although every future was done, or did not raise");
  }
  if (polled.raised && !polled.raised->is(Kind::kTimeout)) CF_RC_FAIL("[ASC-TIMEOUT-2] not a TimeoutError");
  if (polled.raised && !polled.raised->message.empty() &&
      polled.raised->message != std::to_string(later.size()) + " (of " + std::to_string(n) +
                                    ") futures unfinished") {
    CF_RC_FAIL("[ASC-TIMEOUT-2] the TimeoutError does not count the unfinished futures");
  }

  auto run = impl().as_completed(fs, kLong);
  for (std::size_t i : later) complete(lab, gates, fs, i);
  auto drained = drain(*run, n);
  if (drained.raised.has_value() || drained.yielded.size() != n) {
    CF_RC_FAIL("[ASC-ALL-1 ASC-TIMEOUT-1] as_completed did not yield every future before its deadline");
  }
  const auto split = drained.yielded.begin() + static_cast<std::ptrdiff_t>(done_at_call.size());
  if (sorted(Indices(drained.yielded.begin(), split)) != sorted(done_at_call)) {
    CF_RC_FAIL("[ASC-DONE-1] the futures done at the call did not come first");
  }
  if (Indices(split, drained.yielded.end()) != later) {
    CF_RC_FAIL("[ASC-ORDER-1] the later futures did not come in completion order");
  }
}

// FIRST_COMPLETED: `done` is non-empty and holds exactly the completed
// futures; `done` and `not_done` split the distinct inputs, each under its
// first index. With none done at the call, the first completion ends the wait.
RC_GTEST_FIXTURE_PROP(Conformance, WAIT_FIRST_SplitsTheInputAtTheFirstCompletion, ()) {
  CF_CLAUSES("WAIT-FIRST-1", "WAIT-FIRST-2", "WAIT-DUP-1");
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
    Background<WaitSplit> waiting(lab, [&impl = impl(), input] {
      return impl.wait(input, ReturnWhen::kFirstCompleted, Timeout());
    });
    RC_ASSERT(!waiting.returns_within(std::chrono::nanoseconds(0)));
    complete(lab, gates, fs, order[0]);
    RC_ASSERT(waiting.returns_within(kLong));
    split = waiting.get();
    expected_done = {order[0]};
  } else {
    expected_done.assign(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(k));
    for (std::size_t i : expected_done) complete(lab, gates, fs, i);
    auto start = Clock::now();
    split = impl().wait(input, ReturnWhen::kFirstCompleted, kLong);
    RC_ASSERT(Clock::now() - start < kLateSlack);
  }
  RC_ASSERT(!split.done.empty());
  RC_ASSERT(sorted(split.done) == sorted(expected_done));
  Indices all = split.done;
  all.insert(all.end(), split.not_done.begin(), split.not_done.end());
  RC_ASSERT(sorted(all) == iota(n));  // disjoint, and together the distinct inputs
}

// ALL_COMPLETED over random successes and failures: it waits for all, then
// every future is in `done`, each with its own outcome.
RC_GTEST_FIXTURE_PROP(Conformance, WAIT_ALL_ReturnsEveryFutureAfterTheLast, ()) {
  CF_CLAUSES("WAIT-ALL-1");
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
      lab, [&impl = impl(), fs] { return impl.wait(fs, ReturnWhen::kAllCompleted, Timeout()); });
  RC_ASSERT(!waiting.returns_within(std::chrono::nanoseconds(0)));
  lab.open(gate);
  RC_ASSERT(waiting.returns_within(kLong));
  auto split = waiting.get();
  RC_ASSERT(sorted(split.done) == iota(n));
  RC_ASSERT(split.not_done.empty());
  for (std::size_t i = 0; i < n; ++i) {
    auto outcome = fs[i]->result(std::chrono::seconds(0));
    if (fails[i]) {
      // The task's error; how it is reported is FUT-RESULT-2's business.
      RC_ASSERT(!outcome.is(Kind::kValue) && !outcome.is(Kind::kNone) &&
                !outcome.is(Kind::kTimeout) && !outcome.is(Kind::kCancelled));
    } else {
      RC_ASSERT(outcome.is(Kind::kValue) && outcome.value == static_cast<std::int64_t>(i));
    }
  }
}

// FIRST_EXCEPTION: with the futures completing in a random order, the wait
// ends at the first failure (with the futures completed so far in `done`), or
// after the last future when none fails.
RC_GTEST_FIXTURE_PROP(Conformance, WAIT_FEXC_ReturnsAtTheFirstFailure, ()) {
  CF_CLAUSES("WAIT-FEXC-1", "WAIT-FEXC-3");
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
  for (std::size_t p = 0; p < last; ++p) complete(lab, gates, fs, order[p]);

  Background<WaitSplit> waiting(
      lab, [&impl = impl(), fs] { return impl.wait(fs, ReturnWhen::kFirstException, Timeout()); });
  RC_ASSERT(!waiting.returns_within(std::chrono::nanoseconds(0)));
  complete(lab, gates, fs, order[last]);
  RC_ASSERT(waiting.returns_within(kLong));
  auto split = waiting.get();
  const Indices done(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(last) + 1);
  const Indices not_done(order.begin() + static_cast<std::ptrdiff_t>(last) + 1, order.end());
  RC_ASSERT(sorted(split.done) == sorted(done));
  RC_ASSERT(sorted(split.not_done) == sorted(not_done));
}

}  // namespace
}  // namespace cf::conformance
