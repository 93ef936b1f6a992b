// Self-test of the linearizability checker: it must accept linearizable
// histories, and it must be able to fail. Each non-linearizable history here
// is made by hand, with the reason in one sentence.
#include "lincheck/lincheck.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "lincheck/future_spec.hpp"

namespace cf::lincheck {
namespace {

// A read/write register: the smallest specification, for the checker itself.
struct Register {
  using State = int;
  struct Call {
    bool write;
    int value;
  };
  using Ret = int;  // a read's value; 0 for a write
  static std::optional<State> step(const State& s, const Call& c, const Ret& r) {
    if (c.write) return r == 0 ? std::optional<State>(c.value) : std::nullopt;
    return r == s ? std::optional<State>(s) : std::nullopt;
  }
};
std::ostream& operator<<(std::ostream& os, const Register::Call& c) {
  return c.write ? os << "write(" << c.value << ")" : os << "read()";
}

Operation<Register> write(int t, int v, std::uint64_t inv, std::uint64_t ret) {
  return {t, {true, v}, 0, inv, ret};
}
Operation<Register> read(int t, int got, std::uint64_t inv, std::uint64_t ret) {
  return {t, {false, 0}, got, inv, ret};
}

TEST(Lincheck, SequentialRegisterHistoryIsLinearizable) {
  History<Register> h = {write(0, 1, 1, 2), read(1, 1, 3, 4), write(0, 2, 5, 6), read(1, 2, 7, 8)};
  auto v = check<Register>(h, 0);
  EXPECT_TRUE(v.linearizable) << describe(h, v);
  EXPECT_EQ(v.order, (std::vector<std::size_t>{0, 1, 2, 3}));
}

TEST(Lincheck, OverlappingReadMaySeeEitherValue) {
  // The read overlaps the write, so it may be ordered before or after it.
  for (int seen : {0, 1}) {
    History<Register> h = {write(0, 1, 1, 4), read(1, seen, 2, 3)};
    EXPECT_TRUE(check<Register>(h, 0).linearizable) << "read saw " << seen;
  }
}

TEST(Lincheck, StaleReadAfterWriteReturnedIsNotLinearizable) {
  // The write returned before the read was invoked, so the read must see it.
  History<Register> h = {write(0, 1, 1, 2), read(1, 0, 3, 4)};
  auto v = check<Register>(h, 0);
  EXPECT_FALSE(v.linearizable) << describe(h, v);
  EXPECT_EQ(v.order, (std::vector<std::size_t>{0}));  // explained up to the stale read
}

TEST(Lincheck, NewOldInversionIsNotLinearizable) {
  // Two reads overlap one write: the first sees the new value and returns
  // before the second, which sees the old one. Each read alone is fine.
  History<Register> h = {write(0, 1, 1, 10), read(1, 1, 2, 3), read(2, 0, 4, 5)};
  auto v = check<Register>(h, 0);
  EXPECT_FALSE(v.linearizable) << describe(h, v);
}

TEST(Lincheck, RejectsMalformedHistories) {
  History<Register> backwards = {write(0, 1, 5, 5)};
  EXPECT_THROW(check<Register>(backwards, 0), std::invalid_argument);
  History<Register> huge;
  for (int i = 0; i < 65; ++i) huge.push_back(read(0, 0, 2 * i + 1, 2 * i + 2));
  EXPECT_THROW(check<Register>(huge, 0), std::invalid_argument);
}

TEST(Lincheck, ManyConcurrentOperationsStayCheap) {
  // 40 fully overlapping reads of an unchanged register: memoisation keeps
  // this to one state per subset visited along the first path.
  History<Register> h;
  for (int i = 0; i < 40; ++i) h.push_back(read(i, 0, static_cast<std::uint64_t>(i + 1), 100));
  auto v = check<Register>(h, 0);
  EXPECT_TRUE(v.linearizable);
  EXPECT_LT(v.explored, 1000u);
}

// --- The Future specification ---------------------------------------------

using F = FutureSpec;
using A = F::Answer;

Operation<F> op(int t, F::Op o, std::int64_t arg, F::Ret r, std::uint64_t inv, std::uint64_t ret) {
  return {t, {o, arg}, std::move(r), inv, ret};
}
F::Ret yes() { return {A::kTrue, 0, {}}; }
F::Ret no() { return {A::kFalse, 0, {}}; }
F::Ret ok(std::vector<int> ran = {}) { return {A::kOk, 0, std::move(ran)}; }
F::Ret invalid() { return {A::kInvalidState, 0, {}}; }

TEST(LincheckFuture, RaceBetweenCancelAndSetRunningHasOneWinner) {
  // Overlapping: either cancel wins (set_running returns false) or set_running does.
  History<F> cancel_wins = {op(0, F::Op::kCancel, 0, yes(), 1, 4),
                            op(1, F::Op::kSetRunning, 0, no(), 2, 3)};
  EXPECT_TRUE(check<F>(cancel_wins, {}).linearizable);
  History<F> running_wins = {op(0, F::Op::kCancel, 0, no(), 1, 4),
                             op(1, F::Op::kSetRunning, 0, yes(), 2, 3)};
  EXPECT_TRUE(check<F>(running_wins, {}).linearizable);
}

TEST(LincheckFuture, CancelAndSetRunningCannotBothWin) {
  // A future cannot be both cancelled and started [FUT-CANCEL-2] [FUT-SET-1].
  History<F> h = {op(0, F::Op::kCancel, 0, yes(), 1, 4), op(1, F::Op::kSetRunning, 0, yes(), 2, 3)};
  auto v = check<F>(h, {});
  EXPECT_FALSE(v.linearizable) << describe(h, v);
}

TEST(LincheckFuture, CancelOfARunningFutureCannotReturnTrue) {
  // set_running returned true before cancel was invoked: cancel must say false.
  History<F> h = {op(0, F::Op::kSetRunning, 0, yes(), 1, 2), op(1, F::Op::kCancel, 0, yes(), 3, 4)};
  EXPECT_FALSE(check<F>(h, {}).linearizable);
}

TEST(LincheckFuture, TwoProducersCannotBothSucceed) {
  // Concurrent set_result and set_exception: exactly one is accepted [FUT-SET-3/4].
  History<F> both = {op(0, F::Op::kSetResult, 1, ok(), 1, 4),
                     op(1, F::Op::kSetException, 2, ok(), 2, 3)};
  EXPECT_FALSE(check<F>(both, {}).linearizable);
  History<F> one = {op(0, F::Op::kSetResult, 1, ok(), 1, 4),
                    op(1, F::Op::kSetException, 2, invalid(), 2, 3),
                    op(1, F::Op::kResultPoll, 0, {A::kValue, 1, {}}, 5, 6)};
  EXPECT_TRUE(check<F>(one, {}).linearizable);
}

TEST(LincheckFuture, DoneNeverGoesBackToFalse) {
  History<F> h = {op(0, F::Op::kSetResult, 7, ok(), 1, 2), op(1, F::Op::kDone, 0, yes(), 3, 4),
                  op(2, F::Op::kDone, 0, no(), 5, 6)};
  EXPECT_FALSE(check<F>(h, {}).linearizable);
}

TEST(LincheckFuture, ResultReturnsTheOneValueSet) {
  History<F> h = {op(0, F::Op::kSetResult, 7, ok(), 1, 2),
                  op(1, F::Op::kResultPoll, 0, {A::kValue, 5, {}}, 3, 4)};
  EXPECT_FALSE(check<F>(h, {}).linearizable);
}

TEST(LincheckFuture, QueuedCallbackMustRunInTheCompletingCall) {
  // Added (and queued) before set_result was invoked, so set_result runs it.
  History<F> lost = {op(0, F::Op::kAddCallback, 3, ok(), 1, 2),
                     op(1, F::Op::kSetResult, 1, ok(), 3, 4)};
  EXPECT_FALSE(check<F>(lost, {}).linearizable) << "a queued callback was never run";
  History<F> run = {op(0, F::Op::kAddCallback, 3, ok(), 1, 2),
                    op(1, F::Op::kSetResult, 1, ok({3}), 3, 4)};
  EXPECT_TRUE(check<F>(run, {}).linearizable);
}

TEST(LincheckFuture, CallbacksRunOnceAndInOrder) {
  History<F> twice = {op(0, F::Op::kAddCallback, 1, ok(), 1, 2),
                      op(0, F::Op::kCancel, 0, {A::kTrue, 0, {1}}, 3, 4),
                      op(1, F::Op::kCancel, 0, {A::kTrue, 0, {1}}, 5, 6)};
  EXPECT_FALSE(check<F>(twice, {}).linearizable) << "a callback ran twice [FUT-CANCEL-4]";
  History<F> reversed = {op(0, F::Op::kAddCallback, 1, ok(), 1, 2),
                         op(0, F::Op::kAddCallback, 2, ok(), 3, 4),
                         op(1, F::Op::kSetResult, 0, ok({2, 1}), 5, 6)};
  EXPECT_FALSE(check<F>(reversed, {}).linearizable) << "callbacks out of order [FUT-CB-2]";
}

TEST(LincheckFuture, CallbackAddedConcurrentlyRunsEitherPlace) {
  // add overlaps set_result: queued and run by set_result, or run at once.
  History<F> queued = {op(0, F::Op::kAddCallback, 1, ok(), 1, 4),
                       op(1, F::Op::kSetResult, 0, ok({1}), 2, 3)};
  EXPECT_TRUE(check<F>(queued, {}).linearizable);
  History<F> immediate = {op(0, F::Op::kAddCallback, 1, ok({1}), 1, 4),
                          op(1, F::Op::kSetResult, 0, ok(), 2, 3)};
  EXPECT_TRUE(check<F>(immediate, {}).linearizable);
  History<F> neither = {op(0, F::Op::kAddCallback, 1, ok(), 1, 4),
                        op(1, F::Op::kSetResult, 0, ok(), 2, 3)};
  EXPECT_FALSE(check<F>(neither, {}).linearizable);
}

// --- Blame: the one rule whose breach explains a history ------------------

std::vector<const char*> every_cell_clause() {
  static const std::vector<std::string> names = F::cell_clauses();
  std::vector<const char*> out;
  for (const auto& n : names) out.push_back(n.c_str());
  return out;
}

std::vector<std::string> blamed(const History<F>& h) {
  std::vector<std::string> out;
  for (const char* c : blame(h, every_cell_clause())) out.emplace_back(c);
  return out;
}

using Names = std::vector<std::string>;

TEST(LincheckBlame, CancelOfARunningFutureThatSaysTrueBreaksFutCancel2) {
  // The future stayed running: only cancel()'s answer was wrong.
  History<F> h = {op(0, F::Op::kSetRunning, 0, yes(), 1, 2), op(1, F::Op::kCancel, 0, yes(), 3, 4),
                  op(1, F::Op::kRunning, 0, yes(), 5, 6)};
  EXPECT_EQ(blamed(h), Names{"FUT-CANCEL-2"});
}

TEST(LincheckBlame, CancelThatReallyCancelsARunningFutureBreaksFutCancel2) {
  // cancel() acted as on a pending future: it cancelled and ran the callback.
  History<F> h = {
      op(0, F::Op::kAddCallback, 1, ok(), 1, 2), op(0, F::Op::kSetRunning, 0, yes(), 3, 4),
      op(1, F::Op::kCancel, 0, {A::kTrue, 0, {1}}, 5, 6), op(1, F::Op::kCancelled, 0, yes(), 7, 8),
      op(1, F::Op::kResultPoll, 0, {A::kCancelledError, 0, {}}, 9, 10)};
  EXPECT_EQ(blamed(h), Names{"FUT-CANCEL-2"});
}

TEST(LincheckBlame, RacingCancelAndStartBothWinningIsTheCancel) {
  // Overlapping, both said true; the future is running at the end, so the
  // cancel answered wrongly, not the start.
  History<F> h = {op(0, F::Op::kCancel, 0, yes(), 1, 4), op(1, F::Op::kSetRunning, 0, yes(), 2, 3),
                  op(2, F::Op::kRunning, 0, yes(), 5, 6), op(2, F::Op::kCancelled, 0, no(), 7, 8)};
  EXPECT_EQ(blamed(h), Names{"FUT-CANCEL-2"});
}

TEST(LincheckBlame, CallbacksOutOfOrderBreakFutCb2) {
  History<F> h = {op(0, F::Op::kAddCallback, 1, ok(), 1, 2),
                  op(0, F::Op::kAddCallback, 2, ok(), 3, 4),
                  op(1, F::Op::kSetResult, 0, ok({2, 1}), 5, 6)};
  EXPECT_EQ(blamed(h), Names{"FUT-CB-2"});
}

TEST(LincheckBlame, OverwrittenOutcomeBreaksFutSet3) {
  // set_result on a finished future was accepted and replaced the value.
  History<F> h = {op(0, F::Op::kSetResult, 1, ok(), 1, 2), op(1, F::Op::kSetResult, 2, ok(), 3, 4),
                  op(1, F::Op::kResultPoll, 0, {A::kValue, 2, {}}, 5, 6)};
  EXPECT_EQ(blamed(h), Names{"FUT-SET-3"});
}

TEST(LincheckBlame, UnreportedCancelAnswerFitsEitherWay) {
  // Without cancel-result the answer is unknown: only the state can judge.
  F::Ret unknown{A::kUnknown, 0, {}};
  History<F> h = {op(0, F::Op::kSetRunning, 0, yes(), 1, 2),
                  op(1, F::Op::kCancel, 0, unknown, 3, 4), op(1, F::Op::kRunning, 0, yes(), 5, 6)};
  EXPECT_TRUE(check<F>(h, {}).linearizable);
}

TEST(LincheckBlame, AHistoryThatCannotTellNamesNoSingleRule) {
  // Overlapping, both said true, and nothing after: either the cancel or
  // the start answered wrongly; the history cannot tell which.
  History<F> h = {op(0, F::Op::kCancel, 0, yes(), 1, 4), op(1, F::Op::kSetRunning, 0, yes(), 2, 3)};
  EXPECT_GT(blamed(h).size(), 1u);
}

TEST(LincheckBlame, ALinearizableHistoryMeetsTheRulesOfItsCells) {
  History<F> h = {op(0, F::Op::kAddCallback, 1, ok(), 1, 2),
                  op(0, F::Op::kSetRunning, 0, yes(), 3, 4), op(1, F::Op::kCancel, 0, no(), 5, 6),
                  op(1, F::Op::kSetResult, 3, ok({1}), 7, 8)};
  auto v = check<F>(h, {});
  ASSERT_TRUE(v.linearizable) << describe(h, v);
  std::vector<std::string> met;
  for (const char* c : clauses_met(h, v.order)) met.emplace_back(c);
  EXPECT_EQ(met, (Names{"FUT-CB-1", "FUT-STATE-2", "FUT-CANCEL-2", "FUT-STATE-3"}));
}

TEST(LincheckFuture, DescribeNamesTheUnexplainedOperations) {
  History<F> h = {op(0, F::Op::kSetRunning, 0, yes(), 1, 2), op(1, F::Op::kCancel, 0, yes(), 3, 4)};
  auto text = describe(h, check<F>(h, {}));
  EXPECT_NE(text.find("NOT linearizable"), std::string::npos) << text;
  EXPECT_NE(text.find("#1 t1: [3, 4] cancel() -> true"), std::string::npos) << text;
}

}  // namespace
}  // namespace cf::lincheck
