// Done-callbacks [FUT-CB-1..6]: how often, in which order and in which thread
// they run, what a throwing one does, and that they may use their own future.
//
// A callback records the CallbackEvent the adapter hands it (the calling
// thread's token, done(), cancelled() and result(0s) as seen inside it). The
// event says whether the callback ran once its future was done, which every
// test checks of every callback, as the clause that says when that callback
// runs: at the completion [FUT-CB-1], at a successful cancel() [FUT-CB-6], or
// at once when added to a done future [FUT-CB-3]. What result(0s) read inside
// it is judged by the clause of that read [FUT-RESULT-1..3]. The test thread's
// token, and the token of a thread the test starts to complete a future, say
// where a callback ran. Completions on a helper thread run in a Background: a
// completion that deadlocks fails its clause instead of hanging the test.
//
// Long on purpose: one spec section (FUT-CB-1..6), one self-contained scene per
// test, as each conformance file holds its section.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "harness/background.hpp"
#include "harness/setups.hpp"
#include "harness/suite.hpp"

namespace cf::conformance {
namespace {

using Kind = Outcome::Kind;

// How a test completes a future.
enum class Completion { kValue, kError, kCancel };
constexpr Completion kAllCompletions[] = {Completion::kValue, Completion::kError,
                                          Completion::kCancel};

const char* name(Completion c) {
  switch (c) {
    case Completion::kValue:
      return "set_result";
    case Completion::kError:
      return "set_exception";
    case Completion::kCancel:
      return "cancel";
  }
  return "?";
}

// Applies `c` to `f`; true if the future accepted it.
bool complete(Future& f, Completion c) {
  switch (c) {
    case Completion::kValue:
      return accepted(f.set_result(kValue));
    case Completion::kError:
      return accepted(f.set_exception(kError));
    case Completion::kCancel:
      return f.cancel();
  }
  return false;
}

// The rule that says completion `c` is accepted by a future in `from`
// (pending or running): the scene step's precondition.
const char* accepting_clause(Completion c, State from = State::kPending) {
  if (c == Completion::kCancel) return "FUT-CANCEL-1";
  return from == State::kPending ? "FUT-SET-5" : "FUT-STATE-3";
}

// The rule that says a callback added before completion `c` runs then.
const char* pending_clause(Completion c) {
  return c == Completion::kCancel ? "FUT-CB-6" : "FUT-CB-1";
}

// What result(0s) reads after completion `c`, and the rule that says so.
Outcome outcome_after(Completion c) {
  switch (c) {
    case Completion::kValue:
      return Outcome::of_value(kValue);
    case Completion::kError:
      return Outcome::error(Kind::kTaskError, kError);
    case Completion::kCancel:
      return Outcome::error(Kind::kCancelled);
  }
  return {};
}

const char* outcome_clause(Completion c) {
  switch (c) {
    case Completion::kValue:
      return "FUT-RESULT-1";
    case Completion::kError:
      return "FUT-RESULT-2";
    case Completion::kCancel:
      return "FUT-RESULT-3";
  }
  return "";
}

// Checks that the callback that got `event` ran once its future was done by
// completion `c`, as `clause` requires: done() was true, result(0s) did not
// time out, and after a cancel cancelled() was true. What result(0s) read is
// judged by the clause of that read.
void check_ran_when_done(const char* clause, const CallbackEvent& event, Completion c,
                         const std::string& label) {
  CF_CHECK(clause, event.done) << label << " ran while done() was false";
  CF_CHECK(clause, !event.result.is(Kind::kTimeout))
      << label << " ran before its future was done: result(0s) inside it timed out";
  if (c == Completion::kCancel) {
    CF_CHECK(clause, event.cancelled) << label << " ran while cancelled() was false";
  } else {
    CF_CHECK("FUT-STATE-3", !event.cancelled)
        << label << " saw cancelled() true on a finished future";
  }
  if (!event.result.is(Kind::kTimeout)) {
    check_outcome(outcome_clause(c), event.result, outcome_after(c),
                  label + ": result(0s) inside it");
  }
}

// The calls of a set of callbacks, from any thread, in the order they happened.
class Calls {
 public:
  struct Entry {
    int id;
    CallbackEvent event;
  };

  void add(int id, const CallbackEvent& event) {
    {
      std::lock_guard lock(mutex_);
      entries_.push_back({id, event});
    }
    changed_.notify_all();
  }
  std::size_t count() {
    std::lock_guard lock(mutex_);
    return entries_.size();
  }
  std::vector<Entry> entries() {
    std::lock_guard lock(mutex_);
    return entries_;
  }
  Values ids() {
    Values out;
    for (const auto& e : entries()) out.push_back(e.id);
    return out;
  }
  // Bounded wait for at least `n` calls.
  bool await(std::size_t n) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kLong, [&] { return entries_.size() >= n; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Entry> entries_;
};
using CallsPtr = std::shared_ptr<Calls>;

// A callback that records itself as `id`; shared ownership, because an
// executor may run it after the test body has returned.
std::function<void(const CallbackEvent&)> record(const CallsPtr& calls, int id) {
  return [calls, id](const CallbackEvent& event) { calls->add(id, event); };
}

// check_ran_when_done for every call recorded in `calls`.
void check_all_ran_when_done(const char* clause, Calls& calls, Completion c,
                             const std::string& context = "") {
  for (const auto& entry : calls.entries()) {
    check_ran_when_done(
        clause, entry.event, c,
        context + (context.empty() ? "" : ": ") + "callback " + std::to_string(entry.id));
  }
}

// Callbacks 0 .. n-1 each ran once, as `once` says, and in the order they
// were added [FUT-CB-2] (a missing or repeated one is not an order problem).
// With `first_late`, the callbacks from that id on were added once the future
// was done: that they run once is FUT-CB-3's rule.
void check_each_once_in_order(const char* once, Calls& calls, int n, const std::string& context,
                              int first_late = -1) {
  auto ids = calls.ids();
  const int late = first_late < 0 ? n : first_late;
  const auto ran = sorted(ids);
  Values early_ran, late_ran;
  for (auto id : ran) (id < late ? early_ran : late_ran).push_back(id);
  CF_CHECK_EQ(once, early_ran, iota(0, late)) << context << ": each callback runs once";
  if (late < n) {
    CF_CHECK_EQ("FUT-CB-3", late_ran, iota(late, n))
        << context << ": each callback added once done runs once";
  }
  CF_CHECK("FUT-CB-2", std::is_sorted(ids.begin(), ids.end()))
      << context << ": run in the order " << ::testing::PrintToString(ids);
}

// Callbacks 0, 1 (which throws) and 2, added in that order: the runs of 0
// and 1 come before any exception could stop anything, so they are `upto`'s rule (the clause that
// makes them run); only where the throwing callback ran does callback 2's run judge FUT-CB-4.
void check_thrower_kept_others(const char* upto, Calls& calls, const std::string& context) {
  auto ids = calls.ids();
  auto times = [&](std::int64_t id) { return std::count(ids.begin(), ids.end(), id); };
  CF_CHECK(upto, times(0) == 1 && times(1) == 1)
      << context << ": the callbacks up to the throwing one ran as "
      << ::testing::PrintToString(ids);
  if (times(1) >= 1) {
    CF_CHECK("FUT-CB-4", times(2) == 1)
        << context << ": the callback after the throwing one ran " << times(2) << " times";
  }
  CF_CHECK("FUT-CB-2", std::is_sorted(ids.begin(), ids.end()))
      << context << ": run in the order " << ::testing::PrintToString(ids);
}

// What a thread the test started saw: its token, and what its operation returned.
struct OnThread {
  std::int64_t token = 0;
  bool ok = false;
};

// Runs `op` on a new thread, with `clause` in progress there (a Background),
// and reports that thread's token and op's result. An op that does not return
// within kLong (a callback deadlocked) fails `clause`: nullopt. `op` must own
// what it uses.
std::optional<OnThread> on_new_thread(Lab& lab, Implementation& im, const char* clause,
                                      std::function<bool()> op, const std::string& what) {
  Background<OnThread> call(lab, clause, [&im, op = std::move(op)] {
    OnThread out;
    out.token = im.thread_token();
    out.ok = op();
    return out;
  });
  CF_CHECK(clause, call.returns_within(kLong))
      << what << " did not return (a callback deadlocked?)";
  if (!call.returns_within(std::chrono::nanoseconds(0))) return std::nullopt;
  return call.get();
}

// ---------------------------------------------------------------------------
// [FUT-CB-1] once, in the completing thread.

TEST_F(Conformance, FUT_CB_PendingCallbackRunsOnceInCompletingThread) {
  CF_REQUIRE(Cap::kRawFuture, Cap::kDoneCallbacks, Cap::kCancel);
  const auto test_thread = impl().thread_token();
  struct Row {
    State from;  // the callback is added in this state
    Completion completion;
  };
  const Row table[] = {{State::kPending, Completion::kValue},
                       {State::kPending, Completion::kError},
                       {State::kPending, Completion::kCancel},
                       {State::kRunning, Completion::kValue},
                       {State::kRunning, Completion::kError}};
  for (const Row& row : table) {
    const char* clause = pending_clause(row.completion);
    std::string label = std::string(name(row.from)) + ", " + name(row.completion);
    auto f = make_in(impl(), row.from);
    auto calls = std::make_shared<Calls>();
    f->add_done_callback(record(calls, 0));
    CF_CHECK_EQ(clause, calls->count(), 0u) << label << ": the callback ran before completion";
    auto completer = on_new_thread(
        lab, impl(), clause, [f, c = row.completion] { return complete(*f, c); }, label);
    if (!completer) return;
    CF_PRECONDITION(accepting_clause(row.completion, row.from), completer->ok)
        << label << ": the completion was refused";
    CF_ASSERT(clause, calls->await(1)) << label << ": the callback never ran";
    auto entries = calls->entries();
    CF_ASSERT_EQ("FUT-CB-1", entries.size(), 1u)
        << label << ": the callback did not run exactly once";
    const auto& event = entries[0].event;
    CF_CHECK_EQ(clause, event.thread_token, completer->token)
        << label << ": not run in the completing thread";
    CF_CHECK(clause, event.thread_token != test_thread) << label << ": run in the test's thread";
    check_ran_when_done(clause, event, row.completion, label + ": the callback");

    // Exactly once: nothing done to the future afterwards runs it again.
    f->cancel();
    f->set_result(1);
    f->set_exception("late");
    CF_CHECK_EQ("FUT-CB-1", calls->ids(), (Values{0}))
        << label << ": after a late cancel and outcomes";
    f->add_done_callback(record(calls, 1));
    CF_CHECK_EQ("FUT-CB-3", calls->ids(), (Values{0, 1}))
        << label << ": a callback added once done";
  }
}

TEST_F(Conformance, FUT_CB_RunningTaskCallbackRunsOnceAtCompletion) {
  CF_REQUIRE(Cap::kDoneCallbacks);
  const auto test_thread = impl().thread_token();
  auto& ex = make_executor(2);
  int gate = lab.new_gate();
  auto ok = ex.submit(Probe::gated(gate, kValue));
  auto failing = ex.submit(Probe().gate(gate).raises(kError));
  CF_PRECONDITION("EXEC-SUBMIT-1", lab.await_arrivals(gate, 2, kLong)) << "the tasks never started";
  auto calls = std::make_shared<Calls>();
  ok->add_done_callback(record(calls, 0));
  failing->add_done_callback(record(calls, 1));
  CF_CHECK_EQ("FUT-CB-1", calls->count(), 0u) << "a callback ran before completion";
  lab.open(gate);
  CF_ASSERT("FUT-CB-1", calls->await(2)) << "the callbacks never ran";
  shutdown_and_wait(ex);
  auto entries = calls->entries();
  CF_CHECK_EQ("FUT-CB-1", entries.size(), 2u) << "a callback ran more than once";
  for (const auto& entry : entries) {
    std::string label = entry.id == 0 ? "returning task's callback" : "failing task's callback";
    // The executor completed the future; the test thread only waited.
    CF_CHECK("FUT-CB-1", entry.event.thread_token != test_thread)
        << label << " ran in the test's thread";
    check_ran_when_done("FUT-CB-1", entry.event,
                        entry.id == 0 ? Completion::kValue : Completion::kError, label);
  }
}

// A task queued behind the held worker of `ex`, with one recording callback
// (id 0) that must not have run before `until` [`rule`].
std::pair<FuturePtr, std::shared_ptr<Calls>> queued_with_callback(Executor& ex, const char* rule,
                                                                  const char* until) {
  auto f = ex.submit(Probe::value_of(kValue));
  auto calls = std::make_shared<Calls>();
  f->add_done_callback(record(calls, 0));
  CF_CHECK_EQ(rule, calls->count(), 0u) << "the callback of a queued task ran before " << until;
  return {f, calls};
}

TEST_F(Conformance, FUT_CB_QueuedTaskCallbackRunsOnceAtCompletion) {
  CF_REQUIRE(Cap::kDoneCallbacks, Cap::kMaxWorkers);
  const auto test_thread = impl().thread_token();
  auto& ex = make_executor(1);
  HeldWorker worker(ex, lab);
  worker.hold();
  auto [f, calls] = queued_with_callback(ex, "FUT-CB-1", "completion");
  worker.finish();
  CF_CHECK_VALUE("EXEC-SUBMIT-1", f->result(kLong), kValue);
  CF_ASSERT("FUT-CB-1", calls->await(1)) << "the callback never ran";
  shutdown_and_wait(ex);
  auto entries = calls->entries();
  CF_ASSERT_EQ("FUT-CB-1", entries.size(), 1u);
  CF_CHECK("FUT-CB-1", entries[0].event.thread_token != test_thread) << "run in the test's thread";
  check_ran_when_done("FUT-CB-1", entries[0].event, Completion::kValue, "the callback");
}

// ---------------------------------------------------------------------------
// [FUT-CB-2] registration order.

TEST_F(Conformance, FUT_CB_CallbacksRunInRegistrationOrder) {
  CF_REQUIRE(Cap::kRawFuture, Cap::kDoneCallbacks, Cap::kCancel);
  for (Completion c : kAllCompletions) {
    auto f = impl().make_future();
    auto calls = std::make_shared<Calls>();
    for (int id = 0; id < 10; ++id) f->add_done_callback(record(calls, id));
    CF_PRECONDITION(accepting_clause(c), complete(*f, c)) << name(c);
    CF_ASSERT(pending_clause(c), calls->await(10)) << name(c) << ": not every callback ran";
    check_each_once_in_order(pending_clause(c), *calls, 10, name(c));
    check_all_ran_when_done(pending_clause(c), *calls, c, name(c));
  }
}

TEST_F(Conformance, FUT_CB_TaskCallbacksRunInRegistrationOrder) {
  CF_REQUIRE(Cap::kDoneCallbacks);
  auto& ex = make_executor(1);
  int gate = lab.new_gate();
  auto f = ex.submit(Probe::gated(gate, kValue));
  CF_PRECONDITION("EXEC-SUBMIT-1", lab.await_arrivals(gate, 1, kLong)) << "the task never started";
  auto calls = std::make_shared<Calls>();
  for (int id = 0; id < 10; ++id) f->add_done_callback(record(calls, id));
  lab.open(gate);
  CF_ASSERT("FUT-CB-1", calls->await(10)) << "not every callback ran";
  shutdown_and_wait(ex);
  check_each_once_in_order("FUT-CB-1", *calls, 10, "a task's callbacks");
  check_all_ran_when_done("FUT-CB-1", *calls, Completion::kValue);
}

// Callbacks queued before completion run first, then each one added later runs
// as it is added: one order overall.
TEST_F(Conformance, FUT_CB_OrderKeptAcrossCompletion) {
  CF_REQUIRE(Cap::kRawFuture, Cap::kDoneCallbacks);
  auto f = impl().make_future();
  auto calls = std::make_shared<Calls>();
  for (int id = 0; id < 5; ++id) f->add_done_callback(record(calls, id));
  CF_PRECONDITION(accepting_clause(Completion::kValue), complete(*f, Completion::kValue));
  // Run by the completing thread, so before set_result() returned.
  CF_CHECK_EQ("FUT-CB-1", calls->count(), 5u)
      << "callbacks queued before completion, after set_result()";
  for (int id = 5; id < 10; ++id) {
    f->add_done_callback(record(calls, id));
    CF_CHECK_EQ("FUT-CB-3", calls->count(), static_cast<std::size_t>(id + 1))
        << "callback " << id << " not run before add_done_callback() returned";
  }
  check_each_once_in_order("FUT-CB-1", *calls, 10, "across completion", 5);
  for (const auto& entry : calls->entries()) {
    check_ran_when_done(entry.id < 5 ? "FUT-CB-1" : "FUT-CB-3", entry.event, Completion::kValue,
                        "callback " + std::to_string(entry.id));
  }
}

// ---------------------------------------------------------------------------
// [FUT-CB-3] a done future runs a new callback at once, in the caller.

TEST_F(Conformance, FUT_CB_DoneFutureRunsCallbackImmediately) {
  CF_REQUIRE(Cap::kRawFuture, Cap::kDoneCallbacks, Cap::kCancel);
  const auto test_thread = impl().thread_token();
  for (Completion c : kAllCompletions) {
    std::string label = std::string("done by ") + name(c);
    auto f = impl().make_future();
    CF_PRECONDITION(accepting_clause(c), complete(*f, c)) << label;
    // The rule is about a done future: one that completed but does not say
    // so breaks the state rule of its completion, not this one.
    if (has(Cap::kStateQueries)) {
      CF_PRECONDITION(c == Completion::kCancel ? "FUT-STATE-4" : "FUT-STATE-3", f->done())
          << label << ": not done after completing";
    }
    auto calls = std::make_shared<Calls>();
    for (int id = 0; id < 3; ++id) {
      f->add_done_callback(record(calls, id));
      // Already called, with no waiting: before add_done_callback returned.
      CF_ASSERT_EQ("FUT-CB-3", calls->count(), static_cast<std::size_t>(id + 1))
          << label << ": callback " << id;
    }
    CF_CHECK_EQ("FUT-CB-3", calls->ids(), iota(0, 3))
        << label << ": each callback runs once, when added";
    for (const auto& entry : calls->entries()) {
      CF_CHECK_EQ("FUT-CB-3", entry.event.thread_token, test_thread)
          << label << ": callback " << entry.id << " not run in the calling thread";
    }
    check_all_ran_when_done("FUT-CB-3", *calls, c, label);
  }
}

TEST_F(Conformance, FUT_CB_FinishedTaskRunsCallbackImmediately) {
  CF_REQUIRE(Cap::kDoneCallbacks);
  const auto test_thread = impl().thread_token();
  auto& ex = make_executor(2);
  FuturePtr ok;
  FuturePtr failing;
  finished(ex, kValue, &ok);
  failed(ex, kError, &failing);
  auto calls = std::make_shared<Calls>();
  ok->add_done_callback(record(calls, 0));
  CF_ASSERT_EQ("FUT-CB-3", calls->count(), 1u) << "the returned task's callback";
  failing->add_done_callback(record(calls, 1));
  CF_ASSERT_EQ("FUT-CB-3", calls->count(), 2u) << "the failed task's callback";
  auto entries = calls->entries();
  for (const auto& entry : entries) {
    CF_CHECK_EQ("FUT-CB-3", entry.event.thread_token, test_thread)
        << "callback " << entry.id << " not run in the calling thread";
  }
  check_ran_when_done("FUT-CB-3", entries[0].event, Completion::kValue,
                      "the returned task's callback");
  check_ran_when_done("FUT-CB-3", entries[1].event, Completion::kError,
                      "the failed task's callback");
}

TEST_F(Conformance, FUT_CB_CancelledTaskRunsCallbackImmediately) {
  CF_REQUIRE(Cap::kDoneCallbacks, Cap::kCancel, Cap::kMaxWorkers);
  const auto test_thread = impl().thread_token();
  auto& ex = make_executor(1);
  HeldWorker worker(ex, lab);
  worker.hold();
  int log = lab.new_log();
  FuturePtr f;
  cancelled_queued(ex, log, kValue, &f);
  auto calls = std::make_shared<Calls>();
  f->add_done_callback(record(calls, 0));
  CF_ASSERT_EQ("FUT-CB-3", calls->count(), 1u) << "not run before add_done_callback() returned";
  auto event = calls->entries()[0].event;
  CF_CHECK_EQ("FUT-CB-3", event.thread_token, test_thread) << "not run in the calling thread";
  check_ran_when_done("FUT-CB-3", event, Completion::kCancel, "the callback");
  worker.finish();
  shutdown_and_wait(ex);
  CF_CHECK_EQ("FUT-CB-3", calls->count(), 1u)
      << "the executor ran the callback of a cancelled task again";
  CF_CHECK("EXEC-CANCEL-1", lab.log(log).empty()) << "a cancelled task ran";
}

// ---------------------------------------------------------------------------
// [FUT-CB-4] a throwing callback is logged and ignored.

// What escaped `op`, or nothing.
template <class Op>
std::optional<std::string> escaped(Op&& op) {
  try {
    op();
  } catch (const std::exception& e) {
    return std::string(e.what());
  } catch (...) {
    return std::string("an exception of unknown type");
  }
  return std::nullopt;
}

// Callbacks 0 and 2 record; callback 1 records, then throws `what`. Adding
// them lets nothing escape, even where they run at once [FUT-CB-4].
void add_with_thrower(Future& f, const CallsPtr& calls, const std::string& what) {
  auto escape = escaped([&] {
    f.add_done_callback(record(calls, 0));
    f.add_done_callback([calls, what](const CallbackEvent& event) {
      calls->add(1, event);
      throw std::runtime_error(what);
    });
    f.add_done_callback(record(calls, 2));
  });
  CF_CHECK("FUT-CB-4", !escape) << "add_done_callback() let an exception escape: "
                                << escape.value_or("");
}

// Whether add_with_thrower's throwing callback ran.
bool thrower_ran(Calls& calls) {
  const auto ids = calls.ids();
  return std::count(ids.begin(), ids.end(), 1) > 0;
}

// The outcome `got` is not the throwing callback's error [FUT-CB-4], and is
// the completion's (the clause of that read).
void check_outcome_kept(const Outcome& got, Completion c, const std::string& what,
                        const std::string& label) {
  CF_CHECK("FUT-CB-4", got.message.find(what) == std::string::npos)
      << label << ": the callback's exception became the outcome: " << to_string(got);
  check_outcome(outcome_clause(c), got, outcome_after(c), label + ": result() afterwards");
}

TEST_F(Conformance, FUT_CB_ThrowingCallbackDoesNotStopOthers) {
  CF_REQUIRE(Cap::kRawFuture, Cap::kDoneCallbacks, Cap::kCancel);
  const std::string what = "callback failure";
  for (Completion c : kAllCompletions) {
    auto f = impl().make_future();
    auto calls = std::make_shared<Calls>();
    add_with_thrower(*f, calls, what);
    bool ok = false;
    auto escape = escaped([&] { ok = complete(*f, c); });
    CF_CHECK("FUT-CB-4", !escape) << name(c) << " let an exception escape: " << escape.value_or("");
    CF_CHECK("FUT-CB-4", ok || escape)
        << name(c) << " reported the callback's exception as a refusal";
    check_thrower_kept_others(pending_clause(c), *calls, name(c));
    check_all_ran_when_done(pending_clause(c), *calls, c, name(c));
    check_outcome_kept(f->result(kLong), c, what, name(c));
  }
}

TEST_F(Conformance, FUT_CB_ThrowingCallbackOnDoneFutureIsIgnored) {
  CF_REQUIRE(Cap::kRawFuture, Cap::kDoneCallbacks);
  const std::string what = "late failure";
  auto f = impl().make_future();
  CF_PRECONDITION(accepting_clause(Completion::kValue), complete(*f, Completion::kValue));
  auto calls = std::make_shared<Calls>();
  add_with_thrower(*f, calls, what);
  check_thrower_kept_others("FUT-CB-3", *calls, "added once done");
  check_all_ran_when_done("FUT-CB-3", *calls, Completion::kValue);
  check_outcome_kept(f->result(kLong), Completion::kValue, what, "added once done");
}

TEST_F(Conformance, FUT_CB_ThrowingCallbackIsLogged) {
  CF_REQUIRE(Cap::kRawFuture, Cap::kDoneCallbacks, Cap::kCancel, Cap::kLogHook);
  impl().take_logged();  // only what this test causes
  auto logged = [&](const std::string& what) {
    for (const auto& line : impl().take_logged()) {
      if (line.find(what) != std::string::npos) return true;
    }
    return false;
  };
  for (Completion c : kAllCompletions) {
    auto f = impl().make_future();
    auto calls = std::make_shared<Calls>();
    std::string what = std::string("failure in a callback run by ") + name(c);
    add_with_thrower(*f, calls, what);
    CF_PRECONDITION(accepting_clause(c), complete(*f, c)) << name(c);
    // A throwing callback that never ran had nothing to log: that it did not
    // run is the completion's rule.
    const bool ran = thrower_ran(*calls);
    CF_CHECK(ran ? "FUT-CB-4" : pending_clause(c), ran && logged(what))
        << (ran ? "not logged: " : "the throwing callback did not run: ") << what;
  }
  auto f = impl().make_future();
  CF_PRECONDITION(accepting_clause(Completion::kValue), complete(*f, Completion::kValue));
  auto calls = std::make_shared<Calls>();
  add_with_thrower(*f, calls, "failure in a callback added late");
  const bool ran = thrower_ran(*calls);
  CF_CHECK(ran ? "FUT-CB-4" : "FUT-CB-3", ran && logged("failure in a callback added late"))
      << (ran ? "not logged" : "the throwing callback, added once done, did not run");
}

TEST_F(Conformance, FUT_CB_ThrowingTaskCallbackIsIgnored) {
  CF_REQUIRE(Cap::kDoneCallbacks);
  const std::string what = "failure in a task's callback";
  if (has(Cap::kLogHook)) impl().take_logged();
  auto& ex = make_executor(1);
  int gate = lab.new_gate();
  auto f = ex.submit(Probe::gated(gate, kValue));
  CF_PRECONDITION("EXEC-SUBMIT-1", lab.await_arrivals(gate, 1, kLong)) << "the task never started";
  auto calls = std::make_shared<Calls>();
  add_with_thrower(*f, calls, what);
  lab.open(gate);
  CF_ASSERT("FUT-CB-1", calls->await(1)) << "no callback ran";
  (void)calls->await(3);  // bounded; what ran is judged below
  check_thrower_kept_others("FUT-CB-1", *calls, "a task's callbacks");
  check_all_ran_when_done("FUT-CB-1", *calls, Completion::kValue);
  Outcome got = f->result(kLong);
  CF_CHECK("FUT-CB-4", got.message.find(what) == std::string::npos)
      << "the callback's exception became the outcome: " << to_string(got);
  CF_CHECK_VALUE("EXEC-SUBMIT-1", got, kValue);
  // The worker that ran the throwing callback still serves the executor.
  CF_CHECK_VALUE("FUT-CB-4", ex.submit(Probe::value_of(7))->result(kLong), 7);
  if (has(Cap::kLogHook)) {
    bool found = false;
    for (const auto& line : impl().take_logged())
      found = found || line.find(what) != std::string::npos;
    CF_CHECK("FUT-CB-4", found) << "the callback's exception was not logged";
  }
}

// ---------------------------------------------------------------------------
// [FUT-CB-5] a callback may use its own future.

// What a callback saw when it called back into its own future.
struct Reentry {
  std::mutex mutex;
  std::condition_variable changed;
  bool started = false;   // the callback was called
  bool finished = false;  // the callback returned
  CallbackEvent event;
  Outcome result;
  Outcome exception;
  bool done = false;
  bool cancel = false;
  std::int64_t nested_thread = 0;
  int nested_calls = 0;
};

// A callback that calls result(0s), exception(0s), done(), cancel() and
// add_done_callback() on `f`, the future it is attached to.
std::function<void(const CallbackEvent&)> reenter(const FuturePtr& f,
                                                  const std::shared_ptr<Reentry>& seen) {
  // A weak handle: the future owns this callback until it runs, and a cycle
  // would keep both alive if it never did.
  std::weak_ptr<Future> weak = f;
  return [weak, seen](const CallbackEvent& event) {
    {
      std::lock_guard lock(seen->mutex);
      seen->started = true;
      seen->event = event;
    }
    seen->changed.notify_all();
    auto self = weak.lock();
    if (!self) return;
    Outcome result = self->result(std::chrono::seconds(0));
    Outcome exception = self->exception(std::chrono::seconds(0));
    bool done = self->done();
    bool cancel = self->cancel();
    {
      std::lock_guard lock(seen->mutex);
      seen->result = result;
      seen->exception = exception;
      seen->done = done;
      seen->cancel = cancel;
    }
    self->add_done_callback([seen](const CallbackEvent& nested) {
      std::lock_guard lock(seen->mutex);
      seen->nested_thread = nested.thread_token;
      ++seen->nested_calls;
    });
    {
      std::lock_guard lock(seen->mutex);
      seen->finished = true;
    }
    seen->changed.notify_all();
  };
}

// Judges what a reenter() callback saw after completion `c`; `clause` is the
// rule that says when it runs, and (when given) in which thread.
void check_reentry(Reentry& seen, Completion c, const char* clause,
                   std::optional<std::int64_t> thread) {
  std::unique_lock lock(seen.mutex);
  // Bounded: a callback that deadlocked in its future never finishes.
  bool finished = seen.changed.wait_for(lock, kLong, [&] { return seen.finished; });
  CF_ASSERT(clause, seen.started) << "the callback never ran";
  CF_ASSERT("FUT-CB-5", finished)
      << "the callback did not run to its end: a call on its own future blocked";
  if (thread) {
    CF_CHECK_EQ(clause, seen.event.thread_token, *thread) << "the callback ran in another thread";
  }
  check_ran_when_done(clause, seen.event, c, "the callback");
  CF_CHECK(clause, seen.done) << "done() inside the callback was false";
  CF_CHECK(clause, !seen.result.is(Kind::kTimeout)) << "result(0s) inside the callback timed out";
  if (!seen.result.is(Kind::kTimeout)) {
    check_outcome(outcome_clause(c), seen.result, outcome_after(c),
                  "result(0s) inside the callback");
  }
  CF_CHECK(clause, !seen.exception.is(Kind::kTimeout))
      << "exception(0s) inside the callback timed out";
  if (!seen.exception.is(Kind::kTimeout)) {
    Outcome expected = c == Completion::kValue ? Outcome{} : outcome_after(c);
    check_outcome(c == Completion::kCancel ? "FUT-EXC-2" : "FUT-EXC-1", seen.exception, expected,
                  "exception(0s) inside the callback");
  }
  // cancel() from inside: true on a cancelled future, false on a finished one.
  if (c == Completion::kCancel) {
    CF_CHECK("FUT-CANCEL-4", seen.cancel) << "cancel() inside the callback of a cancelled future";
  } else {
    CF_CHECK("FUT-CANCEL-3", !seen.cancel) << "cancel() inside the callback of a finished future";
  }
  // The future is done, so the nested callback ran at once, in the same thread.
  CF_CHECK_EQ("FUT-CB-3", seen.nested_calls, 1) << "the callback added from inside a callback";
  CF_CHECK_EQ("FUT-CB-3", seen.nested_thread, seen.event.thread_token)
      << "the callback added from inside a callback ran in another thread";
}

TEST_F(Conformance, FUT_CB_CallbackMayUseItsFuture) {
  CF_REQUIRE(Cap::kRawFuture, Cap::kDoneCallbacks, Cap::kCancel, Cap::kResultTimeout,
             Cap::kStateQueries);
  for (Completion c : kAllCompletions) {
    auto f = impl().make_future();
    auto seen = std::make_shared<Reentry>();
    f->add_done_callback(reenter(f, seen));
    // The callback acts on its future: one run early would change the scene.
    bool early = [&] {
      std::lock_guard lock(seen->mutex);
      return seen->started;
    }();
    CF_ASSERT(pending_clause(c), !early) << name(c) << ": the callback ran before completion";
    auto completer = on_new_thread(
        lab, impl(), "FUT-CB-5", [f, c] { return complete(*f, c); },
        std::string(name(c)) + " with a callback using its future");
    if (!completer) return;
    CF_PRECONDITION(accepting_clause(c), completer->ok) << name(c);
    check_reentry(*seen, c, pending_clause(c), completer->token);
  }
}

TEST_F(Conformance, FUT_CB_LateCallbackMayUseItsFuture) {
  CF_REQUIRE(Cap::kRawFuture, Cap::kDoneCallbacks, Cap::kCancel, Cap::kResultTimeout,
             Cap::kStateQueries);
  for (Completion c : kAllCompletions) {
    auto f = impl().make_future();
    CF_PRECONDITION(accepting_clause(c), complete(*f, c)) << name(c);
    auto seen = std::make_shared<Reentry>();
    auto adder = on_new_thread(
        lab, impl(), "FUT-CB-5",
        [f, seen] {
          f->add_done_callback(reenter(f, seen));
          return true;
        },
        std::string("add_done_callback() on a future done by ") + name(c));
    if (!adder) return;
    check_reentry(*seen, c, "FUT-CB-3", adder->token);
  }
}

TEST_F(Conformance, FUT_CB_TaskCallbackMayUseItsFuture) {
  CF_REQUIRE(Cap::kDoneCallbacks, Cap::kResultTimeout, Cap::kStateQueries);
  auto& ex = make_executor(1);
  int gate = lab.new_gate();
  auto f = ex.submit(Probe::gated(gate, kValue));
  CF_PRECONDITION("EXEC-SUBMIT-1", lab.await_arrivals(gate, 1, kLong)) << "the task never started";
  auto seen = std::make_shared<Reentry>();
  f->add_done_callback(reenter(f, seen));
  lab.open(gate);
  CF_CHECK_VALUE("EXEC-SUBMIT-1", f->result(kLong), kValue);
  check_reentry(*seen, Completion::kValue, "FUT-CB-1", std::nullopt);
  shutdown_and_wait(ex);
}

// ---------------------------------------------------------------------------
// [FUT-CB-6] cancel() runs the callbacks in the cancelling thread.

TEST_F(Conformance, FUT_CB_CancelRunsCallbacksInCancellingThread) {
  CF_REQUIRE(Cap::kRawFuture, Cap::kDoneCallbacks, Cap::kCancel);
  const auto test_thread = impl().thread_token();
  auto f = impl().make_future();
  auto calls = std::make_shared<Calls>();
  for (int id = 0; id < 3; ++id) f->add_done_callback(record(calls, id));
  CF_PRECONDITION("FUT-CANCEL-1", f->cancel()) << "cancel() of a pending future";
  // Already called, with no waiting: before cancel() returned.
  CF_CHECK_EQ("FUT-CB-6", calls->count(), 3u) << "cancel() returned before its callbacks ran";
  check_each_once_in_order("FUT-CB-6", *calls, 3, "cancel()");
  for (const auto& entry : calls->entries()) {
    CF_CHECK_EQ("FUT-CB-6", entry.event.thread_token, test_thread)
        << "callback " << entry.id << " not run in the cancelling thread";
  }
  check_all_ran_when_done("FUT-CB-6", *calls, Completion::kCancel);
}

TEST_F(Conformance, FUT_CB_CancelFromAnotherThreadRunsCallbacksThere) {
  CF_REQUIRE(Cap::kRawFuture, Cap::kDoneCallbacks, Cap::kCancel);
  auto f = impl().make_future();
  auto calls = std::make_shared<Calls>();
  for (int id = 0; id < 3; ++id) f->add_done_callback(record(calls, id));
  auto seen_on_return = std::make_shared<std::atomic<std::size_t>>(0);
  auto canceller = on_new_thread(
      lab, impl(), "FUT-CB-6",
      [f, calls, seen_on_return] {
        bool ok = f->cancel();
        *seen_on_return = calls->count();
        return ok;
      },
      "cancel() on another thread");
  if (!canceller) return;
  CF_PRECONDITION("FUT-CANCEL-1", canceller->ok) << "cancel() of a pending future";
  CF_CHECK_EQ("FUT-CB-6", seen_on_return->load(), 3u)
      << "cancel() returned before its callbacks ran";
  for (const auto& entry : calls->entries()) {
    CF_CHECK_EQ("FUT-CB-6", entry.event.thread_token, canceller->token)
        << "callback " << entry.id << " not run in the cancelling thread";
  }
  check_all_ran_when_done("FUT-CB-6", *calls, Completion::kCancel);
}

TEST_F(Conformance, FUT_CB_CancelOfQueuedTaskRunsCallbacksInCancellingThread) {
  CF_REQUIRE(Cap::kDoneCallbacks, Cap::kCancel, Cap::kMaxWorkers);
  const auto test_thread = impl().thread_token();
  auto& ex = make_executor(1);
  HeldWorker worker(ex, lab);
  worker.hold();
  auto [f, calls] = queued_with_callback(ex, "FUT-CB-6", "the cancel");
  CF_PRECONDITION("FUT-CANCEL-1", f->cancel()) << "cancel() of a queued task";
  CF_ASSERT_EQ("FUT-CB-6", calls->count(), 1u) << "cancel() returned before its callback ran";
  auto event = calls->entries()[0].event;
  CF_CHECK_EQ("FUT-CB-6", event.thread_token, test_thread) << "not run in the cancelling thread";
  check_ran_when_done("FUT-CB-6", event, Completion::kCancel, "the callback");
  worker.finish();
  shutdown_and_wait(ex);
  // The executor skipped the cancelled task without completing it again.
  CF_CHECK_EQ("FUT-CB-1", calls->count(), 1u)
      << "the callback ran again when the executor reached the task";
}

// A refused cancel() completes nothing, so it runs no callbacks; the producer's
// completion later runs them, once.
TEST_F(Conformance, FUT_CB_RefusedCancelRunsNoCallbacks) {
  CF_REQUIRE(Cap::kRawFuture, Cap::kDoneCallbacks, Cap::kCancel);
  auto f = make_in(impl(), State::kRunning);
  auto calls = std::make_shared<Calls>();
  f->add_done_callback(record(calls, 0));
  CF_CHECK("FUT-CANCEL-2", !f->cancel()) << "cancel() of a running future";
  CF_CHECK_EQ("FUT-CB-1", calls->count(), 0u) << "a refused cancel() ran the callback";
  CF_PRECONDITION(accepting_clause(Completion::kValue, State::kRunning),
                  complete(*f, Completion::kValue));
  CF_CHECK_EQ("FUT-CB-1", calls->ids(), (Values{0})) << "at the completion";
  check_all_ran_when_done("FUT-CB-1", *calls, Completion::kValue);
  CF_CHECK("FUT-CANCEL-3", !f->cancel()) << "cancel() of a finished future";
  CF_CHECK_EQ("FUT-CB-1", calls->count(), 1u)
      << "a refused cancel() of a finished future ran the callback again";
}

}  // namespace
}  // namespace cf::conformance
