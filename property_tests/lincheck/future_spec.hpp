// future_spec.hpp — the sequential specification of one Future, for the
// linearizability checker: SPEC.md's state table, plus done-callbacks.
//
// A callback is part of the response of the call that ran it: a completing
// call (set_result, set_exception, a successful cancel) runs the callbacks
// queued so far, in the order added [FUT-CB-1] [FUT-CB-2] [FUT-CB-6]; adding
// one to a done future runs it in that call [FUT-CB-3]. So "each callback ran
// once, in the completing thread, in order" is checked with the rest.
//
// Every cell of the table is one clause's rule (answer_clause,
// callbacks_clause). When a history is not linearizable, blame() names the
// rule that was broken: the one rule which, set aside alone, explains the
// history.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lincheck/lincheck.hpp"

namespace cf::lincheck {

struct FutureSpec {
  enum class Status { kPending, kRunning, kCancelled, kFinished };
  struct State {
    Status status = Status::kPending;
    bool failed = false;
    std::int64_t value = 0;      // the value, or the error's number
    std::vector<int> callbacks;  // queued, in the order added
    bool notified = false;       // cancelled, and set_running_or_notify_cancel() has returned false
    bool operator==(const State&) const = default;
    bool done() const { return status == Status::kCancelled || status == Status::kFinished; }
  };

  enum class Op {
    kCancel,
    kSetRunning,
    kSetResult,
    kSetException,
    kDone,
    kCancelled,
    kRunning,
    kResultPoll,
    kExceptionPoll,
    kAddCallback,
  };
  struct Call {
    Op op = Op::kDone;
    std::int64_t arg = 0;  // set_result's value, set_exception's error number, callback id
  };

  // kUnknown: the implementation does not report it (cancel() without
  // cancel-result); any answer fits.
  enum class Answer {
    kTrue,
    kFalse,
    kOk,
    kValue,
    kError,
    kNone,
    kCancelledError,
    kTimeout,
    kInvalidState,
    kUnknown
  };
  struct Ret {
    Answer answer = Answer::kOk;
    std::int64_t value = 0;  // for kValue and kError
    std::vector<int> ran;    // callbacks that ran inside this call, in order
    bool operator==(const Ret&) const = default;
  };

  // What `call` returns in `s`, and the state after it.
  static std::pair<Ret, State> apply(State s, const Call& call) {
    auto complete = [&](Status to, bool failed, std::int64_t v) {
      Ret r{Answer::kOk, 0, std::move(s.callbacks)};
      s.callbacks.clear();
      s.status = to;
      s.failed = failed;
      s.value = v;
      return r;
    };
    auto flag = [](bool b) { return Ret{b ? Answer::kTrue : Answer::kFalse, 0, {}}; };
    switch (call.op) {
      case Op::kCancel:
        if (s.status == Status::kPending) {
          Ret r = complete(Status::kCancelled, false, 0);
          r.answer = Answer::kTrue;
          return {r, s};
        }
        return {flag(s.status == Status::kCancelled), s};
      case Op::kSetRunning:
        if (s.status == Status::kPending) {
          s.status = Status::kRunning;
          return {flag(true), s};
        }
        if (s.status == Status::kCancelled) {
          s.notified = true;
          return {flag(false), s};
        }
        return {Ret{Answer::kInvalidState, 0, {}}, s};
      case Op::kSetResult:
      case Op::kSetException:
        if (s.done()) return {Ret{Answer::kInvalidState, 0, {}}, s};
        return {complete(Status::kFinished, call.op == Op::kSetException, call.arg), s};
      case Op::kDone:
        return {flag(s.done()), s};
      case Op::kCancelled:
        return {flag(s.status == Status::kCancelled), s};
      case Op::kRunning:
        return {flag(s.status == Status::kRunning), s};
      case Op::kResultPoll:
      case Op::kExceptionPoll: {
        if (!s.done()) return {Ret{Answer::kTimeout, 0, {}}, s};
        if (s.status == Status::kCancelled) return {Ret{Answer::kCancelledError, 0, {}}, s};
        if (s.failed) return {Ret{Answer::kError, s.value, {}}, s};
        if (call.op == Op::kExceptionPoll) return {Ret{Answer::kNone, 0, {}}, s};
        return {Ret{Answer::kValue, s.value, {}}, s};
      }
      case Op::kAddCallback:
        if (s.done()) return {Ret{Answer::kOk, 0, {static_cast<int>(call.arg)}}, s};
        s.callbacks.push_back(static_cast<int>(call.arg));
        return {Ret{Answer::kOk, 0, {}}, s};
    }
    return {Ret{}, s};
  }

  // Does `ret` answer as `expected` does (callbacks aside)?
  static bool same_answer(const State& s, const Call& call, const Ret& expected, const Ret& ret) {
    if (ret.answer == Answer::kUnknown) return true;
    // A repeated notify of a cancelled future is false by cf's EXT-NOTIFY-1
    // and InvalidStateError in CPython; FUT-SET-1 leaves it open, and so does
    // this model of FUT-*.
    if (call.op == Op::kSetRunning && s.notified && ret.answer == Answer::kInvalidState)
      return true;
    return expected.answer == ret.answer && expected.value == ret.value;
  }

  static std::optional<State> step(const State& s, const Call& call, const Ret& ret) {
    auto [expected, next] = apply(s, call);
    if (!same_answer(s, call, expected, ret) || expected.ran != ret.ran) return std::nullopt;
    return next;
  }

  // The clause whose rule gives `call`'s answer in `s`: its cell of the table.
  static const char* answer_clause(const State& s, const Call& call) {
    const Status st = s.status;
    switch (call.op) {
      case Op::kCancel:
        return st == Status::kPending    ? "FUT-CANCEL-1"
               : st == Status::kRunning  ? "FUT-CANCEL-2"
               : st == Status::kFinished ? "FUT-CANCEL-3"
                                         : "FUT-CANCEL-4";
      case Op::kSetRunning:
        return st == Status::kPending     ? "FUT-STATE-2"
               : st == Status::kCancelled ? "FUT-SET-1"
                                          : "FUT-SET-2";
      case Op::kSetResult:
      case Op::kSetException:
        if (st == Status::kPending) return "FUT-SET-5";
        if (st == Status::kRunning) return "FUT-STATE-3";
        return call.op == Op::kSetResult ? "FUT-SET-3" : "FUT-SET-4";
      case Op::kDone:
      case Op::kCancelled:
      case Op::kRunning:
        return st == Status::kPending    ? "FUT-STATE-1"
               : st == Status::kRunning  ? "FUT-STATE-2"
               : st == Status::kFinished ? "FUT-STATE-3"
                                         : "FUT-STATE-4";
      case Op::kResultPoll:
        if (!s.done()) return "FUT-RESULT-6";
        if (st == Status::kCancelled) return "FUT-RESULT-3";
        return s.failed ? "FUT-RESULT-2" : "FUT-RESULT-1";
      case Op::kExceptionPoll:
        if (!s.done()) return "FUT-EXC-3";
        return st == Status::kCancelled ? "FUT-EXC-2" : "FUT-EXC-1";
      case Op::kAddCallback:
        return s.done() ? "FUT-CB-3" : "FUT-CB-1";
    }
    return "FUT-STATE-1";
  }

  // The clause whose rule says which callbacks `call` runs in `s`, for a call
  // that ran `ran` where the table says `expected`.
  static const char* callbacks_clause(const State& s, const Call& call,
                                      const std::vector<int>& expected,
                                      const std::vector<int>& ran) {
    if (ran.size() == expected.size() &&
        std::is_permutation(ran.begin(), ran.end(), expected.begin())) {
      return "FUT-CB-2";  // the right ones, in another order
    }
    if (call.op == Op::kAddCallback && s.done()) return "FUT-CB-3";
    if (call.op == Op::kCancel && s.status == Status::kPending) return "FUT-CB-6";
    if (call.op == Op::kCancel && s.status == Status::kCancelled) return "FUT-CANCEL-4";
    return "FUT-CB-1";
  }

  // Every clause a cell of the table names (answer_clause, callbacks_clause).
  static std::vector<std::string> cell_clauses() {
    std::vector<std::string> out;
    auto add = [&](const char* c) {
      if (std::find(out.begin(), out.end(), c) == out.end()) out.emplace_back(c);
    };
    for (Status st : {Status::kPending, Status::kRunning, Status::kCancelled, Status::kFinished}) {
      for (bool failed : {false, true}) {
        State s;
        s.status = st;
        s.failed = failed;
        for (int op = 0; op <= static_cast<int>(Op::kAddCallback); ++op) {
          Call call{static_cast<Op>(op), 0};
          add(answer_clause(s, call));
          add(callbacks_clause(s, call, {1}, {}));
          add(callbacks_clause(s, call, {1, 2}, {2, 1}));
        }
      }
    }
    return out;
  }

  // The specification with `clause`'s rule set aside: a call whose answer
  // (or callbacks) that rule gives may return anything else. Its state then
  // moves as the table says; with `any_cell`, also as the call's cell in any
  // other state would move it (the implementation took the future for one in
  // another state, and acted on that).
  static std::vector<State> step_setting_aside(const char* clause, bool any_cell, const State& s,
                                               const Call& call, const Ret& ret) {
    auto [expected, next] = apply(s, call);
    const bool answer_ok = same_answer(s, call, expected, ret);
    const bool ran_ok = expected.ran == ret.ran;
    auto is = [&](const char* c) { return std::string_view(c) == clause; };
    if (answer_ok && ran_ok) return {next};
    if (answer_ok) {
      if (is(callbacks_clause(s, call, expected.ran, ret.ran))) return {next};
      return {};
    }
    if (!is(answer_clause(s, call))) return {};
    std::vector<State> out;
    if (ran_ok || is(callbacks_clause(s, call, expected.ran, ret.ran))) out.push_back(next);
    if (!any_cell) return out;
    for (Status other :
         {Status::kPending, Status::kRunning, Status::kCancelled, Status::kFinished}) {
      if (other == s.status) continue;
      State pretend = s;
      pretend.status = other;
      auto [acted, after] = apply(pretend, call);
      if (same_answer(pretend, call, acted, ret) && acted.ran == ret.ran &&
          std::find(out.begin(), out.end(), after) == out.end()) {
        out.push_back(after);
      }
    }
    return out;
  }

  static std::size_t hash(const State& s) {
    std::size_t h = static_cast<std::size_t>(s.status) * 31 + (s.failed ? 17 : 0);
    h = h * 1000003 ^ std::hash<std::int64_t>()(s.value);
    for (int cb : s.callbacks) h = h * 31 + static_cast<std::size_t>(cb);
    return h;
  }
};

inline std::ostream& operator<<(std::ostream& os, const FutureSpec::Call& c) {
  using Op = FutureSpec::Op;
  switch (c.op) {
    case Op::kCancel:
      return os << "cancel()";
    case Op::kSetRunning:
      return os << "set_running_or_notify_cancel()";
    case Op::kSetResult:
      return os << "set_result(" << c.arg << ")";
    case Op::kSetException:
      return os << "set_exception(error " << c.arg << ")";
    case Op::kDone:
      return os << "done()";
    case Op::kCancelled:
      return os << "cancelled()";
    case Op::kRunning:
      return os << "running()";
    case Op::kResultPoll:
      return os << "result(0s)";
    case Op::kExceptionPoll:
      return os << "exception(0s)";
    case Op::kAddCallback:
      return os << "add_done_callback(cb " << c.arg << ")";
  }
  return os;
}

inline std::ostream& operator<<(std::ostream& os, const FutureSpec::Ret& r) {
  using A = FutureSpec::Answer;
  switch (r.answer) {
    case A::kTrue:
      os << "true";
      break;
    case A::kFalse:
      os << "false";
      break;
    case A::kOk:
      os << "ok";
      break;
    case A::kValue:
      os << r.value;
      break;
    case A::kError:
      os << "raises error " << r.value;
      break;
    case A::kNone:
      os << "None";
      break;
    case A::kCancelledError:
      os << "CancelledError";
      break;
    case A::kTimeout:
      os << "TimeoutError";
      break;
    case A::kInvalidState:
      os << "InvalidStateError";
      break;
    case A::kUnknown:
      os << "(not reported)";
      break;
  }
  if (!r.ran.empty()) {
    os << ", ran callbacks";
    for (int cb : r.ran) os << " " << cb;
  }
  return os;
}

// The clauses whose rules the calls of `history`, replayed in `order` (a
// linearization), met: each call's cell (answer_clause), and, where it ran
// callbacks, the rule that runs them [FUT-CB-1] [FUT-CB-3] [FUT-CB-6], and
// their order when more than one ran [FUT-CB-2].
inline std::vector<const char*> clauses_met(const History<FutureSpec>& history,
                                            const std::vector<std::size_t>& order) {
  using Op = FutureSpec::Op;
  std::vector<const char*> out;
  auto add = [&](const char* c) {
    if (std::none_of(out.begin(), out.end(),
                     [&](const char* o) { return std::string_view(o) == c; })) {
      out.push_back(c);
    }
  };
  FutureSpec::State s;
  for (std::size_t i : order) {
    const auto& call = history[i].call;
    add(FutureSpec::answer_clause(s, call));
    auto [ret, next] = FutureSpec::apply(s, call);
    if (!ret.ran.empty()) {
      add(call.op == Op::kAddCallback ? "FUT-CB-3"
          : call.op == Op::kCancel    ? "FUT-CB-6"
                                      : "FUT-CB-1");
      if (ret.ran.size() > 1) add("FUT-CB-2");
    }
    s = next;
  }
  return out;
}

// The clauses among `clauses` whose rule, set aside alone, makes `history`
// linearizable: first letting calls answer against that rule while the
// state moves as the table says, then, if no rule explains the history that
// way, letting them act as in another state. One clause: that rule was
// broken. None or several: the history cannot tell which rule was.
inline std::vector<const char*> blame(const History<FutureSpec>& history,
                                      const std::vector<const char*>& clauses) {
  std::vector<const char*> out;
  for (bool any_cell : {false, true}) {
    for (const char* clause : clauses) {
      auto step = [clause, any_cell](const FutureSpec::State& s, const FutureSpec::Call& call,
                                     const FutureSpec::Ret& ret) {
        return FutureSpec::step_setting_aside(clause, any_cell, s, call, ret);
      };
      if (check_with(history, FutureSpec::State{}, step).linearizable) out.push_back(clause);
    }
    if (!out.empty()) return out;
  }
  return out;
}

}  // namespace cf::lincheck
