// RapidCheck properties of map() [MAP-*]: results in input order whatever the
// completion order, with or without a buffersize; an error raised at its
// position after the earlier results; a buffersize never runs ahead of its
// window; an abandoned or timed-out map cancels the rest; every call runs once.
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
#include <future>
#include <memory>
#include <mutex>
#include <numeric>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "harness/background.hpp"
#include "harness/setups.hpp"
#include "harness/suite.hpp"
#include "properties/support.hpp"

namespace cf::conformance {
namespace {

using namespace props;
using props::iota;
using props::sorted;

// Runs a map over `values`, each call held at its own gate; opens the gates in
// a random order, then reads every result: in input order [MAP-ORDER-1], with
// or without a buffersize (MAP-BUF-1 restates the rule for it; a map out of
// order breaks MAP-ORDER-1 whatever its buffer).
void check_map_order(Lab& lab, Executor& ex, const std::vector<std::int64_t>& values,
                     std::optional<std::size_t> buffersize) {
  const char* rule = "MAP-ORDER-1";
  const int n = static_cast<int>(values.size());
  std::vector<int> gates;
  std::vector<Probe> probes;
  for (int i = 0; i < n; ++i) {
    gates.push_back(lab.new_gate());
    probes.push_back(Probe().gate(gates[i]).returns(values[i]));
  }
  auto run = ex.map(probes, MapSpec{kLong, buffersize});
  for (auto i : permutation(static_cast<std::size_t>(n))) lab.open(gates[i]);
  std::optional<Outcome> o;
  for (int i = 0; i < n; ++i) {
    CF_CHECK(rule, (o = run->next()) && o->is(Kind::kValue) && o->value == values[i])
        << "result " << i << " was " << describe(o) << ", expected value(" << values[i] << ")";
  }
  CF_CHECK(rule, !(o = run->next())) << "after " << n << " results came " << describe(o);
}

// --- MAP-ORDER-1 ------------------------------------------------------------

RC_GTEST_FIXTURE_PROP(Conformance, MAP_ORDER_InputOrderForAnyCompletionOrder, ()) {
  CF_REQUIRE(Cap::kMap, Cap::kMaxWorkers);
  const int workers = *rc::gen::inRange(1, 5);
  const int n = *rc::gen::inRange(0, 25);
  auto values = *rc::gen::container<std::vector<std::int64_t>>(static_cast<std::size_t>(n),
                                                               rc::gen::arbitrary<std::int64_t>());
  check_map_order(lab, make_executor(workers), values, std::nullopt);
}

RC_GTEST_FIXTURE_PROP(Conformance, MAP_BUF_InputOrderForAnyBuffersize, ()) {
  CF_REQUIRE(Cap::kMap, Cap::kMapBuffersize, Cap::kMaxWorkers);
  const int workers = *rc::gen::inRange(1, 5);
  const auto buffersize = *rc::gen::inRange<std::size_t>(1, 8);
  const int n = *rc::gen::inRange(0, 25);
  auto values = *rc::gen::container<std::vector<std::int64_t>>(static_cast<std::size_t>(n),
                                                               rc::gen::arbitrary<std::int64_t>());
  check_map_order(lab, make_executor(workers), values, buffersize);
}
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

// One worker; a map whose first k calls are yielded, call k is running at a
// gate, padding and a tail are queued. Closing or dropping the sequence (or
// its timeout, from the call) cancels what was not yielded: the running call
// finishes, the tail never runs [MAP-ABANDON-1] [MAP-TIMEOUT-1] [MAP-TIMEOUT-2].
// Closed or dropped before its first step, it cancels nothing: the tail runs
// too [MAP-ABANDON-2].
RC_GTEST_FIXTURE_PROP(Conformance, CAN_AbandonedOrTimedOutMapCancelsTheRest, ()) {
  CF_REQUIRE(Cap::kMap, Cap::kMaxWorkers);
  // 0 close, 1 destroy, 2 timeout (the timed form only where it exists).
  const int how = *rc::gen::inRange(0, has(Cap::kMapTimeout) ? 3 : 2);
  // With a timeout, earlier results could miss the deadline: none then.
  const auto k = how == 2 ? 0 : static_cast<std::size_t>(*rc::gen::inRange(0, 4));
  const auto tail = static_cast<std::size_t>(*rc::gen::inRange(1, 6));
  // The rule that says what abandoning at position k cancels.
  const char* abandon = how == 2 ? "MAP-TIMEOUT-2" : k == 0 ? "MAP-ABANDON-2" : "MAP-ABANDON-1";
  // Calls of the log that run: every one if nothing is cancelled.
  const bool cancels = std::string(abandon) != "MAP-ABANDON-2";
  const std::size_t expected_runs = cancels ? k + 1 : k + 1 + tail;
  auto& ex = make_executor(1);
  int log = lab.new_log();
  int pad_log = lab.new_log();
  int gate = lab.new_gate();
  std::vector<Probe> probes;
  for (std::size_t i = 0; i < k; ++i) {
    probes.push_back(Probe().record(log, static_cast<std::int64_t>(i)).returns(0));
  }
  probes.push_back(Probe().record(log, static_cast<std::int64_t>(k)).gate(gate).returns(0));
  for (int i = 0; i < kPrefetch; ++i)
    probes.push_back(Probe().record(pad_log, i).gate(gate).returns(0));
  for (std::size_t i = 0; i < tail; ++i) {
    probes.push_back(Probe().record(log, static_cast<std::int64_t>(k + 1 + i)).returns(0));
  }
  const auto timeout =
      how == 2 ? gen_short_timeout() : EdgeTimeout{"30s", conformance::Timeout(kLong), {}, false};
  auto start = Clock::now();
  auto run = ex.map(probes, MapSpec{timeout.timeout, std::nullopt});
  std::optional<Outcome> o;
  for (std::size_t i = 0; i < k; ++i) {
    o = run->next();
    // A result that timed out while its call had not run and a later call
    // had started: the one worker broke submission order [TPE-FIFO-1].
    const bool overtaken = o && o->is(Kind::kTimeout) &&
                           times_in(lab.log(log), static_cast<std::int64_t>(i)) == 0 &&
                           lab.arrived(gate) > 0;
    CF_CHECK(overtaken ? "TPE-FIFO-1" : "MAP-ORDER-1", o && o->is(Kind::kValue))
        << "result " << i << " was " << describe(o);
  }
  CF_PRECONDITION("MAP-EAGER-1", lab.await_arrivals(gate, 1, kLong))
      << "call " << k << " never started";
  if (how == 2) {
    CF_CHECK("MAP-TIMEOUT-1", (o = run->next()) && o->is(Kind::kTimeout))
        << "the step at the blocked call gave " << describe(o);
    CF_CHECK("MAP-TIMEOUT-1", Clock::now() - start >= timeout.at_least)
        << "TimeoutError before the " << timeout.name << " deadline";
    CF_CHECK("MAP-TIMEOUT-2", !(o = run->next())) << "after the TimeoutError came " << describe(o);
  } else if (how == 1) {
    CF_STEP(abandon);
    run.reset();
  } else {
    {
      CF_STEP(abandon);
      run->close();
    }
    CF_CHECK(abandon, !(o = run->next())) << "after close() came " << describe(o);
  }
  lab.open(gate);
  // The calls that must run have the time to before the shutdown, so a
  // shutdown that cancels what it should not is not read as the map's doing
  // (no verdict here: the counts below judge).
  lab.await_log_size(log, expected_runs, kLong);
  {
    CF_STEP("SHUT-WAIT-1");
    ex.shutdown(true, false);
  }
  auto ran = lab.log(log);
  for (std::size_t i = 0; i < k; ++i) {
    CF_CHECK_EQ("MAP-ORDER-1", times_in(ran, static_cast<std::int64_t>(i)), 1u)
        << "times the yielded call " << i << " ran";
  }
  // The call running when the map was abandoned finishes.
  CF_CHECK_EQ(how == 2 ? "EXEC-RUNNING-1" : abandon, times_in(ran, static_cast<std::int64_t>(k)),
              1u)
      << "times the running call " << k << " ran";
  CF_CHECK_EQ(abandon, ran.size(), expected_runs)
      << "calls run, of " << k << " yielded, 1 running and " << tail
      << " queued behind the padding";
  auto pads = lab.log(pad_log);
  for (auto p : pads) {
    CF_CHECK_EQ("MAP-ORDER-1", times_in(pads, p), 1u) << "times padding call " << p << " ran";
  }
  RC_TAG(how == 0 ? "close" : how == 1 ? "destroy" : "timeout");
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

}  // namespace
}  // namespace cf::conformance
