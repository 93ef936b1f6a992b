// Bug corpus: lost wake-ups, lost tasks and shutdown hangs found in real
// executors (CPython, stdexec, C++ thread pools), each a test named after its
// issue that states the property in one sentence and judges the clause the
// bug breaks. Generic over the adapter; see property_tests/corpus/README.md.
//
// These bugs lived in races, so each test repeats its scene; a hang is
// charged to the clause in progress (a Background's, or a check's).
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "harness/background.hpp"
#include "harness/setups.hpp"
#include "harness/suite.hpp"

namespace cf::conformance {
namespace {

using Kind = Outcome::Kind;

// shutdown(wait, cancel_futures) on its own thread, reporting what it raised.
std::string shutdown_outcome(Executor& ex, bool wait, bool cancel_futures) {
  try {
    ex.shutdown(wait, cancel_futures);
    return "returned";
  } catch (const Raised& raised) {
    return to_string(raised.outcome);
  }
}

// gh-94440: after a call that finished and one cancelled at once,
// shutdown(wait=true) returns instead of hanging.
TEST_F(Conformance, CORPUS_gh94440_ShutdownAfterAnImmediateCancelReturns) {
  CF_REQUIRE(Cap::kCancel, Cap::kMaxWorkers);
  auto& ex = make_executor(1);
  FuturePtr done;
  finished(ex, 1, &done);
  auto cancelled = ex.submit(Probe::value_of(2));
  cancelled->cancel();  // may lose the race to the worker: either is fine here
  Background<std::string> shut(lab, "SHUT-WAIT-1",
                               [&ex] { return shutdown_outcome(ex, true, false); });
  CF_CHECK("SHUT-WAIT-1", shut.returns_within(kLong)) << "shutdown(wait=true) is still blocked";
  if (shut.returns_within(std::chrono::nanoseconds(0))) {
    CF_CHECK_EQ("SHUT-WAIT-1", shut.get(), "returned");
  }
}

// ScrollPrize/villa PR #1688: a pool created, fed and shut down many times
// in a row never loses the wake-up that stops its workers (the old pool hung
// 10 runs in 10 on 3,000 rounds).
TEST_F(Conformance, CORPUS_villa1688_ShutdownWakesIdleWorkersRoundAfterRound) {
  CF_REQUIRE(Cap::kMaxWorkers);
  constexpr int kRounds = 30;
  constexpr int kCalls = 8;
  for (int round = 0; round < kRounds; ++round) {
    auto& ex = make_executor(2);
    std::vector<FuturePtr> fs;
    for (int i = 0; i < kCalls; ++i) fs.push_back(ex.submit(Probe::value_of(round * kCalls + i)));
    Background<std::string> shut(lab, "SHUT-WAIT-1",
                                 [&ex] { return shutdown_outcome(ex, true, false); });
    CF_ASSERT("SHUT-WAIT-1", shut.returns_within(kLong)) << "round " << round << ": shutdown hung";
    CF_CHECK_EQ("SHUT-WAIT-1", shut.get(), "returned") << "round " << round;
    for (int i = 0; i < kCalls; ++i) {
      CF_CHECK_VALUE("EXEC-SUBMIT-1", fs[static_cast<std::size_t>(i)]->result(kLong),
                     round * kCalls + i)
          << "round " << round << ", call " << i;
    }
  }
}

// isl-org/Open3D-PoissonRecon PR #6: a worker that went idle always wakes for
// the next call (a predicate-less wait missed an early notify).
TEST_F(Conformance, CORPUS_open3d6_AnIdleWorkerWakesForEachNewCall) {
  CF_REQUIRE(Cap::kMaxWorkers);
  constexpr int kRounds = 300;
  auto& ex = make_executor(1);
  for (int i = 0; i < kRounds; ++i) {
    auto f = ex.submit(Probe::value_of(i));
    CF_ASSERT_VALUE("EXEC-SUBMIT-1", f->result(kLong), i) << "round " << i;
  }
}

// stephenberry/glaze PR #1218: wait(ALL_COMPLETED) over many calls that end
// at once returns, round after round.
TEST_F(Conformance, CORPUS_glaze1218_WaitAllOverVeryShortCallsReturns) {
  CF_REQUIRE(Cap::kWait, Cap::kMaxWorkers);
  constexpr int kRounds = 10;
  constexpr int kCalls = 100;
  auto& ex = make_executor(2);
  for (int round = 0; round < kRounds; ++round) {
    std::vector<FuturePtr> fs;
    for (int i = 0; i < kCalls; ++i) fs.push_back(ex.submit(Probe::value_of(i)));
    auto split = impl().wait(fs, ReturnWhen::kAllCompleted, kLong);
    CF_ASSERT_EQ("WAIT-ALL-1", split.not_done.size(), 0u) << "round " << round;
  }
}

// NVIDIA/stdexec #1692 (open): a pool fed by several threads at once runs
// every call exactly once (task loss was suspected in a push/steal race).
TEST_F(Conformance, CORPUS_stdexec1692_EveryCallFromConcurrentSubmittersRunsOnce) {
  CF_REQUIRE(Cap::kMaxWorkers);
  constexpr int kSubmitters = 4;
  constexpr int kEach = 100;
  auto& ex = make_executor(2);
  int log = lab.new_log();
  std::vector<std::vector<FuturePtr>> fs(kSubmitters);
  std::atomic<int> refused{0};
  {
    std::vector<std::thread> submitters;
    for (int t = 0; t < kSubmitters; ++t) {
      submitters.emplace_back([&, t] {
        for (int i = 0; i < kEach; ++i) {
          try {
            fs[t].push_back(ex.submit(Probe().record(log, t * kEach + i).returns(t * kEach + i)));
          } catch (const Raised&) {
            ++refused;
          }
        }
      });
    }
    for (auto& s : submitters) s.join();
  }
  CF_ASSERT_EQ("EXEC-QUEUE-1", refused.load(), 0) << "submits refused while the pool was open";
  for (int t = 0; t < kSubmitters; ++t) {
    for (int i = 0; i < kEach; ++i) {
      CF_CHECK_VALUE("EXEC-SUBMIT-1", fs[t][static_cast<std::size_t>(i)]->result(kLong),
                     t * kEach + i);
    }
  }
  auto ran = sorted(lab.log(log));
  CF_CHECK_EQ("EXEC-SUBMIT-1", ran, iota(0, kSubmitters * kEach)) << "calls run, each once";
}

// gh-105829: submitting many calls while the only worker is busy never
// blocks the submitter (CPython's wake-up pipe filled up and submit hung
// holding the shutdown lock); every call then runs.
TEST_F(Conformance, CORPUS_gh105829_ManySubmitsWhileTheWorkerIsBusyNeverBlock) {
  CF_REQUIRE(Cap::kMaxWorkers);
  constexpr int kCalls = 2000;
  auto& ex = make_executor(1);
  HeldWorker worker(ex, lab);
  worker.hold();
  int log = lab.new_log();
  std::vector<FuturePtr> fs;
  {
    CF_STEP("EXEC-QUEUE-1");
    for (int i = 0; i < kCalls; ++i) fs.push_back(ex.submit(Probe().record(log, i).returns(i)));
  }
  worker.finish();
  for (int i = 0; i < kCalls; ++i) {
    CF_CHECK_VALUE("EXEC-SUBMIT-1", fs[static_cast<std::size_t>(i)]->result(kLong), i)
        << "call " << i;
  }
}

// gh-125451: two threads shutting the pool down with calls still completing
// both return, and neither raises (a lock-order deadlock between shutdown and
// the pool's own threads).
TEST_F(Conformance, CORPUS_gh125451_ConcurrentShutdownsWhileCallsComplete) {
  CF_REQUIRE(Cap::kMaxWorkers);
  constexpr int kRounds = 5;
  for (int round = 0; round < kRounds; ++round) {
    auto& ex = make_executor(2);
    int gate = lab.new_gate();
    std::vector<FuturePtr> fs;
    for (int i = 0; i < 10; ++i) fs.push_back(ex.submit(Probe().gate(gate).returns(i)));
    Background<std::string> a(lab, "SHUT-IDEM-1",
                              [&ex] { return shutdown_outcome(ex, true, false); });
    Background<std::string> b(lab, "SHUT-IDEM-1",
                              [&ex] { return shutdown_outcome(ex, true, false); });
    lab.open(gate);
    CF_ASSERT("SHUT-WAIT-1", a.returns_within(kLong)) << "round " << round << ": a shutdown hung";
    CF_ASSERT("SHUT-WAIT-1", b.returns_within(kLong)) << "round " << round << ": a shutdown hung";
    CF_CHECK_EQ("SHUT-IDEM-1", a.get(), "returned") << "round " << round << ", first shutdown";
    CF_CHECK_EQ("SHUT-IDEM-1", b.get(), "returned") << "round " << round << ", second shutdown";
    // A call cancelled by these shutdowns, which do not ask for it, is
    // SHUT-CANCEL-2's; any other outcome than its value, SHUT-WAIT-1's.
    for (int i = 0; i < 10; ++i) {
      const Outcome got = fs[static_cast<std::size_t>(i)]->result(kLong);
      CF_CHECK_VALUE(got.is(Kind::kCancelled) ? "SHUT-CANCEL-2" : "SHUT-WAIT-1", got, i)
          << "round " << round << ", call " << i;
    }
  }
}

}  // namespace
}  // namespace cf::conformance
