// Timeout properties, with edge values drawn on purpose as the JSR-166 TCK
// does (support.hpp): negative down to min(), zero, one tick, a few
// milliseconds, and huge up to duration::max() of several representations.
// A timed-out call returns no earlier than asked and within kLateSlack after;
// a poll never blocks; a huge timeout never times out and never overflows;
// deadlines of as_completed and map are fixed at the call.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <chrono>
#include <cstdint>
#include <vector>

#include "harness/background.hpp"
#include "harness/suite.hpp"
#include "properties/support.hpp"

namespace cf::conformance {
namespace {

using namespace props;

// A running task blocked at a gate: result/exception(t) time out no earlier
// than t and within kLateSlack after it; the task is untouched and finishes.
RC_GTEST_FIXTURE_PROP(Conformance, TMO_TimedOutReadsWaitTheirTimeAndChangeNothing, ()) {
  CF_CLAUSES("FUT-RESULT-4", "FUT-EXC-3");
  CF_REQUIRE(Cap::kResultTimeout);
  OpenGatesAtExit guard{lab};
  const auto t = gen_short_timeout();
  const bool exception = *rc::gen::arbitrary<bool>();
  const bool fails = *rc::gen::arbitrary<bool>();
  auto& ex = make_executor(1);
  int log = lab.new_log();
  auto g = submit_gated(ex, lab, log, 1, {fails}, true);
  auto start = Clock::now();
  auto o = exception ? g.futures[0]->exception(t.timeout) : g.futures[0]->result(t.timeout);
  auto elapsed = Clock::now() - start;
  RC_ASSERT(o.is(Kind::kTimeout));
  RC_ASSERT(elapsed >= t.at_least);
  RC_ASSERT(elapsed <= t.at_least + kLateSlack);
  if (has(caps(), Cap::kStateQueries)) RC_ASSERT(g.futures[0]->running() && !g.futures[0]->cancelled());
  lab.open(g.gates[0]);
  RC_ASSERT(seen(g.futures[0]->result(kLong), gated_outcome(0, {fails})) ==
            to_string(gated_outcome(0, {fails})));
  RC_TAG(t.name);
}

// Zero and negative timeouts poll: on a pending future result/exception
// raise TimeoutError at once; wait returns the current split at once;
// as_completed yields the done futures, then raises at once.
RC_GTEST_FIXTURE_PROP(Conformance, TMO_PollsNeverBlock, ()) {
  CF_CLAUSES("FUT-RESULT-6", "FUT-EXC-3", "WAIT-TIMEOUT-1", "ASC-TIMEOUT-2", "EXT-TIMEOUT-1");
  CF_REQUIRE(Cap::kResultTimeout, Cap::kMaxWorkers);
  OpenGatesAtExit guard{lab};
  const auto t = gen_poll_timeout();
  const auto n = static_cast<std::size_t>(*rc::gen::inRange(1, 6));
  const auto done = *rc::gen::container<std::vector<bool>>(n, rc::gen::arbitrary<bool>());
  auto& ex = make_executor(static_cast<int>(n));
  int log = lab.new_log();
  auto g = submit_gated(ex, lab, log, n, {}, true);
  Indices done_set, pending;
  for (std::size_t i = 0; i < n; ++i) {
    if (done[i]) {
      lab.open(g.gates[i]);
      RC_ASSERT(g.futures[i]->result(kLong).is(Kind::kValue));
      done_set.push_back(i);
    } else {
      pending.push_back(i);
    }
  }
  auto quick = [&](auto&& call) {
    auto start = Clock::now();
    call();
    RC_ASSERT(Clock::now() - start < kLateSlack);
  };
  for (auto i : pending) {
    quick([&] { RC_ASSERT(g.futures[i]->result(t.timeout).is(Kind::kTimeout)); });
    quick([&] { RC_ASSERT(g.futures[i]->exception(t.timeout).is(Kind::kTimeout)); });
  }
  if (has(caps(), Cap::kWait)) {
    quick([&] {
      auto split = impl().wait(g.futures, ReturnWhen::kAllCompleted, t.timeout);
      RC_ASSERT(sorted(split.done) == done_set);
      RC_ASSERT(sorted(split.not_done) == pending);
    });
  }
  if (has(caps(), Cap::kAsCompleted)) {
    quick([&] {
      auto run = impl().as_completed(g.futures, t.timeout);
      Indices yielded;
      bool timed_out = false;
      try {
        while (auto i = run->next()) yielded.push_back(*i);
      } catch (const Raised& r) {
        RC_ASSERT(r.outcome.is(Kind::kTimeout));
        timed_out = true;
      }
      RC_ASSERT(sorted(yielded) == done_set);
      RC_ASSERT(timed_out == !pending.empty());
    });
  }
  RC_TAG(t.name);
}

// Huge timeouts behave as none: a call on a pending future has not returned
// a moment later, and returns the outcome once the task finishes.
RC_GTEST_FIXTURE_PROP(Conformance, TMO_HugeTimeoutsNeverTimeOut, ()) {
  CF_CLAUSES("FUT-RESULT-7", "FUT-EXC-3", "EXT-TIMEOUT-1", "WAIT-ALL-1", "ASC-ALL-1");
  CF_REQUIRE(Cap::kResultTimeout, Cap::kHugeTimeouts);
  OpenGatesAtExit guard{lab};
  const auto t = gen_huge_timeout();
  const int which = *rc::gen::inRange(0, 4);  // result, exception, wait, as_completed
  RC_PRE(which < 2 || has(caps(), which == 2 ? Cap::kWait : Cap::kAsCompleted));
  auto& ex = make_executor(1);
  int log = lab.new_log();
  auto g = submit_gated(ex, lab, log, 1, {}, true);
  auto f = g.futures[0];
  Implementation& im = impl();
  Timeout timeout = t.timeout;
  Background<Outcome> call(lab, [&im, f, which, timeout] {
    switch (which) {
      case 0: return f->result(timeout);
      case 1: return f->exception(timeout);
      case 2: {
        auto split = im.wait({f}, ReturnWhen::kAllCompleted, timeout);
        return Outcome::of_value(static_cast<std::int64_t>(split.done.size()));
      }
      default:
        try {
          auto i = im.as_completed({f}, timeout)->next();
          return Outcome::of_value(i ? 1 : 0);
        } catch (const Raised& r) {
          return r.outcome;
        }
    }
  });
  RC_ASSERT(!call.returns_within(std::chrono::milliseconds(1)));  // no spurious timeout
  lab.open(g.gates[0]);
  RC_ASSERT(call.returns_within(kLong));
  auto o = call.get();
  if (which == 1) {
    RC_ASSERT(o.is(Kind::kNone));
  } else {
    RC_ASSERT(o.is(Kind::kValue) && o.value == (which == 0 ? 0 : 1));
  }
  RC_TAG(t.name);
}

// wait(timeout) whose condition is not met returns (never raises) no earlier
// than its timeout, with the split at that moment [WAIT-TIMEOUT-1].
RC_GTEST_FIXTURE_PROP(Conformance, TMO_ExpiredWaitReturnsTheSplit, ()) {
  CF_CLAUSES("WAIT-TIMEOUT-1", "WAIT-FIRST-1", "WAIT-FEXC-3");
  CF_REQUIRE(Cap::kWait, Cap::kMaxWorkers);
  OpenGatesAtExit guard{lab};
  const auto t = gen_short_timeout();
  const auto n = static_cast<std::size_t>(*rc::gen::inRange(1, 6));
  auto& ex = make_executor(static_cast<int>(n));
  int log = lab.new_log();
  auto g = submit_gated(ex, lab, log, n, {}, true);
  // Some finish (successfully); at least one stays blocked.
  const auto finished = static_cast<std::size_t>(*rc::gen::inRange<std::size_t>(0, n));
  for (std::size_t i = 0; i < finished; ++i) {
    lab.open(g.gates[i]);
    RC_ASSERT(g.futures[i]->result(kLong).is(Kind::kValue));
  }
  ReturnWhen when = finished == 0 && *rc::gen::arbitrary<bool>() ? ReturnWhen::kFirstCompleted
                    : has(caps(), Cap::kWaitFirstException) && *rc::gen::arbitrary<bool>()
                        ? ReturnWhen::kFirstException
                        : ReturnWhen::kAllCompleted;
  auto start = Clock::now();
  auto split = impl().wait(g.futures, when, t.timeout);
  auto elapsed = Clock::now() - start;
  RC_ASSERT(elapsed >= t.at_least);
  RC_ASSERT(elapsed <= t.at_least + kLateSlack);
  RC_ASSERT(sorted(split.done) == iota(finished));
  RC_ASSERT(split.not_done.size() == n - finished);
}

// as_completed and map measure their deadline from the call: once it has
// passed, the next step raises TimeoutError at once, without waiting the
// timeout again from the first next() [ASC-TIMEOUT-1] [MAP-TIMEOUT-1].
// The test spends the time in a timed-out result() (no sleep).
RC_GTEST_FIXTURE_PROP(Conformance, TMO_DeadlinesAreFixedAtTheCall, ()) {
  CF_CLAUSES("ASC-TIMEOUT-1", "MAP-TIMEOUT-1");
  CF_REQUIRE(Cap::kResultTimeout, Cap::kMaxWorkers);
  OpenGatesAtExit guard{lab};
  if (!has(caps(), Cap::kMap) && !has(caps(), Cap::kAsCompleted)) {
    GTEST_SKIP() << "n/a: missing capability map, as-completed";
  }
  const bool use_map = has(caps(), Cap::kMap) &&
                       (!has(caps(), Cap::kAsCompleted) || *rc::gen::arbitrary<bool>());
  // Long enough that "at once" and "after the timeout" cannot be confused.
  const auto t = std::chrono::milliseconds(*rc::gen::inRange(50, 80));
  auto& ex = make_executor(1);
  int log = lab.new_log();
  int gate = lab.new_gate();
  auto blocked = ex.submit(Probe().gate(gate).returns(0));
  RC_ASSERT(lab.await_arrivals(gate, 1, kLong));
  auto start = Clock::now();
  std::unique_ptr<AsCompletedRun> asc;
  std::unique_ptr<MapRun> map;
  if (use_map) {
    map = ex.map({Probe().gate(gate).record(log, 1).returns(1)}, MapSpec{Timeout(t), std::nullopt});
  } else {
    asc = impl().as_completed({blocked}, Timeout(t));
  }
  // Spend 2t after the call.
  while (Clock::now() - start < 2 * t) blocked->result(2 * t - (Clock::now() - start));
  auto before_next = Clock::now();
  Outcome o;
  if (use_map) {
    auto r = map->next();
    RC_ASSERT(r.has_value());
    o = *r;
  } else {
    try {
      asc->next();
    } catch (const Raised& r) {
      o = r.outcome;
    }
  }
  const std::string rule = use_map ? "[MAP-TIMEOUT-1]" : "[ASC-TIMEOUT-1]";
  if (!o.is(Kind::kTimeout)) CF_RC_FAIL(rule + " no TimeoutError after the deadline");
  if (Clock::now() - before_next >= t) {
    CF_RC_FAIL(rule + " the deadline was not counted from the call");
  }
  lab.open(gate);
  RC_TAG(use_map ? "map" : "as_completed");
}

// Any edge timeout, on futures already done (value, failure, cancelled):
// every call returns the outcome at once [FUT-RESULT-1..3] [WAIT-FIRST-2]
// [ASC-TIMEOUT-2].
RC_GTEST_FIXTURE_PROP(Conformance, TMO_EdgeTimeoutsOnDoneFuturesReturnAtOnce, ()) {
  CF_CLAUSES("FUT-RESULT-1", "FUT-RESULT-2", "FUT-RESULT-3", "FUT-RESULT-6", "FUT-RESULT-7",
             "FUT-EXC-1", "FUT-EXC-2", "WAIT-FIRST-2", "ASC-TIMEOUT-2", "EXT-TIMEOUT-1");
  CF_REQUIRE(Cap::kResultTimeout, Cap::kMaxWorkers);
  OpenGatesAtExit guard{lab};
  const int kind = *rc::gen::inRange(0, 3);
  const auto t = kind == 0 ? gen_poll_timeout()
                 : kind == 1 || !has(caps(), Cap::kHugeTimeouts) ? gen_short_timeout()
                                                                  : gen_huge_timeout();
  const auto n = static_cast<std::size_t>(*rc::gen::inRange(1, 5));
  const auto fails = *rc::gen::container<std::vector<bool>>(n, rc::gen::arbitrary<bool>());
  auto& ex = make_executor(static_cast<int>(n));
  int log = lab.new_log();
  auto g = submit_gated(ex, lab, log, n, fails, false);
  std::vector<Outcome> expected;
  for (std::size_t i = 0; i < n; ++i) expected.push_back(gated_outcome(i, fails));
  if (has(caps(), Cap::kCancel)) {
    // One more, cancelled while queued behind the others.
    auto extra = ex.submit(Probe().returns(-1));
    if (extra->cancel()) {
      g.futures.push_back(extra);
      expected.push_back(Outcome::error(Kind::kCancelled));
    }
  }
  lab.open_all();
  for (std::size_t i = 0; i < g.futures.size(); ++i) RC_ASSERT(!g.futures[i]->result(kLong).is(Kind::kTimeout));
  auto start = Clock::now();
  for (std::size_t i = 0; i < g.futures.size(); ++i) {
    RC_ASSERT(seen(g.futures[i]->result(t.timeout), expected[i]) == to_string(expected[i]));
    auto e = g.futures[i]->exception(t.timeout);
    auto expected_e = expected[i].is(Kind::kValue) ? Outcome{} : expected[i];
    RC_ASSERT(seen(e, expected_e) == to_string(expected_e));
  }
  if (has(caps(), Cap::kWait)) {
    auto split = impl().wait(g.futures, ReturnWhen::kFirstCompleted, t.timeout);
    RC_ASSERT(split.done.size() == g.futures.size());
  }
  if (has(caps(), Cap::kAsCompleted)) {
    auto run = impl().as_completed(g.futures, t.timeout);
    Indices yielded;
    while (auto i = run->next()) yielded.push_back(*i);
    RC_ASSERT(sorted(yielded) == iota(g.futures.size()));
  }
  RC_ASSERT(Clock::now() - start < kLateSlack);
  RC_TAG(t.name);
}

}  // namespace
}  // namespace cf::conformance
