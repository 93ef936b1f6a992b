// RapidCheck properties of the future's state machine [FUT-*].
//
// The example tests (conformance/future_*.cpp) check each cell of SPEC.md's
// state table once; these randomise. The model is the table itself: a few
// lines per operation saying what it returns and which state it leaves. Any
// sequence of producer and consumer operations on a raw future must agree
// with it step by step, and the callback rules (once, in order, in the
// completing thread, at once when added late) must hold along the way.
// Calls that could block run on a helper thread with a bound, so a broken
// implementation fails a property rather than hanging it.
#include <barrier>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "harness/suite.hpp"
#include "properties/support.hpp"
// After GoogleTest, which rapidcheck/gtest.h expects to be declared.
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

namespace cf::conformance {
namespace {

using Kind = Outcome::Kind;
using props::accepted;
using props::seen;

// Delimited, so that no message contains another ("error <1>", "error <10>").
std::string error_message(std::int64_t n) { return "error <" + std::to_string(n) + ">"; }

// ---------------------------------------------------------------------------
// The model: SPEC.md's state table as code.

class Model {
 public:
  enum class State { kPending, kRunning, kCancelled, kFinished };

  State state() const { return state_; }
  bool done() const { return state_ == State::kCancelled || state_ == State::kFinished; }

  // Each returns what the operation must return, and moves the model on.
  bool cancel() {
    if (state_ == State::kPending) complete(State::kCancelled);
    return state_ == State::kCancelled;  // [FUT-CANCEL-1..4]
  }
  Outcome set_running_or_notify_cancel() {
    switch (state_) {
      case State::kPending:
        state_ = State::kRunning;
        return Outcome::of_value(1);  // [FUT-STATE-2]
      case State::kCancelled:
        return Outcome::of_value(0);  // [FUT-SET-1]
      default:
        return Outcome::error(Kind::kInvalidState);  // [FUT-SET-2]
    }
  }
  // nullopt: accepted [FUT-SET-5] [FUT-STATE-3]; else InvalidStateError [FUT-SET-3/4].
  std::optional<Outcome> set_result(std::int64_t v) {
    if (done()) return Outcome::error(Kind::kInvalidState);
    outcome_ = Outcome::of_value(v);
    complete(State::kFinished);
    return std::nullopt;
  }
  std::optional<Outcome> set_exception(std::int64_t n) {
    if (done()) return Outcome::error(Kind::kInvalidState);
    outcome_ = Outcome::error(Kind::kTaskError, error_message(n));
    complete(State::kFinished);
    return std::nullopt;
  }
  // result(0s) [FUT-RESULT-1..3] [FUT-RESULT-6].
  Outcome result() const {
    if (!done()) return Outcome::error(Kind::kTimeout);
    if (state_ == State::kCancelled) return Outcome::error(Kind::kCancelled);
    return outcome_;
  }
  // exception(0s) [FUT-EXC-1..3].
  Outcome exception() const {
    Outcome r = result();
    return r.is(Kind::kValue) ? Outcome{} : r;
  }
  // The callback ids expected to have run, in order [FUT-CB-1..3] [FUT-CB-6].
  void add_callback(int id) {
    if (done()) {
      ran_.push_back(id);
    } else {
      queued_.push_back(id);
    }
  }
  const std::vector<int>& ran() const { return ran_; }

 private:
  void complete(State s) {
    state_ = s;
    ran_.insert(ran_.end(), queued_.begin(), queued_.end());
    queued_.clear();
  }
  State state_ = State::kPending;
  Outcome outcome_;
  std::vector<int> queued_;
  std::vector<int> ran_;
};

// ---------------------------------------------------------------------------
// Helpers.

// Callback calls, as they happened.
class Calls {
 public:
  struct Entry {
    int id;
    CallbackEvent event;
  };
  std::function<void(const CallbackEvent&)> record(int id) {
    return [this, id](const CallbackEvent& event) {
      std::lock_guard lock(mutex_);
      entries_.push_back({id, event});
    };
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

 private:
  std::mutex mutex_;
  std::vector<Entry> entries_;
};

// Runs `call` on a new thread and waits for it up to `limit`; nullopt if it
// did not return (its thread is then abandoned, with shared state only).
std::optional<Outcome> bounded(std::function<Outcome()> call, std::chrono::nanoseconds limit) {
  struct Shared {
    std::mutex mutex;
    std::condition_variable changed;
    std::optional<Outcome> outcome;
  };
  auto shared = std::make_shared<Shared>();
  std::thread thread([shared, call = std::move(call)] {
    Outcome o = call();
    {
      std::lock_guard lock(shared->mutex);
      shared->outcome = std::move(o);
    }
    shared->changed.notify_all();
  });
  std::unique_lock lock(shared->mutex);
  shared->changed.wait_for(lock, limit, [&] { return shared->outcome.has_value(); });
  auto out = shared->outcome;
  lock.unlock();
  if (out) {
    thread.join();
  } else {
    thread.detach();
  }
  return out;
}

enum class Completion { kValue, kError, kCancel };

// Completes `f` and `model` alike with `value` (or error_message(value)).
void complete_both(Future& f, Model& model, Completion c, std::int64_t value) {
  switch (c) {
    case Completion::kValue:
      f.set_result(value);
      model.set_result(value);
      break;
    case Completion::kError:
      f.set_exception(error_message(value));
      model.set_exception(value);
      break;
    case Completion::kCancel:
      f.cancel();
      model.cancel();
      break;
  }
}

std::ostream& operator<<(std::ostream& os, Completion c) {
  return os << (c == Completion::kValue   ? "set_result"
                : c == Completion::kError ? "set_exception"
                                          : "cancel");
}

// ---------------------------------------------------------------------------
// Random operation sequences against the model.

enum class OpKind {
  kCancel,
  kSetRunning,
  kSetResult,
  kSetException,
  kResultPoll,
  kExceptionPoll,
  kQueries,
  kAddCallback,
};

struct Op {
  OpKind kind = OpKind::kQueries;
  std::int64_t arg = 0;
};

std::ostream& operator<<(std::ostream& os, const Op& op) {
  switch (op.kind) {
    case OpKind::kCancel:
      return os << "cancel()";
    case OpKind::kSetRunning:
      return os << "set_running_or_notify_cancel()";
    case OpKind::kSetResult:
      return os << "set_result(" << op.arg << ")";
    case OpKind::kSetException:
      return os << "set_exception(\"" << error_message(op.arg) << "\")";
    case OpKind::kResultPoll:
      return os << "result(0s)";
    case OpKind::kExceptionPoll:
      return os << "exception(0s)";
    case OpKind::kQueries:
      return os << "running()/cancelled()/done()";
    case OpKind::kAddCallback:
      return os << "add_done_callback()";
  }
  return os;
}

rc::Gen<Op> gen_op() {
  return rc::gen::build<Op>(
      rc::gen::set(&Op::kind, rc::gen::element(OpKind::kCancel, OpKind::kSetRunning,
                                               OpKind::kSetResult, OpKind::kSetException,
                                               OpKind::kResultPoll, OpKind::kExceptionPoll,
                                               OpKind::kQueries, OpKind::kAddCallback)),
      rc::gen::set(&Op::arg, rc::gen::inRange<std::int64_t>(-1000, 1000)));
}

// Replays a producer history (cancel included) on `f` and `model` alike; what
// each step returns is the business of FUT_RandomOperationsFollowTheStateTable.
void replay(Future& f, Model& model, const std::vector<Op>& history) {
  for (const Op& op : history) {
    switch (op.kind) {
      case OpKind::kSetRunning:
        f.set_running_or_notify_cancel();
        model.set_running_or_notify_cancel();
        break;
      case OpKind::kSetResult:
        complete_both(f, model, Completion::kValue, op.arg);
        break;
      case OpKind::kSetException:
        complete_both(f, model, Completion::kError, op.arg);
        break;
      case OpKind::kCancel:
        complete_both(f, model, Completion::kCancel, op.arg);
        break;
      default:
        break;
    }
  }
}

// A producer history: set_running_or_notify_cancel, set_result, set_exception
// and, if `with_cancel`, cancel.
rc::Gen<std::vector<Op>> gen_history(bool with_cancel) {
  auto kinds = with_cancel ? rc::gen::element(OpKind::kSetRunning, OpKind::kSetResult,
                                              OpKind::kSetException, OpKind::kCancel)
                           : rc::gen::element(OpKind::kSetRunning, OpKind::kSetResult,
                                              OpKind::kSetException);
  return rc::gen::container<std::vector<Op>>(
      rc::gen::build<Op>(rc::gen::set(&Op::kind, std::move(kinds)),
                         rc::gen::set(&Op::arg, rc::gen::inRange<std::int64_t>(0, 100))));
}

RC_GTEST_FIXTURE_PROP(Conformance, FUT_RandomOperationsFollowTheStateTable, ()) {
  CF_CLAUSES("FUT-STATE-1", "FUT-STATE-2", "FUT-STATE-3", "FUT-STATE-4", "FUT-CANCEL-1",
             "FUT-CANCEL-2", "FUT-CANCEL-3", "FUT-CANCEL-4", "FUT-RESULT-1", "FUT-RESULT-2",
             "FUT-RESULT-3", "FUT-RESULT-6", "FUT-EXC-1", "FUT-EXC-2", "FUT-EXC-3", "FUT-SET-1",
             "FUT-SET-2", "FUT-SET-3", "FUT-SET-4", "FUT-SET-5", "FUT-CB-1", "FUT-CB-2", "FUT-CB-3",
             "FUT-CB-6");
  CF_REQUIRE(Cap::kRawFuture, Cap::kStateQueries, Cap::kCancel, Cap::kResultTimeout,
             Cap::kDoneCallbacks);
  const auto ops = *rc::gen::container<std::vector<Op>>(gen_op());
  const auto test_thread = impl().thread_token();
  auto f = impl().make_future();
  Model model;
  Calls calls;
  int next_id = 0;
  bool notified = false;  // set_running_or_notify_cancel() saw the cancellation
  for (const Op& op : ops) {
    switch (op.kind) {
      case OpKind::kCancel: {
        bool expected = model.cancel();
        RC_ASSERT(f->cancel() == expected);
        break;
      }
      case OpKind::kSetRunning: {
        // Notifying a cancelled future a second time is EXT-NOTIFY-1's
        // business, not the state table's (CPython raises there).
        if (model.state() == Model::State::kCancelled && notified) break;
        notified = model.state() == Model::State::kCancelled;
        Outcome expected = model.set_running_or_notify_cancel();
        RC_ASSERT(seen(f->set_running_or_notify_cancel(), expected) == to_string(expected));
        break;
      }
      case OpKind::kSetResult:
      case OpKind::kSetException: {
        auto refused =
            op.kind == OpKind::kSetResult ? model.set_result(op.arg) : model.set_exception(op.arg);
        Outcome got = op.kind == OpKind::kSetResult ? f->set_result(op.arg)
                                                    : f->set_exception(error_message(op.arg));
        if (refused) {
          RC_ASSERT(seen(got, *refused) == to_string(*refused));
        } else {
          RC_ASSERT(accepted(got));
        }
        break;
      }
      case OpKind::kResultPoll: {
        Outcome expected = model.result();
        RC_ASSERT(seen(f->result(std::chrono::seconds(0)), expected) == to_string(expected));
        break;
      }
      case OpKind::kExceptionPoll: {
        Outcome expected = model.exception();
        RC_ASSERT(seen(f->exception(std::chrono::seconds(0)), expected) == to_string(expected));
        break;
      }
      case OpKind::kQueries:
        break;  // checked after every step
      case OpKind::kAddCallback: {
        int id = next_id++;
        model.add_callback(id);
        f->add_done_callback(calls.record(id));
        break;
      }
    }
    // After every step: the queries, and every callback due has run, once, in
    // order, in this (the completing or adding) thread, seeing the outcome.
    RC_ASSERT(f->running() == (model.state() == Model::State::kRunning));
    RC_ASSERT(f->cancelled() == (model.state() == Model::State::kCancelled));
    RC_ASSERT(f->done() == model.done());
    RC_ASSERT(calls.ids() == model.ran());
    for (const auto& entry : calls.entries()) {
      RC_ASSERT(entry.event.thread_token == test_thread);
      RC_ASSERT(entry.event.done);
      RC_ASSERT(entry.event.cancelled == (model.state() == Model::State::kCancelled));
      RC_ASSERT(seen(entry.event.result, model.result()) == to_string(model.result()));
    }
  }
  RC_TAG(model.state() == Model::State::kPending     ? "ends PENDING"
         : model.state() == Model::State::kRunning   ? "ends RUNNING"
         : model.state() == Model::State::kCancelled ? "ends CANCELLED"
                                                     : "ends FINISHED");
}

// cancel() after any producer history returns true exactly when the model is
// pending or cancelled, and a successful one leaves the future cancelled.
RC_GTEST_FIXTURE_PROP(Conformance, FUT_CancelTrueIffPendingOrCancelled, ()) {
  CF_CLAUSES("FUT-CANCEL-1", "FUT-CANCEL-2", "FUT-CANCEL-3", "FUT-CANCEL-4", "FUT-STATE-4");
  CF_REQUIRE(Cap::kRawFuture, Cap::kStateQueries, Cap::kCancel);
  const auto history = *gen_history(false);
  const int cancels = *rc::gen::inRange(1, 4);
  auto f = impl().make_future();
  Model model;
  replay(*f, model, history);
  const auto before = model.state();
  for (int i = 0; i < cancels; ++i) {
    bool expected = model.cancel();
    RC_ASSERT(expected == (before == Model::State::kPending ||
                           before == Model::State::kCancelled));  // the model is the table
    RC_ASSERT(f->cancel() == expected);
    RC_ASSERT(f->cancelled() == expected);
  }
  // What result() reports is untouched by a refused cancel().
  Outcome expected = model.result();
  if (model.done()) RC_ASSERT(seen(f->result(kLong), expected) == to_string(expected));
  RC_TAG(before == Model::State::kPending   ? "PENDING"
         : before == Model::State::kRunning ? "RUNNING"
                                            : "FINISHED");
}

// Callbacks added before completion run exactly once each, in the order
// added, in the thread that completes the future.
RC_GTEST_FIXTURE_PROP(Conformance, FUT_CallbacksBeforeCompletionRunOnceInOrder, ()) {
  CF_CLAUSES("FUT-CB-1", "FUT-CB-2", "FUT-CB-6");
  CF_REQUIRE(Cap::kRawFuture, Cap::kDoneCallbacks, Cap::kCancel);
  const int n = *rc::gen::inRange(0, 25);
  const bool running = *rc::gen::arbitrary<bool>();
  const auto completion =
      running ? *rc::gen::element(Completion::kValue, Completion::kError)
              : *rc::gen::element(Completion::kValue, Completion::kError, Completion::kCancel);
  const bool other_thread = *rc::gen::arbitrary<bool>();
  auto f = impl().make_future();
  if (running) f->set_running_or_notify_cancel();
  auto calls = std::make_shared<Calls>();
  for (int id = 0; id < n; ++id) f->add_done_callback(calls->record(id));
  RC_ASSERT(calls->ids().empty());

  auto complete = [&impl = impl(), f, completion](std::int64_t* token) {
    *token = impl.thread_token();
    switch (completion) {
      case Completion::kValue:
        return accepted(f->set_result(1));
      case Completion::kError:
        return accepted(f->set_exception(error_message(1)));
      case Completion::kCancel:
        return f->cancel();
    }
    return false;
  };
  std::int64_t completer = 0;
  bool ok = false;
  if (other_thread) {
    std::thread([&] { ok = complete(&completer); }).join();
  } else {
    ok = complete(&completer);
  }
  RC_ASSERT(ok);
  std::vector<int> expected;
  for (int id = 0; id < n; ++id) expected.push_back(id);
  // All ran before the completing call returned: no waiting needed.
  RC_ASSERT(calls->ids() == expected);
  for (const auto& entry : calls->entries()) {
    RC_ASSERT(entry.event.thread_token == completer);
    RC_ASSERT(entry.event.done);
    RC_ASSERT(entry.event.cancelled == (completion == Completion::kCancel));
  }
  // Later operations, refused or not, run none of them again.
  f->cancel();
  f->set_result(2);
  f->set_exception(error_message(2));
  f->cancel();
  RC_ASSERT(calls->ids() == expected);
  RC_CLASSIFY(n == 0, "no callbacks");
  RC_TAG(completion);
}

// A callback added to a done future runs at once, exactly once, in the adding
// thread; a mix of queries between the adds changes nothing.
RC_GTEST_FIXTURE_PROP(Conformance, FUT_CallbacksAfterCompletionRunImmediately, ()) {
  CF_CLAUSES("FUT-CB-3", "FUT-CB-2");
  CF_REQUIRE(Cap::kRawFuture, Cap::kDoneCallbacks, Cap::kCancel, Cap::kStateQueries);
  const auto completion =
      *rc::gen::element(Completion::kValue, Completion::kError, Completion::kCancel);
  const auto queries_between = *rc::gen::container<std::vector<bool>>(rc::gen::arbitrary<bool>());
  const auto test_thread = impl().thread_token();
  auto f = impl().make_future();
  Model model;
  complete_both(*f, model, completion, 5);
  Calls calls;
  int id = 0;
  for (bool query : queries_between) {
    if (query) {
      RC_ASSERT(f->done());
      continue;
    }
    f->add_done_callback(calls.record(id));
    auto entries = calls.entries();
    RC_ASSERT(entries.size() == static_cast<std::size_t>(id + 1));
    RC_ASSERT(entries.back().id == id);
    RC_ASSERT(entries.back().event.thread_token == test_thread);
    RC_ASSERT(entries.back().event.done);
    RC_ASSERT(seen(entries.back().event.result, model.result()) == to_string(model.result()));
    ++id;
  }
  RC_TAG(completion);
}

// Any number of readers blocked in result() or exception() (no timeout or a
// long one) all see the one outcome the future completes with.
RC_GTEST_FIXTURE_PROP(Conformance, FUT_BlockedReadersAllSeeTheOutcome, ()) {
  CF_CLAUSES("FUT-RESULT-5", "FUT-CANCEL-5", "FUT-EXC-3", "FUT-RESULT-1", "FUT-RESULT-2",
             "FUT-RESULT-3", "FUT-EXC-1", "FUT-EXC-2");
  CF_REQUIRE(Cap::kRawFuture, Cap::kCancel);
  const int readers = *rc::gen::inRange(1, 6);
  const auto completion =
      *rc::gen::element(Completion::kValue, Completion::kError, Completion::kCancel);
  const auto value = *rc::gen::inRange<std::int64_t>(-1000, 1000);
  struct Spec {
    bool exception;
    bool no_timeout;
  };
  std::vector<Spec> specs;
  for (int i = 0; i < readers; ++i) {
    specs.push_back({*rc::gen::arbitrary<bool>(), *rc::gen::arbitrary<bool>()});
  }
  auto f = impl().make_future();
  Model model;
  // Each reader reports through its own slot; a barrier lines them up before
  // the completion (which may still overtake some of them: both orders must
  // give the same outcome).
  std::barrier ready(readers + 1);
  std::vector<std::optional<Outcome>> outcomes(readers);
  {
    std::vector<std::jthread> threads;
    for (int i = 0; i < readers; ++i) {
      threads.emplace_back([&, i] {
        ready.arrive_and_wait();
        Timeout t = specs[i].no_timeout ? Timeout::none() : Timeout(kLong);
        outcomes[i] = bounded(
            [f, t, exception = specs[i].exception] {
              return exception ? f->exception(t) : f->result(t);
            },
            kLong + kLateSlack);
      });
    }
    ready.arrive_and_wait();
    complete_both(*f, model, completion, value);
  }
  for (int i = 0; i < readers; ++i) {
    RC_ASSERT(outcomes[i].has_value());  // else: never woken
    Outcome expected = specs[i].exception ? model.exception() : model.result();
    RC_ASSERT(seen(*outcomes[i], expected) == to_string(expected));
  }
  RC_TAG(completion);
}

// A zero or negative timeout, of any size, is a poll in every state.
RC_GTEST_FIXTURE_PROP(Conformance, FUT_NonPositiveTimeoutsPoll, ()) {
  CF_CLAUSES("FUT-RESULT-6", "FUT-EXC-3");
  CF_REQUIRE(Cap::kRawFuture, Cap::kCancel, Cap::kResultTimeout);
  const auto history = *gen_history(true);
  // Integral nanoseconds down to min(), or double seconds down to -1e306.
  const bool in_nanoseconds = *rc::gen::arbitrary<bool>();
  const auto ns = *rc::gen::inRange<std::int64_t>(std::numeric_limits<std::int64_t>::min(), 1);
  const double secs = -static_cast<double>(*rc::gen::inRange<std::int64_t>(0, 1'000'000)) *
                      std::pow(10.0, *rc::gen::inRange(-9, 301));
  const Timeout timeout = in_nanoseconds ? Timeout(std::chrono::nanoseconds(ns))
                                         : Timeout(std::chrono::duration<double>(secs));
  const bool exception = *rc::gen::arbitrary<bool>();
  auto f = impl().make_future();
  Model model;
  replay(*f, model, history);
  auto start = Clock::now();
  auto got = bounded(
      [f, timeout, exception] { return exception ? f->exception(timeout) : f->result(timeout); },
      kLong);
  auto elapsed = Clock::now() - start;
  RC_ASSERT(got.has_value());  // else: the poll blocked
  RC_ASSERT(elapsed <= std::chrono::duration_cast<Clock::duration>(kLateSlack));
  Outcome expected = exception ? model.exception() : model.result();
  RC_ASSERT(seen(*got, expected) == to_string(expected));
  RC_TAG(model.done() ? "done" : "not done");
}

// Racing completers (set_result, set_exception, cancel from several threads):
// one outcome wins, every loser is told, callbacks run once.
RC_GTEST_FIXTURE_PROP(Conformance, FUT_RacingCompletersAgreeOnOneOutcome, ()) {
  CF_CLAUSES("FUT-SET-3", "FUT-SET-4", "FUT-SET-5", "FUT-CANCEL-1", "FUT-CANCEL-3", "FUT-CANCEL-4",
             "FUT-CB-1");
  CF_REQUIRE(Cap::kRawFuture, Cap::kCancel, Cap::kDoneCallbacks);
  const auto racers = *rc::gen::container<std::vector<Completion>>(
      *rc::gen::inRange<std::size_t>(2, 6),
      rc::gen::element(Completion::kValue, Completion::kError, Completion::kCancel));
  auto f = impl().make_future();
  auto calls = std::make_shared<Calls>();
  f->add_done_callback(calls->record(0));
  const std::size_t n = racers.size();
  std::barrier start(static_cast<std::ptrdiff_t>(n));
  std::vector<char> won(n, 0);
  std::vector<Outcome> returns(n);
  {
    std::vector<std::jthread> threads;
    for (std::size_t i = 0; i < n; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        const auto v = static_cast<std::int64_t>(i);
        switch (racers[i]) {
          case Completion::kValue:
            returns[i] = f->set_result(v);
            won[i] = accepted(returns[i]);
            break;
          case Completion::kError:
            returns[i] = f->set_exception(error_message(v));
            won[i] = accepted(returns[i]);
            break;
          case Completion::kCancel:
            won[i] = f->cancel();
            break;
        }
      });
    }
  }
  bool cancelled = false;
  std::optional<std::size_t> producer;
  for (std::size_t i = 0; i < n; ++i) {
    if (racers[i] == Completion::kCancel) {
      cancelled = cancelled || won[i];
    } else if (won[i]) {
      RC_ASSERT(!producer.has_value());  // two producers both stored an outcome
      producer = i;
    } else {
      RC_ASSERT(returns[i].is(Kind::kInvalidState));
    }
  }
  RC_ASSERT(cancelled != producer.has_value());  // exactly one kind of winner
  Outcome expected = Outcome::error(Kind::kCancelled);
  if (producer) {
    const auto v = static_cast<std::int64_t>(*producer);
    expected = racers[*producer] == Completion::kValue
                   ? Outcome::of_value(v)
                   : Outcome::error(Kind::kTaskError, error_message(v));
  }
  for (std::size_t i = 0; i < n; ++i) {
    // A cancelled future answers true to every canceller; a finished one, false.
    if (racers[i] == Completion::kCancel) RC_ASSERT(static_cast<bool>(won[i]) == cancelled);
  }
  RC_ASSERT(seen(f->result(kLong), expected) == to_string(expected));
  RC_ASSERT(calls->ids() == std::vector<int>{0});
  RC_TAG(cancelled ? "cancel won" : "a producer won");
}

}  // namespace
}  // namespace cf::conformance
