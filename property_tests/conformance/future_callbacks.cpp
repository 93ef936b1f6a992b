// Done-callbacks [FUT-CB-1..6]: how often, in which order and in which thread
// they run, what a throwing one does, and that they may use their own future.
//
// A callback records the CallbackEvent the adapter hands it (the calling
// thread's token, done(), cancelled(), result(0s) as seen inside it). The
// test thread's token and the token of a thread the test starts to complete
// a future (impl().thread_token() read inside it) say where a callback ran.
// Completions on a helper thread are bounded: a completion that deadlocks
// fails the test instead of hanging it.
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
#include <thread>
#include <utility>
#include <vector>

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

// What result(0s) inside a callback sees after completion `c`.
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
  std::vector<int> ids() {
    std::vector<int> out;
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

std::vector<int> iota(int from, int to) {
  std::vector<int> out;
  for (int i = from; i < to; ++i) out.push_back(i);
  return out;
}

// Runs `op` on a new thread and reports that thread's token. A thread that
// does not finish within kLong (a deadlock) is abandoned and reported, so the
// test fails rather than hangs; everything `op` uses must be owned by it.
struct OnThread {
  bool finished = false;
  std::int64_t token = 0;
};
OnThread run_on_new_thread(Implementation& impl, std::function<void()> op) {
  struct Shared {
    std::mutex mutex;
    std::condition_variable changed;
    bool finished = false;
    std::int64_t token = 0;
  };
  auto shared = std::make_shared<Shared>();
  std::thread thread([shared, &impl, op = std::move(op)] {
    auto token = impl.thread_token();
    {
      std::lock_guard lock(shared->mutex);
      shared->token = token;
    }
    op();
    {
      std::lock_guard lock(shared->mutex);
      shared->finished = true;
    }
    shared->changed.notify_all();
  });
  std::unique_lock lock(shared->mutex);
  bool finished = shared->changed.wait_for(lock, kLong, [&] { return shared->finished; });
  OnThread out{finished, shared->token};
  lock.unlock();
  if (finished) {
    thread.join();
  } else {
    thread.detach();
  }
  return out;
}

// Runs `op`, failing the test if an exception escapes it.
template <class Op>
void expect_no_throw(const char* what, Op&& op) {
  try {
    op();
  } catch (const std::exception& e) {
    ADD_FAILURE() << what << " let an exception escape: " << e.what();
  } catch (...) {
    ADD_FAILURE() << what << " let an exception escape";
  }
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

bool has(Caps caps, Cap cap) { return caps & static_cast<Caps>(cap); }

// ---------------------------------------------------------------------------
// [FUT-CB-1] once, in the completing thread.

TEST_F(Conformance, FUT_CB_PendingCallbackRunsOnceInCompletingThread) {
  CF_CLAUSES("FUT-CB-1");
  CF_REQUIRE(Cap::kRawFuture, Cap::kDoneCallbacks, Cap::kCancel);
  const auto test_thread = impl().thread_token();
  struct Row {
    bool running;  // set_running_or_notify_cancel() before the callback is added
    Completion completion;
  };
  const Row table[] = {{false, Completion::kValue},
                       {false, Completion::kError},
                       {false, Completion::kCancel},
                       {true, Completion::kValue},
                       {true, Completion::kError}};
  for (const Row& row : table) {
    SCOPED_TRACE(std::string(row.running ? "RUNNING" : "PENDING") + ", " + name(row.completion));
    auto f = impl().make_future();
    if (row.running) CF_EXPECT_VALUE(f->set_running_or_notify_cancel(), 1);
    auto calls = std::make_shared<Calls>();
    f->add_done_callback(record(calls, 0));
    EXPECT_EQ(calls->count(), 0u) << "a callback ran before completion";
    auto ok = std::make_shared<std::atomic<bool>>(false);
    auto completer =
        run_on_new_thread(impl(), [f, ok, c = row.completion] { *ok = complete(*f, c); });
    ASSERT_TRUE(completer.finished) << "the completion did not return (deadlock?)";
    EXPECT_TRUE(*ok) << "the completion was refused";
    ASSERT_TRUE(calls->await(1));
    auto entries = calls->entries();
    ASSERT_EQ(entries.size(), 1u);
    const auto& event = entries[0].event;
    EXPECT_EQ(event.thread_token, completer.token) << "not run in the completing thread";
    EXPECT_NE(event.thread_token, test_thread);
    EXPECT_TRUE(event.done);
    EXPECT_EQ(event.cancelled, row.completion == Completion::kCancel);
    EXPECT_TRUE(matches(event.result, outcome_after(row.completion)));

    // Exactly once: nothing done to the future afterwards runs it again.
    f->cancel();
    f->set_result(1);
    f->set_exception("late");
    f->add_done_callback(record(calls, 1));
    EXPECT_EQ(calls->ids(), (std::vector<int>{0, 1}));
  }
}

TEST_F(Conformance, FUT_CB_RunningTaskCallbackRunsOnceAtCompletion) {
  CF_CLAUSES("FUT-CB-1");
  CF_REQUIRE(Cap::kDoneCallbacks);
  const auto test_thread = impl().thread_token();
  auto& ex = make_executor(2);
  int gate = lab.new_gate();
  auto ok = ex.submit(Probe::gated(gate, kValue));
  auto failed = ex.submit(Probe().gate(gate).raises(kError));
  ASSERT_TRUE(lab.await_arrivals(gate, 2, kLong));
  auto calls = std::make_shared<Calls>();
  ok->add_done_callback(record(calls, 0));
  failed->add_done_callback(record(calls, 1));
  EXPECT_EQ(calls->count(), 0u) << "a callback ran before completion";
  lab.open(gate);
  ASSERT_TRUE(calls->await(2));
  ex.shutdown(true, false);
  auto entries = calls->entries();
  ASSERT_EQ(entries.size(), 2u) << "a callback ran more than once";
  for (const auto& entry : entries) {
    SCOPED_TRACE(entry.id == 0 ? "returning task" : "failing task");
    // The executor completed the future; the test thread only waited.
    EXPECT_NE(entry.event.thread_token, test_thread);
    EXPECT_TRUE(entry.event.done);
    EXPECT_FALSE(entry.event.cancelled);
    EXPECT_TRUE(matches(entry.event.result,
                        outcome_after(entry.id == 0 ? Completion::kValue : Completion::kError)));
  }
}

TEST_F(Conformance, FUT_CB_QueuedTaskCallbackRunsOnceAtCompletion) {
  CF_CLAUSES("FUT-CB-1");
  CF_REQUIRE(Cap::kDoneCallbacks, Cap::kMaxWorkers);
  const auto test_thread = impl().thread_token();
  auto& ex = make_executor(1);
  HeldWorker worker(ex, lab);
  ASSERT_TRUE(worker.held());
  auto f = ex.submit(Probe::value_of(kValue));
  auto calls = std::make_shared<Calls>();
  f->add_done_callback(record(calls, 0));
  worker.finish();
  CF_EXPECT_VALUE(f->result(kLong), kValue);
  ASSERT_TRUE(calls->await(1));
  ex.shutdown(true, false);
  auto entries = calls->entries();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_NE(entries[0].event.thread_token, test_thread);
  EXPECT_TRUE(matches(entries[0].event.result, Outcome::of_value(kValue)));
}

// ---------------------------------------------------------------------------
// [FUT-CB-2] registration order.

TEST_F(Conformance, FUT_CB_CallbacksRunInRegistrationOrder) {
  CF_CLAUSES("FUT-CB-2");
  CF_REQUIRE(Cap::kRawFuture, Cap::kDoneCallbacks, Cap::kCancel);
  for (Completion c : kAllCompletions) {
    SCOPED_TRACE(name(c));
    auto f = impl().make_future();
    auto calls = std::make_shared<Calls>();
    for (int id = 0; id < 10; ++id) f->add_done_callback(record(calls, id));
    ASSERT_TRUE(complete(*f, c));
    ASSERT_TRUE(calls->await(10));
    EXPECT_EQ(calls->ids(), iota(0, 10));
  }
}

TEST_F(Conformance, FUT_CB_TaskCallbacksRunInRegistrationOrder) {
  CF_CLAUSES("FUT-CB-2");
  CF_REQUIRE(Cap::kDoneCallbacks);
  auto& ex = make_executor(1);
  int gate = lab.new_gate();
  auto f = ex.submit(Probe::gated(gate, kValue));
  ASSERT_TRUE(lab.await_arrivals(gate, 1, kLong));
  auto calls = std::make_shared<Calls>();
  for (int id = 0; id < 10; ++id) f->add_done_callback(record(calls, id));
  lab.open(gate);
  ASSERT_TRUE(calls->await(10));
  ex.shutdown(true, false);
  EXPECT_EQ(calls->ids(), iota(0, 10));
}

// Callbacks queued before completion run first, then each one added later runs
// as it is added: one order overall.
TEST_F(Conformance, FUT_CB_OrderKeptAcrossCompletion) {
  CF_CLAUSES("FUT-CB-2", "FUT-CB-3");
  CF_REQUIRE(Cap::kRawFuture, Cap::kDoneCallbacks);
  auto f = impl().make_future();
  auto calls = std::make_shared<Calls>();
  for (int id = 0; id < 5; ++id) f->add_done_callback(record(calls, id));
  ASSERT_TRUE(complete(*f, Completion::kValue));
  for (int id = 5; id < 10; ++id) f->add_done_callback(record(calls, id));
  EXPECT_EQ(calls->ids(), iota(0, 10));
}

// ---------------------------------------------------------------------------
// [FUT-CB-3] a done future runs a new callback at once, in the caller.

TEST_F(Conformance, FUT_CB_DoneFutureRunsCallbackImmediately) {
  CF_CLAUSES("FUT-CB-3");
  CF_REQUIRE(Cap::kRawFuture, Cap::kDoneCallbacks, Cap::kCancel);
  const auto test_thread = impl().thread_token();
  for (Completion c : kAllCompletions) {
    SCOPED_TRACE(std::string("done by ") + name(c));
    auto f = impl().make_future();
    ASSERT_TRUE(complete(*f, c));
    auto calls = std::make_shared<Calls>();
    for (int id = 0; id < 3; ++id) {
      f->add_done_callback(record(calls, id));
      // Already called, with no waiting: before add_done_callback returned.
      ASSERT_EQ(calls->count(), static_cast<std::size_t>(id + 1));
    }
    EXPECT_EQ(calls->ids(), iota(0, 3)) << "each callback runs once, when added";
    for (const auto& entry : calls->entries()) {
      EXPECT_EQ(entry.event.thread_token, test_thread) << "not run in the calling thread";
      EXPECT_TRUE(entry.event.done);
      EXPECT_EQ(entry.event.cancelled, c == Completion::kCancel);
      EXPECT_TRUE(matches(entry.event.result, outcome_after(c)));
    }
  }
}

TEST_F(Conformance, FUT_CB_FinishedTaskRunsCallbackImmediately) {
  CF_CLAUSES("FUT-CB-3");
  CF_REQUIRE(Cap::kDoneCallbacks);
  const auto test_thread = impl().thread_token();
  auto& ex = make_executor(2);
  auto ok = ex.submit(Probe::value_of(kValue));
  auto failed = ex.submit(Probe::failure(kError));
  CF_EXPECT_VALUE(ok->result(kLong), kValue);
  CF_EXPECT_OUTCOME(failed->result(kLong), Kind::kTaskError);
  auto calls = std::make_shared<Calls>();
  ok->add_done_callback(record(calls, 0));
  ASSERT_EQ(calls->count(), 1u);
  failed->add_done_callback(record(calls, 1));
  ASSERT_EQ(calls->count(), 2u);
  auto entries = calls->entries();
  for (const auto& entry : entries) EXPECT_EQ(entry.event.thread_token, test_thread);
  EXPECT_TRUE(matches(entries[0].event.result, outcome_after(Completion::kValue)));
  EXPECT_TRUE(matches(entries[1].event.result, outcome_after(Completion::kError)));
}

TEST_F(Conformance, FUT_CB_CancelledTaskRunsCallbackImmediately) {
  CF_CLAUSES("FUT-CB-3");
  CF_REQUIRE(Cap::kDoneCallbacks, Cap::kCancel, Cap::kMaxWorkers);
  const auto test_thread = impl().thread_token();
  auto& ex = make_executor(1);
  HeldWorker worker(ex, lab);
  ASSERT_TRUE(worker.held());
  auto f = ex.submit(Probe::value_of(kValue));
  ASSERT_TRUE(f->cancel());
  auto calls = std::make_shared<Calls>();
  f->add_done_callback(record(calls, 0));
  ASSERT_EQ(calls->count(), 1u);
  auto event = calls->entries()[0].event;
  EXPECT_EQ(event.thread_token, test_thread);
  EXPECT_TRUE(event.cancelled);
  EXPECT_TRUE(matches(event.result, Outcome::error(Kind::kCancelled)));
  worker.finish();
  ex.shutdown(true, false);
  EXPECT_EQ(calls->count(), 1u) << "the executor ran the callback of a cancelled task again";
}

// ---------------------------------------------------------------------------
// [FUT-CB-4] a throwing callback is logged and ignored.

// Callbacks 0 and 2 record; callback 1 records, then throws.
void add_with_thrower(Future& f, const CallsPtr& calls, const std::string& what) {
  f.add_done_callback(record(calls, 0));
  f.add_done_callback([calls, what](const CallbackEvent& event) {
    calls->add(1, event);
    throw std::runtime_error(what);
  });
  f.add_done_callback(record(calls, 2));
}

TEST_F(Conformance, FUT_CB_ThrowingCallbackDoesNotStopOthers) {
  CF_CLAUSES("FUT-CB-4");
  CF_REQUIRE(Cap::kRawFuture, Cap::kDoneCallbacks, Cap::kCancel);
  for (Completion c : kAllCompletions) {
    SCOPED_TRACE(name(c));
    auto f = impl().make_future();
    auto calls = std::make_shared<Calls>();
    add_with_thrower(*f, calls, "callback failure");
    bool ok = false;
    expect_no_throw(name(c), [&] { ok = complete(*f, c); });
    EXPECT_TRUE(ok) << "the completion reported the callback's exception";
    EXPECT_EQ(calls->ids(), iota(0, 3));
    // The outcome is the completion's, not the callback's error.
    EXPECT_TRUE(matches(f->result(kLong), outcome_after(c)));
  }
}

TEST_F(Conformance, FUT_CB_ThrowingCallbackOnDoneFutureIsIgnored) {
  CF_CLAUSES("FUT-CB-4", "FUT-CB-3");
  CF_REQUIRE(Cap::kRawFuture, Cap::kDoneCallbacks);
  auto f = impl().make_future();
  ASSERT_TRUE(complete(*f, Completion::kValue));
  auto calls = std::make_shared<Calls>();
  expect_no_throw("add_done_callback", [&] { add_with_thrower(*f, calls, "late failure"); });
  EXPECT_EQ(calls->ids(), iota(0, 3));
  CF_EXPECT_VALUE(f->result(kLong), kValue);
}

TEST_F(Conformance, FUT_CB_ThrowingCallbackIsLogged) {
  CF_CLAUSES("FUT-CB-4");
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
    ASSERT_TRUE(complete(*f, c));
    EXPECT_TRUE(logged(what)) << "not logged: " << what;
  }
  auto f = impl().make_future();
  ASSERT_TRUE(complete(*f, Completion::kValue));
  auto calls = std::make_shared<Calls>();
  add_with_thrower(*f, calls, "failure in a callback added late");
  EXPECT_TRUE(logged("failure in a callback added late"));
}

TEST_F(Conformance, FUT_CB_ThrowingTaskCallbackIsIgnored) {
  CF_CLAUSES("FUT-CB-4");
  CF_REQUIRE(Cap::kDoneCallbacks);
  if (has(caps(), Cap::kLogHook)) impl().take_logged();
  auto& ex = make_executor(1);
  int gate = lab.new_gate();
  auto f = ex.submit(Probe::gated(gate, kValue));
  ASSERT_TRUE(lab.await_arrivals(gate, 1, kLong));
  auto calls = std::make_shared<Calls>();
  add_with_thrower(*f, calls, "failure in a task's callback");
  lab.open(gate);
  ASSERT_TRUE(calls->await(3));
  EXPECT_EQ(calls->ids(), iota(0, 3));
  CF_EXPECT_VALUE(f->result(kLong), kValue);
  // The worker that ran the throwing callback still serves the executor.
  CF_EXPECT_VALUE(ex.submit(Probe::value_of(7))->result(kLong), 7);
  if (has(caps(), Cap::kLogHook)) {
    bool found = false;
    for (const auto& line : impl().take_logged()) {
      found = found || line.find("failure in a task's callback") != std::string::npos;
    }
    EXPECT_TRUE(found) << "the callback's exception was not logged";
  }
}

// ---------------------------------------------------------------------------
// [FUT-CB-5] a callback may use its own future.

// What a callback saw when it called back into its own future.
struct Reentry {
  std::mutex mutex;
  std::condition_variable finished_changed;
  bool finished = false;  // the callback returned
  bool ran = false;
  Outcome result;
  Outcome exception;
  bool done = false;
  bool cancel = false;
  std::int64_t thread = 0;
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
    auto self = weak.lock();
    if (!self) return;
    Outcome result = self->result(std::chrono::seconds(0));
    Outcome exception = self->exception(std::chrono::seconds(0));
    bool done = self->done();
    bool cancel = self->cancel();
    {
      std::lock_guard lock(seen->mutex);
      seen->ran = true;
      seen->result = result;
      seen->exception = exception;
      seen->done = done;
      seen->cancel = cancel;
      seen->thread = event.thread_token;
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
    seen->finished_changed.notify_all();
  };
}

void expect_reentry(Reentry& seen, Completion c) {
  std::unique_lock lock(seen.mutex);
  // Bounded: a callback that deadlocked in its future never finishes.
  ASSERT_TRUE(seen.finished_changed.wait_for(lock, kLong, [&] { return seen.finished; }))
      << "the callback did not run to its end";
  ASSERT_TRUE(seen.ran);
  EXPECT_TRUE(matches(seen.result, outcome_after(c)));
  Outcome exception = c == Completion::kValue ? Outcome{} : outcome_after(c);
  EXPECT_TRUE(matches(seen.exception, exception));
  EXPECT_TRUE(seen.done);
  // cancel() from inside: true on a cancelled future, false on a finished one.
  EXPECT_EQ(seen.cancel, c == Completion::kCancel);
  // The future is done, so the nested callback ran at once, in the same thread.
  EXPECT_EQ(seen.nested_calls, 1);
  EXPECT_EQ(seen.nested_thread, seen.thread);
}

TEST_F(Conformance, FUT_CB_CallbackMayUseItsFuture) {
  CF_CLAUSES("FUT-CB-5");
  CF_REQUIRE(Cap::kRawFuture, Cap::kDoneCallbacks, Cap::kCancel, Cap::kResultTimeout,
             Cap::kStateQueries);
  for (Completion c : kAllCompletions) {
    SCOPED_TRACE(name(c));
    auto f = impl().make_future();
    auto seen = std::make_shared<Reentry>();
    f->add_done_callback(reenter(f, seen));
    auto completer = run_on_new_thread(impl(), [f, c] { complete(*f, c); });
    ASSERT_TRUE(completer.finished) << "the completion deadlocked in its callback";
    expect_reentry(*seen, c);
    EXPECT_EQ(seen->thread, completer.token);
  }
}

TEST_F(Conformance, FUT_CB_LateCallbackMayUseItsFuture) {
  CF_CLAUSES("FUT-CB-5", "FUT-CB-3");
  CF_REQUIRE(Cap::kRawFuture, Cap::kDoneCallbacks, Cap::kCancel, Cap::kResultTimeout,
             Cap::kStateQueries);
  for (Completion c : kAllCompletions) {
    SCOPED_TRACE(name(c));
    auto f = impl().make_future();
    ASSERT_TRUE(complete(*f, c));
    auto seen = std::make_shared<Reentry>();
    auto adder = run_on_new_thread(impl(), [f, seen] { f->add_done_callback(reenter(f, seen)); });
    ASSERT_TRUE(adder.finished) << "add_done_callback deadlocked in its callback";
    expect_reentry(*seen, c);
    EXPECT_EQ(seen->thread, adder.token);
  }
}

TEST_F(Conformance, FUT_CB_TaskCallbackMayUseItsFuture) {
  CF_CLAUSES("FUT-CB-5");
  CF_REQUIRE(Cap::kDoneCallbacks, Cap::kResultTimeout, Cap::kStateQueries);
  auto& ex = make_executor(1);
  int gate = lab.new_gate();
  auto f = ex.submit(Probe::gated(gate, kValue));
  ASSERT_TRUE(lab.await_arrivals(gate, 1, kLong));
  auto seen = std::make_shared<Reentry>();
  f->add_done_callback(reenter(f, seen));
  lab.open(gate);
  CF_EXPECT_VALUE(f->result(kLong), kValue);
  expect_reentry(*seen, Completion::kValue);
  ex.shutdown(true, false);
}

// ---------------------------------------------------------------------------
// [FUT-CB-6] cancel() runs the callbacks in the cancelling thread.

TEST_F(Conformance, FUT_CB_CancelRunsCallbacksInCancellingThread) {
  CF_CLAUSES("FUT-CB-6");
  CF_REQUIRE(Cap::kRawFuture, Cap::kDoneCallbacks, Cap::kCancel);
  const auto test_thread = impl().thread_token();
  auto f = impl().make_future();
  auto calls = std::make_shared<Calls>();
  for (int id = 0; id < 3; ++id) f->add_done_callback(record(calls, id));
  ASSERT_TRUE(f->cancel());
  // Already called, with no waiting: before cancel() returned.
  EXPECT_EQ(calls->ids(), iota(0, 3));
  for (const auto& entry : calls->entries()) {
    EXPECT_EQ(entry.event.thread_token, test_thread);
    EXPECT_TRUE(entry.event.cancelled);
    EXPECT_TRUE(matches(entry.event.result, Outcome::error(Kind::kCancelled)));
  }
}

TEST_F(Conformance, FUT_CB_CancelFromAnotherThreadRunsCallbacksThere) {
  CF_CLAUSES("FUT-CB-6");
  CF_REQUIRE(Cap::kRawFuture, Cap::kDoneCallbacks, Cap::kCancel);
  auto f = impl().make_future();
  auto calls = std::make_shared<Calls>();
  for (int id = 0; id < 3; ++id) f->add_done_callback(record(calls, id));
  auto seen_on_return = std::make_shared<std::atomic<std::size_t>>(0);
  auto canceller = run_on_new_thread(impl(), [f, calls, seen_on_return] {
    if (f->cancel()) *seen_on_return = calls->count();
  });
  ASSERT_TRUE(canceller.finished);
  EXPECT_EQ(*seen_on_return, 3u) << "cancel() returned before its callbacks ran";
  for (const auto& entry : calls->entries()) EXPECT_EQ(entry.event.thread_token, canceller.token);
}

TEST_F(Conformance, FUT_CB_CancelOfQueuedTaskRunsCallbacksInCancellingThread) {
  CF_CLAUSES("FUT-CB-6");
  CF_REQUIRE(Cap::kDoneCallbacks, Cap::kCancel, Cap::kMaxWorkers);
  const auto test_thread = impl().thread_token();
  auto& ex = make_executor(1);
  HeldWorker worker(ex, lab);
  ASSERT_TRUE(worker.held());
  auto f = ex.submit(Probe::value_of(kValue));
  auto calls = std::make_shared<Calls>();
  f->add_done_callback(record(calls, 0));
  ASSERT_TRUE(f->cancel());
  ASSERT_EQ(calls->count(), 1u) << "cancel() returned before its callback ran";
  EXPECT_EQ(calls->entries()[0].event.thread_token, test_thread);
  worker.finish();
  ex.shutdown(true, false);
  // The executor skipped the cancelled task without completing it again.
  EXPECT_EQ(calls->count(), 1u);
}

// A refused cancel() completes nothing, so it runs no callbacks; the producer's
// completion later runs them, once.
TEST_F(Conformance, FUT_CB_RefusedCancelRunsNoCallbacks) {
  CF_CLAUSES("FUT-CB-6", "FUT-CB-1");
  CF_REQUIRE(Cap::kRawFuture, Cap::kDoneCallbacks, Cap::kCancel);
  auto f = impl().make_future();
  CF_EXPECT_VALUE(f->set_running_or_notify_cancel(), 1);
  auto calls = std::make_shared<Calls>();
  f->add_done_callback(record(calls, 0));
  EXPECT_FALSE(f->cancel());
  EXPECT_EQ(calls->count(), 0u);
  ASSERT_TRUE(complete(*f, Completion::kValue));
  EXPECT_EQ(calls->ids(), (std::vector<int>{0}));
  EXPECT_FALSE(f->cancel());
  EXPECT_EQ(calls->count(), 1u);
}

}  // namespace
}  // namespace cf::conformance
