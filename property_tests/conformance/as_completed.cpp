// Conformance tests for as_completed() [ASC-*].
//
// They follow CPython's test_as_completed.py, with gates instead of sleeps:
// a "blocked" future is a task held at a gate the test opens later, a
// "finished" or "failed" one a task whose outcome the test already awaited,
// a "cancelled" one a task queued behind a blocker on a one-worker executor
// (or a raw future) whose cancel() succeeded. Completion order is set by
// opening gates one at a time and awaiting each result before the next.
//
// Where cfspec deliberately differs from CPython (a cancelled future is
// yielded without an executor noticing it [ASC-CANCEL-1]; the deadline counts
// from the call, not from the first next() [ASC-TIMEOUT-1]) the test says so.
//
// Long on purpose: one spec section (ASC-*), one self-contained scene per
// test, as the other conformance files; a scene split from its checks would be
// read in two places.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "harness/background.hpp"
#include "harness/setups.hpp"
#include "harness/suite.hpp"

namespace cf::conformance {
namespace {

using Kind = Outcome::Kind;
using SharedRun = std::shared_ptr<AsCompletedRun>;

// run->next() as a call for Background; it shares ownership of the run.
std::function<std::optional<std::size_t>()> next_call(SharedRun run) {
  return [run = std::move(run)] { return run->next(); };
}

// What next() did, as an outcome: value(index) when it yielded a future,
// none("the run ended") at the end, or the error it raised.
Outcome next_outcome(AsCompletedRun& run) {
  try {
    auto index = run.next();
    if (!index) return Outcome::error(Kind::kNone, "the run ended");
    return Outcome::of_value(static_cast<std::int64_t>(*index));
  } catch (const Raised& raised) {
    return raised.outcome;
  }
}

// next() until the end, at most `limit` yields, into `out`. `clause` is the
// rule this run judges: a raise fails it and ends the test. More than `limit`
// yields breaks `once` (each future exactly once, then the end; for an input
// with duplicates, ASC-DUP-1) whatever the scene, and ends the test.
void yield_all(const char* clause, AsCompletedRun& run, std::size_t limit, Indices* out,
               const char* once = "ASC-ALL-1") {
  for (;;) {
    Outcome o;
    CF_ASSERT(clause, (o = next_outcome(run)).is(Kind::kValue) || o.is(Kind::kNone))
        << "next() gave " << to_string(o) << " after yielding " << ::testing::PrintToString(*out);
    if (o.is(Kind::kNone)) return;
    out->push_back(static_cast<std::size_t>(o.value));
    CF_ASSERT(once, out->size() <= limit) << "as_completed yielded more than " << limit
                                          << " futures: " << ::testing::PrintToString(*out);
  }
}

// Expects next() to yield `expected` (nullopt: the end) without raising,
// judged by `clause`. True if it did, so a test can stop where what follows
// would only echo this failure.
bool expect_next(const char* clause, AsCompletedRun& run, std::optional<std::size_t> expected) {
  std::optional<std::optional<std::size_t>> got;  // empty while next() has not returned
  CF_CHECK_EQ(clause, got.emplace(run.next()), expected);
  return got && *got == expected;
}

// As expect_next, for a run without a timeout: next() runs on its own thread,
// bounded by kLong; a call still blocked then fails `clause` and ends the test.
void expect_next_soon(Lab& lab, const char* clause, SharedRun run,
                      std::optional<std::size_t> expected, std::function<void()> rescue = {}) {
  Background<std::optional<std::size_t>> next(lab, clause, next_call(std::move(run)),
                                              std::move(rescue));
  CF_ASSERT(clause, next.returns_within(kLong)) << "next() still blocked";
  CF_CHECK_EQ(clause, next.get(), expected);
}

// Expects next() to raise TimeoutError. `clause` is the timeout clause whose
// rule says it raises here; the message, when the implementation gives one,
// is ASC-TIMEOUT-1's: "N (of M) futures unfinished".
void expect_timeout(const char* clause, AsCompletedRun& run, std::size_t unfinished,
                    std::size_t total) {
  Outcome o;
  CF_CHECK_OUTCOME(clause, o = next_outcome(run), Kind::kTimeout);
  if (o.is(Kind::kTimeout) && !o.message.empty()) {
    CF_CHECK_EQ(
        "ASC-TIMEOUT-1", o.message,
        std::to_string(unfinished) + " (of " + std::to_string(total) + ") futures unfinished");
  }
}

// `n` tasks blocked at their own gates, all running at once (a pool of at
// least n workers uses them all while work waits [TPE-MAX-1]).
void blocked_tasks(Executor& ex, Lab& lab, int n, std::vector<int>* gates,
                   std::vector<FuturePtr>* fs) {
  for (int i = 0; i < n; ++i) {
    gates->push_back(lab.new_gate());
    fs->push_back(ex.submit(Probe::gated(gates->back(), i)));
    CF_PRECONDITION("TPE-MAX-1", lab.await_arrivals(gates->back(), 1, kLong))
        << "task " << i << " never started";
  }
}

// Opens `gate` and waits for its task to return `value`: a scene step that
// fixes the order in which the tasks complete.
void complete(Lab& lab, int gate, const FuturePtr& f, std::int64_t value) {
  lab.open(gate);
  auto o = f->result(kLong);
  CF_PRECONDITION("EXEC-SUBMIT-1", o.is(Kind::kValue) && o.value == value)
      << "the task returning " << value << " gave " << to_string(o);
}

// --- ASC-ALL-1 -------------------------------------------------------------

// CPython test_no_timeout: done fixtures and submitted futures, each yielded once.
TEST_F(Conformance, ASC_ALL_YieldsEveryFutureOnce) {
  CF_REQUIRE(Cap::kAsCompleted);
  auto& ex = make_executor(4);
  int g1 = lab.new_gate();
  int g2 = lab.new_gate();
  FuturePtr ok, bad;
  finished(ex, 1, &ok);
  failed(ex, "boom", &bad);
  auto first = ex.submit(Probe::gated(g1, 2));
  auto second = ex.submit(Probe::gated(g2, 3));
  auto run = impl().as_completed({ok, bad, first, second}, kLong);
  lab.open(g1);
  lab.open(g2);
  Indices yielded;
  yield_all("ASC-ALL-1", *run, 4, &yielded);
  CF_CHECK_EQ("ASC-ALL-1", sorted(yielded), (Indices{0, 1, 2, 3}));
  expect_next("ASC-ALL-1", *run, std::nullopt);  // an ended run stays ended
}

// Without a timeout and (where timed as_completed exists) with a zero one
// and one of kLong, which tells "ends at once" from "waits out the timeout".
TEST_F(Conformance, ASC_ALL_EmptyInputEndsAtOnce) {
  CF_REQUIRE(Cap::kAsCompleted);
  std::vector<Timeout> timeouts{Timeout()};
  if (has(Cap::kAsCompletedTimeout)) {
    timeouts.push_back(Timeout(0s));
    timeouts.push_back(Timeout(kLong));
  }
  for (Timeout timeout : timeouts) {
    SharedRun run = impl().as_completed({}, timeout);
    Background<std::optional<std::size_t>> next(lab, "ASC-ALL-1", next_call(run));
    CF_ASSERT("ASC-ALL-1", next.returns_within(kLateSlack))
        << "next() on no futures blocked" << (timeout.is_none() ? ", no timeout" : "");
    CF_CHECK_EQ("ASC-ALL-1", next.get(), std::optional<std::size_t>())
        << (timeout.is_none() ? "no timeout" : "with a timeout");
  }
}

// --- ASC-ORDER-1 -----------------------------------------------------------

// All completions happen before the first next(): the run must have kept
// their order. Which futures it yields is ASC-ALL-1's rule; their order is
// judged once they are all there.
TEST_F(Conformance, ASC_ORDER_YieldsInCompletionOrder) {
  CF_REQUIRE(Cap::kAsCompleted, Cap::kMaxWorkers);
  auto& ex = make_executor(4);
  std::vector<int> gates;
  std::vector<FuturePtr> fs;
  blocked_tasks(ex, lab, 4, &gates, &fs);
  auto run = impl().as_completed(fs, kLong);
  const Indices order{2, 0, 3, 1};
  for (std::size_t i : order) complete(lab, gates[i], fs[i], static_cast<std::int64_t>(i));
  Indices yielded;
  yield_all("ASC-ALL-1", *run, 4, &yielded);
  CF_ASSERT_EQ("ASC-ALL-1", sorted(yielded), (Indices{0, 1, 2, 3}));
  CF_CHECK_EQ("ASC-ORDER-1", yielded, order);
}

// A next() blocked with nothing ready wakes on the next completion. The run
// has no timeout, so the blocking call itself is judged.
TEST_F(Conformance, ASC_ORDER_BlockedNextWakesOnEachCompletion) {
  CF_REQUIRE(Cap::kAsCompleted, Cap::kMaxWorkers);
  auto& ex = make_executor(3);
  std::vector<int> gates;
  std::vector<FuturePtr> fs;
  blocked_tasks(ex, lab, 3, &gates, &fs);
  SharedRun run = impl().as_completed(fs, Timeout::none());
  for (std::size_t i : {1, 2, 0}) {
    Background<std::optional<std::size_t>> next(lab, "ASC-ORDER-1", next_call(run));
    CF_CHECK("ASC-ORDER-1", !next.returns_within(kShort)) << "next() returned before a completion";
    lab.open(gates[i]);
    CF_ASSERT("ASC-ORDER-1", next.returns_within(kLong))
        << "next() still blocked after a completion";
    CF_CHECK_EQ("ASC-ORDER-1", next.get(), std::optional<std::size_t>(i));
  }
  expect_next_soon(lab, "ASC-ALL-1", run, std::nullopt);
}

TEST_F(Conformance, ASC_ORDER_RawFuturesInSetOrder) {
  CF_REQUIRE(Cap::kAsCompleted, Cap::kRawFuture);
  std::vector<FuturePtr> fs;
  for (int i = 0; i < 5; ++i) fs.push_back(impl().make_future());
  auto run = impl().as_completed(fs, kLong);
  const Indices order{3, 1, 4, 0, 2};
  for (std::size_t i : order) {
    auto set =
        i == 4 ? fs[i]->set_exception("boom") : fs[i]->set_result(static_cast<std::int64_t>(i));
    CF_PRECONDITION("FUT-SET-5", accepted(set)) << "setting an outcome raised " << to_string(set);
  }
  Indices yielded;
  yield_all("ASC-ALL-1", *run, 5, &yielded);
  CF_ASSERT_EQ("ASC-ALL-1", sorted(yielded), (Indices{0, 1, 2, 3, 4}));
  CF_CHECK_EQ("ASC-ORDER-1", yielded, order);
}

// --- ASC-DONE-1 ------------------------------------------------------------

// A future that completes after the call, even before the first next(),
// comes after the ones done at the call (CPython, a generator, would count it
// among the done ones: it looks at the futures only at the first next()).
TEST_F(Conformance, ASC_DONE_AlreadyDoneComeFirst) {
  CF_REQUIRE(Cap::kAsCompleted);
  auto& ex = make_executor(4);
  int g1 = lab.new_gate();
  int g2 = lab.new_gate();
  FuturePtr ok, bad;
  finished(ex, 1, &ok);
  failed(ex, "boom", &bad);
  // Submitted after the done ones, in opening order, so one worker suffices.
  auto early = ex.submit(Probe::gated(g1, 2));
  auto late = ex.submit(Probe::gated(g2, 3));
  auto run = impl().as_completed({early, ok, late, bad}, kLong);
  complete(lab, g1, early, 2);

  // Three futures are done, `late` is not: these next() calls need not block.
  Indices first_two;
  for (int i = 0; i < 2; ++i) {
    Outcome o;
    CF_ASSERT("ASC-ALL-1", (o = next_outcome(*run)).is(Kind::kValue))
        << "next() gave " << to_string(o);
    first_two.push_back(static_cast<std::size_t>(o.value));
  }
  // Ends here otherwise: where `early` then comes would only echo this.
  CF_ASSERT_EQ("ASC-DONE-1", sorted(first_two), (Indices{1, 3}))
      << "the futures done at the call did not come first";
  if (!expect_next("ASC-ORDER-1", *run, 0)) return;
  lab.open(g2);
  if (!expect_next("ASC-ORDER-1", *run, 2)) return;
  expect_next("ASC-ALL-1", *run, std::nullopt);
}

// --- ASC-DUP-1 -------------------------------------------------------------

// CPython test_duplicate_futures, plus pending duplicates.
TEST_F(Conformance, ASC_DUP_DuplicateYieldedOnce) {
  CF_REQUIRE(Cap::kAsCompleted);
  auto& ex = make_executor(2);
  int gate = lab.new_gate();
  FuturePtr ok;
  finished(ex, 1, &ok);
  auto blocked = ex.submit(Probe::gated(gate, 2));

  auto run = impl().as_completed({ok, ok, ok}, kLong);
  Indices yielded;
  yield_all("ASC-DUP-1", *run, 3, &yielded, "ASC-DUP-1");
  CF_CHECK_EQ("ASC-DUP-1", yielded, (Indices{0}));

  run = impl().as_completed({blocked, ok, blocked, ok}, kLong);
  // The done `ok` comes first [ASC-DONE-1], under its first index [ASC-DUP-1].
  std::optional<std::size_t> first;
  std::string raised;
  try {
    first = run->next();
  } catch (const Raised& r) {
    raised = ", raised " + to_string(r.outcome);
  }
  const bool ok_first = first == 1u || first == 3u;
  CF_CHECK("ASC-DONE-1", ok_first) << "the first yield of {blocked, ok, blocked, ok} was "
                                   << ::testing::PrintToString(first) << raised;
  if (!ok_first) return;
  CF_CHECK_EQ("ASC-DUP-1", *first, 1u) << "the done duplicate, yielded under its later index";
  lab.open(gate);
  yielded.clear();
  yield_all("ASC-DUP-1", *run, 3, &yielded, "ASC-DUP-1");
  CF_CHECK_EQ("ASC-DUP-1", yielded, (Indices{0}))
      << "a pending duplicate was not yielded exactly once";
}

// --- ASC-TIMEOUT-1 ---------------------------------------------------------

// Long enough that "at once" (under half of it) cannot be mistaken for "at a
// deadline counted from the first next()", even on a loaded machine.
constexpr auto kDeadline = std::chrono::milliseconds(400);

// The run is created, then left idle past its deadline: the first next() that
// has to block raises at once. CPython would start the clock at the first
// next() and raise kDeadline later.
TEST_F(Conformance, ASC_TIMEOUT_DeadlineCountsFromTheCall) {
  CF_REQUIRE(Cap::kAsCompletedTimeout);
  auto& ex = make_executor(3);
  int gate = lab.new_gate();
  FuturePtr ok;
  finished(ex, 1, &ok);
  auto first = ex.submit(Probe::gated(gate, 2));
  auto second = ex.submit(Probe::gated(gate, 3));
  auto run = impl().as_completed({ok, first, second}, kDeadline);
  auto called = Clock::now();
  // Idle past the deadline: a bounded wait at a gate no task reaches.
  int nobody = lab.new_gate();
  while (Clock::now() - called < kDeadline) lab.await_arrivals(nobody, 1, kDeadline);

  auto start = Clock::now();
  // Done at the call: yielded even past the deadline.
  if (!expect_next("ASC-TIMEOUT-2", *run, 0)) return;
  expect_timeout("ASC-TIMEOUT-1", *run, 2, 3);
  CF_CHECK("ASC-TIMEOUT-1", Clock::now() - start < kDeadline / 2)
      << "the deadline was counted from the first next(), not from the call";
}

TEST_F(Conformance, ASC_TIMEOUT_ExpiresWhileBlocked) {
  CF_REQUIRE(Cap::kAsCompletedTimeout);
  auto& ex = make_executor(1);
  int gate = lab.new_gate();
  auto blocked = ex.submit(Probe::gated(gate, 1));
  auto start = Clock::now();
  auto run = impl().as_completed({blocked}, kShort);
  expect_timeout("ASC-TIMEOUT-1", *run, 1, 1);
  auto elapsed = Clock::now() - start;
  CF_CHECK("ASC-TIMEOUT-1", elapsed >= kShort) << "raised before the deadline";
  CF_CHECK("ASC-TIMEOUT-1", elapsed <= kShort + kLateSlack) << "raised too late after the deadline";
}

// CPython test_correct_timeout_exception_msg: N counts the futures not
// yielded, M the distinct inputs. The done ones come first even with a zero
// timeout [ASC-TIMEOUT-2], each once, under its first index [ASC-DUP-1].
TEST_F(Conformance, ASC_TIMEOUT_MessageCountsDistinctFutures) {
  CF_REQUIRE(Cap::kAsCompletedTimeout);
  auto& ex = make_executor(4);
  int gate = lab.new_gate();
  FuturePtr ok, bad;
  finished(ex, 1, &ok);
  failed(ex, "boom", &bad);
  auto first = ex.submit(Probe::gated(gate, 2));
  auto second = ex.submit(Probe::gated(gate, 3));
  auto run = impl().as_completed({first, ok, first, second, bad, ok}, 0s);
  Indices done;
  for (int i = 0; i < 2; ++i) {
    Outcome o;
    CF_ASSERT("ASC-TIMEOUT-2", (o = next_outcome(*run)).is(Kind::kValue))
        << "a done future was not yielded: next() gave " << to_string(o);
    done.push_back(static_cast<std::size_t>(o.value));
  }
  CF_CHECK_EQ("ASC-DUP-1", sorted(done), (Indices{1, 4}));
  expect_timeout("ASC-TIMEOUT-1", *run, 2, 4);
}

// --- ASC-TIMEOUT-2 ---------------------------------------------------------

// CPython test_future_times_out: with timeouts of zero (and here negative and
// short), the done futures are yielded and then the rest time out: at once
// for a zero or negative timeout [ASC-TIMEOUT-2], at the deadline for a
// short one [ASC-TIMEOUT-1].
TEST_F(Conformance, ASC_TIMEOUT_DoneYieldedWithZeroTimeout) {
  CF_REQUIRE(Cap::kAsCompletedTimeout);
  auto& ex = make_executor(2);
  int gate = lab.new_gate();
  FuturePtr ok, bad;
  finished(ex, 1, &ok);
  auto blocked = ex.submit(Probe::gated(gate, 2));
  failed(ex, "boom", &bad);
  const std::pair<const char*, Timeout> timeouts[] = {
      {"timeout 0 s", 0s}, {"timeout -1 s", -1s}, {"timeout kShort", kShort}};
  for (const auto& [label, timeout] : timeouts) {
    auto run = impl().as_completed({ok, blocked, bad}, timeout);
    Indices done;
    for (int i = 0; i < 2; ++i) {
      Outcome o;
      CF_ASSERT("ASC-TIMEOUT-2", (o = next_outcome(*run)).is(Kind::kValue))
          << label << ": a done future was not yielded: next() gave " << to_string(o);
      done.push_back(static_cast<std::size_t>(o.value));
    }
    CF_CHECK_EQ("ASC-TIMEOUT-2", sorted(done), (Indices{0, 2})) << label;
    expect_timeout(timeout.length() <= Clock::duration::zero() ? "ASC-TIMEOUT-2" : "ASC-TIMEOUT-1",
                   *run, 1, 3);
  }
}

// --- ASC-CANCEL-1 ----------------------------------------------------------
// CPython yields a cancelled future only once an executor has noticed the
// cancellation (gh-87893, gh-136655); cfspec yields it as soon as it is done.
// What a run then does with the other futures is ASC-ALL-1's rule; a next()
// that returns before any completion breaks ASC-ORDER-1's.

TEST_F(Conformance, ASC_CANCEL_CancelledBeforeCallIsYielded) {
  CF_REQUIRE(Cap::kAsCompleted, Cap::kCancel, Cap::kMaxWorkers);
  auto& ex = make_executor(1);
  int gate = lab.new_gate();
  int log = lab.new_log();
  FuturePtr blocker, cancelled;
  occupy(ex, lab, gate, log, 1, &blocker);
  cancelled_queued(ex, log, 2, &cancelled);

  // With a zero timeout only what is done at the call can be yielded.
  if (has(Cap::kAsCompletedTimeout)) {
    auto run = impl().as_completed({cancelled, blocker}, 0s);
    if (expect_next("ASC-CANCEL-1", *run, 0)) expect_timeout("ASC-TIMEOUT-2", *run, 1, 2);
  }

  auto run = impl().as_completed({cancelled, blocker}, kLong);
  bool yielded = expect_next("ASC-CANCEL-1", *run, 0);
  lab.open(gate);
  if (yielded && expect_next("ASC-ALL-1", *run, 1)) expect_next("ASC-ALL-1", *run, std::nullopt);
  shutdown_and_wait(ex);
  CF_CHECK_EQ("EXEC-CANCEL-1", lab.log(log), (std::vector<std::int64_t>{1}))
      << "a cancelled task ran";
}

TEST_F(Conformance, ASC_CANCEL_CancelDuringIterationIsYielded) {
  CF_REQUIRE(Cap::kAsCompleted, Cap::kCancel, Cap::kMaxWorkers);
  auto& ex = make_executor(1);
  int gate = lab.new_gate();
  int log = lab.new_log();
  FuturePtr blocker;
  occupy(ex, lab, gate, log, 1, &blocker);
  auto queued = ex.submit(Probe().record(log, 2).returns(2));
  SharedRun run = impl().as_completed({queued, blocker}, Timeout::none());
  {
    Background<std::optional<std::size_t>> next(lab, "ASC-CANCEL-1", next_call(run));
    CF_CHECK("ASC-ORDER-1", !next.returns_within(kShort))
        << "next() returned before any completion";
    CF_PRECONDITION("FUT-CANCEL-1", queued->cancel()) << "cancel() of a queued task";
    CF_ASSERT("ASC-CANCEL-1", next.returns_within(kLong))
        << "cancel() did not wake a blocked next()";
    CF_CHECK_EQ("ASC-CANCEL-1", next.get(), std::optional<std::size_t>(0));
  }
  lab.open(gate);
  expect_next_soon(lab, "ASC-ALL-1", run, 1);
  expect_next_soon(lab, "ASC-ALL-1", run, std::nullopt);
  shutdown_and_wait(ex);
  CF_CHECK_EQ("EXEC-CANCEL-1", lab.log(log), (std::vector<std::int64_t>{1}))
      << "a cancelled task ran";
}

// A raw future is never handed to an executor: CPython would never yield it.
TEST_F(Conformance, ASC_CANCEL_CancelledRawFutureIsYielded) {
  CF_REQUIRE(Cap::kAsCompleted, Cap::kCancel, Cap::kRawFuture);
  auto before = impl().make_future();
  auto during = impl().make_future();
  CF_PRECONDITION("FUT-CANCEL-1", before->cancel());
  SharedRun run = impl().as_completed({before, during}, Timeout::none());
  // Setting `during` releases a next() that ignored the cancellation.
  auto rescue = [during] { during->set_result(0); };
  expect_next_soon(lab, "ASC-CANCEL-1", run, 0, rescue);
  {
    Background<std::optional<std::size_t>> next(lab, "ASC-CANCEL-1", next_call(run), rescue);
    CF_CHECK("ASC-ORDER-1", !next.returns_within(kShort))
        << "next() returned before any completion";
    CF_PRECONDITION("FUT-CANCEL-1", during->cancel());
    CF_ASSERT("ASC-CANCEL-1", next.returns_within(kLong))
        << "cancel() did not wake a blocked next()";
    CF_CHECK_EQ("ASC-CANCEL-1", next.get(), std::optional<std::size_t>(1));
  }
  expect_next_soon(lab, "ASC-ALL-1", run, std::nullopt);
}

// That the tasks cancelled by shutdown never run is what
// shutdown(cancel_futures=true) promised [SHUT-CANCEL-1].
TEST_F(Conformance, ASC_CANCEL_ShutdownCancelledAreYielded) {
  // cancel: ASC-CANCEL-1 needs it, and a hang in these next() calls is charged there.
  CF_REQUIRE(Cap::kAsCompleted, Cap::kCancel, Cap::kMaxWorkers, Cap::kCancelFutures,
             Cap::kShutdownNoWait);
  auto& ex = make_executor(1);
  int gate = lab.new_gate();
  int log = lab.new_log();
  FuturePtr blocker;
  occupy(ex, lab, gate, log, 1, &blocker);
  auto first = ex.submit(Probe().record(log, 2).returns(2));
  auto second = ex.submit(Probe().record(log, 3).returns(3));
  // The blocker last: a run that yields in input order is woken by the
  // cancellations too (its order is ASC-ORDER-1's, judged elsewhere).
  SharedRun run = impl().as_completed({first, second, blocker}, Timeout::none());
  {
    Background<std::optional<std::size_t>> next(lab, "ASC-CANCEL-1", next_call(run));
    CF_CHECK("ASC-ORDER-1", !next.returns_within(kShort))
        << "next() returned before any completion";
    ex.shutdown(false, true);
    const bool woke = next.returns_within(kLong);
    // Left blocked because the shutdown cancelled nothing (seen where the
    // state can be read without blocking): SHUT-CANCEL-1's rule broken.
    const bool uncancelled =
        !woke && has(Cap::kStateQueries) && !(first->cancelled() && second->cancelled());
    CF_ASSERT(uncancelled ? "SHUT-CANCEL-1" : "ASC-CANCEL-1", woke)
        << "shutdown's cancellations did not wake next()";
    std::optional<std::size_t> index;
    CF_ASSERT("ASC-CANCEL-1", (index = next.get()) == 0u || index == 1u)
        << "yielded " << ::testing::PrintToString(index);
    expect_next_soon(lab, "ASC-CANCEL-1", run, *index == 0 ? 1 : 0);
  }
  // Cancelled by shutdown before the call: done at the call, yielded with a zero timeout.
  if (has(Cap::kAsCompletedTimeout)) {
    auto after = impl().as_completed({first, second}, 0s);
    Indices yielded;
    yield_all("ASC-CANCEL-1", *after, 2, &yielded);
    CF_CHECK_EQ("ASC-CANCEL-1", sorted(yielded), (Indices{0, 1}));
  }

  lab.open(gate);
  expect_next_soon(lab, "ASC-ALL-1", run, 2);
  expect_next_soon(lab, "ASC-ALL-1", run, std::nullopt);
  shutdown_and_wait(ex);
  CF_CHECK_EQ("SHUT-CANCEL-1", lab.log(log), (std::vector<std::int64_t>{1}))
      << "a cancelled task ran";
}

}  // namespace
}  // namespace cf::conformance
