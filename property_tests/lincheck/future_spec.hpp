// future_spec.hpp — the sequential specification of one Future, for the
// linearizability checker: SPEC.md's state table, plus done-callbacks.
//
// A callback is part of the response of the call that ran it: a completing
// call (set_result, set_exception, a successful cancel) runs the callbacks
// queued so far, in the order added [FUT-CB-1] [FUT-CB-2] [FUT-CB-6]; adding
// one to a done future runs it in that call [FUT-CB-3]. So "each callback ran
// once, in the completing thread, in order" is checked with the rest.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <ostream>
#include <utility>
#include <vector>

namespace cf::lincheck {

struct FutureSpec {
  enum class Status { kPending, kRunning, kCancelled, kFinished };
  struct State {
    Status status = Status::kPending;
    bool failed = false;
    std::int64_t value = 0;       // the value, or the error's number
    std::vector<int> callbacks;   // queued, in the order added
    bool notified = false;        // cancelled, and set_running_or_notify_cancel() has returned false
    bool operator==(const State&) const = default;
    bool done() const { return status == Status::kCancelled || status == Status::kFinished; }
  };

  enum class Op {
    kCancel, kSetRunning, kSetResult, kSetException, kDone, kCancelled, kRunning,
    kResultPoll, kExceptionPoll, kAddCallback,
  };
  struct Call {
    Op op = Op::kDone;
    std::int64_t arg = 0;  // set_result's value, set_exception's error number, callback id
  };

  enum class Answer { kTrue, kFalse, kOk, kValue, kError, kNone, kCancelledError, kTimeout, kInvalidState };
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
      case Op::kDone: return {flag(s.done()), s};
      case Op::kCancelled: return {flag(s.status == Status::kCancelled), s};
      case Op::kRunning: return {flag(s.status == Status::kRunning), s};
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

  static std::optional<State> step(const State& s, const Call& call, const Ret& ret) {
    auto [expected, next] = apply(s, call);
    // A repeated notify of a cancelled future is false by cf's EXT-NOTIFY-1
    // and InvalidStateError in CPython; FUT-SET-1 leaves it open, and so does
    // this model of FUT-*.
    if (call.op == Op::kSetRunning && s.notified && ret.answer == Answer::kInvalidState) return next;
    if (!(expected == ret)) return std::nullopt;
    return next;
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
    case Op::kCancel: return os << "cancel()";
    case Op::kSetRunning: return os << "set_running_or_notify_cancel()";
    case Op::kSetResult: return os << "set_result(" << c.arg << ")";
    case Op::kSetException: return os << "set_exception(error " << c.arg << ")";
    case Op::kDone: return os << "done()";
    case Op::kCancelled: return os << "cancelled()";
    case Op::kRunning: return os << "running()";
    case Op::kResultPoll: return os << "result(0s)";
    case Op::kExceptionPoll: return os << "exception(0s)";
    case Op::kAddCallback: return os << "add_done_callback(cb " << c.arg << ")";
  }
  return os;
}

inline std::ostream& operator<<(std::ostream& os, const FutureSpec::Ret& r) {
  using A = FutureSpec::Answer;
  switch (r.answer) {
    case A::kTrue: os << "true"; break;
    case A::kFalse: os << "false"; break;
    case A::kOk: os << "ok"; break;
    case A::kValue: os << r.value; break;
    case A::kError: os << "raises error " << r.value; break;
    case A::kNone: os << "None"; break;
    case A::kCancelledError: os << "CancelledError"; break;
    case A::kTimeout: os << "TimeoutError"; break;
    case A::kInvalidState: os << "InvalidStateError"; break;
  }
  if (!r.ran.empty()) {
    os << ", ran callbacks";
    for (int cb : r.ran) os << " " << cb;
  }
  return os;
}

}  // namespace cf::lincheck
