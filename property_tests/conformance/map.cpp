// Conformance tests for the MAP section of SPEC.md: order, eager submission,
// the timeout measured from the call, exceptions, abandoning the results,
// buffersize, empty input and map after shutdown. Modelled on CPython's
// executor.py (test_map*, test_map_buffersize*) and test_thread_pool.py
// (test_map_submits_without_iteration, test_executor_map_current_future_cancel),
// with gates instead of sleeps.
//
// Tests on a one-worker executor use it to know exactly which calls have
// started; they rely on the worker taking calls in submission order
// (TPE-FIFO-1 for the thread pool; CPython's process pool is FIFO too), and a
// precondition names that rule where the scene depends on it.
//
// A step's outcome is judged by the clause whose rule gives it: where a
// call's error surfaces is the map's (MAP-EXC-1), whether it is the call's
// error unchanged is EXEC-SUBMIT-2's; calls that must never run because the
// map cancelled them are the map clause's, tasks that had to run by the time
// shutdown(wait=true) returned are SHUT-WAIT-1's.
//
// Long on purpose: one spec section (MAP-*), one self-contained scene per test,
// as each conformance file holds its section.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "harness/map_steps.hpp"
#include "harness/setups.hpp"
#include "harness/suite.hpp"

namespace cf::conformance {
namespace {

using Kind = Outcome::Kind;

// Everything the run yields until it ends or raises; a raised error is the
// last element.
std::vector<Outcome> collect(MapRun& run, std::size_t limit = 1000) {
  std::vector<Outcome> out;
  while (out.size() < limit) {
    auto o = run.next();
    if (!o) break;
    out.push_back(*o);
    if (!o->is(Kind::kValue)) break;
  }
  return out;
}

// A raised error that can be a call's own: not a value, the end, a timeout
// or a cancellation. Whether it is the call's error unchanged is EXEC-SUBMIT-2's
// business; where it surfaces is the map's.
bool an_error(const Outcome& o) {
  return !(o.is(Kind::kValue) || o.is(Kind::kNone) || o.is(Kind::kTimeout) ||
           o.is(Kind::kCancelled));
}

bool the_error(const Outcome& o, const std::string& message) {
  return o.is(Kind::kTaskError) && o.message == message;
}

// These scenes hold one worker and rely on it taking the map's calls in
// submission order. When the call at position `i` has not run in time (its
// step timed out, or it never reached its gate) while a later call reached
// `later_gate`, the worker broke that order [TPE-FIFO-1]; else the scene's
// own rule (`otherwise`) is the one broken.
const char* in_order_or(const char* otherwise, Lab& lab, int log, std::int64_t i, int later_gate) {
  const auto ran = lab.log(log);
  const bool call_ran = std::find(ran.begin(), ran.end(), i) != ran.end();
  return !call_ran && lab.arrived(later_gate) > 0 ? "TPE-FIFO-1" : otherwise;
}

// The rule a step expected to yield `want` broke when it yielded another
// input's value: the order [MAP-ORDER-1]; else the scene's own (`rule`).
const char* or_order(const char* rule, const Outcome& got, std::int64_t want) {
  return got.is(Kind::kValue) && got.value != want ? "MAP-ORDER-1" : rule;
}

// No call appears twice in the log.
bool once_each(Values log) {
  log = sorted(std::move(log));
  return std::adjacent_find(log.begin(), log.end()) == log.end();
}

// A map whose next() never blocks without limit where a timed map exists: a
// hang in the implementation becomes a TimeoutError, hence a failed check,
// instead of a watchdog kill.
MapSpec bounded(std::optional<std::size_t> buffersize = std::nullopt) {
  return MapSpec{kLong, buffersize};
}

std::string describe(const std::vector<Outcome>& outcomes) {
  std::string text;
  for (const auto& o : outcomes) text += to_string(o) + " ";
  return text;
}

// --- MAP-ORDER-1 ------------------------------------------------------------

// test_map: results equal the built-in map's, in input order.
TEST_F(Conformance, MAP_ORDER_ResultsInInputOrder) {
  CF_REQUIRE(Cap::kMap);
  auto& ex = make_executor();
  std::vector<Probe> probes;
  for (int i = 0; i < 50; ++i) probes.push_back(Probe::value_of(i * i));
  auto run = ex.map(probes, bounded());
  for (int i = 0; i < 50; ++i) CF_CHECK_VALUE("MAP-ORDER-1", step(*run), i * i) << "position " << i;
  CF_CHECK_EQ("MAP-ORDER-1", step_text(*run), kEndText);
}

// The calls complete in reverse input order; the results still come in input order.
TEST_F(Conformance, MAP_ORDER_InputOrderWhateverTheCompletionOrder) {
  CF_REQUIRE(Cap::kMap, Cap::kMaxWorkers);
  constexpr int kN = 4;
  auto& ex = make_executor(kN);
  int done_log = lab.new_log();
  std::vector<int> gates;
  std::vector<Probe> probes;
  for (int i = 0; i < kN; ++i) {
    gates.push_back(lab.new_gate());
    probes.push_back(Probe().gate(gates[i]).record(done_log, i).returns(100 + i));
  }
  auto run = ex.map(probes, bounded());
  for (int i = kN - 1; i >= 0; --i) {
    lab.open(gates[i]);
    CF_PRECONDITION("EXEC-SUBMIT-1", lab.await_log_size(done_log, kN - i, kLong))
        << "call " << i << " did not finish after its gate opened";
  }
  CF_PRECONDITION("EXEC-SUBMIT-1", lab.log(done_log) == (Values{3, 2, 1, 0}))
      << "completion order " << ::testing::PrintToString(lab.log(done_log));
  for (int i = 0; i < kN; ++i)
    CF_CHECK_VALUE("MAP-ORDER-1", step(*run), 100 + i) << "position " << i;
  CF_CHECK_EQ("MAP-ORDER-1", step_text(*run), kEndText);
}

// --- MAP-EAGER-1 ------------------------------------------------------------

// Every call has started (so was submitted) before the first next().
TEST_F(Conformance, MAP_EAGER_AllCallsSubmittedBeforeFirstNext) {
  CF_REQUIRE(Cap::kMap, Cap::kMaxWorkers);
  constexpr int kN = 4;
  auto& ex = make_executor(kN);
  int log = lab.new_log();
  int gate = lab.new_gate();
  std::vector<Probe> probes;
  for (int i = 0; i < kN; ++i) probes.push_back(Probe().record(log, i).gate(gate).returns(i));
  auto run = ex.map(probes, bounded());
  CF_CHECK("MAP-EAGER-1", lab.await_arrivals(gate, kN, kLong))
      << "only " << lab.arrived(gate) << " of " << kN << " calls started before the first next()";
  CF_CHECK_EQ("MAP-EAGER-1", sorted(lab.log(log)), iota(0, kN));
  lab.open(gate);
  for (int i = 0; i < kN; ++i) CF_CHECK_VALUE("MAP-ORDER-1", step(*run), i) << "position " << i;
  CF_CHECK_EQ("MAP-ORDER-1", step_text(*run), kEndText);
}

// test_map_submits_without_iteration (issue 11777): a map never iterated
// still runs every call, and they have all run when the executor's
// shutdown(wait=true) returns.
TEST_F(Conformance, MAP_EAGER_UniteratedMapRunsEverythingAtShutdown) {
  CF_REQUIRE(Cap::kMap, Cap::kMaxWorkers);
  auto& ex = make_executor(1);
  int log = lab.new_log();
  std::vector<Probe> probes;
  for (int i = 0; i < 10; ++i) probes.push_back(Probe().record(log, i).returns(i));
  auto run = ex.map(probes, bounded());
  shutdown_and_wait(ex);
  auto at_return = lab.log(log);
  const bool every_call_ran = lab.await_log_size(log, 10, kLong);
  std::vector<Outcome> results;
  for (int i = 0; i < 10; ++i) results.push_back(step(*run));
  // A call the map yields as cancelled was submitted, and then cancelled by a
  // shutdown that did not ask for it [SHUT-CANCEL-2].
  const auto cancelled = std::count_if(results.begin(), results.end(),
                                       [](const Outcome& o) { return o.is(Kind::kCancelled); });
  CF_ASSERT("SHUT-CANCEL-2", cancelled == 0)
      << cancelled << " calls of the map were cancelled by shutdown(wait=true)";
  // Every call runs without a step: the map submitted them all. Only then is
  // a call missing at shutdown's return the shutdown's fault.
  CF_ASSERT("MAP-EAGER-1", every_call_ran)
      << "calls of a map never stepped: " << ::testing::PrintToString(lab.log(log));
  CF_CHECK_EQ("SHUT-WAIT-1", sorted(at_return), iota(0, 10))
      << "the calls that had run when shutdown(wait=true) returned";
  // The results are all there, after the executor is gone.
  for (int i = 0; i < 10; ++i) CF_CHECK_VALUE("MAP-ORDER-1", results[i], i) << "position " << i;
  CF_CHECK_EQ("MAP-ORDER-1", step_text(*run), kEndText);
}

// --- MAP-TIMEOUT-1 ----------------------------------------------------------
//
// A timed map over a one-worker executor whose worker is blocked: the scene
// needs the timed form itself (an untimed map would wait for the gate).

// test_executor_map_current_future_cancel: the only worker is blocked, so the
// first result cannot be ready; next() raises TimeoutError at the deadline
// measured from the map() call, not before it and not much after it.
TEST_F(Conformance, MAP_TIMEOUT_RaisesAtTheDeadlineFromTheCall) {
  CF_REQUIRE(Cap::kMapTimeout, Cap::kMaxWorkers);
  auto& ex = make_executor(1);
  int log = lab.new_log();
  int gate = lab.new_gate();
  auto blocker = ex.submit(Probe().record(log, 0).gate(gate).returns(0));
  CF_PRECONDITION("EXEC-SUBMIT-1", lab.await_arrivals(gate, 1, kLong))
      << "the blocker never started";
  std::vector<Probe> probes;
  for (int i = 1; i <= 3; ++i) probes.push_back(Probe().record(log, i).returns(i));
  auto start = Clock::now();
  auto run = ex.map(probes, MapSpec{kShort, std::nullopt});
  Outcome first;
  {
    CF_STEP("MAP-TIMEOUT-1");
    first = step(*run);
  }
  auto elapsed = Clock::now() - start;
  CF_ASSERT_OUTCOME("MAP-TIMEOUT-1", first, Kind::kTimeout);
  CF_CHECK("MAP-TIMEOUT-1", elapsed >= kShort) << "TimeoutError before the deadline";
  CF_CHECK("MAP-TIMEOUT-1", elapsed <= kShort + kLateSlack)
      << "TimeoutError long after the deadline";
}

// A result that is ready when its turn comes is delivered even after the
// deadline; only the first one not ready raises, and it raises at once.
TEST_F(Conformance, MAP_TIMEOUT_ReadyResultsAreDeliveredAfterTheDeadline) {
  CF_REQUIRE(Cap::kMapTimeout, Cap::kMaxWorkers);
  auto& ex = make_executor(1);
  int log = lab.new_log();
  int gate = lab.new_gate();
  int never = lab.new_gate();
  std::vector<Probe> probes = {Probe().record(log, 0).returns(10),
                               Probe().record(log, 1).returns(11),
                               Probe().gate(gate).record(log, 2).returns(12)};
  auto start = Clock::now();
  auto run = ex.map(probes, MapSpec{kShort, std::nullopt});
  // With one worker taking calls in submission order, the third call reaching
  // its gate means the first two have returned, so their results are ready.
  CF_PRECONDITION("EXEC-SUBMIT-1", lab.await_arrivals(gate, 1, kLong))
      << "the third call never started";
  CF_PRECONDITION("TPE-FIFO-1", lab.log(log) == (Values{0, 1}))
      << "calls started " << ::testing::PrintToString(lab.log(log));
  // Let the map's deadline pass: the event under test is the passing of time,
  // so this is an expected timeout of a wait that nothing satisfies.
  CF_PRECONDITION(nullptr, !lab.await_arrivals(never, 1, kShort * 2));
  CF_PRECONDITION(nullptr, Clock::now() - start >= kShort);
  for (std::int64_t want : {10, 11}) {
    const Outcome got = step(*run);
    CF_CHECK_VALUE(or_order("MAP-TIMEOUT-1", got, want), got, want)
        << "a ready result after the deadline";
  }
  auto before = Clock::now();
  CF_CHECK_OUTCOME("MAP-TIMEOUT-1", step(*run), Kind::kTimeout) << "the first result not ready";
  // The deadline had already passed, so this one does not wait a new timeout.
  CF_CHECK("MAP-TIMEOUT-1", Clock::now() - before <= kLateSlack) << "the late step waited";
}

// --- MAP-TIMEOUT-2 ----------------------------------------------------------

// test_executor_map_current_future_cancel: after the timeout, the awaited
// call and every later one are cancelled; none of them ever runs, and the
// sequence is over.
TEST_F(Conformance, MAP_TIMEOUT_CancelsTheAwaitedAndLaterCalls) {
  CF_REQUIRE(Cap::kMapTimeout, Cap::kMaxWorkers);
  auto& ex = make_executor(1);
  int log = lab.new_log();
  int pad_log = lab.new_log();
  int gate = lab.new_gate();
  auto blocker = ex.submit(Probe().record(log, 0).gate(gate).returns(0));
  CF_PRECONDITION("EXEC-SUBMIT-1", lab.await_arrivals(gate, 1, kLong))
      << "the blocker never started";
  std::vector<FuturePtr> pads;
  for (int i = 0; i < kPrefetch; ++i) pads.push_back(ex.submit(Probe().record(pad_log, i)));
  std::vector<Probe> probes;
  for (int i = 1; i <= 4; ++i) probes.push_back(Probe().record(log, i).returns(i));
  auto run = ex.map(probes, MapSpec{kShort, std::nullopt});
  CF_PRECONDITION("MAP-TIMEOUT-1", step(*run).is(Kind::kTimeout))
      << "the first step did not time out";
  CF_CHECK_EQ("MAP-TIMEOUT-2", step_text(*run), kEndText) << "after the TimeoutError";
  CF_CHECK_EQ("MAP-TIMEOUT-2", step_text(*run), kEndText) << "a second step after the TimeoutError";
  lab.open(gate);
  CF_CHECK_VALUE("EXEC-SUBMIT-1", blocker->result(kLong), 0);
  shutdown_and_wait(ex);
  CF_CHECK_EQ("MAP-TIMEOUT-2", lab.log(log), (Values{0}))
      << "a call cancelled by the map timeout ran";
  CF_CHECK_EQ("SHUT-WAIT-1", sorted(lab.log(pad_log)), iota(0, kPrefetch))
      << "the tasks submitted beside the map, when shutdown(wait=true) returned";
}

// The awaited call is already running when the deadline passes: it cannot be
// cancelled and finishes; the calls behind the padding never run.
TEST_F(Conformance, MAP_TIMEOUT_RunningCallFinishesLaterCallsNeverRun) {
  CF_REQUIRE(Cap::kMapTimeout, Cap::kMaxWorkers);
  auto& ex = make_executor(1);
  int log = lab.new_log();
  int pad_log = lab.new_log();
  int gate = lab.new_gate();
  int later = lab.new_gate();
  std::vector<Probe> probes = {Probe().gate(gate).record(log, 0).returns(0)};
  for (int i = 1; i <= kPrefetch; ++i)
    probes.push_back(Probe().gate(later).record(pad_log, i).returns(i));
  for (int i = kPrefetch + 1; i <= kPrefetch + 3; ++i) {
    probes.push_back(Probe().gate(later).record(log, i).returns(i));
  }
  auto run = ex.map(probes, MapSpec{kShort, std::nullopt});
  const bool first_started = lab.await_arrivals(gate, 1, kLong);
  const char* start_rule =
      first_started ? "EXEC-SUBMIT-1" : in_order_or("EXEC-SUBMIT-1", lab, log, 0, later);
  CF_PRECONDITION(start_rule, first_started) << "the first call never started";
  CF_PRECONDITION("MAP-TIMEOUT-1", step(*run).is(Kind::kTimeout))
      << "the first step did not time out";
  CF_CHECK_EQ("MAP-TIMEOUT-2", step_text(*run), kEndText) << "after the TimeoutError";
  lab.open(gate);
  lab.open(later);
  shutdown_and_wait(ex);
  auto ran = lab.log(log);
  CF_CHECK_EQ("EXEC-RUNNING-1", std::count(ran.begin(), ran.end(), 0), 1)
      << "the call running at the deadline, in " << ::testing::PrintToString(ran);
  CF_CHECK("MAP-TIMEOUT-2",
           std::all_of(ran.begin(), ran.end(), [](std::int64_t id) { return id == 0; }))
      << "a call cancelled by the map timeout ran: " << ::testing::PrintToString(ran);
  CF_CHECK("EXEC-SUBMIT-1", once_each(lab.log(pad_log)))
      << ::testing::PrintToString(lab.log(pad_log));
}

// --- MAP-EXC-1 --------------------------------------------------------------

// test_map_exception: the failing call finishes first, yet the results before
// it are delivered, then its error at its position.
TEST_F(Conformance, MAP_EXC_ErrorSurfacesAtItsPosition) {
  CF_REQUIRE(Cap::kMap, Cap::kMaxWorkers);
  auto& ex = make_executor(3);
  int log = lab.new_log();
  int g0 = lab.new_gate();
  int g1 = lab.new_gate();
  std::vector<Probe> probes = {Probe().gate(g0).returns(10), Probe().gate(g1).returns(11),
                               Probe().record(log, 2).raises("boom")};
  auto run = ex.map(probes, bounded());
  CF_PRECONDITION("EXEC-SUBMIT-1", lab.await_log_size(log, 1, kLong))
      << "the failing call never ran";
  CF_PRECONDITION("EXEC-SUBMIT-1", lab.await_arrivals(g0, 1, kLong)) << "call 0 never started";
  CF_PRECONDITION("EXEC-SUBMIT-1", lab.await_arrivals(g1, 1, kLong)) << "call 1 never started";
  lab.open(g1);
  lab.open(g0);
  std::vector<Outcome> got;
  {
    CF_STEP("MAP-EXC-1");
    got = collect(*run);
  }
  CF_ASSERT_EQ("MAP-EXC-1", got.size(), 3u) << describe(got);
  CF_CHECK_VALUE(or_order("MAP-EXC-1", got[0], 10), got[0], 10);
  CF_CHECK_VALUE(or_order("MAP-EXC-1", got[1], 11), got[1], 11);
  CF_CHECK("MAP-EXC-1", an_error(got[2]))
      << "at the failing call's position: " << to_string(got[2]);
  CF_CHECK("EXEC-SUBMIT-2", the_error(got[2], "boom"))
      << "the call's error came back as " << to_string(got[2]);
}

TEST_F(Conformance, MAP_EXC_FirstElementFailing) {
  CF_REQUIRE(Cap::kMap);
  auto& ex = make_executor();
  auto run = ex.map({Probe::failure("first"), Probe::value_of(1)}, bounded());
  Outcome o;
  {
    CF_STEP("MAP-EXC-1");
    o = step(*run);
  }
  CF_CHECK("MAP-EXC-1", an_error(o)) << "the first step gave " << to_string(o);
  CF_CHECK("EXEC-SUBMIT-2", the_error(o, "first"))
      << "the call's error came back as " << to_string(o);
}

// --- MAP-EXC-2 --------------------------------------------------------------

// After the error the sequence ends, and the calls that had not started are
// cancelled. The calls behind the failure wait at a closed gate, so with one
// worker (taking calls in submission order) the ones behind the padding
// cannot have started when the error is raised, and must never run.
TEST_F(Conformance, MAP_EXC_ErrorEndsTheMapAndCancelsTheRest) {
  CF_REQUIRE(Cap::kMap, Cap::kMaxWorkers);
  auto& ex = make_executor(1);
  int log = lab.new_log();
  int pad_log = lab.new_log();
  int gate = lab.new_gate();
  std::vector<Probe> probes = {Probe().record(log, 0).returns(0),
                               Probe().record(log, 1).raises("boom")};
  for (int i = 2; i < 2 + kPrefetch; ++i)
    probes.push_back(Probe().record(pad_log, i).gate(gate).returns(i));
  for (int i = 2 + kPrefetch; i < 5 + kPrefetch; ++i) {
    probes.push_back(Probe().record(log, i).gate(gate).returns(i));
  }
  auto run = ex.map(probes, bounded());
  auto first = step(*run);
  const bool first_ok = first.is(Kind::kValue) && first.value == 0;
  const char* first_rule = first_ok || !first.is(Kind::kTimeout)
                               ? "MAP-ORDER-1"
                               : in_order_or("MAP-ORDER-1", lab, log, 0, gate);
  CF_PRECONDITION(first_rule, first_ok) << "the first step gave " << to_string(first);
  auto err = step(*run);
  CF_PRECONDITION("MAP-EXC-1", an_error(err)) << "the failing call's step gave " << to_string(err);
  CF_CHECK("EXEC-SUBMIT-2", the_error(err, "boom"))
      << "the call's error came back as " << to_string(err);
  CF_CHECK_EQ("MAP-EXC-2", step_text(*run), kEndText) << "after the error";
  CF_CHECK_EQ("MAP-EXC-2", step_text(*run), kEndText) << "a second step after the error";
  lab.open(gate);
  shutdown_and_wait(ex);
  CF_CHECK_EQ("MAP-EXC-2", lab.log(log), (Values{0, 1}))
      << "calls that had not started when the error was raised ran";
  CF_CHECK("EXEC-SUBMIT-1", once_each(lab.log(pad_log)))
      << ::testing::PrintToString(lab.log(pad_log));
}

// A call already running when the error surfaces is not interrupted.
TEST_F(Conformance, MAP_EXC_RunningCallsFinish) {
  CF_REQUIRE(Cap::kMap, Cap::kMaxWorkers);
  auto& ex = make_executor(2);
  int log = lab.new_log();
  int gate = lab.new_gate();
  int fail_gate = lab.new_gate();
  std::vector<Probe> probes = {Probe().gate(fail_gate).raises("boom"),
                               Probe().gate(gate).record(log, 1).returns(1)};
  auto run = ex.map(probes, bounded());
  CF_PRECONDITION("EXEC-SUBMIT-1", lab.await_arrivals(gate, 1, kLong))
      << "the second call never started";
  lab.open(fail_gate);
  Outcome err;
  {
    // The failing call's error is raised at its step, while the other call
    // still runs: a step that waits for that call hangs here.
    CF_STEP("MAP-EXC-1");
    err = step(*run);
  }
  CF_PRECONDITION("MAP-EXC-1", an_error(err)) << "the failing call's step gave " << to_string(err);
  CF_CHECK_EQ("MAP-EXC-2", step_text(*run), kEndText) << "after the error";
  lab.open(gate);
  shutdown_and_wait(ex);
  CF_CHECK_EQ("MAP-EXC-2", lab.log(log), (Values{1})) << "the call running at the error";
}

// --- MAP-ABANDON-1 ----------------------------------------------------------

// Abandons a map over one worker after one result, with the next call
// running at a closed gate and the others pending behind it; `abandon` closes
// or destroys the run. One worker taking calls in submission order runs the
// yielded call before the gated ones.
template <class Quit>
void check_abandon(Lab& lab, Executor& ex, Quit abandon) {
  int log = lab.new_log();
  int pad_log = lab.new_log();
  int gate = lab.new_gate();
  std::vector<Probe> probes = {Probe().record(log, 0).returns(0),
                               Probe().record(log, 1).gate(gate).returns(1)};
  for (int i = 2; i < 2 + kPrefetch; ++i)
    probes.push_back(Probe().record(pad_log, i).gate(gate).returns(i));
  for (int i = 2 + kPrefetch; i < 5 + kPrefetch; ++i) {
    probes.push_back(Probe().record(log, i).gate(gate).returns(i));
  }
  auto run = ex.map(probes, bounded());
  auto first = step(*run);
  const bool first_ok = first.is(Kind::kValue) && first.value == 0;
  const char* first_rule = first_ok || !first.is(Kind::kTimeout)
                               ? "MAP-ORDER-1"
                               : in_order_or("MAP-ORDER-1", lab, log, 0, gate);
  CF_PRECONDITION(first_rule, first_ok) << "the first step gave " << to_string(first);
  CF_PRECONDITION("EXEC-SUBMIT-1", lab.await_arrivals(gate, 1, kLong))
      << "the second call never started";
  abandon(run);
  lab.open(gate);
  shutdown_and_wait(ex);
  // The yielded call and the one running at the gate ran; the pending ones
  // behind the padding were cancelled and never ran.
  CF_CHECK_EQ("MAP-ABANDON-1", lab.log(log), (Values{0, 1}));
  CF_CHECK("EXEC-SUBMIT-1", once_each(lab.log(pad_log)))
      << ::testing::PrintToString(lab.log(pad_log));
}

TEST_F(Conformance, MAP_ABANDON_CloseCancelsWhatWasNotYielded) {
  CF_REQUIRE(Cap::kMap, Cap::kMaxWorkers);
  auto& ex = make_executor(1);
  check_abandon(lab, ex, [](std::unique_ptr<MapRun>& run) {
    run->close();
    // test_map_close: after close() the sequence is over.
    CF_CHECK_EQ("MAP-ABANDON-1", step_text(*run), kEndText) << "after close()";
    CF_CHECK_EQ("MAP-ABANDON-1", step_text(*run), kEndText) << "a second step after close()";
  });
}

TEST_F(Conformance, MAP_ABANDON_DestroyingCancelsWhatWasNotYielded) {
  CF_REQUIRE(Cap::kMap, Cap::kMaxWorkers);
  auto& ex = make_executor(1);
  check_abandon(lab, ex, [](std::unique_ptr<MapRun>& run) { run.reset(); });
}

// --- MAP-ABANDON-2 ----------------------------------------------------------

// Abandoned before its first step (test_map_submits_without_iteration, with
// the map dropped): nothing is cancelled; every call runs once, and has run
// when shutdown(wait=true) returns.
template <class Quit>
void check_abandon_unstarted(Lab& lab, Executor& ex, Quit abandon) {
  int log = lab.new_log();
  int gate = lab.new_gate();
  std::vector<Probe> probes = {Probe().record(log, 0).gate(gate).returns(0)};
  for (int i = 1; i < 4 + kPrefetch; ++i) probes.push_back(Probe().record(log, i).returns(i));
  auto run = ex.map(probes, bounded());
  CF_PRECONDITION("EXEC-SUBMIT-1", lab.await_arrivals(gate, 1, kLong))
      << "the first call never started";
  abandon(run);
  lab.open(gate);
  // The calls have the time to run before the shutdown, so a shutdown that
  // cancels what it should not is not read as the map's doing (no verdict
  // here: the log below judges).
  lab.await_log_size(log, 4 + kPrefetch, kLong);
  shutdown_and_wait(ex);
  CF_CHECK_EQ("MAP-ABANDON-2", sorted(lab.log(log)), iota(0, 4 + kPrefetch))
      << "the calls of a map abandoned before its first step that ran";
}

TEST_F(Conformance, MAP_ABANDON_CloseBeforeFirstStepCancelsNothing) {
  CF_REQUIRE(Cap::kMap, Cap::kMaxWorkers);
  auto& ex = make_executor(1);
  check_abandon_unstarted(lab, ex, [](std::unique_ptr<MapRun>& run) {
    run->close();
    CF_CHECK_EQ("MAP-ABANDON-2", step_text(*run), kEndText) << "after close()";
  });
}

TEST_F(Conformance, MAP_ABANDON_DroppedBeforeFirstStepCancelsNothing) {
  CF_REQUIRE(Cap::kMap, Cap::kMaxWorkers);
  auto& ex = make_executor(1);
  check_abandon_unstarted(lab, ex, [](std::unique_ptr<MapRun>& run) { run.reset(); });
}

// --- MAP-BUF-1 --------------------------------------------------------------

// test_map_buffersize_when_buffer_is_full: with buffersize B and more than
// enough workers, exactly B calls start before the first next(), and each
// next() lets at most one more start.
TEST_F(Conformance, MAP_BUF_BuffersizeBoundsSubmission) {
  CF_REQUIRE(Cap::kMap, Cap::kMapBuffersize, Cap::kMaxWorkers);
  constexpr int kN = 6;
  constexpr int kB = 2;
  auto& ex = make_executor(kN);
  int log = lab.new_log();
  std::vector<int> gates;
  std::vector<Probe> probes;
  for (int i = 0; i < kN; ++i) {
    gates.push_back(lab.new_gate());
    probes.push_back(Probe().record(log, i).gate(gates[i]).returns(100 + i));
  }
  auto run = ex.map(probes, bounded(kB));
  CF_ASSERT("MAP-BUF-1", lab.await_log_size(log, kB, kLong))
      << "fewer than buffersize calls started: " << ::testing::PrintToString(lab.log(log));
  // "Not more than B" is checked after a short settle: an upper bound in the
  // safe direction (a late extra submission may escape it, a correct
  // implementation never fails it).
  CF_CHECK("MAP-BUF-1", !lab.await_log_size(log, kB + 1, kShort))
      << "more than buffersize calls started before the first next(): "
      << ::testing::PrintToString(lab.log(log));
  CF_CHECK_EQ("MAP-BUF-1", sorted(lab.log(log)), iota(0, kB));
  for (int k = 1; k <= kN; ++k) {
    lab.open(gates[k - 1]);
    CF_CHECK_VALUE("MAP-BUF-1", step(*run), 100 + k - 1) << "position " << k - 1;
    if (kB + k < kN) {
      CF_CHECK("MAP-BUF-1", !lab.await_log_size(log, kB + k + 1, kShort))
          << "after " << k << " next() calls more than B + " << k
          << " calls started: " << ::testing::PrintToString(lab.log(log));
    }
  }
  CF_CHECK_EQ("MAP-BUF-1", step_text(*run), kEndText);
  CF_CHECK_EQ("MAP-BUF-1", sorted(lab.log(log)), iota(0, kN));
}

// test_map_buffersize: input order for every buffersize, smaller or larger
// than the input.
TEST_F(Conformance, MAP_BUF_ResultsInInputOrderForEveryBuffersize) {
  CF_REQUIRE(Cap::kMap, Cap::kMapBuffersize);
  auto& ex = make_executor();
  for (std::size_t b : {1, 2, 4, 8}) {
    std::vector<Probe> probes;
    for (int i = 0; i < 4; ++i) probes.push_back(Probe::value_of(i * 7));
    auto run = ex.map(probes, bounded(b));
    for (int i = 0; i < 4; ++i) {
      CF_CHECK_VALUE("MAP-BUF-1", step(*run), i * 7) << "buffersize " << b << ", position " << i;
    }
    CF_CHECK_EQ("MAP-BUF-1", step_text(*run), kEndText) << "buffersize " << b;
  }
}

// --- MAP-BUF-2 --------------------------------------------------------------

TEST_F(Conformance, MAP_BUF_ZeroBuffersizeThrowsAndSubmitsNothing) {
  CF_REQUIRE(Cap::kMap, Cap::kMapBuffersize);
  auto& ex = make_executor();
  int log = lab.new_log();
  std::vector<Probe> probes;
  for (int i = 0; i < 4; ++i) probes.push_back(Probe().record(log, i).returns(i));
  CF_CHECK_RAISES("MAP-BUF-2", ex.map(probes, MapSpec{Timeout::none(), 0}), Kind::kInvalidArgument);
  shutdown_and_wait(ex);
  CF_CHECK("MAP-BUF-2", lab.log(log).empty())
      << "a call was submitted: " << ::testing::PrintToString(lab.log(log));
}

// "Before any input is consumed": an endless input is never read.
TEST_F(Conformance, MAP_BUF_ZeroBuffersizeConsumesNoInput) {
  CF_REQUIRE(Cap::kMap, Cap::kMapBuffersize);
  auto& ex = make_executor();
  int log = lab.new_log();
  std::atomic<int> made{0};
  CF_CHECK_RAISES("MAP-BUF-2",
                  ex.map_endless(
                      [&](std::int64_t i) {
                        ++made;
                        return Probe().record(log, i).returns(i);
                      },
                      MapSpec{Timeout::none(), 0}),
                  Kind::kInvalidArgument);
  shutdown_and_wait(ex);
  CF_CHECK_EQ("MAP-BUF-2", made.load(), 0) << "inputs read";
  CF_CHECK("MAP-BUF-2", lab.log(log).empty()) << "a call was submitted";
}

// --- MAP-BUF-3 --------------------------------------------------------------

// test_map_buffersize_on_infinite_iterable: an endless input yields results
// in order without hanging, and is read lazily.
TEST_F(Conformance, MAP_BUF_EndlessInputIsConsumedLazily) {
  CF_REQUIRE(Cap::kMap, Cap::kMapBuffersize);
  constexpr int kB = 2;
  auto& ex = make_executor();
  int log = lab.new_log();
  std::atomic<int> made{0};
  auto run = ex.map_endless(
      [&](std::int64_t i) {
        ++made;
        return Probe().record(log, i).returns(i * 3);
      },
      bounded(kB));
  CF_CHECK("MAP-BUF-3", made.load() <= kB) << made.load() << " inputs read before the first next()";
  for (int k = 1; k <= 5; ++k) {
    CF_CHECK_VALUE("MAP-BUF-3", step(*run), (k - 1) * 3) << "position " << k - 1;
    CF_CHECK("MAP-BUF-3", made.load() <= kB + k)
        << made.load() << " inputs read after " << k << " next() calls";
  }
  run->close();
  CF_CHECK_EQ("MAP-ABANDON-1", step_text(*run), kEndText) << "after close()";
  shutdown_and_wait(ex);
  // Every input read became at most one call, and the yielded ones ran.
  auto ran = sorted(lab.log(log));
  CF_CHECK("EXEC-SUBMIT-1", once_each(ran))
      << "a call ran twice: " << ::testing::PrintToString(ran);
  CF_CHECK("MAP-BUF-3", ran.size() <= static_cast<std::size_t>(made.load()))
      << ran.size() << " calls ran from " << made.load() << " inputs";
  for (int i = 0; i < 5; ++i) {
    CF_CHECK("MAP-BUF-3", std::binary_search(ran.begin(), ran.end(), i))
        << "yielded call " << i << " not logged";
  }
}

// test_map_buffersize_on_infinite_iterable, with a timeout combined: the
// scene is the timed form.
TEST_F(Conformance, MAP_BUF_EndlessInputWithTimeout) {
  CF_REQUIRE(Cap::kMapTimeout, Cap::kMapBuffersize);
  auto& ex = make_executor();
  auto run = ex.map_endless([](std::int64_t i) { return Probe::value_of(i); },
                            MapSpec{kLong, std::size_t{1}});
  for (int i = 0; i < 3; ++i) CF_CHECK_VALUE("MAP-BUF-3", step(*run), i) << "position " << i;
}

// --- MAP-EMPTY-1 ------------------------------------------------------------
//
// map() itself runs inside a check: raising for an empty input breaks the rule.

TEST_F(Conformance, MAP_EMPTY_YieldsNothing) {
  CF_REQUIRE(Cap::kMap);
  auto& ex = make_executor();
  std::unique_ptr<MapRun> run;
  CF_ASSERT("MAP-EMPTY-1", (run = ex.map({}, MapSpec{})) != nullptr);
  CF_CHECK_EQ("MAP-EMPTY-1", step_text(*run), kEndText);
  CF_CHECK_EQ("MAP-EMPTY-1", step_text(*run), kEndText) << "a second step";
  if (has(Cap::kMapTimeout)) {
    std::unique_ptr<MapRun> timed;
    CF_ASSERT("MAP-EMPTY-1", (timed = ex.map({}, MapSpec{kShort, std::nullopt})) != nullptr);
    CF_CHECK_EQ("MAP-EMPTY-1", step_text(*timed), kEndText) << "with a timeout";
  }
}

TEST_F(Conformance, MAP_EMPTY_WithBuffersizeYieldsNothing) {
  CF_REQUIRE(Cap::kMap, Cap::kMapBuffersize);
  auto& ex = make_executor();
  std::unique_ptr<MapRun> run;
  CF_ASSERT("MAP-EMPTY-1", (run = ex.map({}, MapSpec{Timeout::none(), 2})) != nullptr);
  CF_CHECK_EQ("MAP-EMPTY-1", step_text(*run), kEndText);
  CF_CHECK_EQ("MAP-EMPTY-1", step_text(*run), kEndText) << "a second step";
}

// "Neither touches the executor": an empty map does not even notice that the
// executor is shut down, since it submits nothing.
TEST_F(Conformance, MAP_EMPTY_SubmitsNothingEvenAfterShutdown) {
  CF_REQUIRE(Cap::kMap);
  auto& ex = make_executor();
  shutdown_and_wait(ex);
  std::unique_ptr<MapRun> run;
  CF_ASSERT("MAP-EMPTY-1", (run = ex.map({}, MapSpec{})) != nullptr) << "after shutdown";
  CF_CHECK_EQ("MAP-EMPTY-1", step_text(*run), kEndText);
}

// --- MAP-SHUTDOWN-1 ---------------------------------------------------------

TEST_F(Conformance, MAP_SHUTDOWN_MapAfterShutdownThrows) {
  CF_REQUIRE(Cap::kMap);
  auto& ex = make_executor();
  int log = lab.new_log();
  shutdown_and_wait(ex);
  std::vector<Probe> probes;
  for (int i = 0; i < 3; ++i) probes.push_back(Probe().record(log, i).returns(i));
  // From the call to map() itself, not from the first next().
  CF_CHECK_RAISES("MAP-SHUTDOWN-1", ex.map(probes, MapSpec{}), Kind::kShutdown);
  CF_CHECK("MAP-SHUTDOWN-1", lab.log(log).empty()) << "a call ran";
}

TEST_F(Conformance, MAP_SHUTDOWN_MapWithBuffersizeAfterShutdownThrows) {
  CF_REQUIRE(Cap::kMap, Cap::kMapBuffersize);
  auto& ex = make_executor();
  int log = lab.new_log();
  shutdown_and_wait(ex);
  std::vector<Probe> probes;
  for (int i = 0; i < 3; ++i) probes.push_back(Probe().record(log, i).returns(i));
  CF_CHECK_RAISES("MAP-SHUTDOWN-1", ex.map(probes, MapSpec{Timeout::none(), 1}), Kind::kShutdown);
  CF_CHECK_RAISES("MAP-SHUTDOWN-1",
                  ex.map_endless([&](std::int64_t i) { return Probe().record(log, i); },
                                 MapSpec{Timeout::none(), 2}),
                  Kind::kShutdown);
  CF_CHECK("MAP-SHUTDOWN-1", lab.log(log).empty()) << "a call ran";
}

}  // namespace
}  // namespace cf::conformance
