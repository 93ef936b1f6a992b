// Reading a future: result() and exception(), their timeouts, and the
// wake-ups of blocked readers [FUT-RESULT-1..7] [FUT-EXC-1..3] [FUT-CANCEL-5].
//
// Every call that could block runs on a Reader thread the test waits for with
// a bound, so an implementation that never wakes a reader (or treats a poll as
// "wait forever") fails the test with a message instead of hanging it. Readers
// announce themselves before they call; the completion may still race ahead of
// the call, and both orders must give the same outcome.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "harness/setups.hpp"
#include "harness/suite.hpp"

namespace cf::conformance {
namespace {

using Kind = Outcome::Kind;

enum class Call { kResult, kException };

const char* name(Call c) { return c == Call::kResult ? "result" : "exception"; }

// What result() / exception() must report in a done state [FUT-RESULT-1..3]
// [FUT-EXC-1..2], and TimeoutError for a poll of one that is not done.
Outcome expected_poll(Call call, State s) {
  switch (s) {
    case State::kPending:
    case State::kRunning:
      return Outcome::error(Kind::kTimeout);
    case State::kCancelled:
      return Outcome::error(Kind::kCancelled);
    case State::kFinishedValue:
      return call == Call::kResult ? Outcome::of_value(kValue) : Outcome{};
    case State::kFinishedError:
      return Outcome::error(Kind::kTaskError, kError);
  }
  return {};
}

// Kind must agree; so must the value of kValue, and a task error must carry
// the message it was raised with.
::testing::AssertionResult matches(const Outcome& actual, const Outcome& expected) {
  bool ok = actual.kind == expected.kind;
  if (ok && expected.is(Kind::kValue)) ok = actual.value == expected.value;
  if (ok && expected.is(Kind::kTaskError)) {
    ok = actual.message.find(expected.message) != std::string::npos;
  }
  if (ok) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << "got " << to_string(actual) << ", expected " << to_string(expected);
}

// A thread calling result(timeout) or exception(timeout) on a future. A
// reader that has not returned when the test stops waiting is abandoned
// (detached; its state is shared), so the test fails rather than hangs.
class Reader {
 public:
  Reader(FuturePtr future, Call call, Timeout timeout) : shared_(std::make_shared<Shared>()) {
    thread_ = std::thread([s = shared_, future = std::move(future), call, timeout] {
      {
        std::lock_guard lock(s->mutex);
        s->started = true;
        s->called_at = Clock::now();
      }
      s->changed.notify_all();
      Outcome o = call == Call::kResult ? future->result(timeout) : future->exception(timeout);
      auto at = Clock::now();
      {
        std::lock_guard lock(s->mutex);
        s->outcome = std::move(o);
        s->returned_at = at;
      }
      s->changed.notify_all();
    });
  }
  Reader(const Reader&) = delete;
  Reader& operator=(const Reader&) = delete;
  ~Reader() {
    if (returned()) {
      thread_.join();
    } else {
      thread_.detach();
    }
  }

  // Waits (bounded) until the thread is about to make its call.
  bool await_started() {
    std::unique_lock lock(shared_->mutex);
    return shared_->changed.wait_for(lock, kLong, [&] { return shared_->started; });
  }
  // The call's outcome, or nullopt if it has not returned within `limit`.
  std::optional<Outcome> await(std::chrono::nanoseconds limit) {
    std::unique_lock lock(shared_->mutex);
    shared_->changed.wait_for(lock, limit, [&] { return shared_->outcome.has_value(); });
    return shared_->outcome;
  }
  // How long the call took (valid once it returned).
  Clock::duration elapsed() {
    std::lock_guard lock(shared_->mutex);
    return shared_->returned_at - shared_->called_at;
  }
  Clock::time_point returned_at() {
    std::lock_guard lock(shared_->mutex);
    return shared_->returned_at;
  }

 private:
  bool returned() {
    std::lock_guard lock(shared_->mutex);
    return shared_->outcome.has_value();
  }
  struct Shared {
    std::mutex mutex;
    std::condition_variable changed;
    bool started = false;
    Clock::time_point called_at{};
    Clock::time_point returned_at{};
    std::optional<Outcome> outcome;
  };
  std::shared_ptr<Shared> shared_;
  std::thread thread_;
};

// Long enough for a reader with timeout kLong to report its TimeoutError.
constexpr auto kReaderLimit = kLong + kLateSlack;

struct ReaderSpec {
  Call call;
  Timeout timeout;
  std::string label;
};

// Readers of both calls, without a timeout and with a long one.
std::vector<ReaderSpec> blocking_readers() {
  return {{Call::kResult, Timeout::none(), "result()"},
          {Call::kResult, kLong, "result(kLong)"},
          {Call::kException, Timeout::none(), "exception()"},
          {Call::kException, kLong, "exception(kLong)"}};
}

std::vector<std::unique_ptr<Reader>> start_readers(const FuturePtr& f,
                                                   const std::vector<ReaderSpec>& specs) {
  std::vector<std::unique_ptr<Reader>> readers;
  for (const auto& spec : specs)
    readers.push_back(std::make_unique<Reader>(f, spec.call, spec.timeout));
  for (auto& r : readers) EXPECT_TRUE(r->await_started());
  return readers;
}

// Every reader returns what `expected(call)` says, within slack of `completed_at`.
template <class Expected>
void expect_woken(std::vector<std::unique_ptr<Reader>>& readers,
                  const std::vector<ReaderSpec>& specs, Clock::time_point completed_at,
                  Expected expected) {
  for (std::size_t i = 0; i < readers.size(); ++i) {
    SCOPED_TRACE(specs[i].label);
    auto got = readers[i]->await(kReaderLimit);
    if (!got) {
      ADD_FAILURE() << "the reader was not woken by the completion";
      continue;
    }
    EXPECT_TRUE(matches(*got, expected(specs[i].call)));
    EXPECT_LE(readers[i]->returned_at() - completed_at, kLateSlack)
        << "the reader woke long after the completion";
  }
}

// Zero and negative timeouts: each is a poll [FUT-RESULT-6] [FUT-EXC-3].
std::vector<std::pair<std::string, Timeout>> non_positive_timeouts() {
  using namespace std::chrono;
  return {
      {"0s", seconds(0)},
      {"0ns", nanoseconds(0)},
      {"-1ns", nanoseconds(-1)},
      {"-1ms", milliseconds(-1)},
      {"-1s", seconds(-1)},
      {"-24h", hours(-24)},
      {"nanoseconds::min()", nanoseconds::min()},
      {"hours::min()", hours::min()},
      {"duration<double>(-0.0)", duration<double>(-0.0)},
      {"duration<double>(-1e300)", duration<double>(-1e300)},
  };
}

// Timeouts whose deadline the steady clock cannot represent [FUT-RESULT-7].
std::vector<std::pair<std::string, Timeout>> huge_timeouts() {
  using namespace std::chrono;
  return {
      {"hours::max()", hours::max()},
      {"nanoseconds::max()", nanoseconds::max()},
      {"seconds::max()", seconds::max()},
      {"years::max()", years::max()},
      {"duration<double>(1e300)", duration<double>(1e300)},
      {"duration<double>(DBL_MAX)", duration<double>(std::numeric_limits<double>::max())},
      {"duration<double, hours>(1e300)", duration<double, std::ratio<3600>>(1e300)},
      {"duration<uint64_t, ns>::max()", duration<std::uint64_t, std::nano>::max()},
  };
}

// Holds the only worker of a one-worker executor at a gate, with filler tasks
// queued behind it, so that a task submitted after held() stays pending until
// release(). The fillers are needed because an executor may claim (mark
// running) a few queued calls before a worker takes them: CPython's
// ProcessPoolExecutor moves max_workers + 1 calls into its call queue.
class HeldWorker {
 public:
  static constexpr int kFillers = 8;

  HeldWorker(Executor& ex, Lab& lab)
      : ex_(ex), lab_(lab), gate_(lab.new_gate()), blocker_(ex.submit(Probe::gated(gate_, -1))) {}
  // Waits (bounded) for the worker to be held, then queues the fillers.
  bool held() {
    if (!lab_.await_arrivals(gate_, 1, kLong)) return false;
    for (int i = 0; i < kFillers; ++i) fillers_.push_back(ex_.submit(Probe::value_of(1000 + i)));
    return true;
  }
  void release() { lab_.open(gate_); }
  // release(), then accounts for the held task and the fillers: each ran once.
  void finish() {
    release();
    CF_EXPECT_VALUE(blocker_->result(kLong), -1);
    for (int i = 0; i < kFillers; ++i) CF_EXPECT_VALUE(fillers_[i]->result(kLong), 1000 + i);
  }

 private:
  Executor& ex_;
  Lab& lab_;
  int gate_;
  FuturePtr blocker_;
  std::vector<FuturePtr> fillers_;
};

// ---------------------------------------------------------------------------
// Every state, polled [FUT-RESULT-1..3] [FUT-RESULT-6] [FUT-EXC-1..3].

TEST_F(Conformance, FUT_RESULT_ZeroTimeoutInEveryState) {
  CF_CLAUSES("FUT-RESULT-1", "FUT-RESULT-2", "FUT-RESULT-3", "FUT-RESULT-6");
  CF_REQUIRE(Cap::kRawFuture, Cap::kResultTimeout, Cap::kCancel);
  for (State s : kAllStates) {
    SCOPED_TRACE(name(s));
    auto f = make_in(impl(), s);
    Reader reader(f, Call::kResult, std::chrono::seconds(0));
    auto got = reader.await(kReaderLimit);
    ASSERT_TRUE(got) << "result(0s) blocked";
    EXPECT_TRUE(matches(*got, expected_poll(Call::kResult, s)));
  }
}

TEST_F(Conformance, FUT_EXC_ZeroTimeoutInEveryState) {
  CF_CLAUSES("FUT-EXC-1", "FUT-EXC-2", "FUT-EXC-3");
  CF_REQUIRE(Cap::kRawFuture, Cap::kResultTimeout, Cap::kCancel);
  for (State s : kAllStates) {
    SCOPED_TRACE(name(s));
    auto f = make_in(impl(), s);
    Reader reader(f, Call::kException, std::chrono::seconds(0));
    auto got = reader.await(kReaderLimit);
    ASSERT_TRUE(got) << "exception(0s) blocked";
    EXPECT_TRUE(matches(*got, expected_poll(Call::kException, s)));
  }
}

TEST_F(Conformance, FUT_RESULT_NonPositiveTimeoutsPoll) {
  CF_CLAUSES("FUT-RESULT-6", "FUT-EXC-3");
  CF_REQUIRE(Cap::kRawFuture, Cap::kResultTimeout, Cap::kCancel);
  for (State s : kAllStates) {
    auto f = make_in(impl(), s);
    for (const auto& [label, timeout] : non_positive_timeouts()) {
      for (Call call : {Call::kResult, Call::kException}) {
        SCOPED_TRACE(std::string(name(call)) + "(" + label + ") in " + name(s));
        Reader reader(f, call, timeout);
        auto got = reader.await(kReaderLimit);
        ASSERT_TRUE(got) << "a poll blocked";
        EXPECT_TRUE(matches(*got, expected_poll(call, s)));
        EXPECT_LE(reader.elapsed(), kLateSlack) << "a poll waited";
      }
    }
  }
}

// Through an executor: a running task polls as not done, a finished one
// reports its outcome.
TEST_F(Conformance, FUT_RESULT_NonPositiveTimeoutsPollTasks) {
  CF_CLAUSES("FUT-RESULT-6", "FUT-EXC-3");
  CF_REQUIRE(Cap::kResultTimeout);
  auto& ex = make_executor(2);
  int gate = lab.new_gate();
  auto running = ex.submit(Probe::gated(gate, kValue));
  auto failed = ex.submit(Probe::failure(kError));
  ASSERT_TRUE(lab.await_arrivals(gate, 1, kLong));
  CF_EXPECT_OUTCOME(failed->result(kLong), Kind::kTaskError);
  for (const auto& [label, timeout] : non_positive_timeouts()) {
    SCOPED_TRACE(label);
    for (Call call : {Call::kResult, Call::kException}) {
      Reader poll_running(running, call, timeout);
      auto got = poll_running.await(kReaderLimit);
      ASSERT_TRUE(got) << "a poll of a running task blocked";
      EXPECT_TRUE(matches(*got, Outcome::error(Kind::kTimeout)));
      EXPECT_LE(poll_running.elapsed(), kLateSlack);
      Reader poll_failed(failed, call, timeout);
      got = poll_failed.await(kReaderLimit);
      ASSERT_TRUE(got) << "a poll of a finished task blocked";
      EXPECT_TRUE(matches(*got, Outcome::error(Kind::kTaskError, kError)));
    }
  }
  lab.open(gate);
  CF_EXPECT_VALUE(running->result(kLong), kValue);
  CF_EXPECT_VALUE(running->result(std::chrono::seconds(0)), kValue);
  CF_EXPECT_VALUE(running->result(std::chrono::seconds(-1)), kValue);
  CF_EXPECT_OUTCOME(running->exception(std::chrono::seconds(-1)), Kind::kNone);
}

// ---------------------------------------------------------------------------
// A finished or cancelled future [FUT-RESULT-1..3] [FUT-EXC-1..2].

TEST_F(Conformance, FUT_RESULT_ValueOnEveryReadFromEveryThread) {
  CF_CLAUSES("FUT-RESULT-1");
  CF_REQUIRE(Cap::kRawFuture);
  auto f = make_in(impl(), State::kFinishedValue);
  for (int i = 0; i < 3; ++i) CF_EXPECT_VALUE(f->result(kLong), kValue);
  std::vector<std::unique_ptr<Reader>> readers;
  for (int i = 0; i < 4; ++i) readers.push_back(std::make_unique<Reader>(f, Call::kResult, kLong));
  for (auto& r : readers) {
    auto got = r->await(kReaderLimit);
    ASSERT_TRUE(got);
    EXPECT_TRUE(matches(*got, Outcome::of_value(kValue)));
  }
}

TEST_F(Conformance, FUT_RESULT_TaskValueOnEveryReadFromEveryThread) {
  CF_CLAUSES("FUT-RESULT-1");
  auto& ex = make_executor(2);
  auto f = ex.submit(Probe::value_of(kValue));
  for (int i = 0; i < 3; ++i) CF_EXPECT_VALUE(f->result(kLong), kValue);
  std::vector<std::unique_ptr<Reader>> readers;
  for (int i = 0; i < 4; ++i) readers.push_back(std::make_unique<Reader>(f, Call::kResult, kLong));
  for (auto& r : readers) {
    auto got = r->await(kReaderLimit);
    ASSERT_TRUE(got);
    EXPECT_TRUE(matches(*got, Outcome::of_value(kValue)));
  }
}

// Every read rethrows the stored exception, and exception() returns it.
// (Through the adapter only the error's message is visible, not its identity.)
TEST_F(Conformance, FUT_RESULT_FailureRethrownOnEveryRead) {
  CF_CLAUSES("FUT-RESULT-2", "FUT-EXC-1");
  CF_REQUIRE(Cap::kRawFuture);
  auto f = make_in(impl(), State::kFinishedError);
  Outcome first = f->result(kLong);
  EXPECT_TRUE(matches(first, Outcome::error(Kind::kTaskError, kError)));
  for (int i = 0; i < 3; ++i) {
    Outcome again = f->result(kLong);
    EXPECT_EQ(to_string(again), to_string(first)) << "read #" << i + 2;
    Outcome exception = f->exception(kLong);
    EXPECT_EQ(to_string(exception), to_string(first)) << "exception() #" << i + 1;
  }
}

TEST_F(Conformance, FUT_RESULT_TaskFailureRethrownOnEveryRead) {
  CF_CLAUSES("FUT-RESULT-2", "FUT-EXC-1");
  auto& ex = make_executor(2);
  auto f = ex.submit(Probe::failure(kError));
  Outcome first = f->result(kLong);
  EXPECT_TRUE(matches(first, Outcome::error(Kind::kTaskError, kError)));
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(to_string(f->result(kLong)), to_string(first)) << "read #" << i + 2;
    EXPECT_EQ(to_string(f->exception(kLong)), to_string(first)) << "exception() #" << i + 1;
  }
  // The failure stayed in its future: the executor still runs work.
  CF_EXPECT_VALUE(ex.submit(Probe::value_of(7))->result(kLong), 7);
}

TEST_F(Conformance, FUT_RESULT_CancelledThrowsCancelledError) {
  CF_CLAUSES("FUT-RESULT-3", "FUT-EXC-2");
  CF_REQUIRE(Cap::kRawFuture, Cap::kCancel);
  auto f = make_in(impl(), State::kCancelled);
  for (int i = 0; i < 2; ++i) {
    CF_EXPECT_OUTCOME(f->result(kLong), Kind::kCancelled);
    CF_EXPECT_OUTCOME(f->exception(kLong), Kind::kCancelled);
  }
}

TEST_F(Conformance, FUT_RESULT_CancelledTaskThrowsCancelledError) {
  CF_CLAUSES("FUT-RESULT-3", "FUT-EXC-2");
  CF_REQUIRE(Cap::kMaxWorkers, Cap::kCancel);
  auto& ex = make_executor(1);
  HeldWorker worker(ex, lab);
  ASSERT_TRUE(worker.held());
  int log = lab.new_log();
  auto f = ex.submit(Probe().record(log, 1).returns(kValue));
  ASSERT_TRUE(f->cancel());
  CF_EXPECT_OUTCOME(f->result(kLong), Kind::kCancelled);
  CF_EXPECT_OUTCOME(f->exception(kLong), Kind::kCancelled);
  worker.finish();
  ex.shutdown(true, false);
  CF_EXPECT_OUTCOME(f->result(kLong), Kind::kCancelled);
  EXPECT_TRUE(lab.log(log).empty()) << "a cancelled task ran";
}

TEST_F(Conformance, FUT_EXC_TaskOutcomes) {
  CF_CLAUSES("FUT-EXC-1");
  auto& ex = make_executor(2);
  auto ok = ex.submit(Probe::value_of(kValue));
  auto failed = ex.submit(Probe::failure(kError));
  EXPECT_TRUE(matches(ok->exception(kLong), Outcome{}));
  EXPECT_TRUE(matches(failed->exception(kLong), Outcome::error(Kind::kTaskError, kError)));
  // exception() reports, it does not consume: result() still agrees.
  CF_EXPECT_VALUE(ok->result(kLong), kValue);
  EXPECT_TRUE(matches(failed->result(kLong), Outcome::error(Kind::kTaskError, kError)));
}

TEST_F(Conformance, FUT_RESULT_NoTimeoutOnDoneFutureReturnsAtOnce) {
  CF_CLAUSES("FUT-RESULT-5", "FUT-EXC-3");
  CF_REQUIRE(Cap::kRawFuture, Cap::kCancel);
  for (State s : {State::kCancelled, State::kFinishedValue, State::kFinishedError}) {
    auto f = make_in(impl(), s);
    for (Call call : {Call::kResult, Call::kException}) {
      SCOPED_TRACE(std::string(name(call)) + "() in " + name(s));
      Reader reader(f, call, Timeout::none());
      auto got = reader.await(kReaderLimit);
      ASSERT_TRUE(got) << "blocked on a done future";
      EXPECT_TRUE(matches(*got, expected_poll(call, s)));
    }
  }
}

// ---------------------------------------------------------------------------
// Timeouts that elapse [FUT-RESULT-4] [FUT-EXC-3].

// Not before the deadline, not much after it, and the future is left as it was.
void expect_times_out(const FuturePtr& f, Call call) {
  Reader reader(f, call, kShort);
  auto got = reader.await(kReaderLimit);
  ASSERT_TRUE(got) << name(call) << "(kShort) never returned";
  EXPECT_TRUE(matches(*got, Outcome::error(Kind::kTimeout)));
  EXPECT_GE(reader.elapsed(), kShort) << "timed out before the deadline";
  EXPECT_LE(reader.elapsed(), kShort + kLateSlack) << "timed out long after the deadline";
}

TEST_F(Conformance, FUT_RESULT_TimeoutLeavesRawFutureUnchanged) {
  CF_CLAUSES("FUT-RESULT-4", "FUT-EXC-3");
  CF_REQUIRE(Cap::kRawFuture, Cap::kResultTimeout, Cap::kStateQueries);
  for (State s : {State::kPending, State::kRunning}) {
    for (Call call : {Call::kResult, Call::kException}) {
      SCOPED_TRACE(std::string(name(call)) + " in " + name(s));
      auto f = make_in(impl(), s);
      expect_times_out(f, call);
      EXPECT_EQ(f->running(), s == State::kRunning);
      EXPECT_FALSE(f->cancelled()) << "a timeout cancelled the future";
      EXPECT_FALSE(f->done());
      // The producer can still finish it, and readers see that outcome.
      EXPECT_TRUE(accepted(f->set_result(kValue)));
      CF_EXPECT_VALUE(f->result(kLong), kValue);
    }
  }
}

TEST_F(Conformance, FUT_RESULT_TimeoutLeavesRunningTaskRunning) {
  CF_CLAUSES("FUT-RESULT-4", "FUT-EXC-3");
  CF_REQUIRE(Cap::kResultTimeout);
  auto& ex = make_executor(1);
  int gate = lab.new_gate();
  auto f = ex.submit(Probe::gated(gate, kValue));
  ASSERT_TRUE(lab.await_arrivals(gate, 1, kLong));
  expect_times_out(f, Call::kResult);
  expect_times_out(f, Call::kException);
  if (caps() & static_cast<Caps>(Cap::kStateQueries)) {
    EXPECT_TRUE(f->running());
    EXPECT_FALSE(f->cancelled());
  }
  lab.open(gate);
  CF_EXPECT_VALUE(f->result(kLong), kValue);
}

TEST_F(Conformance, FUT_RESULT_TimeoutDoesNotCancelQueuedTask) {
  CF_CLAUSES("FUT-RESULT-4", "FUT-EXC-3");
  CF_REQUIRE(Cap::kResultTimeout, Cap::kMaxWorkers);
  auto& ex = make_executor(1);
  HeldWorker worker(ex, lab);
  ASSERT_TRUE(worker.held());
  int log = lab.new_log();
  auto f = ex.submit(Probe().record(log, 1).returns(kValue));
  expect_times_out(f, Call::kResult);
  expect_times_out(f, Call::kException);
  if (caps() & static_cast<Caps>(Cap::kStateQueries)) {
    EXPECT_FALSE(f->cancelled()) << "a timeout cancelled the task";
    EXPECT_FALSE(f->done());
  }
  worker.finish();
  CF_EXPECT_VALUE(f->result(kLong), kValue);
  EXPECT_EQ(lab.log(log), (std::vector<std::int64_t>{1})) << "the task must still run, once";
}

// ---------------------------------------------------------------------------
// Blocked readers wake at completion [FUT-RESULT-5] [FUT-EXC-3] [FUT-CANCEL-5].

TEST_F(Conformance, FUT_RESULT_BlockedReadersWakeWithValue) {
  CF_CLAUSES("FUT-RESULT-5", "FUT-RESULT-1", "FUT-EXC-1", "FUT-EXC-3");
  CF_REQUIRE(Cap::kRawFuture);
  for (State start : {State::kPending, State::kRunning}) {
    SCOPED_TRACE(name(start));
    auto f = make_in(impl(), start);
    auto specs = blocking_readers();
    auto readers = start_readers(f, specs);
    auto completed_at = Clock::now();
    ASSERT_TRUE(accepted(f->set_result(kValue)));
    expect_woken(readers, specs, completed_at,
                 [](Call call) { return expected_poll(call, State::kFinishedValue); });
  }
}

TEST_F(Conformance, FUT_RESULT_BlockedReadersWakeWithException) {
  CF_CLAUSES("FUT-RESULT-5", "FUT-RESULT-2", "FUT-EXC-1", "FUT-EXC-3");
  CF_REQUIRE(Cap::kRawFuture);
  for (State start : {State::kPending, State::kRunning}) {
    SCOPED_TRACE(name(start));
    auto f = make_in(impl(), start);
    auto specs = blocking_readers();
    auto readers = start_readers(f, specs);
    auto completed_at = Clock::now();
    ASSERT_TRUE(accepted(f->set_exception(kError)));
    expect_woken(readers, specs, completed_at,
                 [](Call call) { return expected_poll(call, State::kFinishedError); });
  }
}

TEST_F(Conformance, FUT_RESULT_BlockedReadersWakeWhenTaskFinishes) {
  CF_CLAUSES("FUT-RESULT-5", "FUT-EXC-3");
  auto& ex = make_executor(2);
  int gate = lab.new_gate();
  auto ok = ex.submit(Probe::gated(gate, kValue));
  auto failed = ex.submit(Probe().gate(gate).raises(kError));
  ASSERT_TRUE(lab.await_arrivals(gate, 2, kLong));
  auto specs = blocking_readers();
  auto ok_readers = start_readers(ok, specs);
  auto failed_readers = start_readers(failed, specs);
  auto completed_at = Clock::now();
  lab.open(gate);
  expect_woken(ok_readers, specs, completed_at,
               [](Call call) { return expected_poll(call, State::kFinishedValue); });
  expect_woken(failed_readers, specs, completed_at,
               [](Call call) { return expected_poll(call, State::kFinishedError); });
}

TEST_F(Conformance, FUT_CANCEL_WakesBlockedReaders) {
  CF_CLAUSES("FUT-CANCEL-5", "FUT-RESULT-3", "FUT-EXC-2");
  CF_REQUIRE(Cap::kRawFuture, Cap::kCancel);
  auto f = impl().make_future();
  auto specs = blocking_readers();
  auto more = blocking_readers();
  specs.insert(specs.end(), more.begin(), more.end());  // several readers of each kind
  auto readers = start_readers(f, specs);
  auto cancelled_at = Clock::now();
  ASSERT_TRUE(f->cancel());
  expect_woken(readers, specs, cancelled_at, [](Call) { return Outcome::error(Kind::kCancelled); });
}

TEST_F(Conformance, FUT_CANCEL_WakesReadersOfQueuedTask) {
  CF_CLAUSES("FUT-CANCEL-5", "FUT-RESULT-3", "FUT-EXC-2");
  CF_REQUIRE(Cap::kMaxWorkers, Cap::kCancel);
  auto& ex = make_executor(1);
  HeldWorker worker(ex, lab);
  ASSERT_TRUE(worker.held());
  int log = lab.new_log();
  auto f = ex.submit(Probe().record(log, 1).returns(kValue));
  auto specs = blocking_readers();
  auto readers = start_readers(f, specs);
  auto cancelled_at = Clock::now();
  ASSERT_TRUE(f->cancel());
  // Woken by cancel() itself, while the worker is still held: not when the
  // executor later meets the cancelled task.
  expect_woken(readers, specs, cancelled_at, [](Call) { return Outcome::error(Kind::kCancelled); });
  worker.finish();
  ex.shutdown(true, false);
  EXPECT_TRUE(lab.log(log).empty()) << "a cancelled task ran";
}

// ---------------------------------------------------------------------------
// Huge timeouts are no timeout [FUT-RESULT-7] [FUT-EXC-3].

TEST_F(Conformance, FUT_RESULT_HugeTimeoutsOnDoneFutures) {
  CF_CLAUSES("FUT-RESULT-7", "FUT-EXC-3");
  CF_REQUIRE(Cap::kRawFuture, Cap::kHugeTimeouts, Cap::kCancel);
  for (State s : {State::kCancelled, State::kFinishedValue, State::kFinishedError}) {
    auto f = make_in(impl(), s);
    for (const auto& [label, timeout] : huge_timeouts()) {
      for (Call call : {Call::kResult, Call::kException}) {
        SCOPED_TRACE(std::string(name(call)) + "(" + label + ") in " + name(s));
        Reader reader(f, call, timeout);
        auto got = reader.await(kReaderLimit);
        ASSERT_TRUE(got) << "blocked on a done future";
        EXPECT_TRUE(matches(*got, expected_poll(call, s)));
      }
    }
  }
}

TEST_F(Conformance, FUT_RESULT_HugeTimeoutWaitsForCompletion) {
  CF_CLAUSES("FUT-RESULT-7", "FUT-EXC-3");
  CF_REQUIRE(Cap::kRawFuture, Cap::kHugeTimeouts);
  auto f = impl().make_future();
  std::vector<ReaderSpec> specs;
  for (const auto& [label, timeout] : huge_timeouts()) {
    specs.push_back({Call::kResult, timeout, "result(" + label + ")"});
    specs.push_back({Call::kException, timeout, "exception(" + label + ")"});
  }
  auto readers = start_readers(f, specs);
  auto completed_at = Clock::now();
  // A reader whose deadline overflowed into the past has already returned
  // TimeoutError by now; the checks below catch it.
  ASSERT_TRUE(accepted(f->set_result(kValue)));
  expect_woken(readers, specs, completed_at,
               [](Call call) { return expected_poll(call, State::kFinishedValue); });
}

TEST_F(Conformance, FUT_RESULT_HugeTimeoutWaitsForTask) {
  CF_CLAUSES("FUT-RESULT-7", "FUT-EXC-3");
  CF_REQUIRE(Cap::kHugeTimeouts);
  auto& ex = make_executor(1);
  int gate = lab.new_gate();
  auto f = ex.submit(Probe::gated(gate, kValue));
  ASSERT_TRUE(lab.await_arrivals(gate, 1, kLong));
  std::vector<ReaderSpec> specs;
  for (const auto& [label, timeout] : huge_timeouts()) {
    specs.push_back({Call::kResult, timeout, "result(" + label + ")"});
    specs.push_back({Call::kException, timeout, "exception(" + label + ")"});
  }
  auto readers = start_readers(f, specs);
  auto completed_at = Clock::now();
  lab.open(gate);
  expect_woken(readers, specs, completed_at,
               [](Call call) { return expected_poll(call, State::kFinishedValue); });
}

}  // namespace
}  // namespace cf::conformance
