// RapidCheck properties of the future's state machine [FUT-*].
//
// The example tests (conformance/future_*.cpp) check each cell of SPEC.md's
// state table once; these randomise. The model is the table itself: a few
// lines per operation saying what it returns, which state it leaves, and
// which clause says so. Any sequence of producer and consumer operations on
// a raw future must agree with it step by step, and the callback rules (once,
// in order, in the completing thread, at once when added late) must hold
// along the way; each check names the clause of the cell it compares. Steps
// that only build a state are preconditions relying on their cell's clause.
// Calls that could block run on their own thread (Background), so a broken
// implementation fails a property rather than hanging it.
//
// Long on purpose: the state table's model and the properties over it
// (operations, callbacks, races) share that model; split, each file would
// repeat it.
#include <algorithm>
#include <barrier>
#include <chrono>
#include <cmath>
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

#include "harness/background.hpp"
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
    return state_ == State::kCancelled;
  }
  Outcome set_running_or_notify_cancel() {
    switch (state_) {
      case State::kPending:
        state_ = State::kRunning;
        return Outcome::of_value(1);
      case State::kCancelled:
        return Outcome::of_value(0);
      default:
        return Outcome::error(Kind::kInvalidState);
    }
  }
  // nullopt: accepted; else InvalidStateError.
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
  // result(0s).
  Outcome result() const {
    if (!done()) return Outcome::error(Kind::kTimeout);
    if (state_ == State::kCancelled) return Outcome::error(Kind::kCancelled);
    return outcome_;
  }
  // exception(0s).
  Outcome exception() const {
    Outcome r = result();
    return r.is(Kind::kValue) ? Outcome{} : r;
  }
  // The callback ids expected to have run, in order.
  void add_callback(int id) {
    if (done()) {
      ran_.push_back(id);
    } else {
      queued_.push_back(id);
    }
  }
  const std::vector<int>& ran() const { return ran_; }

  // The clause of each operation's cell in the current state: what it
  // returns here, and what it leaves.
  const char* cancel_clause() const {
    switch (state_) {
      case State::kPending:
        return "FUT-CANCEL-1";
      case State::kRunning:
        return "FUT-CANCEL-2";
      case State::kFinished:
        return "FUT-CANCEL-3";
      case State::kCancelled:
        return "FUT-CANCEL-4";
    }
    return "";
  }
  const char* set_running_clause() const {
    return state_ == State::kPending     ? "FUT-STATE-2"
           : state_ == State::kCancelled ? "FUT-SET-1"
                                         : "FUT-SET-2";
  }
  const char* set_clause(bool exception) const {
    if (state_ == State::kPending) return "FUT-SET-5";
    if (state_ == State::kRunning) return "FUT-STATE-3";
    return exception ? "FUT-SET-4" : "FUT-SET-3";
  }
  const char* result_clause() const {
    if (!done()) return "FUT-RESULT-6";
    if (state_ == State::kCancelled) return "FUT-RESULT-3";
    return outcome_.is(Kind::kTaskError) ? "FUT-RESULT-2" : "FUT-RESULT-1";
  }
  const char* exception_clause() const {
    if (!done()) return "FUT-EXC-3";
    return state_ == State::kCancelled ? "FUT-EXC-2" : "FUT-EXC-1";
  }
  // running() / cancelled() / done().
  const char* queries_clause() const {
    switch (state_) {
      case State::kPending:
        return "FUT-STATE-1";
      case State::kRunning:
        return "FUT-STATE-2";
      case State::kFinished:
        return "FUT-STATE-3";
      case State::kCancelled:
        return "FUT-STATE-4";
    }
    return "";
  }
  std::string queries() const {
    return queries_text(state_ == State::kRunning, state_ == State::kCancelled, done());
  }
  static std::string queries_text(bool running, bool cancelled, bool done) {
    return std::string("running=") + (running ? "true" : "false") +
           " cancelled=" + (cancelled ? "true" : "false") + " done=" + (done ? "true" : "false");
  }

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

std::vector<int> sorted(std::vector<int> v) {
  std::sort(v.begin(), v.end());
  return v;
}

std::string describe(const std::vector<int>& ids) {
  std::string out = "{";
  for (std::size_t i = 0; i < ids.size(); ++i) out += (i ? ", " : "") + std::to_string(ids[i]);
  return out + "}";
}

enum class Completion { kValue, kError, kCancel };

std::ostream& operator<<(std::ostream& os, Completion c) {
  return os << (c == Completion::kValue   ? "set_result"
                : c == Completion::kError ? "set_exception"
                                          : "cancel");
}

// The completions the implementation can perform: cancel needs Cap::kCancel.
rc::Gen<Completion> gen_completion(Caps caps) {
  return props::has(caps, Cap::kCancel)
             ? rc::gen::element(Completion::kValue, Completion::kError, Completion::kCancel)
             : rc::gen::element(Completion::kValue, Completion::kError);
}

// The clause whose rule says `c` is accepted by a future in `state`, pending
// or running: an outcome may be set [FUT-SET-5] [FUT-STATE-3], a pending
// future may be cancelled [FUT-CANCEL-1].
const char* completion_clause(Model::State state, Completion c) {
  if (c == Completion::kCancel) return "FUT-CANCEL-1";
  return state == Model::State::kPending ? "FUT-SET-5" : "FUT-STATE-3";
}

// Completes `f` and `model` alike with `value` (or error_message(value)), as
// a scene step: the completion must be accepted.
void complete_both(Future& f, Model& model, Completion c, std::int64_t value) {
  const char* relies_on = completion_clause(model.state(), c);
  bool ok = false;
  switch (c) {
    case Completion::kValue:
      ok = accepted(f.set_result(value));
      model.set_result(value);
      break;
    case Completion::kError:
      ok = accepted(f.set_exception(error_message(value)));
      model.set_exception(value);
      break;
    case Completion::kCancel:
      ok = f.cancel();
      model.cancel();
      break;
  }
  CF_PRECONDITION(relies_on, ok) << c << " of a future that was not done was refused";
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

// The operations the implementation declares: the producer calls always
// (raw-future), cancel (cancel), the polls (result-timeout), the queries
// (state-queries), add_done_callback (done-callbacks).
std::vector<OpKind> declared_ops(Caps caps) {
  std::vector<OpKind> ops = {OpKind::kSetRunning, OpKind::kSetResult, OpKind::kSetException};
  if (props::has(caps, Cap::kCancel)) ops.push_back(OpKind::kCancel);
  if (props::has(caps, Cap::kResultTimeout))
    ops.insert(ops.end(), {OpKind::kResultPoll, OpKind::kExceptionPoll});
  if (props::has(caps, Cap::kStateQueries)) ops.push_back(OpKind::kQueries);
  if (props::has(caps, Cap::kDoneCallbacks)) ops.push_back(OpKind::kAddCallback);
  return ops;
}

rc::Gen<Op> gen_op(std::vector<OpKind> kinds) {
  return rc::gen::build<Op>(rc::gen::set(&Op::kind, rc::gen::elementOf(std::move(kinds))),
                            rc::gen::set(&Op::arg, rc::gen::inRange<std::int64_t>(-1000, 1000)));
}

// Replays a producer history (cancel included) on `f` and `model` alike, as
// scene steps: each must return what its cell says (the clause it relies on);
// cancel()'s answer only where it reports one (`cancel_reports`).
void replay(Future& f, Model& model, const std::vector<Op>& history, bool cancel_reports) {
  bool notified = false;  // set_running_or_notify_cancel() saw the cancellation
  for (const Op& op : history) {
    switch (op.kind) {
      case OpKind::kSetRunning: {
        // Notifying a cancelled future a second time is EXT-NOTIFY-1's
        // business, not the state table's (CPython raises there): skipped.
        if (model.state() == Model::State::kCancelled && notified) break;
        notified = model.state() == Model::State::kCancelled;
        const char* relies_on = model.set_running_clause();
        Outcome expected = model.set_running_or_notify_cancel();
        Outcome got = f.set_running_or_notify_cancel();
        CF_PRECONDITION(relies_on, seen(got, expected) == to_string(expected))
            << op << " gave " << to_string(got);
        break;
      }
      case OpKind::kSetResult:
      case OpKind::kSetException: {
        const bool exception = op.kind == OpKind::kSetException;
        const char* relies_on = model.set_clause(exception);
        auto refused = exception ? model.set_exception(op.arg) : model.set_result(op.arg);
        Outcome got = exception ? f.set_exception(error_message(op.arg)) : f.set_result(op.arg);
        CF_PRECONDITION(relies_on, refused ? got.is(Kind::kInvalidState) : accepted(got))
            << op << " gave " << to_string(got);
        break;
      }
      case OpKind::kCancel: {
        const char* relies_on = model.cancel_clause();
        bool expected = model.cancel();
        bool got = f.cancel();
        CF_PRECONDITION(relies_on, !cancel_reports || got == expected) << op << " gave " << got;
        break;
      }
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

// The clause saying which callbacks `op` runs, given the model before it:
// completing the future runs the queued ones in the completing thread
// [FUT-CB-1], a successful cancel() in the cancelling one [FUT-CB-6]; adding
// one to a done future runs it at once [FUT-CB-3]; anything else runs none
// [FUT-CB-1], a repeated cancel() none again [FUT-CANCEL-4].
const char* callbacks_clause(const Model& before, const Op& op) {
  const bool completes =
      !before.done() && (op.kind == OpKind::kCancel
                             ? before.state() == Model::State::kPending
                             : op.kind == OpKind::kSetResult || op.kind == OpKind::kSetException);
  if (op.kind == OpKind::kCancel && completes) return "FUT-CB-6";
  if (op.kind == OpKind::kCancel && before.state() == Model::State::kCancelled)
    return "FUT-CANCEL-4";
  if (op.kind == OpKind::kAddCallback && before.done()) return "FUT-CB-3";
  return "FUT-CB-1";
}

RC_GTEST_FIXTURE_PROP(Conformance, FUT_RandomOperationsFollowTheStateTable, ()) {
  CF_REQUIRE(Cap::kRawFuture);
  const auto ops = *rc::gen::container<std::vector<Op>>(gen_op(declared_ops(caps())));
  const auto test_thread = impl().thread_token();
  auto f = impl().make_future();
  Model model;
  Calls calls;
  int next_id = 0;
  bool notified = false;  // set_running_or_notify_cancel() saw the cancellation
  std::size_t checked_calls = 0;
  for (const Op& op : ops) {
    const Model before = model;
    switch (op.kind) {
      case OpKind::kCancel: {
        const char* clause = model.cancel_clause();
        bool expected = model.cancel();
        CF_CHECK_EQ(clause, f->cancel(), expected) << op;
        break;
      }
      case OpKind::kSetRunning: {
        // Notifying a cancelled future a second time is EXT-NOTIFY-1's
        // business, not the state table's (CPython raises there).
        if (model.state() == Model::State::kCancelled && notified) break;
        notified = model.state() == Model::State::kCancelled;
        const char* clause = model.set_running_clause();
        Outcome expected = model.set_running_or_notify_cancel();
        CF_CHECK_EQ(clause, seen(f->set_running_or_notify_cancel(), expected), to_string(expected))
            << op;
        break;
      }
      case OpKind::kSetResult:
      case OpKind::kSetException: {
        const bool exception = op.kind == OpKind::kSetException;
        const char* clause = model.set_clause(exception);
        auto refused = exception ? model.set_exception(op.arg) : model.set_result(op.arg);
        Outcome got = exception ? f->set_exception(error_message(op.arg)) : f->set_result(op.arg);
        if (refused) {
          CF_CHECK_EQ(clause, seen(got, *refused), to_string(*refused)) << op;
        } else {
          CF_CHECK(clause, accepted(got)) << op << " gave " << to_string(got);
        }
        break;
      }
      case OpKind::kResultPoll: {
        Outcome expected = model.result();
        CF_CHECK_EQ(model.result_clause(), seen(f->result(std::chrono::seconds(0)), expected),
                    to_string(expected));
        break;
      }
      case OpKind::kExceptionPoll: {
        Outcome expected = model.exception();
        CF_CHECK_EQ(model.exception_clause(), seen(f->exception(std::chrono::seconds(0)), expected),
                    to_string(expected));
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
    // After every step: the queries, and the callbacks this step made due
    // ran, once, in order, in this (the completing or adding) thread, seeing
    // the outcome; and no other callback ran.
    if (has(Cap::kStateQueries)) {
      CF_CHECK_EQ(model.queries_clause(),
                  Model::queries_text(f->running(), f->cancelled(), f->done()), model.queries())
          << "after " << op;
    }
    const std::vector<int> due(
        model.ran().begin() + static_cast<std::ptrdiff_t>(before.ran().size()), model.ran().end());
    const auto entries = calls.entries();
    std::vector<int> ran;
    for (std::size_t i = checked_calls; i < entries.size(); ++i) ran.push_back(entries[i].id);
    const char* clause = callbacks_clause(before, op);
    CF_CHECK_EQ(clause, describe(sorted(ran)), describe(sorted(due))) << "callbacks run by " << op;
    CF_CHECK_EQ("FUT-CB-2", describe(ran), describe(due)) << "callbacks run by " << op;
    for (std::size_t i = checked_calls; i < entries.size(); ++i) {
      const auto& event = entries[i].event;
      CF_CHECK(clause, event.thread_token == test_thread)
          << "callback " << entries[i].id << " ran in another thread";
      CF_CHECK(clause, event.done) << "callback " << entries[i].id << " saw done() false";
      CF_CHECK_EQ(clause, event.cancelled, model.state() == Model::State::kCancelled)
          << "cancelled() as callback " << entries[i].id << " saw it";
      CF_CHECK_EQ(clause, seen(event.result, model.result()), to_string(model.result()))
          << "result(0s) as callback " << entries[i].id << " saw it";
    }
    checked_calls = entries.size();
  }
  RC_TAG(model.state() == Model::State::kPending     ? "ends PENDING"
         : model.state() == Model::State::kRunning   ? "ends RUNNING"
         : model.state() == Model::State::kCancelled ? "ends CANCELLED"
                                                     : "ends FINISHED");
}

// cancel() after any producer history returns true exactly when the future
// is pending or cancelled; a successful one leaves it cancelled, a refused
// one leaves it as it was.
RC_GTEST_FIXTURE_PROP(Conformance, FUT_CancelTrueIffPendingOrCancelled, ()) {
  CF_REQUIRE(Cap::kRawFuture, Cap::kStateQueries, Cap::kCancel);
  const auto history = *gen_history(false);
  const int cancels = *rc::gen::inRange(1, 4);
  auto f = impl().make_future();
  Model model;
  replay(*f, model, history, has(Cap::kCancelResult));
  const auto before = model.state();
  for (int i = 0; i < cancels; ++i) {
    const char* clause = model.cancel_clause();
    bool expected = model.cancel();
    CF_CHECK_EQ(clause, f->cancel(), expected) << "cancel #" << i + 1;
    // What cancelled() says next: cancelled after a successful first cancel
    // [FUT-STATE-4], still cancelled after a repeated one [FUT-CANCEL-4], as
    // it was after a refused one (the refusing cell's clause).
    const char* after = !expected ? clause : i == 0 ? "FUT-STATE-4" : "FUT-CANCEL-4";
    CF_CHECK_EQ(after, f->cancelled(), expected) << "cancelled() after cancel #" << i + 1;
  }
  // What result() reports: the cancellation [FUT-RESULT-3], or the outcome a
  // refused cancel() left untouched [FUT-CANCEL-3].
  if (model.done()) {
    Outcome expected = model.result();
    const char* clause =
        model.state() == Model::State::kCancelled ? "FUT-RESULT-3" : "FUT-CANCEL-3";
    CF_CHECK_EQ(clause, seen(f->result(kLong), expected), to_string(expected));
  }
  RC_TAG(before == Model::State::kPending   ? "PENDING"
         : before == Model::State::kRunning ? "RUNNING"
                                            : "FINISHED");
}

// Callbacks added before completion run exactly once each, in the order
// added, in the thread that completes the future.
RC_GTEST_FIXTURE_PROP(Conformance, FUT_CallbacksBeforeCompletionRunOnceInOrder, ()) {
  CF_REQUIRE(Cap::kRawFuture, Cap::kDoneCallbacks);
  const int n = *rc::gen::inRange(0, 25);
  const bool running = *rc::gen::arbitrary<bool>();
  const auto completion =
      running ? *rc::gen::element(Completion::kValue, Completion::kError) : *gen_completion(caps());
  const bool other_thread = *rc::gen::arbitrary<bool>();
  auto f = impl().make_future();
  if (running) {
    Outcome started = f->set_running_or_notify_cancel();
    CF_PRECONDITION("FUT-STATE-2", started.is(Kind::kValue) && started.value == 1)
        << "set_running_or_notify_cancel() gave " << to_string(started);
  }
  auto calls = std::make_shared<Calls>();
  for (int id = 0; id < n; ++id) f->add_done_callback(calls->record(id));
  CF_CHECK("FUT-CB-1", calls->ids().empty())
      << "callbacks " << describe(calls->ids()) << " ran before the future completed";

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
  CF_PRECONDITION(
      completion_clause(running ? Model::State::kRunning : Model::State::kPending, completion), ok)
      << completion << " was refused";
  std::vector<int> expected;
  for (int id = 0; id < n; ++id) expected.push_back(id);
  // All ran before the completing call returned: no waiting needed. Run by a
  // cancel(), that is FUT-CB-6's rule; by set_result/set_exception, FUT-CB-1's.
  const char* clause = completion == Completion::kCancel ? "FUT-CB-6" : "FUT-CB-1";
  CF_CHECK_EQ(clause, describe(sorted(calls->ids())), describe(expected)) << "each callback once";
  CF_CHECK_EQ("FUT-CB-2", describe(calls->ids()), describe(expected));
  for (const auto& entry : calls->entries()) {
    CF_CHECK(clause, entry.event.thread_token == completer)
        << "callback " << entry.id << " ran in another thread";
    CF_CHECK(clause, entry.event.done) << "callback " << entry.id << " saw done() false";
    CF_CHECK_EQ(clause, entry.event.cancelled, completion == Completion::kCancel)
        << "cancelled() as callback " << entry.id << " saw it";
  }
  // Later operations, refused or not, run none of them again: a repeated
  // cancel() of a cancelled future [FUT-CANCEL-4], anything else [FUT-CB-1].
  auto again = [&](const char* what, const char* rule, const std::function<void()>& call) {
    call();
    CF_CHECK_EQ(rule, describe(calls->ids()), describe(expected)) << "after " << what;
  };
  const char* cancel_rule = completion == Completion::kCancel ? "FUT-CANCEL-4" : "FUT-CB-1";
  if (has(Cap::kCancel)) again("cancel()", cancel_rule, [&] { f->cancel(); });
  again("set_result(2)", "FUT-CB-1", [&] { f->set_result(2); });
  again("set_exception()", "FUT-CB-1", [&] { f->set_exception(error_message(2)); });
  if (has(Cap::kCancel)) again("a second cancel()", cancel_rule, [&] { f->cancel(); });
  RC_CLASSIFY(n == 0, "no callbacks");
  RC_TAG(completion);
}

// A callback added to a done future runs at once, exactly once, in the adding
// thread; a mix of queries between the adds changes nothing.
RC_GTEST_FIXTURE_PROP(Conformance, FUT_CallbacksAfterCompletionRunImmediately, ()) {
  CF_REQUIRE(Cap::kRawFuture, Cap::kDoneCallbacks);
  const auto completion = *gen_completion(caps());
  const auto queries_between = *rc::gen::container<std::vector<bool>>(rc::gen::arbitrary<bool>());
  const auto test_thread = impl().thread_token();
  auto f = impl().make_future();
  Model model;
  complete_both(*f, model, completion, 5);
  Calls calls;
  int id = 0;
  for (bool query : queries_between) {
    if (query) {
      if (has(Cap::kStateQueries)) {
        CF_CHECK(model.queries_clause(), f->done()) << "done() after " << completion;
      }
      continue;
    }
    f->add_done_callback(calls.record(id));
    auto entries = calls.entries();
    CF_CHECK_EQ("FUT-CB-3", entries.size(), static_cast<std::size_t>(id + 1))
        << "callbacks run after adding callback " << id;
    CF_CHECK_EQ("FUT-CB-3", entries.back().id, id) << "the callback that just ran";
    CF_CHECK("FUT-CB-3", entries.back().event.thread_token == test_thread)
        << "callback " << id << " ran in another thread";
    CF_CHECK("FUT-CB-3", entries.back().event.done) << "callback " << id << " saw done() false";
    CF_CHECK_EQ("FUT-CB-3", seen(entries.back().event.result, model.result()),
                to_string(model.result()))
        << "result(0s) as callback " << id << " saw it";
    ++id;
  }
  RC_TAG(completion);
}

// Any number of readers blocked in result() or exception() (no timeout, or a
// long one) are all woken by the completion and all see its one outcome.
RC_GTEST_FIXTURE_PROP(Conformance, FUT_BlockedReadersAllSeeTheOutcome, ()) {
  CF_REQUIRE(Cap::kRawFuture);
  const bool untimed = has(Cap::kResultBlocking);
  const bool timed = has(Cap::kResultTimeout);
  const int readers = *rc::gen::inRange(1, 6);
  const auto completion = *gen_completion(caps());
  const auto value = *rc::gen::inRange<std::int64_t>(-1000, 1000);
  struct Spec {
    bool exception;
    bool no_timeout;
  };
  std::vector<Spec> specs;
  for (int i = 0; i < readers; ++i) {
    bool no_timeout = untimed && (!timed || *rc::gen::arbitrary<bool>());
    specs.push_back({*rc::gen::arbitrary<bool>(), no_timeout});
  }
  auto f = impl().make_future();
  Model model;
  // The clause that says a reader wakes when the future completes: a cancel
  // wakes every reader [FUT-CANCEL-5]; a completion wakes exception()
  // [FUT-EXC-3], untimed result() [FUT-RESULT-5], and a timed one, which
  // must not report a timeout for a future done before its deadline
  // [FUT-RESULT-4].
  auto wake_clause = [&](const Spec& s) {
    if (completion == Completion::kCancel) return "FUT-CANCEL-5";
    if (s.exception) return "FUT-EXC-3";
    return s.no_timeout ? "FUT-RESULT-5" : "FUT-RESULT-4";
  };
  // Each reader runs on its own thread; a barrier lines them up before the
  // completion (which may still overtake some of them: both orders must
  // give the same outcome).
  auto ready = std::make_shared<std::barrier<>>(readers + 1);
  std::vector<std::unique_ptr<Background<Outcome>>> calls;
  for (const Spec& s : specs) {
    Timeout t = s.no_timeout ? Timeout::none() : Timeout(kLong);
    calls.push_back(std::make_unique<Background<Outcome>>(lab, wake_clause(s), [ready, f, t, s] {
      ready->arrive_and_wait();
      return s.exception ? f->exception(t) : f->result(t);
    }));
  }
  ready->arrive_and_wait();
  complete_both(*f, model, completion, value);
  for (int i = 0; i < readers; ++i) {
    const Spec& s = specs[static_cast<std::size_t>(i)];
    auto& call = *calls[static_cast<std::size_t>(i)];
    const bool woken = call.returns_within(kLateSlack);
    CF_CHECK(wake_clause(s), woken) << "reader " << i << " was not woken by " << completion;
    if (!woken) continue;  // (where that rule is not judged)
    Outcome expected = s.exception ? model.exception() : model.result();
    Outcome got = call.get();
    // A timeout reported although the future completed within it is the
    // timeout rule's [FUT-RESULT-4] [FUT-EXC-3]; else the outcome's own.
    const char* clause = got.is(Kind::kTimeout) && !s.no_timeout
                             ? (s.exception ? "FUT-EXC-3" : "FUT-RESULT-4")
                         : completion == Completion::kCancel ? "FUT-CANCEL-5"
                         : s.exception                       ? "FUT-EXC-1"
                         : completion == Completion::kValue  ? "FUT-RESULT-1"
                                                             : "FUT-RESULT-2";
    CF_CHECK_EQ(clause, seen(got, expected), to_string(expected)) << "reader " << i;
  }
  RC_TAG(completion);
}

// A zero or negative timeout, of any size, is a poll in every state.
RC_GTEST_FIXTURE_PROP(Conformance, FUT_NonPositiveTimeoutsPoll, ()) {
  CF_REQUIRE(Cap::kRawFuture, Cap::kResultTimeout);
  const auto history = *gen_history(has(Cap::kCancel));
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
  replay(*f, model, history, has(Cap::kCancelResult));
  // The poll rule, in every state: it checks once and answers for the state
  // [FUT-RESULT-6] [FUT-EXC-3].
  const char* clause = exception ? "FUT-EXC-3" : "FUT-RESULT-6";
  auto start = Clock::now();
  Background<Outcome> call(lab, clause, [f, timeout, exception] {
    return exception ? f->exception(timeout) : f->result(timeout);
  });
  CF_CHECK(clause, call.returns_within(kLong)) << "the poll blocked";
  auto elapsed = Clock::now() - start;
  CF_CHECK(clause, elapsed <= std::chrono::duration_cast<Clock::duration>(kLateSlack))
      << "the poll took " << std::chrono::duration_cast<std::chrono::milliseconds>(elapsed).count()
      << " ms";
  Outcome expected = exception ? model.exception() : model.result();
  // What a poll of a done future answers is that state's read rule; the poll
  // rule itself is that it answers at once, and TimeoutError when not done.
  const char* answer = clause;
  if (model.state() == Model::State::kCancelled) {
    answer = exception ? "FUT-EXC-2" : "FUT-RESULT-3";
  } else if (model.state() == Model::State::kFinished) {
    answer = exception ? "FUT-EXC-1" : expected.is(Kind::kValue) ? "FUT-RESULT-1" : "FUT-RESULT-2";
  }
  CF_CHECK_EQ(answer, seen(call.get(), expected), to_string(expected));
  RC_TAG(model.done() ? "done" : "not done");
}

// Racing completers (set_result, set_exception, cancel from several threads):
// one outcome wins, every loser is told, callbacks run once. The outcome the
// future keeps says who won, and so which cell each other racer met: a done
// future.
RC_GTEST_FIXTURE_PROP(Conformance, FUT_RacingCompletersAgreeOnOneOutcome, ()) {
  CF_REQUIRE(Cap::kRawFuture);
  const auto racers = *rc::gen::container<std::vector<Completion>>(
      *rc::gen::inRange<std::size_t>(2, 6), gen_completion(caps()));
  auto f = impl().make_future();
  auto calls = std::make_shared<Calls>();
  if (has(Cap::kDoneCallbacks)) f->add_done_callback(calls->record(0));
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
  // Who won: the racer whose outcome the future keeps.
  const Outcome kept = f->result(kLong);
  std::optional<std::size_t> producer;
  for (std::size_t i = 0; i < n; ++i) {
    const auto v = static_cast<std::int64_t>(i);
    if ((racers[i] == Completion::kValue && kept.is(Kind::kValue) && kept.value == v) ||
        (racers[i] == Completion::kError && kept.is(Kind::kTaskError) &&
         kept.message.find(error_message(v)) != std::string::npos)) {
      producer = i;
    }
  }
  const bool cancelled = kept.is(Kind::kCancelled);
  bool any_cancel_true = false;
  for (std::size_t i = 0; i < n; ++i) any_cancel_true |= racers[i] == Completion::kCancel && won[i];
  if (!producer && !cancelled) {
    // The future keeps no racer's outcome: the accepted completion did not
    // take, or nothing was accepted although the future was pending.
    std::optional<std::size_t> accepted_producer;
    for (std::size_t i = 0; i < n; ++i) {
      if (racers[i] != Completion::kCancel && won[i]) accepted_producer = i;
    }
    const char* clause =
        accepted_producer
            ? (racers[*accepted_producer] == Completion::kValue ? "FUT-RESULT-1" : "FUT-RESULT-2")
        : any_cancel_true                       ? "FUT-RESULT-3"
        : racers.front() == Completion::kCancel ? "FUT-CANCEL-1"
                                                : "FUT-SET-5";
    CF_CHECK(clause, false) << "result() gave " << to_string(kept) << ", no racer's outcome";
  }
  for (std::size_t i = 0; i < n; ++i) {
    if (racers[i] == Completion::kCancel) {
      // A cancelled future answers true to every canceller (the first met it
      // pending [FUT-CANCEL-1], the others cancelled [FUT-CANCEL-4]); a
      // finished one, false [FUT-CANCEL-3].
      if (cancelled) {
        CF_CHECK(any_cancel_true ? "FUT-CANCEL-4" : "FUT-CANCEL-1", won[i]) << "canceller " << i;
      } else if (producer) {
        CF_CHECK("FUT-CANCEL-3", !won[i])
            << "canceller " << i << " said true; the future kept racer " << *producer
            << "'s outcome";
      }
      continue;
    }
    if (producer == i) continue;
    // Every other producer met a done future [FUT-SET-3] [FUT-SET-4].
    const char* clause = racers[i] == Completion::kValue ? "FUT-SET-3" : "FUT-SET-4";
    if (producer || cancelled) {
      CF_CHECK_EQ(clause, to_string(returns[i].kind), to_string(Kind::kInvalidState))
          << racers[i] << " of racer " << i << " gave " << to_string(returns[i])
          << "; the future kept " << to_string(kept);
    }
  }
  if (producer) {
    CF_CHECK("FUT-SET-5", won[*producer]) << racers[*producer] << " of racer " << *producer
                                          << " was refused, yet the future kept its outcome";
  }
  if (has(Cap::kDoneCallbacks)) {
    CF_CHECK_EQ(cancelled ? "FUT-CB-6" : "FUT-CB-1", describe(calls->ids()), describe({0}))
        << "the callback added before the race";
  }
  RC_TAG(cancelled ? "cancel won" : "a producer won");
}

}  // namespace
}  // namespace cf::conformance
