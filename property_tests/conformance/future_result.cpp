// Reading a future: result() and exception(), their timeouts, and the
// wake-ups of blocked readers [FUT-RESULT-1..7] [FUT-EXC-1..3] [FUT-CANCEL-5].
//
// Every call that could block runs on its own thread (a Background), so an
// implementation that never wakes a reader, or treats a poll as "wait
// forever", fails a clause instead of hanging the test. A read is judged
// twice: by the clause of its form, that it returned when it should and
// reported the future rather than an error of its own (a poll returns at once
// [FUT-RESULT-6], a timeout elapses [FUT-RESULT-4], no timeout waits for the
// completion [FUT-RESULT-5], a huge timeout is none [FUT-RESULT-7]; for
// exception() all of these are FUT-EXC-3); and by the clause of the state it
// read, for what it reported [FUT-RESULT-1..3] [FUT-EXC-1..2]. Readers that
// must block announce themselves just before they call; the completion may
// still race ahead of the call, and both orders must give the same outcome.
//
// Long on purpose: one spec section (FUT-RESULT-*, FUT-EXC-*), one self-
// contained scene per test, as each conformance file holds its section.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
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

enum class Call { kResult, kException };

const char* name(Call c) { return c == Call::kResult ? "result" : "exception"; }

// How long a read may block, each with the clause that says so.
enum class Form { kPoll, kTimed, kUntimed, kHuge };

const char* form_clause(Call call, Form form) {
  if (call == Call::kException) return "FUT-EXC-3";
  switch (form) {
    case Form::kPoll:
      return "FUT-RESULT-6";
    case Form::kTimed:
      return "FUT-RESULT-4";
    case Form::kUntimed:
      return "FUT-RESULT-5";
    case Form::kHuge:
      return "FUT-RESULT-7";
  }
  return "";
}

// What result() / exception() must report in state `s`; TimeoutError for a
// poll of a future that is not done.
Outcome expected_read(Call call, State s) {
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

// The clause that says what `call` reports in the done state `s`.
const char* outcome_clause(Call call, State s) {
  switch (s) {
    case State::kCancelled:
      return call == Call::kResult ? "FUT-RESULT-3" : "FUT-EXC-2";
    case State::kFinishedValue:
      return call == Call::kResult ? "FUT-RESULT-1" : "FUT-EXC-1";
    default:
      return call == Call::kResult ? "FUT-RESULT-2" : "FUT-EXC-1";
  }
}

// An error a read raised on its own account instead of reporting the future:
// a TimeoutError, or an error that is not the task's (a timeout refused as an
// argument, a deadline that overflowed). The read's form answers for it, not
// the state it read. A task error returned as another type still carries the
// task's message, and is the state's business.
bool own_error(const Outcome& got) {
  if (got.is(Kind::kTimeout) || got.is(Kind::kInvalidArgument)) return true;
  return got.is(Kind::kOther) && got.message.find(kError) == std::string::npos;
}

// Judges what one read of a future in state `s` returned (see the header).
void judge_read(Call call, Form form, State s, const Outcome& got, const std::string& label) {
  const char* clause = form_clause(call, form);
  Outcome expected = expected_read(call, s);
  if (expected.is(Kind::kTimeout)) {
    CF_CHECK_OUTCOME(clause, got, Kind::kTimeout) << label << " of a future that is not done";
    return;
  }
  // An untimed read takes no argument that could be refused: an error other
  // than the task's, read from a failed future, is how that future reports
  // its failure, the state's business [FUT-RESULT-2] [FUT-EXC-1].
  const bool own = own_error(got) &&
                   !(form == Form::kUntimed && s == State::kFinishedError && got.is(Kind::kOther));
  CF_CHECK(clause, !own) << label << " of a done future raised " << to_string(got);
  if (!own) check_outcome(outcome_clause(call, s), got, expected, label);
}

// What a read returned, how long it took, and when it returned.
struct Read {
  Outcome outcome;
  Clock::duration took{};
  Clock::time_point returned_at{};
};

// One result() or exception() call on its own thread. While it blocks,
// `clause` (the rule that says it returns) is in progress there. `announce`
// runs on that thread just before the call; `rescue` completes the future
// when the test ends with the call still blocked (see Background).
class Reader {
 public:
  Reader(Lab& lab, const char* clause, FuturePtr f, Call call, Timeout timeout,
         std::function<void()> rescue = nullptr, std::function<void()> announce = nullptr)
      : clause_(clause),
        call_(
            lab, clause,
            [f = std::move(f), call, timeout, announce = std::move(announce)] {
              if (announce) announce();
              auto start = Clock::now();
              Outcome o = call == Call::kResult ? f->result(timeout) : f->exception(timeout);
              auto end = Clock::now();
              return Read{std::move(o), end - start, end};
            },
            std::move(rescue)) {}

  // What the call returned, once it returns within `limit`; that it returns
  // is a check of the reader's clause, `blocked` the message if not. Call once.
  std::optional<Read> await(std::chrono::nanoseconds limit, const std::string& blocked) {
    CF_CHECK(clause_, call_.returns_within(limit)) << blocked;
    if (!call_.returns_within(std::chrono::nanoseconds(0))) return std::nullopt;
    return call_.get();
  }

 private:
  const char* clause_;
  Background<Read> call_;
};
using Readers = std::vector<std::unique_ptr<Reader>>;

// Long enough for a reader with timeout kLong to report its TimeoutError.
constexpr auto kReaderLimit = kLong + kLateSlack;

// Completes a raw future left pending by a failed test, so its readers return.
std::function<void()> completing(const FuturePtr& f) {
  return [f] {
    f->set_result(kValue);
    f->cancel();
  };
}

// One read that must return at once, judged as a read of state `s` (a poll
// of a future that is not done reports TimeoutError). False when it blocked:
// the rescue then completed the future, which is no longer in `s`.
bool check_read_at_once(Lab& lab, const FuturePtr& f, Call call, Form form, Timeout timeout,
                        State s, const std::string& label, std::function<void()> rescue = nullptr) {
  Reader reader(lab, form_clause(call, form), f, call, timeout, std::move(rescue));
  auto read = reader.await(kReaderLimit, label + " blocked");
  if (!read) return false;
  CF_CHECK(form_clause(call, form), read->took <= kLateSlack)
      << label << " waited " << std::chrono::duration<double>(read->took).count() << " s";
  judge_read(call, form, s, read->outcome, label);
  return true;
}

struct ReaderSpec {
  Call call;
  Form form;
  Timeout timeout;
  std::string label;
};

// Readers of both calls that block until the future completes: without a
// timeout (Cap::kResultBlocking) and with a long one (Cap::kResultTimeout).
std::vector<ReaderSpec> blocking_readers(Caps caps) {
  std::vector<ReaderSpec> specs;
  for (Call call : {Call::kResult, Call::kException}) {
    if (caps & static_cast<Caps>(Cap::kResultBlocking)) {
      specs.push_back({call, Form::kUntimed, Timeout::none(), std::string(name(call)) + "()"});
    }
    if (caps & static_cast<Caps>(Cap::kResultTimeout)) {
      specs.push_back({call, Form::kTimed, kLong, std::string(name(call)) + "(kLong)"});
    }
  }
  return specs;
}

// Starts one reader per spec on `f` and waits until each is about to call.
// A reader's clause is `wake` when given (the rule of what wakes it), else
// its form's.
Readers start_readers(Lab& lab, const FuturePtr& f, const std::vector<ReaderSpec>& specs,
                      std::function<void()> rescue, const char* wake = nullptr) {
  int log = lab.new_log();
  Readers readers;
  for (const auto& spec : specs) {
    readers.push_back(std::make_unique<Reader>(lab, wake ? wake : form_clause(spec.call, spec.form),
                                               f, spec.call, spec.timeout, rescue,
                                               [&lab, log] { lab.append(log, 1); }));
  }
  CF_PRECONDITION(nullptr, lab.await_log_size(log, specs.size(), kLong))
      << "the readers never started";
  return readers;
}

// Every reader returns, no later than kLateSlack after `completed_at`. With
// `wake`, that clause judges the wake-up and that the reader got
// CancelledError [FUT-CANCEL-5]; without, each read is judged as a read of
// state `s` (its form's clause says it woke).
void check_woken(Readers& readers, const std::vector<ReaderSpec>& specs,
                 Clock::time_point completed_at, State s, const char* wake = nullptr) {
  // One bound for all: a test whose readers all stay blocked ends in time.
  const auto deadline = completed_at + kReaderLimit;
  for (std::size_t i = 0; i < readers.size(); ++i) {
    const auto& spec = specs[i];
    const char* clause = wake ? wake : form_clause(spec.call, spec.form);
    auto limit = std::max<Clock::duration>(deadline - Clock::now(), Clock::duration::zero());
    auto read = readers[i]->await(limit, spec.label + " was not woken by the completion");
    if (!read) continue;
    CF_CHECK(clause, read->returned_at - completed_at <= kLateSlack)
        << spec.label << " woke "
        << std::chrono::duration<double>(read->returned_at - completed_at).count()
        << " s after the completion";
    if (wake) {
      CF_CHECK_OUTCOME(wake, read->outcome, Kind::kCancelled) << spec.label;
    } else {
      judge_read(spec.call, spec.form, s, read->outcome, spec.label);
    }
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

// Readers with huge timeouts [FUT-RESULT-7], of both calls.
std::vector<ReaderSpec> huge_readers() {
  std::vector<ReaderSpec> specs;
  for (const auto& [label, timeout] : huge_timeouts()) {
    for (Call call : {Call::kResult, Call::kException}) {
      specs.push_back({call, Form::kHuge, timeout, std::string(name(call)) + "(" + label + ")"});
    }
  }
  return specs;
}

// ---------------------------------------------------------------------------
// Every state, polled [FUT-RESULT-1..3] [FUT-RESULT-6] [FUT-EXC-1..3].

TEST_F(Conformance, FUT_RESULT_ZeroTimeoutInEveryState) {
  CF_REQUIRE(Cap::kRawFuture, Cap::kResultTimeout, Cap::kCancel);
  for (State s : kAllStates) {
    auto f = make_in(impl(), s);
    check_read_at_once(lab, f, Call::kResult, Form::kPoll, std::chrono::seconds(0), s,
                       std::string("result(0s) in ") + name(s), completing(f));
  }
}

TEST_F(Conformance, FUT_EXC_ZeroTimeoutInEveryState) {
  CF_REQUIRE(Cap::kRawFuture, Cap::kResultTimeout, Cap::kCancel);
  for (State s : kAllStates) {
    auto f = make_in(impl(), s);
    check_read_at_once(lab, f, Call::kException, Form::kPoll, std::chrono::seconds(0), s,
                       std::string("exception(0s) in ") + name(s), completing(f));
  }
}

TEST_F(Conformance, FUT_RESULT_NonPositiveTimeoutsPoll) {
  CF_REQUIRE(Cap::kRawFuture, Cap::kResultTimeout, Cap::kCancel);
  for (State s : kAllStates) {
    auto f = make_in(impl(), s);
    bool in_state = true;  // false once a poll blocked and was rescued
    for (const auto& [label, timeout] : non_positive_timeouts()) {
      for (Call call : {Call::kResult, Call::kException}) {
        if (!in_state) break;
        in_state = check_read_at_once(lab, f, call, Form::kPoll, timeout, s,
                                      std::string(name(call)) + "(" + label + ") in " + name(s),
                                      completing(f));
      }
    }
  }
}

// Through an executor: a running task polls as not done, a finished one
// reports its outcome.
TEST_F(Conformance, FUT_RESULT_NonPositiveTimeoutsPollTasks) {
  CF_REQUIRE(Cap::kResultTimeout);
  auto& ex = make_executor(2);
  FuturePtr failing;
  failed(ex, kError, &failing);
  int gate = lab.new_gate();
  auto running = ex.submit(Probe::gated(gate, kValue));
  CF_PRECONDITION("EXEC-SUBMIT-1", lab.await_arrivals(gate, 1, kLong)) << "the task never started";
  for (const auto& [label, timeout] : non_positive_timeouts()) {
    for (Call call : {Call::kResult, Call::kException}) {
      std::string what = std::string(name(call)) + "(" + label + ")";
      // A poll that blocked released the gate: the task is no longer running.
      if (!check_read_at_once(lab, running, call, Form::kPoll, timeout, State::kRunning,
                              what + " of a running task")) {
        return;
      }
      check_read_at_once(lab, failing, call, Form::kPoll, timeout, State::kFinishedError,
                         what + " of a failed task");
    }
  }
  lab.open(gate);
  CF_CHECK_VALUE("EXEC-SUBMIT-1", running->result(kLong), kValue);
  check_read_at_once(lab, running, Call::kResult, Form::kPoll, std::chrono::seconds(0),
                     State::kFinishedValue, "result(0s) of a finished task");
  check_read_at_once(lab, running, Call::kResult, Form::kPoll, std::chrono::seconds(-1),
                     State::kFinishedValue, "result(-1s) of a finished task");
  check_read_at_once(lab, running, Call::kException, Form::kPoll, std::chrono::seconds(-1),
                     State::kFinishedValue, "exception(-1s) of a finished task");
}

// ---------------------------------------------------------------------------
// A finished or cancelled future [FUT-RESULT-1..3] [FUT-EXC-1..2].

// Four threads read the finished future `f` at once; each gets its value.
void check_value_from_threads(Lab& lab, const FuturePtr& f) {
  Readers readers;
  for (int i = 0; i < 4; ++i) {
    readers.push_back(std::make_unique<Reader>(lab, "FUT-RESULT-1", f, Call::kResult, kLong));
  }
  for (std::size_t i = 0; i < readers.size(); ++i) {
    auto label = "reader " + std::to_string(i + 1);
    auto read = readers[i]->await(kReaderLimit, label + " did not return");
    if (read) {
      CF_CHECK_VALUE("FUT-RESULT-1", read->outcome, kValue) << label;
    }
  }
}

TEST_F(Conformance, FUT_RESULT_ValueOnEveryReadFromEveryThread) {
  CF_REQUIRE(Cap::kRawFuture);
  auto f = make_in(impl(), State::kFinishedValue);
  for (int i = 0; i < 3; ++i)
    CF_CHECK_VALUE("FUT-RESULT-1", f->result(kLong), kValue) << "read #" << i + 1;
  check_value_from_threads(lab, f);
}

TEST_F(Conformance, FUT_RESULT_TaskValueOnEveryReadFromEveryThread) {
  auto& ex = make_executor(2);
  FuturePtr f;
  finished(ex, kValue, &f);
  for (int i = 0; i < 3; ++i)
    CF_CHECK_VALUE("FUT-RESULT-1", f->result(kLong), kValue) << "read #" << i + 2;
  check_value_from_threads(lab, f);
}

// Every read of the failed future `f` agrees with `first`: result() rethrows
// it again [FUT-RESULT-2], exception() returns it [FUT-EXC-1]. (Through the
// adapter only the error's type and message are visible, not its identity.)
void check_rethrown_on_every_read(Future& f, const Outcome& first) {
  for (int i = 0; i < 3; ++i) {
    CF_CHECK_EQ("FUT-RESULT-2", to_string(f.result(kLong)), to_string(first)) << "read #" << i + 2;
    CF_CHECK_EQ("FUT-EXC-1", to_string(f.exception(kLong)), to_string(first))
        << "exception() #" << i + 1;
  }
}

TEST_F(Conformance, FUT_RESULT_FailureRethrownOnEveryRead) {
  CF_REQUIRE(Cap::kRawFuture);
  auto f = make_in(impl(), State::kFinishedError);
  Outcome first = f->result(kLong);
  check_outcome("FUT-RESULT-2", first, Outcome::error(Kind::kTaskError, kError), "the first read");
  check_rethrown_on_every_read(*f, first);
}

TEST_F(Conformance, FUT_RESULT_TaskFailureRethrownOnEveryRead) {
  auto& ex = make_executor(2);
  FuturePtr f;
  failed(ex, kError, &f);
  Outcome first = f->result(kLong);
  check_outcome("FUT-RESULT-2", first, Outcome::error(Kind::kTaskError, kError), "the first read");
  check_rethrown_on_every_read(*f, first);
  // The failure stayed in its future: the executor still runs work.
  CF_CHECK_VALUE("EXEC-SUBMIT-3", ex.submit(Probe::value_of(7))->result(kLong), 7);
}

TEST_F(Conformance, FUT_RESULT_CancelledThrowsCancelledError) {
  CF_REQUIRE(Cap::kRawFuture, Cap::kCancel);
  auto f = make_in(impl(), State::kCancelled);
  for (int i = 0; i < 2; ++i) {
    CF_CHECK_OUTCOME("FUT-RESULT-3", f->result(kLong), Kind::kCancelled) << "read #" << i + 1;
    CF_CHECK_OUTCOME("FUT-EXC-2", f->exception(kLong), Kind::kCancelled) << "read #" << i + 1;
  }
}

TEST_F(Conformance, FUT_RESULT_CancelledTaskThrowsCancelledError) {
  CF_REQUIRE(Cap::kMaxWorkers, Cap::kCancel);
  auto& ex = make_executor(1);
  HeldWorker worker(ex, lab);
  worker.hold();
  int log = lab.new_log();
  FuturePtr f;
  cancelled_queued(ex, log, kValue, &f);
  CF_CHECK_OUTCOME("FUT-RESULT-3", f->result(kLong), Kind::kCancelled);
  CF_CHECK_OUTCOME("FUT-EXC-2", f->exception(kLong), Kind::kCancelled);
  worker.finish();
  shutdown_and_wait(ex);
  CF_CHECK_OUTCOME("FUT-RESULT-3", f->result(kLong), Kind::kCancelled)
      << "after the executor reached the cancelled task";
  CF_CHECK("EXEC-CANCEL-1", lab.log(log).empty()) << "a cancelled task ran";
}

TEST_F(Conformance, FUT_EXC_TaskOutcomes) {
  auto& ex = make_executor(2);
  auto ok = ex.submit(Probe::value_of(kValue));
  auto failing = ex.submit(Probe::failure(kError));
  // exception() is the first read of each.
  Outcome none = ok->exception(kLong);
  CF_PRECONDITION("EXEC-SUBMIT-1", !none.is(Kind::kTimeout)) << "the task never finished";
  CF_CHECK_OUTCOME("FUT-EXC-1", none, Kind::kNone);
  Outcome error = failing->exception(kLong);
  CF_PRECONDITION("EXEC-SUBMIT-2", !error.is(Kind::kTimeout)) << "the failing task never finished";
  check_outcome("FUT-EXC-1", error, Outcome::error(Kind::kTaskError, kError),
                "exception() of the failed task");
  // exception() reports, it does not consume: result() still agrees.
  CF_CHECK_VALUE("FUT-RESULT-1", ok->result(kLong), kValue);
  check_outcome("FUT-RESULT-2", failing->result(kLong), Outcome::error(Kind::kTaskError, kError),
                "result() of the failed task after exception()");
}

TEST_F(Conformance, FUT_RESULT_NoTimeoutOnDoneFutureReturnsAtOnce) {
  CF_REQUIRE(Cap::kRawFuture, Cap::kCancel, Cap::kResultBlocking);
  for (State s : {State::kCancelled, State::kFinishedValue, State::kFinishedError}) {
    auto f = make_in(impl(), s);
    for (Call call : {Call::kResult, Call::kException}) {
      check_read_at_once(lab, f, call, Form::kUntimed, Timeout::none(), s,
                         std::string(name(call)) + "() in " + name(s));
    }
  }
}

// ---------------------------------------------------------------------------
// Timeouts that elapse [FUT-RESULT-4] [FUT-EXC-3].

// `call` with timeout kShort on `f`, which stays undone: TimeoutError, not
// before the deadline, not much after it.
void check_times_out(Lab& lab, const FuturePtr& f, Call call, const std::string& label,
                     std::function<void()> rescue = nullptr) {
  const char* clause = form_clause(call, Form::kTimed);
  Reader reader(lab, clause, f, call, kShort, std::move(rescue));
  auto read = reader.await(kReaderLimit, label + " never returned");
  if (!read) return;
  judge_read(call, Form::kTimed, State::kPending, read->outcome, label);
  CF_CHECK(clause, read->took >= kShort) << label << " timed out before the deadline";
  CF_CHECK(clause, read->took <= kShort + kLateSlack)
      << label << " timed out long after the deadline";
}

TEST_F(Conformance, FUT_RESULT_TimeoutLeavesRawFutureUnchanged) {
  CF_REQUIRE(Cap::kRawFuture, Cap::kResultTimeout, Cap::kStateQueries);
  for (State s : {State::kPending, State::kRunning}) {
    for (Call call : {Call::kResult, Call::kException}) {
      const char* clause = form_clause(call, Form::kTimed);
      std::string label = std::string(name(call)) + "(kShort) in " + name(s);
      auto f = make_in(impl(), s);
      check_times_out(lab, f, call, label, completing(f));
      CF_CHECK(clause, f->running() == (s == State::kRunning)) << label;
      CF_CHECK(clause, !f->cancelled()) << label << " cancelled the future";
      CF_CHECK(clause, !f->done()) << label;
      // The producer can still finish it, and readers then see that outcome.
      CF_PRECONDITION(s == State::kPending ? "FUT-SET-5" : "FUT-STATE-3",
                      accepted(f->set_result(kValue)))
          << "set_result() after " << label;
      CF_CHECK_VALUE(clause, f->result(kLong), kValue) << "after " << label;
    }
  }
}

TEST_F(Conformance, FUT_RESULT_TimeoutLeavesRunningTaskRunning) {
  CF_REQUIRE(Cap::kResultTimeout);
  auto& ex = make_executor(1);
  int gate = lab.new_gate();
  auto f = ex.submit(Probe::gated(gate, kValue));
  CF_PRECONDITION("EXEC-SUBMIT-1", lab.await_arrivals(gate, 1, kLong)) << "the task never started";
  for (Call call : {Call::kResult, Call::kException}) {
    const char* clause = form_clause(call, Form::kTimed);
    std::string label = std::string(name(call)) + "(kShort) of a running task";
    check_times_out(lab, f, call, label);
    if (has(Cap::kStateQueries)) {
      CF_CHECK(clause, f->running()) << "after " << label;
      CF_CHECK(clause, !f->cancelled()) << "after " << label;
    }
  }
  lab.open(gate);
  // The timeouts limited the waits, not the task: it ran to its own outcome.
  CF_CHECK_VALUE("FUT-RESULT-4", f->result(kLong), kValue);
}

TEST_F(Conformance, FUT_RESULT_TimeoutDoesNotCancelQueuedTask) {
  CF_REQUIRE(Cap::kResultTimeout, Cap::kMaxWorkers);
  auto& ex = make_executor(1);
  HeldWorker worker(ex, lab);
  worker.hold();
  int log = lab.new_log();
  auto f = ex.submit(Probe().record(log, 1).returns(kValue));
  for (Call call : {Call::kResult, Call::kException}) {
    const char* clause = form_clause(call, Form::kTimed);
    std::string label = std::string(name(call)) + "(kShort) of a queued task";
    check_times_out(lab, f, call, label);
    if (has(Cap::kStateQueries)) {
      CF_CHECK(clause, !f->cancelled()) << label << " cancelled the task";
      CF_CHECK(clause, !f->done()) << "after " << label;
    }
  }
  worker.finish();
  // A timeout never cancels: the task still runs, once.
  CF_CHECK_VALUE("FUT-RESULT-4", f->result(kLong), kValue);
  CF_CHECK_EQ("FUT-RESULT-4", lab.log(log), (std::vector<std::int64_t>{1}));
}

// ---------------------------------------------------------------------------
// Blocked readers wake at completion [FUT-RESULT-4..5] [FUT-EXC-3] [FUT-CANCEL-5].

// Readers blocked on a raw future, pending and then running, each time woken
// by `setter` (named `what`), which leaves the future in `finished`.
void check_readers_woken_by(Lab& lab, Implementation& impl, const char* what,
                            const std::function<Outcome(Future&)>& setter, State finished) {
  auto specs = blocking_readers(impl.caps());
  for (State start : {State::kPending, State::kRunning}) {
    auto f = make_in(impl, start);
    auto readers = start_readers(lab, f, specs, completing(f));
    auto completed_at = Clock::now();
    CF_PRECONDITION(start == State::kPending ? "FUT-SET-5" : "FUT-STATE-3", accepted(setter(*f)))
        << what << " in " << name(start);
    check_woken(readers, specs, completed_at, finished);
  }
}

TEST_F(Conformance, FUT_RESULT_BlockedReadersWakeWithValue) {
  CF_REQUIRE(Cap::kRawFuture);
  check_readers_woken_by(
      lab, impl(), "set_result()", [](Future& f) { return f.set_result(kValue); },
      State::kFinishedValue);
}

TEST_F(Conformance, FUT_RESULT_BlockedReadersWakeWithException) {
  CF_REQUIRE(Cap::kRawFuture);
  check_readers_woken_by(
      lab, impl(), "set_exception()", [](Future& f) { return f.set_exception(kError); },
      State::kFinishedError);
}

TEST_F(Conformance, FUT_RESULT_BlockedReadersWakeWhenTaskFinishes) {
  auto& ex = make_executor(2);
  int gate = lab.new_gate();
  auto ok = ex.submit(Probe::gated(gate, kValue));
  auto failing = ex.submit(Probe().gate(gate).raises(kError));
  CF_PRECONDITION("EXEC-SUBMIT-1", lab.await_arrivals(gate, 2, kLong)) << "the tasks never started";
  auto specs = blocking_readers(caps());
  auto ok_readers = start_readers(lab, ok, specs, {});
  auto failing_readers = start_readers(lab, failing, specs, {});
  auto completed_at = Clock::now();
  lab.open(gate);
  check_woken(ok_readers, specs, completed_at, State::kFinishedValue);
  check_woken(failing_readers, specs, completed_at, State::kFinishedError);
}

TEST_F(Conformance, FUT_CANCEL_WakesBlockedReaders) {
  CF_REQUIRE(Cap::kRawFuture, Cap::kCancel);
  auto f = impl().make_future();
  auto specs = blocking_readers(caps());
  auto more = blocking_readers(caps());
  specs.insert(specs.end(), more.begin(), more.end());  // several readers of each kind
  auto readers = start_readers(lab, f, specs, completing(f), "FUT-CANCEL-5");
  auto cancelled_at = Clock::now();
  CF_PRECONDITION("FUT-CANCEL-1", f->cancel()) << "cancel() of a pending future";
  check_woken(readers, specs, cancelled_at, State::kCancelled, "FUT-CANCEL-5");
}

TEST_F(Conformance, FUT_CANCEL_WakesReadersOfQueuedTask) {
  CF_REQUIRE(Cap::kMaxWorkers, Cap::kCancel);
  auto& ex = make_executor(1);
  HeldWorker worker(ex, lab);
  worker.hold();
  int log = lab.new_log();
  auto f = ex.submit(Probe().record(log, 1).returns(kValue));
  auto specs = blocking_readers(caps());
  auto readers = start_readers(lab, f, specs, {}, "FUT-CANCEL-5");
  // A library whose blocking read runs a queued task in the reader's thread
  // leaves nothing queued to cancel: two tasks ran at once on a pool of one.
  CF_PRECONDITION("TPE-MAX-1", lab.log(log).empty())
      << "the queued task ran while the only worker was held";
  auto cancelled_at = Clock::now();
  CF_PRECONDITION("FUT-CANCEL-1", f->cancel()) << "cancel() of a queued task";
  // Woken by cancel() itself, while the worker is still held: not when the
  // executor later meets the cancelled task.
  check_woken(readers, specs, cancelled_at, State::kCancelled, "FUT-CANCEL-5");
  worker.finish();
  shutdown_and_wait(ex);
  // Only a cancel() known to have succeeded forbids the run: one that reports
  // nothing may have met the task already started (by a reader that runs
  // queued work itself, after the precondition above looked).
  if (has(Cap::kCancelResult)) {
    CF_CHECK("EXEC-CANCEL-1", lab.log(log).empty()) << "a cancelled task ran";
  }
}

// ---------------------------------------------------------------------------
// Huge timeouts are no timeout [FUT-RESULT-7] [FUT-EXC-3].

TEST_F(Conformance, FUT_RESULT_HugeTimeoutsOnDoneFutures) {
  CF_REQUIRE(Cap::kRawFuture, Cap::kResultTimeout, Cap::kHugeTimeouts, Cap::kCancel);
  for (State s : {State::kCancelled, State::kFinishedValue, State::kFinishedError}) {
    auto f = make_in(impl(), s);
    for (const auto& spec : huge_readers()) {
      check_read_at_once(lab, f, spec.call, spec.form, spec.timeout, s,
                         spec.label + " in " + name(s));
    }
  }
}

TEST_F(Conformance, FUT_RESULT_HugeTimeoutWaitsForCompletion) {
  CF_REQUIRE(Cap::kRawFuture, Cap::kResultTimeout, Cap::kHugeTimeouts);
  auto f = impl().make_future();
  auto specs = huge_readers();
  auto readers = start_readers(lab, f, specs, completing(f));
  auto completed_at = Clock::now();
  // A reader whose deadline overflowed into the past has already returned
  // TimeoutError (or an overflow error) by now; its form's clause says so.
  CF_PRECONDITION("FUT-SET-5", accepted(f->set_result(kValue)))
      << "set_result() of a pending future";
  check_woken(readers, specs, completed_at, State::kFinishedValue);
}

TEST_F(Conformance, FUT_RESULT_HugeTimeoutWaitsForTask) {
  CF_REQUIRE(Cap::kResultTimeout, Cap::kHugeTimeouts);
  auto& ex = make_executor(1);
  int gate = lab.new_gate();
  auto f = ex.submit(Probe::gated(gate, kValue));
  CF_PRECONDITION("EXEC-SUBMIT-1", lab.await_arrivals(gate, 1, kLong)) << "the task never started";
  auto specs = huge_readers();
  auto readers = start_readers(lab, f, specs, {});
  auto completed_at = Clock::now();
  lab.open(gate);
  check_woken(readers, specs, completed_at, State::kFinishedValue);
}

}  // namespace
}  // namespace cf::conformance
