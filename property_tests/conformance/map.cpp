// Conformance tests for the MAP section of SPEC.md: order, eager submission,
// the timeout measured from the call, exceptions, abandoning the results,
// buffersize, empty input and map after shutdown. Modelled on CPython's
// executor.py (test_map*, test_map_buffersize*) and test_thread_pool.py
// (test_map_submits_without_iteration, test_executor_map_current_future_cancel),
// with gates instead of sleeps.
//
// Tests on a one-worker executor use it to know exactly which calls have
// started; the ones that need the worker to take calls in submission order
// say so (TPE-FIFO-1 for the thread pool; CPython's process pool is FIFO too).
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "harness/setups.hpp"
#include "harness/suite.hpp"

namespace cf::conformance {
namespace {

using Kind = Outcome::Kind;

void expect_at_most_once(std::vector<std::int64_t> log) {
  std::sort(log.begin(), log.end());
  EXPECT_TRUE(std::adjacent_find(log.begin(), log.end()) == log.end())
      << "a call ran twice: " << ::testing::PrintToString(log);
}

// Everything the run yields until it ends or raises; a raised error is the
// last element.
std::vector<Outcome> drain(MapRun& run, std::size_t limit = 1000) {
  std::vector<Outcome> out;
  while (out.size() < limit) {
    auto o = run.next();
    if (!o) break;
    out.push_back(*o);
    if (!o->is(Kind::kValue)) break;
  }
  return out;
}

// A map whose next() never blocks without limit: a hang in the implementation
// becomes a TimeoutError, hence a failed assertion, instead of a watchdog kill.
MapSpec bounded(std::optional<std::size_t> buffersize = std::nullopt) {
  return MapSpec{kLong, buffersize};
}

std::string describe(const std::vector<Outcome>& outcomes) {
  std::string text;
  for (const auto& o : outcomes) text += to_string(o) + " ";
  return text;
}

std::string describe(const std::optional<Outcome>& o) {
  return o ? to_string(*o) : std::string("end of the sequence");
}

#define CF_EXPECT_NEXT_VALUE(run, v)                               \
  do {                                                             \
    auto n__ = (run).next();                                       \
    EXPECT_TRUE(n__ && n__->is(Kind::kValue) && n__->value == (v)) \
        << "expected value " << (v) << ", got " << describe(n__);  \
  } while (0)

#define CF_EXPECT_NEXT_END(run)                                                 \
  do {                                                                          \
    auto n__ = (run).next();                                                    \
    EXPECT_FALSE(n__.has_value()) << "expected the end, got " << describe(n__); \
  } while (0)

// --- MAP-ORDER-1 ------------------------------------------------------------

// test_map: results equal the built-in map's, in input order.
TEST_F(Conformance, MAP_ORDER_ResultsInInputOrder) {
  CF_CLAUSES("MAP-ORDER-1");
  CF_REQUIRE(Cap::kMap);
  auto& ex = make_executor();
  std::vector<Probe> probes;
  for (int i = 0; i < 50; ++i) probes.push_back(Probe::value_of(i * i));
  auto run = ex.map(probes, bounded());
  for (int i = 0; i < 50; ++i) CF_EXPECT_NEXT_VALUE(*run, i * i);
  CF_EXPECT_NEXT_END(*run);
}

// The calls complete in reverse input order; the results still come in input order.
TEST_F(Conformance, MAP_ORDER_InputOrderWhateverTheCompletionOrder) {
  CF_CLAUSES("MAP-ORDER-1");
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
    ASSERT_TRUE(lab.await_log_size(done_log, kN - i, kLong));
  }
  EXPECT_EQ(lab.log(done_log), (std::vector<std::int64_t>{3, 2, 1, 0}));
  for (int i = 0; i < kN; ++i) CF_EXPECT_NEXT_VALUE(*run, 100 + i);
  CF_EXPECT_NEXT_END(*run);
}

// --- MAP-EAGER-1 ------------------------------------------------------------

// Every call has started (so was submitted) before the first next().
TEST_F(Conformance, MAP_EAGER_AllCallsSubmittedBeforeFirstNext) {
  CF_CLAUSES("MAP-EAGER-1");
  CF_REQUIRE(Cap::kMap, Cap::kMaxWorkers);
  constexpr int kN = 4;
  auto& ex = make_executor(kN);
  int log = lab.new_log();
  int gate = lab.new_gate();
  std::vector<Probe> probes;
  for (int i = 0; i < kN; ++i) probes.push_back(Probe().record(log, i).gate(gate).returns(i));
  auto run = ex.map(probes, bounded());
  ASSERT_TRUE(lab.await_arrivals(gate, kN, kLong))
      << "only " << lab.arrived(gate) << " of " << kN << " calls started before the first next()";
  EXPECT_EQ(sorted(lab.log(log)), iota(0, kN));
  lab.open(gate);
  for (int i = 0; i < kN; ++i) CF_EXPECT_NEXT_VALUE(*run, i);
  CF_EXPECT_NEXT_END(*run);
}

// test_map_submits_without_iteration (issue 11777): a map never iterated
// still runs every call once the executor is shut down with wait=true.
TEST_F(Conformance, MAP_EAGER_UniteratedMapRunsEverythingAtShutdown) {
  CF_CLAUSES("MAP-EAGER-1");
  CF_REQUIRE(Cap::kMap, Cap::kMaxWorkers);
  auto& ex = make_executor(1);
  int log = lab.new_log();
  std::vector<Probe> probes;
  for (int i = 0; i < 10; ++i) probes.push_back(Probe().record(log, i).returns(i));
  auto run = ex.map(probes, bounded());
  ex.shutdown(true, false);
  EXPECT_EQ(sorted(lab.log(log)), iota(0, 10));
  // The results are all there, after the executor is gone.
  for (int i = 0; i < 10; ++i) CF_EXPECT_NEXT_VALUE(*run, i);
  CF_EXPECT_NEXT_END(*run);
}

// --- MAP-TIMEOUT-1 ----------------------------------------------------------

// test_executor_map_current_future_cancel: the only worker is blocked, so the
// first result cannot be ready; next() raises TimeoutError at the deadline
// measured from the map() call, not before it and not much after it.
TEST_F(Conformance, MAP_TIMEOUT_RaisesAtTheDeadlineFromTheCall) {
  CF_CLAUSES("MAP-TIMEOUT-1");
  CF_REQUIRE(Cap::kMap, Cap::kMaxWorkers);
  auto& ex = make_executor(1);
  int log = lab.new_log();
  int gate = lab.new_gate();
  auto blocker = ex.submit(Probe().record(log, 0).gate(gate).returns(0));
  ASSERT_TRUE(lab.await_arrivals(gate, 1, kLong));
  std::vector<Probe> probes;
  for (int i = 1; i <= 3; ++i) probes.push_back(Probe().record(log, i).returns(i));
  auto start = Clock::now();
  auto run = ex.map(probes, MapSpec{kShort, std::nullopt});
  auto first = run->next();
  auto elapsed = Clock::now() - start;
  ASSERT_TRUE(first.has_value()) << "the sequence ended instead of timing out";
  CF_EXPECT_OUTCOME(*first, Kind::kTimeout);
  EXPECT_GE(elapsed, kShort) << "TimeoutError before the deadline";
  EXPECT_LE(elapsed, kShort + kLateSlack) << "TimeoutError long after the deadline";
}

// A result that is ready when its turn comes is delivered even after the
// deadline; only the first one not ready raises, and it raises at once.
TEST_F(Conformance, MAP_TIMEOUT_ReadyResultsAreDeliveredAfterTheDeadline) {
  CF_CLAUSES("MAP-TIMEOUT-1");
  CF_REQUIRE(Cap::kMap, Cap::kMaxWorkers);
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
  ASSERT_TRUE(lab.await_arrivals(gate, 1, kLong));
  ASSERT_EQ(lab.log(log), (std::vector<std::int64_t>{0, 1}));
  // Let the map's deadline pass: the event under test is the passing of time,
  // so this is an expected timeout of a wait that nothing satisfies.
  EXPECT_FALSE(lab.await_arrivals(never, 1, kShort * 2));
  ASSERT_GE(Clock::now() - start, kShort);
  CF_EXPECT_NEXT_VALUE(*run, 10);
  CF_EXPECT_NEXT_VALUE(*run, 11);
  auto before = Clock::now();
  auto third = run->next();
  ASSERT_TRUE(third.has_value());
  CF_EXPECT_OUTCOME(*third, Kind::kTimeout);
  // The deadline had already passed, so this one does not wait a new timeout.
  EXPECT_LE(Clock::now() - before, kLateSlack);
}

// --- MAP-TIMEOUT-2 ----------------------------------------------------------

// test_executor_map_current_future_cancel: after the timeout, the awaited
// call and every later one are cancelled; none of them ever runs, and the
// sequence is over.
TEST_F(Conformance, MAP_TIMEOUT_CancelsTheAwaitedAndLaterCalls) {
  CF_CLAUSES("MAP-TIMEOUT-2");
  CF_REQUIRE(Cap::kMap, Cap::kMaxWorkers);
  auto& ex = make_executor(1);
  int log = lab.new_log();
  int pad_log = lab.new_log();
  int gate = lab.new_gate();
  auto blocker = ex.submit(Probe().record(log, 0).gate(gate).returns(0));
  ASSERT_TRUE(lab.await_arrivals(gate, 1, kLong));
  std::vector<FuturePtr> pads;
  for (int i = 0; i < kPrefetch; ++i) pads.push_back(ex.submit(Probe().record(pad_log, i)));
  std::vector<Probe> probes;
  for (int i = 1; i <= 4; ++i) probes.push_back(Probe().record(log, i).returns(i));
  auto run = ex.map(probes, MapSpec{kShort, std::nullopt});
  auto first = run->next();
  ASSERT_TRUE(first.has_value());
  CF_EXPECT_OUTCOME(*first, Kind::kTimeout);
  CF_EXPECT_NEXT_END(*run);
  CF_EXPECT_NEXT_END(*run);
  lab.open(gate);
  CF_EXPECT_VALUE(blocker->result(kLong), 0);
  ex.shutdown(true, false);
  EXPECT_EQ(lab.log(log), (std::vector<std::int64_t>{0}))
      << "a call cancelled by the map timeout ran";
  EXPECT_EQ(sorted(lab.log(pad_log)), iota(0, kPrefetch));
}

// The awaited call is already running when the deadline passes: it cannot be
// cancelled and finishes; the calls behind the padding never run.
TEST_F(Conformance, MAP_TIMEOUT_RunningCallFinishesLaterCallsNeverRun) {
  CF_CLAUSES("MAP-TIMEOUT-2");
  CF_REQUIRE(Cap::kMap, Cap::kMaxWorkers);
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
  ASSERT_TRUE(lab.await_arrivals(gate, 1, kLong));
  auto first = run->next();
  ASSERT_TRUE(first.has_value());
  CF_EXPECT_OUTCOME(*first, Kind::kTimeout);
  CF_EXPECT_NEXT_END(*run);
  lab.open(gate);
  lab.open(later);
  ex.shutdown(true, false);
  EXPECT_EQ(lab.log(log), (std::vector<std::int64_t>{0}))
      << "a call cancelled by the map timeout ran";
  expect_at_most_once(lab.log(pad_log));
}

// --- MAP-EXC-1 --------------------------------------------------------------

// test_map_exception: the failing call finishes first, yet the results before
// it are delivered, then its error at its position.
TEST_F(Conformance, MAP_EXC_ErrorSurfacesAtItsPosition) {
  CF_CLAUSES("MAP-EXC-1");
  CF_REQUIRE(Cap::kMap, Cap::kMaxWorkers);
  auto& ex = make_executor(3);
  int log = lab.new_log();
  int g0 = lab.new_gate();
  int g1 = lab.new_gate();
  std::vector<Probe> probes = {Probe().gate(g0).returns(10), Probe().gate(g1).returns(11),
                               Probe().record(log, 2).raises("boom")};
  auto run = ex.map(probes, bounded());
  ASSERT_TRUE(lab.await_log_size(log, 1, kLong));
  ASSERT_TRUE(lab.await_arrivals(g0, 1, kLong));
  ASSERT_TRUE(lab.await_arrivals(g1, 1, kLong));
  lab.open(g1);
  lab.open(g0);
  auto got = drain(*run);
  ASSERT_EQ(got.size(), 3u) << describe(got);
  CF_EXPECT_VALUE(got[0], 10);
  CF_EXPECT_VALUE(got[1], 11);
  CF_EXPECT_OUTCOME(got[2], Kind::kTaskError);
  EXPECT_EQ(got[2].message, "boom");
}

TEST_F(Conformance, MAP_EXC_FirstElementFailing) {
  CF_CLAUSES("MAP-EXC-1");
  CF_REQUIRE(Cap::kMap);
  auto& ex = make_executor();
  auto run = ex.map({Probe::failure("first"), Probe::value_of(1)}, bounded());
  auto o = run->next();
  ASSERT_TRUE(o.has_value());
  CF_EXPECT_OUTCOME(*o, Kind::kTaskError);
  EXPECT_EQ(o->message, "first");
}

// --- MAP-EXC-2 --------------------------------------------------------------

// After the error the sequence ends, and the calls that had not started are
// cancelled. The calls behind the failure wait at a closed gate, so with one
// worker (taking calls in submission order) the ones behind the padding
// cannot have started when the error is raised, and must never run.
TEST_F(Conformance, MAP_EXC_ErrorEndsTheMapAndCancelsTheRest) {
  CF_CLAUSES("MAP-EXC-2");
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
  CF_EXPECT_NEXT_VALUE(*run, 0);
  auto err = run->next();
  ASSERT_TRUE(err.has_value());
  CF_EXPECT_OUTCOME(*err, Kind::kTaskError);
  EXPECT_EQ(err->message, "boom");
  CF_EXPECT_NEXT_END(*run);
  CF_EXPECT_NEXT_END(*run);
  lab.open(gate);
  ex.shutdown(true, false);
  EXPECT_EQ(lab.log(log), (std::vector<std::int64_t>{0, 1}))
      << "calls that had not started when the error was raised ran";
  expect_at_most_once(lab.log(pad_log));
}

// A call already running when the error surfaces is not interrupted.
TEST_F(Conformance, MAP_EXC_RunningCallsFinish) {
  CF_CLAUSES("MAP-EXC-2");
  CF_REQUIRE(Cap::kMap, Cap::kMaxWorkers);
  auto& ex = make_executor(2);
  int log = lab.new_log();
  int gate = lab.new_gate();
  int fail_gate = lab.new_gate();
  std::vector<Probe> probes = {Probe().gate(fail_gate).raises("boom"),
                               Probe().gate(gate).record(log, 1).returns(1)};
  auto run = ex.map(probes, bounded());
  ASSERT_TRUE(lab.await_arrivals(gate, 1, kLong));
  lab.open(fail_gate);
  auto err = run->next();
  ASSERT_TRUE(err.has_value());
  CF_EXPECT_OUTCOME(*err, Kind::kTaskError);
  CF_EXPECT_NEXT_END(*run);
  lab.open(gate);
  ex.shutdown(true, false);
  EXPECT_EQ(lab.log(log), (std::vector<std::int64_t>{1}));
}

// --- MAP-ABANDON-1 ----------------------------------------------------------

// Abandons a map over one worker after one result, with the next call
// running at a closed gate and the others pending behind it; `abandon` closes
// or destroys the run. One worker taking calls in submission order runs the
// yielded call before the gated ones.
template <class Abandon>
void check_abandon(Lab& lab, Executor& ex, Abandon abandon) {
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
  CF_EXPECT_NEXT_VALUE(*run, 0);
  ASSERT_TRUE(lab.await_arrivals(gate, 1, kLong));
  abandon(run);
  lab.open(gate);
  ex.shutdown(true, false);
  // The yielded call and the one running at the gate ran; the pending ones
  // behind the padding were cancelled and never ran.
  EXPECT_EQ(lab.log(log), (std::vector<std::int64_t>{0, 1}));
  expect_at_most_once(lab.log(pad_log));
}

TEST_F(Conformance, MAP_ABANDON_CloseCancelsWhatWasNotYielded) {
  CF_CLAUSES("MAP-ABANDON-1");
  CF_REQUIRE(Cap::kMap, Cap::kMaxWorkers);
  auto& ex = make_executor(1);
  check_abandon(lab, ex, [](std::unique_ptr<MapRun>& run) {
    run->close();
    // test_map_close: after close() the sequence is over.
    CF_EXPECT_NEXT_END(*run);
    CF_EXPECT_NEXT_END(*run);
  });
}

TEST_F(Conformance, MAP_ABANDON_DestroyingCancelsWhatWasNotYielded) {
  CF_CLAUSES("MAP-ABANDON-1");
  CF_REQUIRE(Cap::kMap, Cap::kMaxWorkers);
  auto& ex = make_executor(1);
  check_abandon(lab, ex, [](std::unique_ptr<MapRun>& run) { run.reset(); });
}

// --- EXT-ABANDON-1 ----------------------------------------------------------

// Abandoned before its first step: the call running at the gate finishes,
// the pending ones behind the padding are cancelled and never run.
template <class Abandon>
void check_abandon_unstarted(Lab& lab, Executor& ex, Abandon abandon) {
  int log = lab.new_log();
  int pad_log = lab.new_log();
  int gate = lab.new_gate();
  std::vector<Probe> probes = {Probe().record(log, 0).gate(gate).returns(0)};
  for (int i = 1; i < 1 + kPrefetch; ++i)
    probes.push_back(Probe().record(pad_log, i).gate(gate).returns(i));
  for (int i = 1 + kPrefetch; i < 4 + kPrefetch; ++i) {
    probes.push_back(Probe().record(log, i).gate(gate).returns(i));
  }
  auto run = ex.map(probes, bounded());
  ASSERT_TRUE(lab.await_arrivals(gate, 1, kLong));
  abandon(run);
  lab.open(gate);
  ex.shutdown(true, false);
  EXPECT_EQ(lab.log(log), (std::vector<std::int64_t>{0}))
      << "calls of a map abandoned before its first step still ran";
  expect_at_most_once(lab.log(pad_log));
}

TEST_F(Conformance, EXT_ABANDON_CloseBeforeFirstStepCancels) {
  CF_CLAUSES("EXT-ABANDON-1");
  CF_REQUIRE(Cap::kMap, Cap::kMaxWorkers);
  auto& ex = make_executor(1);
  check_abandon_unstarted(lab, ex, [](std::unique_ptr<MapRun>& run) {
    run->close();
    CF_EXPECT_NEXT_END(*run);
  });
}

TEST_F(Conformance, EXT_ABANDON_DestroyingBeforeFirstStepCancels) {
  CF_CLAUSES("EXT-ABANDON-1");
  CF_REQUIRE(Cap::kMap, Cap::kMaxWorkers);
  auto& ex = make_executor(1);
  check_abandon_unstarted(lab, ex, [](std::unique_ptr<MapRun>& run) { run.reset(); });
}

// --- MAP-BUF-1 --------------------------------------------------------------

// test_map_buffersize_when_buffer_is_full: with buffersize B and more than
// enough workers, exactly B calls start before the first next(), and each
// next() lets at most one more start.
TEST_F(Conformance, MAP_BUF_BuffersizeBoundsSubmission) {
  CF_CLAUSES("MAP-BUF-1");
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
  ASSERT_TRUE(lab.await_log_size(log, kB, kLong));
  // "Not more than B" is checked after a short settle: an upper bound in the
  // safe direction (a late extra submission may escape it, a correct
  // implementation never fails it).
  EXPECT_FALSE(lab.await_log_size(log, kB + 1, kShort))
      << "more than buffersize calls started before the first next(): "
      << ::testing::PrintToString(lab.log(log));
  EXPECT_EQ(sorted(lab.log(log)), iota(0, kB));
  for (int k = 1; k <= kN; ++k) {
    lab.open(gates[k - 1]);
    CF_EXPECT_NEXT_VALUE(*run, 100 + k - 1);
    if (kB + k < kN) {
      EXPECT_FALSE(lab.await_log_size(log, kB + k + 1, kShort))
          << "after " << k << " next() calls more than B + " << k
          << " calls started: " << ::testing::PrintToString(lab.log(log));
    }
  }
  CF_EXPECT_NEXT_END(*run);
  EXPECT_EQ(sorted(lab.log(log)), iota(0, kN));
}

// test_map_buffersize: input order for every buffersize, smaller or larger
// than the input.
TEST_F(Conformance, MAP_BUF_ResultsInInputOrderForEveryBuffersize) {
  CF_CLAUSES("MAP-BUF-1");
  CF_REQUIRE(Cap::kMap, Cap::kMapBuffersize);
  auto& ex = make_executor();
  for (std::size_t b : {1, 2, 4, 8}) {
    std::vector<Probe> probes;
    for (int i = 0; i < 4; ++i) probes.push_back(Probe::value_of(i * 7));
    auto run = ex.map(probes, bounded(b));
    for (int i = 0; i < 4; ++i) CF_EXPECT_NEXT_VALUE(*run, i * 7);
    CF_EXPECT_NEXT_END(*run);
  }
}

// --- MAP-BUF-2 --------------------------------------------------------------

TEST_F(Conformance, MAP_BUF_ZeroBuffersizeThrowsAndSubmitsNothing) {
  CF_CLAUSES("MAP-BUF-2");
  CF_REQUIRE(Cap::kMap, Cap::kMapBuffersize);
  auto& ex = make_executor();
  int log = lab.new_log();
  std::vector<Probe> probes;
  for (int i = 0; i < 4; ++i) probes.push_back(Probe().record(log, i).returns(i));
  CF_EXPECT_RAISES(ex.map(probes, MapSpec{Timeout::none(), 0}), Kind::kInvalidArgument);
  ex.shutdown(true, false);
  EXPECT_TRUE(lab.log(log).empty())
      << "a call was submitted: " << ::testing::PrintToString(lab.log(log));
}

// "Before any input is consumed": an endless input is never read.
TEST_F(Conformance, MAP_BUF_ZeroBuffersizeConsumesNoInput) {
  CF_CLAUSES("MAP-BUF-2");
  CF_REQUIRE(Cap::kMap, Cap::kMapBuffersize);
  auto& ex = make_executor();
  int log = lab.new_log();
  std::atomic<int> made{0};
  CF_EXPECT_RAISES(ex.map_endless(
                       [&](std::int64_t i) {
                         ++made;
                         return Probe().record(log, i).returns(i);
                       },
                       MapSpec{Timeout::none(), 0}),
                   Kind::kInvalidArgument);
  ex.shutdown(true, false);
  EXPECT_EQ(made.load(), 0);
  EXPECT_TRUE(lab.log(log).empty());
}

// --- MAP-BUF-3 --------------------------------------------------------------

// test_map_buffersize_on_infinite_iterable: an endless input yields results
// in order without hanging, and is read lazily.
TEST_F(Conformance, MAP_BUF_EndlessInputIsConsumedLazily) {
  CF_CLAUSES("MAP-BUF-3");
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
  EXPECT_LE(made.load(), kB) << "more than buffersize inputs read before the first next()";
  for (int k = 1; k <= 5; ++k) {
    CF_EXPECT_NEXT_VALUE(*run, (k - 1) * 3);
    EXPECT_LE(made.load(), kB + k) << "input read eagerly after " << k << " next() calls";
  }
  run->close();
  CF_EXPECT_NEXT_END(*run);
  ex.shutdown(true, false);
  // Every input read became at most one call, and the yielded ones ran.
  auto ran = sorted(lab.log(log));
  EXPECT_TRUE(std::adjacent_find(ran.begin(), ran.end()) == ran.end()) << "a call ran twice";
  EXPECT_LE(ran.size(), static_cast<std::size_t>(made.load()));
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(std::binary_search(ran.begin(), ran.end(), i));
}

// test_map_buffersize_on_infinite_iterable, with a timeout combined.
TEST_F(Conformance, MAP_BUF_EndlessInputWithTimeout) {
  CF_CLAUSES("MAP-BUF-3");
  CF_REQUIRE(Cap::kMap, Cap::kMapBuffersize);
  auto& ex = make_executor();
  auto run = ex.map_endless([](std::int64_t i) { return Probe::value_of(i); },
                            MapSpec{kLong, std::size_t{1}});
  for (int i = 0; i < 3; ++i) CF_EXPECT_NEXT_VALUE(*run, i);
}

// --- MAP-EMPTY-1 ------------------------------------------------------------

TEST_F(Conformance, MAP_EMPTY_YieldsNothing) {
  CF_CLAUSES("MAP-EMPTY-1");
  CF_REQUIRE(Cap::kMap);
  auto& ex = make_executor();
  auto run = ex.map({}, MapSpec{});
  CF_EXPECT_NEXT_END(*run);
  CF_EXPECT_NEXT_END(*run);
  auto timed = ex.map({}, MapSpec{kShort, std::nullopt});
  CF_EXPECT_NEXT_END(*timed);
}

TEST_F(Conformance, MAP_EMPTY_WithBuffersizeYieldsNothing) {
  CF_CLAUSES("MAP-EMPTY-1");
  CF_REQUIRE(Cap::kMap, Cap::kMapBuffersize);
  auto& ex = make_executor();
  auto run = ex.map({}, MapSpec{Timeout::none(), 2});
  CF_EXPECT_NEXT_END(*run);
  CF_EXPECT_NEXT_END(*run);
}

// "Neither touches the executor": an empty map does not even notice that the
// executor is shut down, since it submits nothing.
TEST_F(Conformance, MAP_EMPTY_SubmitsNothingEvenAfterShutdown) {
  CF_CLAUSES("MAP-EMPTY-1");
  CF_REQUIRE(Cap::kMap);
  auto& ex = make_executor();
  ex.shutdown(true, false);
  try {
    auto run = ex.map({}, MapSpec{});
    CF_EXPECT_NEXT_END(*run);
  } catch (const Raised& raised) {
    ADD_FAILURE() << "map over an empty input raised " << to_string(raised.outcome);
  }
}

// --- MAP-SHUTDOWN-1 ---------------------------------------------------------

TEST_F(Conformance, MAP_SHUTDOWN_MapAfterShutdownThrows) {
  CF_CLAUSES("MAP-SHUTDOWN-1");
  CF_REQUIRE(Cap::kMap);
  auto& ex = make_executor();
  int log = lab.new_log();
  ex.shutdown(true, false);
  std::vector<Probe> probes;
  for (int i = 0; i < 3; ++i) probes.push_back(Probe().record(log, i).returns(i));
  // From the call to map() itself, not from the first next().
  CF_EXPECT_RAISES(ex.map(probes, MapSpec{}), Kind::kShutdown);
  EXPECT_TRUE(lab.log(log).empty());
}

TEST_F(Conformance, MAP_SHUTDOWN_MapWithBuffersizeAfterShutdownThrows) {
  CF_CLAUSES("MAP-SHUTDOWN-1");
  CF_REQUIRE(Cap::kMap, Cap::kMapBuffersize);
  auto& ex = make_executor();
  int log = lab.new_log();
  ex.shutdown(true, false);
  std::vector<Probe> probes;
  for (int i = 0; i < 3; ++i) probes.push_back(Probe().record(log, i).returns(i));
  CF_EXPECT_RAISES(ex.map(probes, MapSpec{Timeout::none(), 1}), Kind::kShutdown);
  CF_EXPECT_RAISES(ex.map_endless([&](std::int64_t i) { return Probe().record(log, i); },
                                  MapSpec{Timeout::none(), 2}),
                   Kind::kShutdown);
  EXPECT_TRUE(lab.log(log).empty());
}

}  // namespace
}  // namespace cf::conformance
