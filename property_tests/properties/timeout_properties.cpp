// Timeout properties, with edge values drawn on purpose as the JSR-166 TCK
// does (support.hpp): negative down to min(), zero, one tick, a few
// milliseconds, and huge up to duration::max() of several representations.
// A timed-out call returns no earlier than asked and within kLateSlack after;
// a poll never blocks; a huge timeout never times out and never overflows;
// deadlines of as_completed and map are fixed at the call.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness/background.hpp"
#include "harness/suite.hpp"
#include "properties/support.hpp"

namespace cf::conformance {
namespace {

using namespace props;

// The timed calls a timeout is handed to.
enum class Call { kResult, kException, kWait, kAsCompleted };

// The rule that says what `call` does with the edge timeout `t`, where one
// does beyond the call's ordinary rules: an infinity is cf's rule alone
// [EXT-TIMEOUT-1]; a huge length behaves as none [FUT-RESULT-7] (for wait
// and as_completed: EXT-TIMEOUT-1, which extends FUT-RESULT-7 to every timed
// call); a zero or negative length polls, by each call's own rule. `other`
// for the rest (a short length).
const char* edge_rule(const EdgeTimeout& t, Call call, const char* other) {
  if (infinite(t)) return "EXT-TIMEOUT-1";
  const bool read = call == Call::kResult || call == Call::kException;
  if (t.huge) return read ? "FUT-RESULT-7" : "EXT-TIMEOUT-1";
  if (t.at_least.count() > 0) return other;
  switch (call) {
    case Call::kResult:
      return "FUT-RESULT-6";
    case Call::kException:
      return "FUT-EXC-3";
    case Call::kWait:
      return "WAIT-TIMEOUT-1";
    case Call::kAsCompleted:
      return "ASC-TIMEOUT-2";
  }
  return other;
}

// No index twice: as_completed yields each future once [ASC-ALL-1].
bool yielded_once(Indices yielded) {
  auto s = sorted(std::move(yielded));
  return std::adjacent_find(s.begin(), s.end()) == s.end();
}

// A running task blocked at a gate: result/exception(t) time out no earlier
// than t and within kLateSlack after it; the task is untouched and finishes.
RC_GTEST_FIXTURE_PROP(Conformance, TMO_TimedOutReadsWaitTheirTimeAndChangeNothing, ()) {
  CF_REQUIRE(Cap::kResultTimeout);
  const auto t = gen_short_timeout();
  const bool exception = *rc::gen::arbitrary<bool>();
  const bool fails = *rc::gen::arbitrary<bool>();
  const char* rule = exception ? "FUT-EXC-3" : "FUT-RESULT-4";
  const char* read = exception ? "exception" : "result";
  auto& ex = make_executor(1);
  int log = lab.new_log();
  auto g = submit_gated(ex, lab, log, 1, {fails}, true);
  auto& f = *g.futures[0];
  auto start = Clock::now();
  Outcome o;
  CF_CHECK(rule, (o = exception ? f.exception(t.timeout) : f.result(t.timeout)).is(Kind::kTimeout))
      << read << "(" << t.name << ") of a running task gave " << to_string(o);
  auto elapsed = Clock::now() - start;
  CF_CHECK(rule, elapsed >= t.at_least)
      << read << "(" << t.name << ") timed out after " << elapsed.count() << " ns";
  CF_CHECK(rule, elapsed <= t.at_least + kLateSlack)
      << read << "(" << t.name << ") timed out only after " << elapsed.count() << " ns";
  if (has(Cap::kStateQueries)) {
    CF_CHECK(rule, f.running() && !f.cancelled())
        << "after the timed-out " << read << "(): running=" << f.running()
        << " cancelled=" << f.cancelled();
  }
  lab.open(g.gates[0]);
  auto later = f.result(kLong);
  CF_CHECK(rule, !later.is(Kind::kCancelled) && !later.is(Kind::kTimeout))
      << "the task, once released after a timed-out " << read << "(), ended with "
      << to_string(later);
  check_result(later, gated_outcome(0, {fails}), "the task");
  RC_TAG(t.name);
}

// Zero and negative timeouts poll: on a pending future result/exception
// raise TimeoutError at once; wait returns the current split at once;
// as_completed yields the done futures, then raises at once.
RC_GTEST_FIXTURE_PROP(Conformance, TMO_PollsNeverBlock, ()) {
  CF_REQUIRE(Cap::kResultTimeout, Cap::kMaxWorkers);
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
      CF_PRECONDITION("EXEC-SUBMIT-1", g.futures[i]->result(kLong).is(Kind::kValue))
          << "task " << i << " did not finish once released";
      done_set.push_back(i);
    } else {
      pending.push_back(i);
    }
  }
  // Times `call`, which must return at once.
  auto quick = [&](const char* rule, const std::string& what, auto&& call) {
    auto start = Clock::now();
    call();
    auto elapsed = Clock::now() - start;
    CF_CHECK(rule, elapsed < kLateSlack)
        << what << "(" << t.name << ") blocked " << elapsed.count() << " ns";
  };
  for (auto i : pending) {
    const char* rule = edge_rule(t, Call::kResult, nullptr);
    quick(rule, "result", [&] {
      CF_CHECK_OUTCOME(rule, g.futures[i]->result(t.timeout), Kind::kTimeout)
          << "result(" << t.name << ") of the pending f" << i;
    });
    rule = edge_rule(t, Call::kException, nullptr);
    quick(rule, "exception", [&] {
      CF_CHECK_OUTCOME(rule, g.futures[i]->exception(t.timeout), Kind::kTimeout)
          << "exception(" << t.name << ") of the pending f" << i;
    });
  }
  if (has(Cap::kWaitTimeout)) {
    // With every future done the condition holds at the call [WAIT-ALL-1].
    const char* rule =
        pending.empty() && !infinite(t) ? "WAIT-ALL-1" : edge_rule(t, Call::kWait, nullptr);
    quick(rule, "wait", [&] {
      WaitSplit split;
      CF_CHECK(rule, (split = impl().wait(g.futures, ReturnWhen::kAllCompleted, t.timeout),
                      sorted(split.done) == done_set && sorted(split.not_done) == pending))
          << "wait(ALL_COMPLETED, " << t.name
          << ") split done=" << ::testing::PrintToString(split.done)
          << " not_done=" << ::testing::PrintToString(split.not_done)
          << ", expected done=" << ::testing::PrintToString(done_set);
    });
  }
  if (has(Cap::kAsCompletedTimeout)) {
    const char* rule = edge_rule(t, Call::kAsCompleted, nullptr);
    quick(rule, "as_completed", [&] {
      auto run = impl().as_completed(g.futures, t.timeout);
      Indices yielded;
      std::optional<Outcome> raised;
      try {
        while (auto i = run->next()) yielded.push_back(*i);
      } catch (const Raised& r) {
        raised = r.outcome;
      }
      CF_CHECK("ASC-ALL-1", yielded_once(yielded))
          << "as_completed(" << t.name << ") yielded " << ::testing::PrintToString(yielded);
      CF_CHECK_EQ(rule, sorted(yielded), done_set) << "as_completed(" << t.name << ") yielded";
      CF_CHECK_EQ(rule, raised.has_value(), !pending.empty())
          << "as_completed(" << t.name << ") with " << pending.size() << " pending raised "
          << (raised ? to_string(*raised) : "nothing");
      if (raised) {
        CF_CHECK_OUTCOME(rule, *raised, Kind::kTimeout) << "as_completed(" << t.name << ")";
      }
    });
  }
  RC_TAG(t.name);
}

// Huge timeouts behave as none: a call on a pending future has not returned
// a moment later, and returns the outcome once the task finishes. The
// duration reaches the adapter as written (EdgeTimeout), so a library's own
// deadline arithmetic is what is judged.
RC_GTEST_FIXTURE_PROP(Conformance, TMO_HugeTimeoutsNeverTimeOut, ()) {
  CF_REQUIRE(Cap::kResultTimeout, Cap::kHugeTimeouts);
  const auto t = gen_huge_timeout();
  std::vector<Call> calls{Call::kResult, Call::kException};
  if (has(Cap::kWaitTimeout)) calls.push_back(Call::kWait);
  if (has(Cap::kAsCompletedTimeout)) calls.push_back(Call::kAsCompleted);
  const auto which = *rc::gen::elementOf(calls);
  const char* rule = edge_rule(t, which, nullptr);
  const char* names[] = {"result", "exception", "wait", "as_completed"};
  const char* what = names[static_cast<int>(which)];
  auto& ex = make_executor(1);
  int log = lab.new_log();
  auto g = submit_gated(ex, lab, log, 1, {}, true);
  auto f = g.futures[0];
  conformance::Timeout timeout = t.timeout;
  Background<Outcome> call(lab, rule, [f, which, timeout] {
    try {
      switch (which) {
        case Call::kResult:
          return f->result(timeout);
        case Call::kException:
          return f->exception(timeout);
        case Call::kWait: {
          auto split = guarded().wait({f}, ReturnWhen::kAllCompleted, timeout);
          return Outcome::of_value(static_cast<std::int64_t>(split.done.size()));
        }
        case Call::kAsCompleted: {
          auto i = guarded().as_completed({f}, timeout)->next();
          return Outcome::of_value(i ? 1 : 0);
        }
      }
    } catch (const Raised& r) {
      return r.outcome;
    }
    return Outcome::error(Kind::kOther, "no call");
  });
  // No spurious timeout: a millisecond lets an early return show.
  CF_CHECK(rule, !call.returns_within(std::chrono::milliseconds(1)))
      << what << "(" << t.name << ") returned while the task was blocked";
  lab.open(g.gates[0]);
  CF_CHECK(rule, call.returns_within(kLong))
      << what << "(" << t.name << ") did not return once the task finished";
  auto o = call.get();
  if (which == Call::kException) {
    CF_CHECK_OUTCOME(rule, o, Kind::kNone) << what << "(" << t.name << ")";
  } else {
    CF_CHECK_VALUE(rule, o, which == Call::kResult ? 0 : 1) << what << "(" << t.name << ")";
  }
  RC_TAG(t.name);
  RC_TAG(what);
}

// wait(timeout) whose condition is not met returns (never raises) no earlier
// than its timeout, with the split at that moment [WAIT-TIMEOUT-1].
RC_GTEST_FIXTURE_PROP(Conformance, TMO_ExpiredWaitReturnsTheSplit, ()) {
  CF_REQUIRE(Cap::kWaitTimeout, Cap::kMaxWorkers);
  const auto t = gen_short_timeout();
  const auto n = static_cast<std::size_t>(*rc::gen::inRange(1, 6));
  auto& ex = make_executor(static_cast<int>(n));
  int log = lab.new_log();
  auto g = submit_gated(ex, lab, log, n, {}, true);
  // Some finish (successfully); at least one stays blocked.
  const auto finished = static_cast<std::size_t>(*rc::gen::inRange<std::size_t>(0, n));
  for (std::size_t i = 0; i < finished; ++i) {
    lab.open(g.gates[i]);
    CF_PRECONDITION("EXEC-SUBMIT-1", g.futures[i]->result(kLong).is(Kind::kValue))
        << "task " << i << " did not finish once released";
  }
  ReturnWhen when = finished == 0 && *rc::gen::arbitrary<bool>() ? ReturnWhen::kFirstCompleted
                    : has(Cap::kWaitFirstException) && *rc::gen::arbitrary<bool>()
                        ? ReturnWhen::kFirstException
                        : ReturnWhen::kAllCompleted;
  auto start = Clock::now();
  WaitSplit split;
  CF_CHECK("WAIT-TIMEOUT-1", (split = impl().wait(g.futures, when, t.timeout), true))
      << "wait(" << t.name << ") raised";
  auto elapsed = Clock::now() - start;
  // Returning before the timeout with the condition unmet breaks the
  // condition's rule; what happens once the timeout expires is WAIT-TIMEOUT-1.
  const char* condition = when == ReturnWhen::kAllCompleted     ? "WAIT-ALL-1"
                          : when == ReturnWhen::kFirstCompleted ? "WAIT-FIRST-1"
                                                                : "WAIT-FEXC-3";
  CF_CHECK(condition, elapsed >= t.at_least)
      << "wait(" << t.name << ") returned after " << elapsed.count() << " ns, with "
      << split.done.size() << " of " << n << " futures done";
  CF_CHECK("WAIT-TIMEOUT-1", elapsed <= t.at_least + kLateSlack)
      << "wait(" << t.name << ") returned only after " << elapsed.count() << " ns";
  CF_CHECK_EQ("WAIT-TIMEOUT-1", sorted(split.done), iota(finished)) << "the done futures";
  CF_CHECK_EQ("WAIT-TIMEOUT-1", split.not_done.size(), n - finished) << "how many are not done";
}

// as_completed and map measure their deadline from the call: once it has
// passed, the next step raises TimeoutError at once, without waiting the
// timeout again from the first next() [ASC-TIMEOUT-1] [MAP-TIMEOUT-1].
// The test spends the time in a timed-out result() (no sleep).
RC_GTEST_FIXTURE_PROP(Conformance, TMO_DeadlinesAreFixedAtTheCall, ()) {
  CF_REQUIRE(Cap::kResultTimeout, Cap::kMaxWorkers);
  if (!has(Cap::kMapTimeout) && !has(Cap::kAsCompletedTimeout)) {
    GTEST_SKIP() << "n/a: missing capability map-timeout, as-completed-timeout";
  }
  const bool use_map =
      has(Cap::kMapTimeout) && (!has(Cap::kAsCompletedTimeout) || *rc::gen::arbitrary<bool>());
  const char* rule = use_map ? "MAP-TIMEOUT-1" : "ASC-TIMEOUT-1";
  // Long enough that "at once" and "after the timeout" cannot be confused,
  // even where one call of the adapter costs a round trip to another process
  // on a loaded machine (seen above 100 ms).
  const auto t = std::chrono::milliseconds(*rc::gen::inRange(200, 260));
  auto& ex = make_executor(1);
  int log = lab.new_log();
  int gate = lab.new_gate();
  auto blocked = ex.submit(Probe().gate(gate).returns(0));
  await_started(lab, gate, 1);
  auto start = Clock::now();
  std::unique_ptr<AsCompletedRun> asc;
  std::unique_ptr<MapRun> map;
  if (use_map) {
    map = ex.map({Probe().gate(gate).record(log, 1).returns(1)}, MapSpec{t, std::nullopt});
  } else {
    asc = impl().as_completed({blocked}, t);
  }
  // Spend a little more than t after the call: the deadline has passed.
  const auto spend = t + std::chrono::milliseconds(40);
  while (Clock::now() - start < spend) blocked->result(spend - (Clock::now() - start));
  auto before_next = Clock::now();
  std::optional<Outcome> o;
  {
    CF_STEP(rule);
    if (use_map) {
      o = map->next();
    } else {
      try {
        auto i = asc->next();
        o = Outcome::of_value(i ? static_cast<std::int64_t>(*i) : -1);
      } catch (const Raised& r) {
        o = r.outcome;
      }
    }
  }
  auto took = Clock::now() - before_next;
  CF_CHECK(rule, o && o->is(Kind::kTimeout))
      << "the first step, " << spend.count() << " ms after a " << t.count() << " ms timeout, gave "
      << describe(o);
  CF_CHECK(rule, took < t) << "the first step after the deadline took " << took.count()
                           << " ns: the deadline was not counted from the call";
  RC_TAG(use_map ? "map" : "as_completed");
}

// Any edge timeout, on futures already done (value, failure, cancelled):
// every call returns at once, with what a read bounded by kLong returned.
// Each call is made only where the implementation has its timed form, and
// judged by the rule for that timeout (edge_rule), or, for a short one, by
// the rule for that outcome.
RC_GTEST_FIXTURE_PROP(Conformance, TMO_EdgeTimeoutsOnDoneFuturesReturnAtOnce, ()) {
  CF_REQUIRE(Cap::kResultTimeout, Cap::kMaxWorkers);
  const int kind = *rc::gen::inRange(0, 3);
  const auto t = kind == 0                               ? gen_poll_timeout()
                 : kind == 1 || !has(Cap::kHugeTimeouts) ? gen_short_timeout()
                                                         : gen_huge_timeout();
  const auto n = static_cast<std::size_t>(*rc::gen::inRange(1, 5));
  const auto fails = *rc::gen::container<std::vector<bool>>(n, rc::gen::arbitrary<bool>());
  auto& ex = make_executor(static_cast<int>(n));
  int log = lab.new_log();
  auto g = submit_gated(ex, lab, log, n, fails, false);
  std::vector<Outcome> expected;
  for (std::size_t i = 0; i < n; ++i) expected.push_back(gated_outcome(i, fails));
  if (has(Cap::kCancel)) {
    // One more, cancelled while queued behind the others.
    auto extra = ex.submit(Probe().returns(-1));
    if (cancel_took_effect(*extra, caps())) {
      g.futures.push_back(extra);
      expected.push_back(Outcome::error(Kind::kCancelled));
    }
  }
  lab.open_all();
  // What each future holds, read with a bound and judged by the rule for
  // that outcome; the edge reads must agree with it.
  std::vector<std::string> held, held_exception;
  for (std::size_t i = 0; i < g.futures.size(); ++i) {
    const auto f = "f" + std::to_string(i);
    auto o = g.futures[i]->result(kLong);
    CF_PRECONDITION("EXEC-SUBMIT-1", !o.is(Kind::kTimeout)) << f << " did not finish once released";
    check_result(o, expected[i], f);
    held.push_back(to_string(o));
    auto e = g.futures[i]->exception(kLong);
    check_exception(e, expected[i], f);
    held_exception.push_back(to_string(e));
  }
  for (std::size_t i = 0; i < g.futures.size(); ++i) {
    const auto f = "f" + std::to_string(i);
    const char* outcome_rule = expected[i].is(Kind::kValue)       ? "FUT-RESULT-1"
                               : expected[i].is(Kind::kCancelled) ? "FUT-RESULT-3"
                                                                  : "FUT-RESULT-2";
    const char* rule = edge_rule(t, Call::kResult, outcome_rule);
    auto start = Clock::now();
    CF_CHECK_EQ(rule, to_string(g.futures[i]->result(t.timeout)), held[i])
        << "result(" << t.name << ") of the done " << f;
    CF_CHECK(rule, Clock::now() - start < kLateSlack)
        << "result(" << t.name << ") of the done " << f;
    rule = edge_rule(t, Call::kException,
                     expected[i].is(Kind::kCancelled) ? "FUT-EXC-2" : "FUT-EXC-1");
    start = Clock::now();
    CF_CHECK_EQ(rule, to_string(g.futures[i]->exception(t.timeout)), held_exception[i])
        << "exception(" << t.name << ") of the done " << f;
    CF_CHECK(rule, Clock::now() - start < kLateSlack)
        << "exception(" << t.name << ") of the done " << f;
  }
  const auto all = iota(g.futures.size());
  if (has(Cap::kWaitTimeout)) {
    // A poll changes nothing here: some future is done at the call.
    const char* rule = t.huge || infinite(t) ? edge_rule(t, Call::kWait, nullptr) : "WAIT-FIRST-2";
    auto start = Clock::now();
    WaitSplit split;
    {
      CF_STEP(rule);
      split = impl().wait(g.futures, ReturnWhen::kFirstCompleted, t.timeout);
    }
    // Left out only cancelled futures: they are not done for wait [WAIT-CANCEL-1].
    bool missing = false, only_cancelled_missing = true;
    for (auto i : all) {
      if (std::find(split.done.begin(), split.done.end(), i) != split.done.end()) continue;
      missing = true;
      if (!expected[i].is(Kind::kCancelled)) only_cancelled_missing = false;
    }
    CF_CHECK(missing && only_cancelled_missing ? "WAIT-CANCEL-1" : rule, sorted(split.done) == all)
        << "wait(FIRST_COMPLETED, " << t.name
        << ") over done futures: done=" << ::testing::PrintToString(split.done);
    CF_CHECK(rule, Clock::now() - start < kLateSlack) << "wait(FIRST_COMPLETED, " << t.name << ")";
  }
  if (has(Cap::kAsCompletedTimeout)) {
    const char* rule = edge_rule(t, Call::kAsCompleted, "ASC-TIMEOUT-2");
    auto start = Clock::now();
    Indices yielded;
    CF_CHECK(rule, ([&] {
               auto run = impl().as_completed(g.futures, t.timeout);
               while (auto i = run->next()) yielded.push_back(*i);
               return true;
             }()))
        << "as_completed(" << t.name << ") over done futures, after yielding "
        << ::testing::PrintToString(yielded);
    CF_CHECK("ASC-ALL-1", yielded_once(yielded))
        << "as_completed(" << t.name << ") yielded " << ::testing::PrintToString(yielded);
    CF_CHECK(rule, sorted(yielded) == all)
        << "as_completed(" << t.name << ") over done futures yielded "
        << ::testing::PrintToString(yielded);
    CF_CHECK(rule, Clock::now() - start < kLateSlack) << "as_completed(" << t.name << ")";
  }
  RC_TAG(t.name);
}

}  // namespace
}  // namespace cf::conformance
