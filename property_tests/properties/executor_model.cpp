// The stateful model test (RapidCheck rc::state): random command sequences
// against an executor, checked after every step against the sequential model
// in executor_spec_model.hpp.
//
// Commands: submit a gated task (or, after shutdown, see it refused), open a
// gate, cancel, result/exception with a poll, one-tick or no timeout, add a
// done-callback, wait in each mode, as_completed, map (flowing or starved,
// closed or timed out), shutdown(wait, cancel_futures). A blocking call whose
// condition is not met releases tasks itself, oldest first, and must stay
// blocked until the model says it may return.
//
// After every command the executor is settled (every task the model says has
// started has reached its gate, every finished one is done) and checked:
// start log (each task ran at most once, only when started), state queries,
// callbacks (once, in order added, in the thread the spec names), outcomes.
// A failure shrinks to a short command list; each check names its clauses and
// the line that replays the run.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>
#include <rapidcheck/state.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "harness/background.hpp"
#include "harness/suite.hpp"
#include "properties/executor_spec_model.hpp"
#include "properties/support.hpp"

namespace cf::conformance {
namespace {

using model::ExecutorSpec;
using model::Task;
using props::EdgeTimeout;
using props::Kind;
using State = Task::State;

// Most tasks (handles) and gates one case may use; the lab has 128 gates.
constexpr int kMaxHandles = 14;

#define MODEL_CHECK(cond, clauses, what)                                              \
  do {                                                                                \
    if (!(cond)) {                                                                    \
      std::ostringstream model_check_os__;                                            \
      model_check_os__ << "[" << clauses << "] " << what << "\n  " << props::replay_hint(); \
      CF_RC_FAIL(model_check_os__.str());                                                \
    }                                                                                 \
  } while (0)

// ---------------------------------------------------------------------------
// Callbacks, as they ran.

// Shared with the callbacks (record() keeps the log alive), which may still
// run on a worker after a failed case has left.
class CallbackLog : public std::enable_shared_from_this<CallbackLog> {
 public:
  struct Call {
    int callback;
    long sequence;
    CallbackEvent event;
  };
  std::function<void(const CallbackEvent&)> record(int callback) {
    return [self = shared_from_this(), callback](const CallbackEvent& event) {
      std::lock_guard lock(self->mutex_);
      self->calls_.push_back({callback, self->next_++, event});
      self->changed_.notify_all();
    };
  }
  std::vector<Call> of(int callback) {
    std::lock_guard lock(mutex_);
    std::vector<Call> out;
    for (const auto& c : calls_) {
      if (c.callback == callback) out.push_back(c);
    }
    return out;
  }
  // Waits until `callback` has been called at least once.
  bool await(int callback) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kLong, [&] {
      return std::any_of(calls_.begin(), calls_.end(),
                         [&](const Call& c) { return c.callback == callback; });
    });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Call> calls_;
  long next_ = 0;
};

// ---------------------------------------------------------------------------
// The generation model (deterministic in the commands) and the system.

struct Plan {
  int workers = 1;
  Caps caps = 0;
  int handles = 0;
  bool shut_down = false;
};

struct System {
  System(Lab& l, Implementation& i, Executor& e, int workers)
      : lab(l), impl(i), executor(e), spec(workers), start_log(l.new_log()),
        test_thread(i.thread_token()) {}
  Lab& lab;
  Implementation& impl;
  Executor& executor;
  ExecutorSpec spec;
  int start_log;
  std::int64_t test_thread;
  std::vector<FuturePtr> futures;  // by handle
  std::shared_ptr<CallbackLog> callbacks = std::make_shared<CallbackLog>();
  int next_callback = 0;

  FuturePtr& future(const Task& t) { return futures[static_cast<std::size_t>(t.handle)]; }
  std::vector<FuturePtr> inputs(const std::vector<int>& handles) {
    std::vector<FuturePtr> out;
    for (int h : handles) out.push_back(futures[static_cast<std::size_t>(h)]);
    return out;
  }

  // Brings the executor to the model's quiescent state, then checks it.
  void settle() {
    spec.advance();
    // First what cannot depend on timing: with every live task blocked at a
    // closed gate or queued behind one, none of them can be done.
    for (auto& t : spec.tasks()) {
      if (t.handle < 0 || !t.live() || (t.state == State::kStarted && t.gate_open)) continue;
      MODEL_CHECK(!future(t)->done(), "FUT-STATE-1 FUT-STATE-2 SHUT-CANCEL-2 FUT-RESULT-4",
                  "task " << t.id << " is done although its gate is closed ("
                          << to_string(future(t)->result(std::chrono::seconds(0))) << ")");
    }
    for (auto& t : spec.tasks()) {
      if (t.state == State::kStarted) {
        MODEL_CHECK(lab.await_arrivals(t.gate, 1, kLong), "TPE-FIFO-1 TPE-MAX-1",
                    "task " << t.id << " did not start although it is among the oldest "
                            << spec.workers() << " live tasks");
      } else if (t.state == State::kFinished) {
        if (t.handle >= 0) {
          Outcome got = future(t)->result(kLong);
          MODEL_CHECK(props::seen(got, t.outcome()) == to_string(t.outcome()),
                      "EXEC-SUBMIT-1 EXEC-SUBMIT-2 FUT-RESULT-1",
                      "result() of finished task " << t.id << " is " << to_string(got)
                                                   << ", expected " << to_string(t.outcome()));
        }
      }
    }
    check_start_log();
    check_queries();
    check_callbacks();
  }

  // Each task ran at most once, only if started; map calls that finished ran.
  void check_start_log() {
    auto log = lab.log(start_log);
    for (const auto& t : spec.tasks()) {
      auto times = std::count(log.begin(), log.end(), t.id);
      switch (t.state) {
        case State::kQueued:
          MODEL_CHECK(times == 0, "TPE-FIFO-1 TPE-MAX-1",
                      "queued task " << t.id << " ran while every worker was busy");
          break;
        case State::kCancelled:
          MODEL_CHECK(times == 0, t.cancelled_by, "cancelled task " << t.id << " ran");
          break;
        case State::kMaybe:
          MODEL_CHECK(times <= 1, "MAP-ABANDON-1", "map call " << t.id << " ran twice");
          break;
        case State::kStarted:
        case State::kFinished:
          if (t.handle < 0 && t.state == State::kFinished && times == 0) {
            // A finished map call records before it returns; wait for it.
            MODEL_CHECK(await_entry(t.id), "MAP-ORDER-1", "map call " << t.id << " never ran");
            log = lab.log(start_log);
            times = std::count(log.begin(), log.end(), t.id);
          }
          MODEL_CHECK(times == 1, "EXEC-SUBMIT-1 SHUT-CANCEL-2",
                      "task " << t.id << " ran " << times << " times, expected once");
          break;
      }
    }
  }

  bool await_entry(std::int64_t id) {
    auto until = Clock::now() + kLong;
    for (;;) {
      auto log = lab.log(start_log);
      if (std::count(log.begin(), log.end(), id) > 0) return true;
      if (!lab.await_log_size(start_log, log.size() + 1, until - Clock::now())) return false;
    }
  }

  void check_queries() {
    for (auto& t : spec.tasks()) {
      if (t.handle < 0) continue;
      auto& f = future(t);
      bool running = f->running();
      MODEL_CHECK(f->done() == t.done(), "FUT-STATE-1 FUT-STATE-3 FUT-STATE-4",
                  "done() of task " << t.id << " is " << !t.done());
      MODEL_CHECK(f->cancelled() == (t.state == State::kCancelled), "FUT-STATE-4 FUT-CANCEL-1",
                  "cancelled() of task " << t.id << " is " << (t.state != State::kCancelled));
      switch (t.state) {
        case State::kStarted:
          MODEL_CHECK(running, "FUT-STATE-2 EXEC-RUNNING-1",
                      "running() of started task " << t.id << " is false");
          break;
        case State::kQueued:
          if (t.claimed) {
            MODEL_CHECK(running, "FUT-STATE-2", "claimed task " << t.id << " stopped running");
          } else if (running) {
            MODEL_CHECK(spec.may_claim(t), "FUT-STATE-1 EXEC-CANCEL-1",
                        "task " << t.id << " reports running() at queue position "
                                << spec.queue_position(t) << " behind busy workers");
            t.claimed = true;
          }
          break;
        default:
          MODEL_CHECK(!running, "FUT-STATE-3 FUT-STATE-4",
                      "running() of done task " << t.id << " is true");
      }
    }
  }

  void check_callbacks() {
    if (!props::has(impl.caps(), Cap::kDoneCallbacks)) return;
    for (const auto& t : spec.tasks()) {
      long last = -1;
      for (int cb : t.callbacks) {
        if (t.done()) {
          MODEL_CHECK(callbacks->await(cb), "FUT-CB-1",
                      "callback " << cb << " of done task " << t.id << " never ran");
        }
        auto calls = callbacks->of(cb);
        if (!t.done()) {
          MODEL_CHECK(calls.empty(), "FUT-CB-1",
                      "callback " << cb << " of task " << t.id << " ran before it completed");
          continue;
        }
        MODEL_CHECK(calls.size() == 1, "FUT-CB-1 FUT-CANCEL-4",
                    "callback " << cb << " of task " << t.id << " ran " << calls.size() << " times");
        const auto& call = calls.front();
        MODEL_CHECK(call.sequence > last, "FUT-CB-2",
                    "callbacks of task " << t.id << " ran out of the order added");
        last = call.sequence;
        MODEL_CHECK(call.event.done && call.event.cancelled == (t.state == State::kCancelled),
                    "FUT-CB-1", "callback " << cb << " saw the wrong state");
        if (t.cancelled_here) {
          MODEL_CHECK(call.event.thread_token == test_thread, "FUT-CB-6",
                      "callback " << cb << " of task " << t.id
                                  << " did not run in the cancelling thread");
        }
      }
    }
  }

  // Opens the gate of the oldest blocked task; the finished tasks, in order.
  std::vector<int> release_oldest() {
    int id = spec.oldest_blocked();
    if (id < 0) return {};
    Task& t = spec.task(id);
    t.gate_open = true;
    lab.open(t.gate);
    auto finished = spec.advance();
    settle();
    return finished;
  }
};

// ---------------------------------------------------------------------------
// Commands.

using Command = rc::state::Command<Plan, System>;

std::string show_handles(const std::vector<int>& hs) {
  std::string s = "{";
  for (std::size_t i = 0; i < hs.size(); ++i) s += (i ? ", " : "") + std::to_string(hs[i]);
  return s + "}";
}

enum class Wait { kPoll, kTick, kNone };

struct TimeoutChoice {
  Wait kind = Wait::kNone;
  EdgeTimeout edge;
  static TimeoutChoice any(Caps caps) {
    TimeoutChoice c;
    c.kind = *rc::gen::element(Wait::kPoll, Wait::kTick, Wait::kNone);
    if (c.kind == Wait::kPoll) c.edge = props::gen_poll_timeout();
    if (c.kind == Wait::kTick) c.edge = props::gen_short_timeout();
    if (c.kind == Wait::kNone) {
      c.edge = props::has(caps, Cap::kHugeTimeouts) && *rc::gen::arbitrary<bool>()
                   ? props::gen_huge_timeout()
                   : EdgeTimeout{"none", Timeout::none(), {}, true};
    }
    return c;
  }
  Timeout timeout() const { return edge.timeout; }
};

std::ostream& operator<<(std::ostream& os, const TimeoutChoice& c) { return os << c.edge.name; }

std::vector<int> gen_subset(const Plan& p) {
  if (p.handles == 0) return {};
  return *rc::gen::container<std::vector<int>>(
      *rc::gen::inRange<std::size_t>(0, 5), rc::gen::inRange(0, p.handles));
}

struct Submit : Command {
  bool fails;
  std::int64_t value;
  explicit Submit(const Plan&)
      : fails(*rc::gen::weightedElement<bool>({{4, false}, {1, true}})),
        value(*rc::gen::inRange<std::int64_t>(-100, 100)) {}
  void checkPreconditions(const Plan& p) const override { RC_PRE(p.handles < kMaxHandles); }
  void apply(Plan& p) const override {
    if (!p.shut_down) ++p.handles;
  }
  void run(const Plan&, System& s) const override {
    Task t;
    t.fails = fails;
    t.value = value;
    int id = static_cast<int>(s.spec.tasks().size());
    t.id = id;
    Probe probe = Probe().record(s.start_log, id);
    if (s.spec.shut_down()) {
      try {
        s.executor.submit(probe.returns(value));
        CF_RC_FAIL("[EXEC-SUBMIT-4] submit after shutdown returned a future");
      } catch (const Raised& r) {
        MODEL_CHECK(r.outcome.is(Kind::kShutdown), "EXEC-SUBMIT-4",
                    "submit after shutdown raised " << to_string(r.outcome));
      }
      s.settle();
      return;
    }
    t.gate = s.lab.new_gate();
    probe.gate(t.gate);
    t.handle = static_cast<int>(s.futures.size());
    s.futures.push_back(s.executor.submit(fails ? probe.raises(t.message()) : probe.returns(value)));
    s.spec.add(t);
    s.settle();
  }
  void show(std::ostream& os) const override {
    os << "submit(task " << (fails ? "raising" : "returning " + std::to_string(value))
       << ")  [EXEC-SUBMIT-1/2/4]";
  }
};

struct OpenGate : Command {
  int handle;
  explicit OpenGate(const Plan& p) : handle(*rc::gen::inRange(0, std::max(1, p.handles))) {}
  void checkPreconditions(const Plan& p) const override { RC_PRE(handle < p.handles); }
  void run(const Plan&, System& s) const override {
    Task& t = s.spec.by_handle(handle);
    t.gate_open = true;
    s.lab.open(t.gate);
    s.settle();
  }
  void show(std::ostream& os) const override { os << "open the gate of handle " << handle; }
};

struct Cancel : Command {
  int handle;
  explicit Cancel(const Plan& p) : handle(*rc::gen::inRange(0, std::max(1, p.handles))) {}
  void checkPreconditions(const Plan& p) const override { RC_PRE(handle < p.handles); }
  void run(const Plan&, System& s) const override {
    Task& t = s.spec.by_handle(handle);
    bool may_refuse = t.state == State::kQueued && (t.claimed || s.spec.may_claim(t));
    bool got = s.future(t)->cancel();
    switch (t.state) {
      case State::kQueued:
        if (!got) {
          MODEL_CHECK(may_refuse && s.future(t)->running(), "FUT-CANCEL-1 EXEC-CANCEL-1",
                      "cancel() of pending task " << t.id << " returned false");
          t.claimed = true;
          break;
        }
        MODEL_CHECK(!t.claimed, "FUT-CANCEL-2", "cancel() of claimed task " << t.id << " returned true");
        t.state = State::kCancelled;
        t.cancelled_here = true;
        t.cancelled_by = "EXEC-CANCEL-1";
        break;
      case State::kStarted:
        MODEL_CHECK(!got, "FUT-CANCEL-2 EXEC-RUNNING-1",
                    "cancel() of running task " << t.id << " returned true");
        break;
      case State::kFinished:
        MODEL_CHECK(!got, "FUT-CANCEL-3", "cancel() of finished task " << t.id << " returned true");
        break;
      default:
        MODEL_CHECK(got, "FUT-CANCEL-4", "cancel() of cancelled task " << t.id << " returned false");
    }
    s.settle();
  }
  void show(std::ostream& os) const override {
    os << "cancel(handle " << handle << ")  [FUT-CANCEL-1..4]";
  }
};

struct Read : Command {
  int handle;
  bool exception;
  TimeoutChoice wait;
  explicit Read(const Plan& p)
      : handle(*rc::gen::inRange(0, std::max(1, p.handles))),
        exception(*rc::gen::arbitrary<bool>()),
        wait(TimeoutChoice::any(p.caps)) {}
  void checkPreconditions(const Plan& p) const override { RC_PRE(handle < p.handles); }
  void run(const Plan&, System& s) const override {
    Task& t = s.spec.by_handle(handle);
    if (!t.done() && wait.kind == Wait::kNone) {
      // Blocks until done: release tasks oldest first until this one is.
      auto f = s.future(t);
      bool exc = exception;
      Timeout timeout = wait.timeout();
      Background<Outcome> call(s.lab, [f, exc, timeout] {
        return exc ? f->exception(timeout) : f->result(timeout);
      });
      while (!t.done()) {
        MODEL_CHECK(!call.returns_within(std::chrono::nanoseconds(0)), "FUT-RESULT-5 FUT-RESULT-7",
                    "result() of task " << t.id << " returned before it was done");
        auto finished = s.release_oldest();
        MODEL_CHECK(!finished.empty() || t.done(), "", "nothing left to release");
      }
      MODEL_CHECK(call.returns_within(kLong), "FUT-RESULT-5", "result() was not woken");
      Outcome expected = exception ? t.exception() : t.outcome();
      Outcome got = call.get();
      MODEL_CHECK(props::seen(got, expected) == to_string(expected), "FUT-RESULT-1..5 FUT-EXC-1..3",
                  "blocked read of task " << t.id << " gave " << to_string(got));
      return;
    }
    auto start = Clock::now();
    Outcome got = exception ? s.future(t)->exception(wait.timeout()) : s.future(t)->result(wait.timeout());
    auto elapsed = Clock::now() - start;
    Outcome expected = exception ? t.exception() : t.outcome();
    MODEL_CHECK(props::seen(got, expected) == to_string(expected),
                "FUT-RESULT-1 FUT-RESULT-2 FUT-RESULT-3 FUT-RESULT-4 FUT-RESULT-6 FUT-EXC-1 FUT-EXC-2 FUT-EXC-3",
                (exception ? "exception(" : "result(") << wait << ") of task " << t.id << " gave "
                                                        << to_string(got) << ", expected "
                                                        << to_string(expected));
    if (!t.done()) {
      MODEL_CHECK(elapsed >= wait.edge.at_least, "FUT-RESULT-4",
                  "timed out after " << elapsed.count() << "ns, before its timeout");
    }
    MODEL_CHECK(elapsed < kLateSlack, "FUT-RESULT-6", "a read took " << elapsed.count() << "ns");
    s.settle();  // a timeout changed nothing [FUT-RESULT-4]
  }
  void show(std::ostream& os) const override {
    os << (exception ? "exception" : "result") << "(handle " << handle << ", timeout=" << wait
       << ")  [FUT-RESULT-*/FUT-EXC-*]";
  }
};

struct AddCallback : Command {
  int handle;
  explicit AddCallback(const Plan& p) : handle(*rc::gen::inRange(0, std::max(1, p.handles))) {
    RC_PRE(props::has(p.caps, Cap::kDoneCallbacks));
  }
  void checkPreconditions(const Plan& p) const override { RC_PRE(handle < p.handles); }
  void run(const Plan&, System& s) const override {
    Task& t = s.spec.by_handle(handle);
    int cb = s.next_callback++;
    bool was_done = t.done();
    t.callbacks.push_back(cb);
    s.future(t)->add_done_callback(s.callbacks->record(cb));
    if (was_done) {
      auto calls = s.callbacks->of(cb);
      MODEL_CHECK(calls.size() == 1 && calls.front().event.thread_token == s.test_thread, "FUT-CB-3",
                  "a callback added to done task " << t.id
                                                   << " did not run at once in the adding thread");
    }
    s.settle();
  }
  void show(std::ostream& os) const override {
    os << "add_done_callback(handle " << handle << ")  [FUT-CB-1..3]";
  }
};

enum class Mode { kFirstCompleted, kFirstException, kAllCompleted };

struct WaitCmd : Command {
  std::vector<int> subset;
  Mode mode;
  TimeoutChoice wait;
  explicit WaitCmd(const Plan& p) : subset(gen_subset(p)), wait(TimeoutChoice::any(p.caps)) {
    RC_PRE(props::has(p.caps, Cap::kWait));
    mode = props::has(p.caps, Cap::kWaitFirstException)
               ? *rc::gen::element(Mode::kFirstCompleted, Mode::kFirstException, Mode::kAllCompleted)
               : *rc::gen::element(Mode::kFirstCompleted, Mode::kAllCompleted);
  }
  void checkPreconditions(const Plan& p) const override {
    for (int h : subset) RC_PRE(h < p.handles);
  }
  // Distinct handles, in first-seen order.
  std::vector<int> distinct() const {
    std::vector<int> out;
    for (int h : subset) {
      if (std::find(out.begin(), out.end(), h) == out.end()) out.push_back(h);
    }
    return out;
  }
  std::set<std::size_t> done_now(System& s) const {
    std::set<std::size_t> done;
    for (std::size_t i = 0; i < subset.size(); ++i) {
      // Reported under its first index [WAIT-DUP-1].
      if (std::find(subset.begin(), subset.begin() + static_cast<std::ptrdiff_t>(i), subset[i]) !=
          subset.begin() + static_cast<std::ptrdiff_t>(i))
        continue;
      if (s.spec.by_handle(subset[i]).done()) done.insert(i);
    }
    return done;
  }
  bool met(System& s) const {
    auto d = distinct();
    std::size_t done = 0;
    bool failed = false;
    for (int h : d) {
      auto& t = s.spec.by_handle(h);
      if (t.done()) ++done;
      failed = failed || (t.state == State::kFinished && t.fails);
    }
    if (done == d.size()) return true;  // also the empty input [WAIT-EMPTY-1]
    switch (mode) {
      case Mode::kFirstCompleted: return done > 0;
      case Mode::kFirstException: return failed;
      case Mode::kAllCompleted: return false;
    }
    return false;
  }
  ReturnWhen when() const {
    return mode == Mode::kFirstCompleted   ? ReturnWhen::kFirstCompleted
           : mode == Mode::kFirstException ? ReturnWhen::kFirstException
                                           : ReturnWhen::kAllCompleted;
  }
  // `split` against the model: its done set is the model's done set, or,
  // when the wait may have returned part-way through the completions of its
  // last release (`chain`, in order), any prefix of that chain that already
  // meets the condition.
  void check_split(System& s, const WaitSplit& split, const std::vector<int>& chain = {}) const {
    std::set<std::size_t> done(split.done.begin(), split.done.end());
    std::set<std::size_t> all(done);
    all.insert(split.not_done.begin(), split.not_done.end());
    std::set<std::size_t> firsts;
    for (auto h : distinct()) firsts.insert(index_of(h));
    MODEL_CHECK(all == firsts && split.done.size() + split.not_done.size() == firsts.size(),
                "WAIT-FIRST-1 WAIT-DUP-1",
                "wait(" << show_handles(subset) << ") did not split its distinct inputs");
    // Undo the chain, then replay it one completion at a time.
    std::vector<std::pair<int, State>> undone;
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
      Task& t = s.spec.task(*it);
      undone.emplace_back(*it, t.state);
      t.state = State::kStarted;
    }
    std::vector<std::set<std::size_t>> allowed;
    if (met(s)) allowed.push_back(done_now(s));
    for (auto it = undone.rbegin(); it != undone.rend(); ++it) {
      s.spec.task(it->first).state = it->second;
      if (met(s)) allowed.push_back(done_now(s));
    }
    if (allowed.empty()) allowed.push_back(done_now(s));  // timed out: the current split
    // A split that differs from the model's only in cancelled futures is
    // about WAIT-CANCEL-1 (is a cancelled future done for wait?) alone.
    std::vector<std::size_t> differ;
    std::set_symmetric_difference(done.begin(), done.end(), allowed.back().begin(), allowed.back().end(),
                                  std::back_inserter(differ));
    const bool only_cancelled = !differ.empty() && std::all_of(differ.begin(), differ.end(), [&](std::size_t i) {
      return s.spec.by_handle(subset[i]).state == State::kCancelled;
    });
    MODEL_CHECK(std::find(allowed.begin(), allowed.end(), done) != allowed.end(),
                (only_cancelled ? "WAIT-CANCEL-1"
                                : "WAIT-FIRST-1 WAIT-ALL-1 WAIT-FEXC-1 WAIT-FEXC-3 WAIT-CANCEL-1 WAIT-TIMEOUT-1"),
                "wait(" << show_handles(subset) << ") reported " << split.done.size()
                        << " done; the model has " << allowed.back().size()
                        << (only_cancelled ? ", the difference being cancelled futures" : ""));
  }
  std::size_t index_of(int h) const {
    return static_cast<std::size_t>(std::find(subset.begin(), subset.end(), h) - subset.begin());
  }
  void run(const Plan&, System& s) const override {
    auto inputs = s.inputs(subset);
    if (met(s) || wait.kind != Wait::kNone) {
      bool was_met = met(s);
      auto start = Clock::now();
      auto split = s.impl.wait(inputs, when(), wait.timeout());
      auto elapsed = Clock::now() - start;
      check_split(s, split);
      if (!was_met) {
        MODEL_CHECK(elapsed >= wait.edge.at_least, "WAIT-TIMEOUT-1", "wait returned before its timeout");
      }
      MODEL_CHECK(elapsed < kLateSlack + wait.edge.at_least, "WAIT-FIRST-2 WAIT-FEXC-2 WAIT-TIMEOUT-1",
                  "wait took " << elapsed.count() << "ns");
      s.settle();
      return;
    }
    // Not met and no timeout: it must block until the model says it may return.
    Timeout timeout = wait.timeout();
    auto mode_ = when();
    Implementation& impl = s.impl;
    Background<WaitSplit> call(s.lab, [&impl, inputs, mode_, timeout] {
      return impl.wait(inputs, mode_, timeout);
    });
    std::vector<int> chain;
    while (!met(s)) {
      MODEL_CHECK(!call.returns_within(std::chrono::nanoseconds(0)),
                  "WAIT-FIRST-1 WAIT-ALL-1 WAIT-FEXC-1 WAIT-FEXC-3", "wait returned early");
      chain = s.release_oldest();
      MODEL_CHECK(!chain.empty(), "", "nothing left to release");
    }
    MODEL_CHECK(call.returns_within(kLong), "WAIT-FIRST-1 WAIT-ALL-1 WAIT-FEXC-1 WAIT-CANCEL-1",
                "wait was not woken");
    check_split(s, call.get(), chain);
  }
  void show(std::ostream& os) const override {
    static const char* names[] = {"FIRST_COMPLETED", "FIRST_EXCEPTION", "ALL_COMPLETED"};
    os << "wait(" << show_handles(subset) << ", " << names[static_cast<int>(mode)]
       << ", timeout=" << wait << ")  [WAIT-*]";
  }
};

struct AsCompletedCmd : Command {
  std::vector<int> subset;
  TimeoutChoice wait;
  explicit AsCompletedCmd(const Plan& p) : subset(gen_subset(p)), wait(TimeoutChoice::any(p.caps)) {
    RC_PRE(props::has(p.caps, Cap::kAsCompleted));
  }
  void checkPreconditions(const Plan& p) const override {
    for (int h : subset) RC_PRE(h < p.handles);
  }
  std::size_t index_of(int h) const {
    return static_cast<std::size_t>(std::find(subset.begin(), subset.end(), h) - subset.begin());
  }
  void run(const Plan&, System& s) const override {
    std::set<int> distinct(subset.begin(), subset.end());
    std::set<std::size_t> done_at_call, pending;
    for (int h : distinct) (s.spec.by_handle(h).done() ? done_at_call : pending).insert(index_of(h));
    auto start = Clock::now();
    auto run = s.impl.as_completed(s.inputs(subset), wait.timeout());
    std::set<std::size_t> first;
    bool cancelled_at_call = false;
    for (int h : distinct) cancelled_at_call |= s.spec.by_handle(h).state == Task::State::kCancelled;
    for (std::size_t i = 0; i < done_at_call.size(); ++i) {
      std::optional<std::size_t> next;
      try {
        next = run->next();
      } catch (const Raised& r) {
        CF_RC_FAIL(std::string(cancelled_at_call ? "[ASC-CANCEL-1] " : "[ASC-DONE-1 ASC-TIMEOUT-2] ") +
                "as_completed raised " + to_string(r.outcome) + " before yielding the done futures\n  " +
                props::replay_hint());
      }
      MODEL_CHECK(next.has_value(), "ASC-DONE-1 ASC-TIMEOUT-2", "as_completed ended early");
      first.insert(*next);
    }
    MODEL_CHECK(first == done_at_call, "ASC-DONE-1 ASC-DUP-1 ASC-CANCEL-1",
                "as_completed did not yield the done futures first, each once");
    if (pending.empty()) {
      MODEL_CHECK(!run->next().has_value(), "ASC-ALL-1 ASC-DUP-1", "as_completed yielded too much");
    } else if (wait.kind != Wait::kNone) {
      try {
        run->next();
        CF_RC_FAIL("[ASC-TIMEOUT-1] as_completed went on past its deadline\n  " + props::replay_hint());
      } catch (const Raised& r) {
        auto elapsed = Clock::now() - start;
        MODEL_CHECK(r.outcome.is(Kind::kTimeout), "ASC-TIMEOUT-1", "raised " << to_string(r.outcome));
        MODEL_CHECK(elapsed >= wait.edge.at_least, "ASC-TIMEOUT-1", "timed out before its deadline");
        std::string message = std::to_string(pending.size()) + " (of " +
                              std::to_string(distinct.size()) + ") futures unfinished";
        MODEL_CHECK(r.outcome.message.empty() || r.outcome.message == message, "ASC-TIMEOUT-1",
                    "message \"" << r.outcome.message << "\", expected \"" << message << "\"");
      }
    } else {
      // Release tasks oldest first; each completion in the subset comes next.
      while (!pending.empty()) {
        auto finished = s.release_oldest();
        MODEL_CHECK(!finished.empty(), "", "nothing left to release");
        for (int id : finished) {
          const Task& t = s.spec.task(id);
          if (t.handle < 0 || !distinct.count(t.handle)) continue;
          auto next = run->next();
          MODEL_CHECK(next && *next == index_of(t.handle), "ASC-ORDER-1",
                      "as_completed yielded " << (next ? std::to_string(*next) : "the end")
                                              << ", expected index " << index_of(t.handle));
          pending.erase(index_of(t.handle));
        }
      }
      MODEL_CHECK(!run->next().has_value(), "ASC-ALL-1", "as_completed yielded too much");
    }
    s.settle();
  }
  void show(std::ostream& os) const override {
    os << "as_completed(" << show_handles(subset) << ", timeout=" << wait << ")  [ASC-*]";
  }
};

struct MapCmd : Command {
  std::vector<bool> fails;
  std::size_t take;  // results read before close (flowing), when no call fails
  std::optional<std::size_t> buffersize;
  bool timeout_when_starved;
  TimeoutChoice wait;
  explicit MapCmd(const Plan& p)
      : fails(*rc::gen::container<std::vector<bool>>(
            *rc::gen::inRange<std::size_t>(p.shut_down ? 1 : 0, 6),
            rc::gen::weightedElement<bool>({{5, false}, {1, true}}))),
        take(*rc::gen::inRange<std::size_t>(0, 7)),
        timeout_when_starved(*rc::gen::arbitrary<bool>()) {
    RC_PRE(props::has(p.caps, Cap::kMap));
    if (props::has(p.caps, Cap::kMapBuffersize) && *rc::gen::arbitrary<bool>()) {
      buffersize = *rc::gen::inRange<std::size_t>(1, 4);
    }
    wait.kind = *rc::gen::element(Wait::kPoll, Wait::kTick);
    wait.edge = wait.kind == Wait::kPoll ? props::gen_poll_timeout() : props::gen_short_timeout();
  }
  void run(const Plan&, System& s) const override {
    std::vector<Probe> probes;
    int first = static_cast<int>(s.spec.tasks().size());
    for (std::size_t i = 0; i < fails.size(); ++i) {
      Probe probe = Probe().record(s.start_log, first + static_cast<int>(i));
      probes.push_back(fails[i] ? probe.raises("map call failed") : probe.returns(first + static_cast<int>(i)));
    }
    if (s.spec.shut_down()) {
      try {
        s.executor.map(probes, MapSpec{kLong, buffersize});
        CF_RC_FAIL("[MAP-SHUTDOWN-1] map after shutdown returned\n  " + props::replay_hint());
      } catch (const Raised& r) {
        MODEL_CHECK(r.outcome.is(Kind::kShutdown), "MAP-SHUTDOWN-1", "raised " << to_string(r.outcome));
      }
      s.settle();
      return;
    }
    const bool flowing = s.spec.has_free_worker();
    auto start = Clock::now();
    auto run = s.executor.map(probes, MapSpec{flowing || !timeout_when_starved ? Timeout(kLong)
                                                                                : wait.timeout(),
                                              buffersize});
    auto add_calls = [&](std::size_t count, State state) {
      for (std::size_t i = s.spec.tasks().size() - static_cast<std::size_t>(first); i < count; ++i) {
        Task t;
        t.fails = fails[i];
        t.value = first + static_cast<int>(i);
        t.state = state;
        s.spec.add(t);
      }
    };
    if (flowing && !buffersize) {
      add_calls(fails.size(), State::kQueued);
      s.settle();  // every call runs: a free worker takes them one by one [MAP-EAGER-1]
    }
    if (flowing) {
      bool read_all = true;
      for (std::size_t i = 0; i < fails.size() && read_all; ++i) {
        if (i == take && !fails[i] && !buffersize) {
          run->close();  // nothing left to cancel: every call has finished
          MODEL_CHECK(!run->next().has_value(), "MAP-ABANDON-1", "a closed map went on");
          read_all = false;
          break;
        }
        auto o = run->next();
        if (fails[i]) {
          MODEL_CHECK(o && o->is(Kind::kTaskError), "MAP-EXC-1",
                      "map position " << i << " gave " << (o ? to_string(*o) : "the end"));
          MODEL_CHECK(!run->next().has_value(), "MAP-EXC-2", "map went on after a failure");
          // With buffersize, up to that many later calls were submitted and
          // may have run or been cancelled; the rest never ran.
          add_calls(i + 1, State::kFinished);
          add_calls(std::min(fails.size(), i + 1 + buffersize.value_or(0)), State::kMaybe);
          add_calls(fails.size(), State::kCancelled);
          for (int id = first + static_cast<int>(i) + 1; id < static_cast<int>(s.spec.tasks().size()); ++id) {
            s.spec.task(id).cancelled_by = "MAP-EXC-2";
          }
          read_all = false;
          break;
        }
        MODEL_CHECK(o && o->is(Kind::kValue) && o->value == first + static_cast<int>(i), "MAP-ORDER-1",
                    "map position " << i << " gave " << (o ? to_string(*o) : "the end"));
      }
      if (read_all) {
        MODEL_CHECK(!run->next().has_value(), "MAP-ORDER-1 MAP-BUF-1", "map yielded too much");
        add_calls(fails.size(), State::kFinished);
      }
      s.settle();
      return;
    }
    add_calls(fails.size(), State::kQueued);
    // Starved: every worker is blocked, no call can start.
    if (timeout_when_starved && !fails.empty()) {
      auto o = run->next();
      auto elapsed = Clock::now() - start;
      MODEL_CHECK(o && o->is(Kind::kTimeout), "MAP-TIMEOUT-1",
                  "a starved map gave " << (o ? to_string(*o) : "the end"));
      MODEL_CHECK(elapsed >= wait.edge.at_least, "MAP-TIMEOUT-1", "map timed out early");
      MODEL_CHECK(!run->next().has_value(), "MAP-TIMEOUT-2", "map went on after its timeout");
    } else {
      // Closed before its first step: cf cancels the calls, CPython (a
      // generator never started) does not [EXT-ABANDON-1].
      run->close();
      MODEL_CHECK(!run->next().has_value(), "EXT-ABANDON-1 MAP-EMPTY-1", "a closed map went on");
    }
    const char* cause = timeout_when_starved && !fails.empty() ? "MAP-TIMEOUT-2" : "EXT-ABANDON-1";
    for (int id = first; id < static_cast<int>(s.spec.tasks().size()); ++id) {
      Task& t = s.spec.task(id);
      if (t.state != State::kQueued) continue;
      t.state = s.spec.may_claim(t) ? State::kMaybe : State::kCancelled;
      t.cancelled_by = cause;
    }
    s.settle();
  }
  void show(std::ostream& os) const override {
    os << "map(" << fails.size() << " calls";
    for (std::size_t i = 0; i < fails.size(); ++i) {
      if (fails[i]) os << ", call " << i << " raises";
    }
    if (buffersize) os << ", buffersize=" << *buffersize;
    os << "; if every worker is busy: "
       << (timeout_when_starved ? "next() with timeout=" : "close()");
    if (timeout_when_starved) os << wait.edge.name;
    os << "; else read " << take << " then close)  [MAP-*]";
  }
};

struct Shutdown : Command {
  bool wait;
  bool cancel_futures;
  explicit Shutdown(const Plan& p)
      : wait(!props::has(p.caps, Cap::kShutdownNoWait) || *rc::gen::arbitrary<bool>()),
        cancel_futures(props::has(p.caps, Cap::kCancelFutures) && *rc::gen::arbitrary<bool>()) {}
  void apply(Plan& p) const override { p.shut_down = true; }

  // Queued tasks are cancelled, unless the executor had claimed them.
  void cancel_queued(System& s) const {
    for (auto& t : s.spec.tasks()) {
      if (t.state != State::kQueued) continue;
      auto& f = s.future(t);
      if (f->cancelled()) {
        MODEL_CHECK(!t.claimed, "SHUT-CANCEL-1", "claimed task " << t.id << " was cancelled");
        t.state = State::kCancelled;
        t.cancelled_by = "SHUT-CANCEL-1";
      } else {
        MODEL_CHECK(f->running() && (t.claimed || s.spec.may_claim(t)), "SHUT-CANCEL-1",
                    "pending task " << t.id << " survived shutdown(cancel_futures=true)");
        t.claimed = true;
      }
    }
  }

  void run(const Plan&, System& s) const override {
    Executor& ex = s.executor;
    bool w = wait, c = cancel_futures;
    Background<bool> call(s.lab, [&ex, w, c] {
      ex.shutdown(w, c);
      return true;
    });
    s.spec.set_shut_down();
    if (!wait) {
      MODEL_CHECK(call.returns_within(kLateSlack), "SHUT-NOWAIT-1", "shutdown(wait=false) blocked");
      call.get();
      if (cancel_futures) cancel_queued(s);
      s.settle();
      return;
    }
    if (cancel_futures) {
      // The cancellation comes first (SHUT-CANCEL-1): each queued future not
      // claimed is done soon, before any gate is opened. One bound for all of
      // them: one that stays pending is reported by cancel_queued, and must
      // not cost a bound each.
      const auto until = Clock::now() + kLong;
      for (auto& t : s.spec.tasks()) {
        if (t.state != State::kQueued || s.future(t)->running()) continue;
        s.future(t)->result(std::max(Clock::duration::zero(), until - Clock::now()));
      }
      cancel_queued(s);
    }
    s.spec.advance();
    auto live = [&] {
      return std::any_of(s.spec.tasks().begin(), s.spec.tasks().end(),
                         [](const Task& t) { return t.live(); });
    };
    while (live()) {
      MODEL_CHECK(!call.returns_within(std::chrono::nanoseconds(0)), "SHUT-WAIT-1",
                  "shutdown(wait=true) returned while a task was still running");
      auto finished = s.release_oldest();
      MODEL_CHECK(!finished.empty(), "", "nothing left to release");
    }
    MODEL_CHECK(call.returns_within(kLong), "SHUT-WAIT-1", "shutdown(wait=true) did not return");
    call.get();
    s.settle();
  }
  void show(std::ostream& os) const override {
    os << "shutdown(wait=" << (wait ? "true" : "false")
       << ", cancel_futures=" << (cancel_futures ? "true" : "false") << ")  [SHUT-*]";
  }
};

rc::Gen<std::shared_ptr<const Command>> gen_command(const Plan& plan) {
  using Ptr = std::shared_ptr<const Command>;
  return rc::gen::weightedOneOf<Ptr>({
      {plan.handles >= kMaxHandles ? 0u : plan.shut_down ? 1u : 6u, rc::gen::exec([plan]() -> Ptr { return std::make_shared<const Submit>(plan); })},
      {plan.handles ? 5u : 0u, rc::gen::exec([plan]() -> Ptr { return std::make_shared<const OpenGate>(plan); })},
      {plan.handles ? 3u : 0u, rc::gen::exec([plan]() -> Ptr { return std::make_shared<const Cancel>(plan); })},
      {plan.handles ? 3u : 0u, rc::gen::exec([plan]() -> Ptr { return std::make_shared<const Read>(plan); })},
      {plan.handles && props::has(plan.caps, Cap::kDoneCallbacks) ? 2u : 0u,
       rc::gen::exec([plan]() -> Ptr { return std::make_shared<const AddCallback>(plan); })},
      {props::has(plan.caps, Cap::kWait) ? 2u : 0u,
       rc::gen::exec([plan]() -> Ptr { return std::make_shared<const WaitCmd>(plan); })},
      {props::has(plan.caps, Cap::kAsCompleted) ? 2u : 0u,
       rc::gen::exec([plan]() -> Ptr { return std::make_shared<const AsCompletedCmd>(plan); })},
      {props::has(plan.caps, Cap::kMap) ? 2u : 0u,
       rc::gen::exec([plan]() -> Ptr { return std::make_shared<const MapCmd>(plan); })},
      {plan.handles < 3 ? 0u : plan.shut_down ? 1u : 2u,
       rc::gen::exec([plan]() -> Ptr { return std::make_shared<const Shutdown>(plan); })},
  });
}

RC_GTEST_FIXTURE_PROP(Conformance, MODEL_ExecutorFollowsTheSequentialSpec, ()) {
  CF_CLAUSES("EXEC-SUBMIT-1", "EXEC-SUBMIT-2", "EXEC-SUBMIT-4", "EXEC-CANCEL-1", "EXEC-RUNNING-1",
             "FUT-STATE-1", "FUT-STATE-2", "FUT-STATE-3", "FUT-STATE-4", "FUT-CANCEL-1",
             "FUT-CANCEL-2", "FUT-CANCEL-3", "FUT-CANCEL-4", "FUT-RESULT-1", "FUT-RESULT-2",
             "FUT-RESULT-3", "FUT-RESULT-4", "FUT-RESULT-5", "FUT-RESULT-6", "FUT-EXC-1",
             "FUT-EXC-2", "FUT-EXC-3", "FUT-CB-1", "FUT-CB-2", "FUT-CB-3", "FUT-CB-6",
             "WAIT-ALL-1", "WAIT-FIRST-1", "WAIT-FIRST-2", "WAIT-FEXC-1", "WAIT-FEXC-2",
             "WAIT-FEXC-3", "WAIT-TIMEOUT-1", "WAIT-DUP-1", "WAIT-EMPTY-1", "WAIT-CANCEL-1",
             "ASC-ALL-1", "ASC-ORDER-1", "ASC-DONE-1", "ASC-DUP-1", "ASC-TIMEOUT-1",
             "ASC-TIMEOUT-2", "ASC-CANCEL-1", "MAP-ORDER-1", "MAP-EXC-1", "MAP-EXC-2",
             "MAP-TIMEOUT-1", "MAP-TIMEOUT-2", "MAP-ABANDON-1", "EXT-ABANDON-1", "MAP-SHUTDOWN-1", "MAP-EMPTY-1",
             "SHUT-WAIT-1", "SHUT-NOWAIT-1", "SHUT-CANCEL-1", "SHUT-CANCEL-2", "SHUT-IDEM-1",
             "TPE-FIFO-1", "TPE-MAX-1");
  CF_REQUIRE(Cap::kMaxWorkers, Cap::kStateQueries, Cap::kCancel, Cap::kResultTimeout);
  props::OpenGatesAtExit guard{lab};
  Plan plan;
  plan.workers = *rc::gen::inRange(1, 4);
  plan.caps = caps();
  System system(lab, impl(), make_executor(plan.workers), plan.workers);
  const auto commands = *rc::state::gen::commands(plan, &gen_command);
  rc::state::runAll(commands, plan, system);

  // At the end: release everything; every task ran exactly once or was
  // cancelled and never ran [SHUT-WAIT-1] [SHUT-CANCEL-2].
  lab.open_all();
  for (auto& t : system.spec.tasks()) t.gate_open = true;
  system.executor.shutdown(true, false);  // a second shutdown is harmless [SHUT-IDEM-1]
  for (auto& t : system.spec.tasks()) {
    if (t.state == State::kQueued || t.state == State::kStarted) t.state = State::kFinished;
  }
  system.spec.set_shut_down();
  system.settle();
  RC_TAG(commands.size() < 10 ? "< 10 commands" : commands.size() < 25 ? "10-24 commands" : "25+ commands");
  RC_TAG(system.spec.handles() < 4 ? "< 4 tasks" : "4+ tasks");
}

}  // namespace
}  // namespace cf::conformance
