// Bug corpus: real executor bugs about cancellation, each a test named after
// its issue that states the property in one sentence and judges the clause
// the bug breaks. Generic over the adapter, so every column is tried; the
// table of entries and the columns each finds is property_tests/corpus/README.md.
//
// Every scene holds the only worker of a one-worker executor at a gate
// (HeldWorker), so the calls submitted after it are known to be pending.
#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "harness/background.hpp"
#include "harness/setups.hpp"
#include "harness/suite.hpp"

namespace cf::conformance {
namespace {

using Kind = Outcome::Kind;

// A wait or as_completed over futures that are already done must return at
// once; this bound only keeps a failing implementation from stalling the run.
constexpr auto kAtOnce = kLateSlack;

// Three calls queued behind the held worker, each logging its index if it runs.
std::vector<FuturePtr> queue_three(Executor& ex, int log) {
  std::vector<FuturePtr> queued;
  for (int i = 0; i < 3; ++i) queued.push_back(ex.submit(Probe().record(log, i).returns(i)));
  return queued;
}

// queue_three, then shutdown(wait=false, cancel_futures=true): the scene is
// that the shutdown cancelled the three [SHUT-CANCEL-1].
std::vector<FuturePtr> cancelled_by_shutdown(Executor& ex, int log) {
  auto queued = queue_three(ex, log);
  ex.shutdown(false, true);
  for (const auto& f : queued) {
    CF_PRECONDITION("SHUT-CANCEL-1", f->result(kLong).is(Kind::kCancelled))
        << "a call queued at shutdown(cancel_futures=true) was not cancelled";
  }
  return queued;
}

// gh-92001: wait() on a future whose cancel() succeeded before any worker saw
// it returns at once, with the future in `done`.
TEST_F(Conformance, CORPUS_gh92001_WaitSeesACancelBeforeAnyWorkerDoes) {
  CF_REQUIRE(Cap::kWait, Cap::kCancel, Cap::kMaxWorkers);
  auto& ex = make_executor(1);
  HeldWorker worker(ex, lab);
  worker.hold();
  int log = lab.new_log();
  FuturePtr f;
  cancelled_queued(ex, log, 7, &f);
  auto split = impl().wait({f}, ReturnWhen::kAllCompleted, kAtOnce);
  CF_CHECK_EQ("WAIT-CANCEL-1", split.done, (Indices{0}))
      << "wait(ALL_COMPLETED) on a cancelled future left it in not_done";
  worker.finish();
  shutdown_and_wait(ex);
  CF_CHECK("EXEC-CANCEL-1", lab.log(log).empty()) << "the cancelled call ran";
}

// gh-109934: futures cancelled by shutdown(cancel_futures=true) are done for
// wait(), which returns at once instead of hanging.
TEST_F(Conformance, CORPUS_gh109934_WaitSeesFuturesCancelledByShutdown) {
  CF_REQUIRE(Cap::kWait, Cap::kCancelFutures, Cap::kShutdownNoWait, Cap::kMaxWorkers);
  auto& ex = make_executor(1);
  HeldWorker worker(ex, lab);
  worker.hold();
  int log = lab.new_log();
  auto queued = cancelled_by_shutdown(ex, log);
  auto split = impl().wait(queued, ReturnWhen::kAllCompleted, kAtOnce);
  CF_CHECK_EQ("WAIT-CANCEL-1", split.done.size(), queued.size())
      << "futures cancelled by shutdown(cancel_futures=true) left in not_done: "
      << split.not_done.size();
  worker.release();
  shutdown_and_wait(ex);
  CF_CHECK("SHUT-CANCEL-1", lab.log(log).empty()) << "a call cancelled by the shutdown ran";
}

// gh-87893 (thread pool) and gh-136655 (process pool): as_completed() yields
// the futures that shutdown(cancel_futures=true) cancelled, and ends.
TEST_F(Conformance, CORPUS_gh87893_gh136655_AsCompletedYieldsFuturesCancelledByShutdown) {
  CF_REQUIRE(Cap::kAsCompleted, Cap::kCancelFutures, Cap::kShutdownNoWait, Cap::kMaxWorkers);
  auto& ex = make_executor(1);
  HeldWorker worker(ex, lab);
  worker.hold();
  int log = lab.new_log();
  auto queued = cancelled_by_shutdown(ex, log);
  auto run = impl().as_completed(queued, kAtOnce);
  std::size_t yielded = 0;
  std::string ended = "the end";
  try {
    while (run->next()) ++yielded;
  } catch (const Raised& raised) {
    ended = to_string(raised.outcome);
  }
  // More yields than futures is a future yielded twice [ASC-ALL-1]; fewer,
  // a cancelled one left out [ASC-CANCEL-1].
  CF_CHECK_EQ(yielded > queued.size() ? "ASC-ALL-1" : "ASC-CANCEL-1", yielded, queued.size())
      << "as_completed over futures cancelled by shutdown stopped with " << ended;
  worker.release();
  shutdown_and_wait(ex);
  CF_CHECK("SHUT-CANCEL-1", lab.log(log).empty()) << "a call cancelled by the shutdown ran";
}

// gh-116682: after shutdown(wait=false, cancel_futures=true) every queued call
// ends either cancelled or run, never both and never neither.
TEST_F(Conformance, CORPUS_gh116682_CancelFuturesWithoutWaitCancelsOrRunsEachCall) {
  CF_REQUIRE(Cap::kCancelFutures, Cap::kShutdownNoWait, Cap::kMaxWorkers);
  auto& ex = make_executor(1);
  HeldWorker worker(ex, lab);
  worker.hold();
  int log = lab.new_log();
  std::vector<FuturePtr> queued;
  for (int i = 0; i < 5; ++i) queued.push_back(ex.submit(Probe().record(log, i).returns(i)));
  ex.shutdown(false, true);
  worker.release();
  shutdown_and_wait(ex);
  // The outcomes first: a call that returned has logged its run, even where
  // shutdown(wait=true) after shutdown(wait=false) returns before the calls
  // end (SHUT-WAIT-1's rule, not judged here).
  std::vector<Outcome> outcomes;
  for (const auto& f : queued) outcomes.push_back(f->result(kLong));
  auto ran = lab.log(log);
  for (std::int64_t i = 0; i < 5; ++i) {
    const auto& outcome = outcomes[static_cast<std::size_t>(i)];
    const auto times = std::count(ran.begin(), ran.end(), i);
    if (outcome.is(Kind::kCancelled)) {
      CF_CHECK_EQ("SHUT-CANCEL-1", times, 0) << "call " << i << " was cancelled and ran";
    } else {
      CF_CHECK_VALUE("SHUT-CANCEL-1", outcome, i) << "call " << i << " neither cancelled nor run";
      CF_CHECK_EQ("EXEC-SUBMIT-1", times, 1) << "call " << i << " ran " << times << " times";
    }
  }
}

}  // namespace
}  // namespace cf::conformance
