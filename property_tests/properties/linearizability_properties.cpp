// Linearizability of shared futures [FUT-*] [EXT-SHARED-1].
//
// Two to four threads run random programs of producer and consumer calls
// (cancel, set_running_or_notify_cancel, set_result, set_exception, done,
// cancelled, running, result(0s), exception(0s), add_done_callback) on one
// or two shared raw futures, released together by a barrier. A recorder
// keeps each call's invocation and response times from one shared counter,
// and the callbacks that ran inside it (by thread). lincheck/ then decides,
// future by future, whether the history is linearizable against the
// sequential Future specification (lincheck/future_spec.hpp). Each program
// runs a few times per case to meet more interleavings.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <atomic>
#include <barrier>
#include <cstdint>
#include <mutex>
#include <ostream>
#include <string>
#include <thread>
#include <vector>

#include "harness/suite.hpp"
#include "lincheck/future_spec.hpp"
#include "lincheck/lincheck.hpp"
#include "properties/support.hpp"

namespace cf::conformance {
namespace {

using lincheck::FutureSpec;
using Op = FutureSpec::Op;
using Answer = FutureSpec::Answer;
using props::Kind;

struct Step {
  int future = 0;
  FutureSpec::Call call;
};

std::ostream& operator<<(std::ostream& os, const Step& s) {
  return os << "f" << s.future << "." << s.call;
}

rc::Gen<Step> gen_step(int futures) {
  return rc::gen::exec([futures] {
    Step s;
    s.future = *rc::gen::inRange(0, futures);
    s.call.op = *rc::gen::element(Op::kCancel, Op::kSetRunning, Op::kSetResult, Op::kSetException,
                                  Op::kDone, Op::kCancelled, Op::kRunning, Op::kResultPoll,
                                  Op::kExceptionPoll, Op::kAddCallback);
    s.call.arg = *rc::gen::inRange<std::int64_t>(0, 100);
    return s;
  });
}

std::string error_message(std::int64_t n) { return "error <" + std::to_string(n) + ">"; }

// The error number in "error <n>", or -1.
std::int64_t error_number(const std::string& message) {
  auto open = message.find("error <");
  if (open == std::string::npos) return -1;
  return std::atoll(message.c_str() + open + 7);
}

// What an adapter call returned, in the specification's terms. Anything the
// specification has no word for becomes an answer no state produces.
FutureSpec::Ret from_outcome(const Outcome& o, bool exception_call) {
  switch (o.kind) {
    case Kind::kValue: return {Answer::kValue, o.value, {}};
    case Kind::kNone: return {exception_call ? Answer::kNone : Answer::kOk, 0, {}};
    case Kind::kTaskError: return {Answer::kError, error_number(o.message), {}};
    case Kind::kCancelled: return {Answer::kCancelledError, 0, {}};
    case Kind::kTimeout: return {Answer::kTimeout, 0, {}};
    case Kind::kInvalidState: return {Answer::kInvalidState, 0, {}};
    default: return {Answer::kValue, -424242, {}};
  }
}

// Callbacks that ran in this thread during the call it is recording.
thread_local std::vector<int>* t_ran = nullptr;

struct Recorder {
  std::atomic<std::uint64_t> clock{1};
  std::mutex mutex;
  std::vector<std::vector<lincheck::Operation<FutureSpec>>> by_future;
  std::atomic<int> stray{0};  // callbacks that ran outside any call of their thread

  std::function<void(const CallbackEvent&)> callback(int id) {
    return [this, id](const CallbackEvent&) {
      if (t_ran) {
        t_ran->push_back(id);
      } else {
        stray.fetch_add(1);
      }
    };
  }

  void perform(Future& f, int future, int thread, const FutureSpec::Call& call, int callback_id) {
    lincheck::Operation<FutureSpec> op;
    op.thread = thread;
    op.call = call;
    if (call.op == Op::kAddCallback) op.call.arg = callback_id;
    std::vector<int> ran;
    t_ran = &ran;
    op.invoked = clock.fetch_add(1);
    switch (call.op) {
      case Op::kCancel: op.ret = {f.cancel() ? Answer::kTrue : Answer::kFalse, 0, {}}; break;
      case Op::kSetRunning: {
        Outcome o = f.set_running_or_notify_cancel();
        op.ret = o.is(Kind::kValue) ? FutureSpec::Ret{o.value ? Answer::kTrue : Answer::kFalse, 0, {}}
                                    : from_outcome(o, false);
        break;
      }
      case Op::kSetResult: op.ret = from_outcome(f.set_result(call.arg), false); break;
      case Op::kSetException:
        op.ret = from_outcome(f.set_exception(error_message(call.arg)), false);
        break;
      case Op::kDone: op.ret = {f.done() ? Answer::kTrue : Answer::kFalse, 0, {}}; break;
      case Op::kCancelled: op.ret = {f.cancelled() ? Answer::kTrue : Answer::kFalse, 0, {}}; break;
      case Op::kRunning: op.ret = {f.running() ? Answer::kTrue : Answer::kFalse, 0, {}}; break;
      case Op::kResultPoll: op.ret = from_outcome(f.result(std::chrono::seconds(0)), false); break;
      case Op::kExceptionPoll:
        op.ret = from_outcome(f.exception(std::chrono::seconds(0)), true);
        break;
      case Op::kAddCallback:
        f.add_done_callback(callback(callback_id));
        op.ret = {Answer::kOk, 0, {}};
        break;
    }
    op.returned = clock.fetch_add(1);
    t_ran = nullptr;
    op.ret.ran = std::move(ran);
    std::lock_guard lock(mutex);
    by_future[static_cast<std::size_t>(future)].push_back(std::move(op));
  }
};

RC_GTEST_FIXTURE_PROP(Conformance, LIN_SharedFutureHistoriesAreLinearizable, ()) {
  CF_CLAUSES("FUT-STATE-1", "FUT-STATE-2", "FUT-STATE-3", "FUT-STATE-4", "FUT-CANCEL-1",
             "FUT-CANCEL-2", "FUT-CANCEL-3", "FUT-CANCEL-4", "FUT-SET-1", "FUT-SET-2", "FUT-SET-3",
             "FUT-SET-4", "FUT-SET-5", "FUT-RESULT-1", "FUT-RESULT-2", "FUT-RESULT-3",
             "FUT-RESULT-6", "FUT-EXC-1", "FUT-EXC-2", "FUT-EXC-3", "FUT-CB-1", "FUT-CB-2",
             "FUT-CB-3", "FUT-CB-6", "EXT-SHARED-1");
  CF_REQUIRE(Cap::kRawFuture, Cap::kCancel, Cap::kStateQueries, Cap::kResultTimeout,
             Cap::kDoneCallbacks);
  const int futures = *rc::gen::inRange(1, 3);
  const int threads = *rc::gen::inRange(2, 5);
  std::vector<std::vector<Step>> programs;
  for (int t = 0; t < threads; ++t) {
    programs.push_back(*rc::gen::container<std::vector<Step>>(*rc::gen::inRange<std::size_t>(1, 7),
                                                             gen_step(futures)));
  }
  const int runs = props::scaled(4);
  for (int run = 0; run < runs; ++run) {
    std::vector<FuturePtr> fs;
    for (int i = 0; i < futures; ++i) fs.push_back(impl().make_future());
    Recorder recorder;
    recorder.by_future.resize(static_cast<std::size_t>(futures));
    std::barrier start(threads);
    {
      std::vector<std::jthread> workers;
      for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
          start.arrive_and_wait();
          int n = 0;
          for (const Step& s : programs[static_cast<std::size_t>(t)]) {
            recorder.perform(*fs[static_cast<std::size_t>(s.future)], s.future, t, s.call,
                             t * 100 + n++);
          }
        });
      }
    }
    RC_ASSERT(recorder.stray.load() == 0);  // a callback ran outside the call that owed it [FUT-CB-1]
    for (int i = 0; i < futures; ++i) {
      const auto& history = recorder.by_future[static_cast<std::size_t>(i)];
      auto verdict = lincheck::check<FutureSpec>(history, FutureSpec::State{});
      if (!verdict.linearizable) {
        CF_RC_FAIL("[FUT-*] the history of future f" + std::to_string(i) + " is not linearizable\n" +
                lincheck::describe(history, verdict) + "  " + props::replay_hint());
      }
    }
  }
  RC_TAG(threads, "threads");
}

}  // namespace
}  // namespace cf::conformance
