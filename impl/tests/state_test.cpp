// Unit tests of detail::StateBase that the spec does not see: the describe()
// text (Python's repr), the text of InvalidStateError, status names, the
// failed() predicate FIRST_EXCEPTION relies on, and the Waiter hook that
// wait() and as_completed() are built on.
#include <gtest/gtest.h>

#include <cstdio>
#include <exception>
#include <regex>
#include <stdexcept>
#include <string>
#include <vector>

#include "cf/cf.hpp"

namespace cf {
namespace {

using namespace std::chrono_literals;
using detail::Status;

detail::StateBase& state_of(const AnyFuture& f) { return f.state(); }

std::string address_of(const AnyFuture& f) {
  char text[32];
  std::snprintf(text, sizeof text, "%p", static_cast<const void*>(&f.state()));
  return text;
}

std::string error_text(const std::function<void()>& op) {
  try {
    op();
  } catch (const InvalidStateError& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected InvalidStateError";
  return {};
}

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

TEST(StateDescribe, MatchesPythonsReprInEveryState) {
  const std::regex shape(R"(<Future at 0x[0-9a-f]+ state=[a-z :_]+>)");
  Future<int> f;
  std::string pending = state_of(f).describe();
  EXPECT_TRUE(std::regex_match(pending, shape)) << pending;
  EXPECT_EQ(pending, "<Future at " + address_of(f) + " state=pending>");

  ASSERT_TRUE(f.set_running_or_notify_cancel());
  EXPECT_EQ(state_of(f).describe(), "<Future at " + address_of(f) + " state=running>");
  f.set_result(1);
  EXPECT_EQ(state_of(f).describe(),
            "<Future at " + address_of(f) + " state=finished returned int>");

  Future<int> failed;
  failed.set_exception(std::make_exception_ptr(std::runtime_error("x")));
  EXPECT_EQ(state_of(failed).describe(),
            "<Future at " + address_of(failed) + " state=finished raised std::runtime_error>");

  Future<void> nothing;
  nothing.set_result();
  EXPECT_EQ(state_of(nothing).describe(),
            "<Future at " + address_of(nothing) + " state=finished returned void>");
  Future<int> odd;
  odd.set_exception(std::make_exception_ptr(7));
  EXPECT_EQ(state_of(odd).describe(),
            "<Future at " + address_of(odd) + " state=finished raised int>");

  Future<void> cancelled;
  ASSERT_TRUE(cancelled.cancel());
  EXPECT_EQ(state_of(cancelled).describe(),
            "<Future at " + address_of(cancelled) + " state=cancelled>");
}

TEST(StateDescribe, CopiesShareOneDescriptionDistinctFuturesDiffer) {
  Future<int> a;
  Future<int> b = a;
  Future<int> other;
  EXPECT_EQ(state_of(a).describe(), state_of(b).describe());
  EXPECT_NE(state_of(a).describe(), state_of(other).describe());
}

TEST(StateStatus, NamesAreTheStateTableRows) {
  EXPECT_STREQ(detail::status_name(Status::kPending), "PENDING");
  EXPECT_STREQ(detail::status_name(Status::kRunning), "RUNNING");
  EXPECT_STREQ(detail::status_name(Status::kCancelled), "CANCELLED");
  EXPECT_STREQ(detail::status_name(Status::kFinished), "FINISHED");
}

TEST(StateInvalidState, SetOnFinishedStartsWithFinished) {
  Future<int> f;
  f.set_result(1);
  std::string expected = "FINISHED: <Future at " + address_of(f) + " state=finished returned int>";
  EXPECT_EQ(error_text([&] { f.set_result(2); }), expected);
  EXPECT_EQ(error_text([&] { f.set_exception(std::make_exception_ptr(std::runtime_error("e"))); }),
            expected);
  EXPECT_EQ(f.result(0s), 1) << "the failed set changed nothing";
}

TEST(StateInvalidState, SetOnFailedSaysRaised) {
  Future<int> f;
  f.set_exception(std::make_exception_ptr(std::runtime_error("e")));
  std::string text = error_text([&] { f.set_result(2); });
  EXPECT_TRUE(starts_with(text, "FINISHED: ")) << text;
  EXPECT_NE(text.find("state=finished raised"), std::string::npos) << text;
}

TEST(StateInvalidState, SetOnCancelledStartsWithCancelled) {
  Future<void> f;
  ASSERT_TRUE(f.cancel());
  std::string expected = "CANCELLED: <Future at " + address_of(f) + " state=cancelled>";
  EXPECT_EQ(error_text([&] { f.set_result(); }), expected);
  EXPECT_EQ(error_text([&] { f.set_exception(std::make_exception_ptr(std::runtime_error("e"))); }),
            expected);
}

TEST(StateInvalidState, SetRunningTwiceNamesTheUnexpectedState) {
  Future<int> running;
  ASSERT_TRUE(running.set_running_or_notify_cancel());
  EXPECT_EQ(error_text([&] { running.set_running_or_notify_cancel(); }),
            std::string(msg::kUnexpectedState) + ": RUNNING: <Future at " + address_of(running) +
                " state=running>");

  Future<int> finished;
  finished.set_result(0);
  std::string text = error_text([&] { finished.set_running_or_notify_cancel(); });
  EXPECT_TRUE(starts_with(text, std::string(msg::kUnexpectedState) + ": FINISHED: ")) << text;
}

TEST(StateFailed, OnlyAFinishedFutureWithAnExceptionHasFailed) {
  Future<int> pending;
  EXPECT_FALSE(state_of(pending).failed());
  Future<int> ok;
  ok.set_result(1);
  EXPECT_FALSE(state_of(ok).failed());
  Future<int> cancelled;
  cancelled.cancel();
  EXPECT_FALSE(state_of(cancelled).failed()) << "cancellation is not a failure";
  Future<int> failed;
  failed.set_exception(std::make_exception_ptr(std::runtime_error("e")));
  EXPECT_TRUE(state_of(failed).failed());
}

class RecordingWaiter final : public detail::Waiter {
 public:
  void on_complete(detail::StateBase* state) override { seen.push_back(state); }
  std::vector<detail::StateBase*> seen;
};

TEST(StateWaiter, ToldOnceOfCompletionThenForgotten) {
  Future<int> f;
  RecordingWaiter waiter;
  ASSERT_TRUE(state_of(f).add_waiter(&waiter));
  EXPECT_TRUE(waiter.seen.empty());
  f.set_result(1);
  ASSERT_EQ(waiter.seen.size(), 1u);
  EXPECT_EQ(waiter.seen[0], &state_of(f));
  state_of(f).remove_waiter(&waiter);  // no-op once the completion removed it
  EXPECT_EQ(waiter.seen.size(), 1u);
}

TEST(StateWaiter, ToldOfCancellationAtOnce) {
  Future<int> f;
  RecordingWaiter waiter;
  ASSERT_TRUE(state_of(f).add_waiter(&waiter));
  ASSERT_TRUE(f.cancel());
  EXPECT_EQ(waiter.seen.size(), 1u) << "not deferred to set_running_or_notify_cancel";
  EXPECT_FALSE(f.set_running_or_notify_cancel());
  EXPECT_EQ(waiter.seen.size(), 1u);
}

TEST(StateWaiter, RefusedWhenAlreadyDone) {
  Future<int> f;
  f.set_result(1);
  RecordingWaiter waiter;
  EXPECT_FALSE(state_of(f).add_waiter(&waiter));
  EXPECT_TRUE(waiter.seen.empty());
}

TEST(StateWaiter, RemovedWaiterHearsNothing) {
  Future<int> f;
  RecordingWaiter kept;
  RecordingWaiter removed;
  ASSERT_TRUE(state_of(f).add_waiter(&kept));
  ASSERT_TRUE(state_of(f).add_waiter(&removed));
  state_of(f).remove_waiter(&removed);
  state_of(f).remove_waiter(&removed);  // twice is harmless
  f.set_result(1);
  EXPECT_EQ(kept.seen.size(), 1u);
  EXPECT_TRUE(removed.seen.empty());
}

TEST(StateWaitDone, DeadlineInThePastPollsNeverWaits) {
  Future<int> f;
  EXPECT_FALSE(state_of(f).wait_done(Deadline::at(Clock::now() - 1s)));
  f.set_result(1);
  EXPECT_TRUE(state_of(f).wait_done(Deadline::at(Clock::now() - 1s)));
  EXPECT_TRUE(state_of(f).wait_done(Deadline::never()));
}

TEST(Errors, MessagesAreTheNamedConstants) {
  EXPECT_STREQ(CancelledError().what(), msg::kCancelled);
  EXPECT_STREQ(TimeoutError().what(), msg::kTimeout);
  EXPECT_STREQ(ShutdownError().what(), msg::kShutdown);
  EXPECT_STREQ(BrokenThreadPool().what(), msg::kBrokenThreadPool);

  Future<int> f;
  try {
    f.result(0s);
    ADD_FAILURE() << "result(0s) of a pending future returned";
  } catch (const TimeoutError& e) {
    EXPECT_STREQ(e.what(), msg::kTimeout);
  }
  f.cancel();
  try {
    f.result(0s);
    ADD_FAILURE() << "result(0s) of a cancelled future returned";
  } catch (const CancelledError& e) {
    EXPECT_STREQ(e.what(), msg::kCancelled);
  }
}

TEST(Errors, HierarchyMirrorsPython) {
  static_assert(std::is_base_of_v<std::runtime_error, Error>);
  static_assert(std::is_base_of_v<Error, CancelledError>);
  static_assert(std::is_base_of_v<Error, TimeoutError>);
  static_assert(std::is_base_of_v<Error, InvalidStateError>);
  static_assert(std::is_base_of_v<BrokenExecutor, BrokenThreadPool>);
  static_assert(std::is_base_of_v<BrokenExecutor, BrokenProcessPool>);
  static_assert(std::is_base_of_v<Error, ShutdownError>);
  static_assert(!std::is_base_of_v<TimeoutError, CancelledError>);
  SUCCEED();
}

TEST(AsCompletedTimeout, MessageCountsTheUnfinished) {
  Future<int> done;
  done.set_result(1);
  Future<int> a;
  Future<void> b;
  auto run = as_completed({done, a, b}, 0s);
  ASSERT_TRUE(run.next().has_value());
  EXPECT_EQ(run.remaining(), 2u);
  try {
    run.next();
    ADD_FAILURE() << "next() returned past the deadline";
  } catch (const TimeoutError& e) {
    EXPECT_STREQ(e.what(), "2 (of 3) futures unfinished");
  }
}

}  // namespace
}  // namespace cf
