// Linearizability of futures shared between threads [FUT-*].
//
// Two to four threads run random programs of producer and consumer calls
// (cancel, set_running_or_notify_cancel, set_result, set_exception, done,
// cancelled, running, result(0s), exception(0s), add_done_callback: those the
// implementation declares) on one or two raw futures, released together by a
// barrier. A recorder keeps each call's invocation and response times from
// one shared counter, and the callbacks that ran inside it (by thread); once
// every thread has returned, the test thread observes each future once more,
// so that the history ends in a state every rule can see. lincheck/ then
// decides, future by future, whether the history is linearizable against the
// sequential Future specification (lincheck/future_spec.hpp), whose every
// cell is one clause's rule. A history that is not is charged to the one
// clause which, set aside alone, explains it (lincheck::blame); when no
// single clause does, or several do, the case fails as inconclusive, with the
// history. A history that is linearizable counts for the clause of every cell
// its calls met in the order found. Each program runs a few times per case to
// meet more interleavings.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
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
using History = lincheck::History<FutureSpec>;
using props::Kind;

// The clauses this property judges: those of SPEC.md's state table, one per
// cell of FutureSpec (FutureSpec::cell_clauses() must name no other).
const std::vector<const char*>& table_clauses() {
  static const std::vector<const char*> clauses = {
      "FUT-STATE-1",  "FUT-STATE-2",  "FUT-STATE-3",  "FUT-STATE-4",  "FUT-CANCEL-1",
      "FUT-CANCEL-2", "FUT-CANCEL-3", "FUT-CANCEL-4", "FUT-SET-1",    "FUT-SET-2",
      "FUT-SET-3",    "FUT-SET-4",    "FUT-SET-5",    "FUT-RESULT-1", "FUT-RESULT-2",
      "FUT-RESULT-3", "FUT-RESULT-6", "FUT-EXC-1",    "FUT-EXC-2",    "FUT-EXC-3",
      "FUT-CB-1",     "FUT-CB-2",     "FUT-CB-3",     "FUT-CB-6"};
  return clauses;
}

bool names_every_cell(const std::vector<const char*>& clauses) {
  for (const auto& cell : FutureSpec::cell_clauses()) {
    if (std::none_of(clauses.begin(), clauses.end(), [&](const char* c) { return cell == c; }))
      return false;
  }
  return true;
}

struct Step {
  int future = 0;
  FutureSpec::Call call;
};

std::ostream& operator<<(std::ostream& os, const Step& s) {
  return os << "f" << s.future << "." << s.call;
}

// The calls the implementation declares: cancel (cancel), the queries
// (state-queries), the polls (result-timeout), add_done_callback
// (done-callbacks); the producer calls always (raw-future).
std::vector<Op> declared_ops(Caps caps) {
  std::vector<Op> ops = {Op::kSetRunning, Op::kSetResult, Op::kSetException};
  if (props::has(caps, Cap::kCancel)) ops.push_back(Op::kCancel);
  if (props::has(caps, Cap::kStateQueries)) {
    ops.insert(ops.end(), {Op::kDone, Op::kCancelled, Op::kRunning});
  }
  if (props::has(caps, Cap::kResultTimeout))
    ops.insert(ops.end(), {Op::kResultPoll, Op::kExceptionPoll});
  if (props::has(caps, Cap::kDoneCallbacks)) ops.push_back(Op::kAddCallback);
  return ops;
}

rc::Gen<Step> gen_step(int futures, const std::vector<Op>& ops) {
  return rc::gen::exec([futures, ops] {
    Step s;
    s.future = *rc::gen::inRange(0, futures);
    s.call.op = *rc::gen::elementOf(ops);
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
    case Kind::kValue:
      return {Answer::kValue, o.value, {}};
    case Kind::kNone:
      return {exception_call ? Answer::kNone : Answer::kOk, 0, {}};
    case Kind::kTaskError:
      return {Answer::kError, error_number(o.message), {}};
    case Kind::kCancelled:
      return {Answer::kCancelledError, 0, {}};
    case Kind::kTimeout:
      return {Answer::kTimeout, 0, {}};
    case Kind::kInvalidState:
      return {Answer::kInvalidState, 0, {}};
    default:
      return {Answer::kValue, -424242, {}};
  }
}

// Callbacks that ran in this thread during the call it is recording.
thread_local std::vector<int>* t_ran = nullptr;

struct Recorder {
  explicit Recorder(bool cancel_reports) : cancel_reports(cancel_reports) {}
  const bool cancel_reports;  // cancel-result: cancel()'s answer means something
  std::atomic<std::uint64_t> clock{1};
  std::mutex mutex;
  std::vector<History> by_future;
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
    auto flag = [](bool b) { return FutureSpec::Ret{b ? Answer::kTrue : Answer::kFalse, 0, {}}; };
    switch (call.op) {
      case Op::kCancel: {
        bool got = f.cancel();
        op.ret = cancel_reports ? flag(got) : FutureSpec::Ret{Answer::kUnknown, 0, {}};
        break;
      }
      case Op::kSetRunning: {
        Outcome o = f.set_running_or_notify_cancel();
        op.ret = o.is(Kind::kValue) ? flag(o.value != 0) : from_outcome(o, false);
        break;
      }
      case Op::kSetResult:
        op.ret = from_outcome(f.set_result(call.arg), false);
        break;
      case Op::kSetException:
        op.ret = from_outcome(f.set_exception(error_message(call.arg)), false);
        break;
      case Op::kDone:
        op.ret = flag(f.done());
        break;
      case Op::kCancelled:
        op.ret = flag(f.cancelled());
        break;
      case Op::kRunning:
        op.ret = flag(f.running());
        break;
      case Op::kResultPoll:
        op.ret = from_outcome(f.result(std::chrono::seconds(0)), false);
        break;
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

// Charges a history that is not linearizable to the one rule that explains
// it, or, when the history cannot tell, fails the case as inconclusive.
void judge(const History& history, const lincheck::Verdict& verdict, int future) {
  const auto blamed = lincheck::blame(history, table_clauses());
  const std::string what = "the history of future f" + std::to_string(future) +
                           " is not linearizable\n" + lincheck::describe(history, verdict);
  if (blamed.size() == 1) {
    CF_CHECK(blamed.front(), false) << what << "  (setting this rule aside alone explains it)";
    return;
  }
  std::string candidates;
  for (const char* c : blamed) candidates += std::string(candidates.empty() ? "" : ", ") + c;
  CF_PRECONDITION(nullptr, false) << what << "  (no single rule explains it"
                                  << (blamed.empty() ? "" : "; each of " + candidates + " would")
                                  << ")";
}

RC_GTEST_FIXTURE_PROP(Conformance, LIN_SharedFutureHistoriesAreLinearizable, ()) {
  CF_REQUIRE(Cap::kRawFuture);
  CF_PRECONDITION(nullptr, names_every_cell(table_clauses()))
      << "a cell of FutureSpec names a clause "
         "missing from table_clauses()";
  const auto ops = declared_ops(caps());
  const int futures = *rc::gen::inRange(1, 3);
  const int threads = *rc::gen::inRange(2, 5);
  std::vector<std::vector<Step>> programs;
  for (int t = 0; t < threads; ++t) {
    programs.push_back(*rc::gen::container<std::vector<Step>>(*rc::gen::inRange<std::size_t>(1, 7),
                                                              gen_step(futures, ops)));
  }
  // The final observations: whatever the implementation lets the test see.
  std::vector<FutureSpec::Call> final_calls;
  for (Op op : {Op::kRunning, Op::kCancelled, Op::kDone, Op::kResultPoll, Op::kExceptionPoll}) {
    if (std::find(ops.begin(), ops.end(), op) != ops.end()) final_calls.push_back({op, 0});
  }
  const int runs = props::scaled(4);
  for (int run = 0; run < runs; ++run) {
    std::vector<FuturePtr> fs;
    for (int i = 0; i < futures; ++i) fs.push_back(impl().make_future());
    Recorder recorder(has(Cap::kCancelResult));
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
    for (int i = 0; i < futures; ++i) {
      for (const auto& call : final_calls)
        recorder.perform(*fs[static_cast<std::size_t>(i)], i, threads, call, 0);
    }
    for (int i = 0; i < futures; ++i) {
      const auto& history = recorder.by_future[static_cast<std::size_t>(i)];
      auto verdict = lincheck::check<FutureSpec>(history, FutureSpec::State{});
      if (!verdict.linearizable) {
        judge(history, verdict, i);
        continue;
      }
      // Linearizable: every call answered as its cell says, in the order
      // found; each of those cells' rules held here.
      for (const char* clause : lincheck::clauses_met(history, verdict.order)) {
        CF_CHECK(clause, verdict.linearizable) << "the history of future f" << i;
      }
    }
    // Every callback ran inside some call; one that also ran outside any
    // (a second time, or on another thread) broke "exactly once, in the
    // completing thread".
    CF_CHECK("FUT-CB-1", recorder.stray.load() == 0)
        << recorder.stray.load() << " callback call(s) outside the call that owed them";
  }
  RC_TAG(threads, "threads");
}

}  // namespace
}  // namespace cf::conformance
