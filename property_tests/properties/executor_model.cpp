// The stateful model tests (RapidCheck rc::state): random command sequences
// against an executor, checked after every step against the sequential model
// in executor_spec_model.hpp, which computes what each observation must be
// and names the clause whose rule it is. A command drives one operation and
// compares; the rule lives in the model.
//
// Commands: submit a gated task (or, after shutdown, see it refused), open a
// gate, cancel, result/exception with a poll, a short, no or a huge timeout,
// add a done-callback, wait in each mode, as_completed, map (flowing or
// starved, closed or timed out), shutdown(wait, cancel_futures). Each is
// generated only with the capabilities its operation needs (a timeout form
// only where declared, cancel with cancel, map's timeout with map-timeout,
// buffersize with map-buffersize, ...). A blocking call whose condition is
// not met releases tasks itself, oldest first, and must stay blocked until
// the model says it may return; every blocking call runs on its own thread
// (Background), bounded and charged to the rule that says it returns.
//
// After every command the executor is settled (every task the model says has
// started has reached its gate, every finished one is done) and checked:
// start log (each task ran at most once, only when started), state queries,
// callbacks (once, in order added, in the thread the spec names), outcomes.
//
// Two properties: MODEL_ExecutorFollowsTheSequentialSpec holds the executor
// to the clauses without EXT- (an executor faithful to CPython passes it),
// MODEL_ExecutorFollowsTheExtensions to cf's EXT- rules as well
// (EXT-TIMEOUT-1). A failure shrinks to a short command list,
// printed with the failed check.
//
// Long on purpose: one command class per operation the model drives (submit,
// gate, cancel, reads, callbacks, wait, as_completed, map, shutdown), each
// generated, applied and compared in one place; the rules they compare against
// are in executor_spec_model.hpp.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>
#include <rapidcheck/state.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <iterator>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "harness/background.hpp"
#include "harness/suite.hpp"
#include "properties/executor_spec_model.hpp"
#include "properties/support.hpp"

namespace cf::conformance {
namespace {

using model::ExecutorSpec;
using model::Form;
using model::Queries;
using model::Task;
using props::EdgeTimeout;
using props::Kind;
using State = Task::State;

// Most tasks (handles) and gates one case may use; the lab has 128 gates.
constexpr int kMaxHandles = 14;

std::string ns(Clock::duration d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count()) + " ns";
}

std::string describe(const std::optional<Outcome>& o) { return o ? to_string(*o) : "the end"; }

const char* state_name(const Task& t) {
  switch (t.state) {
    case State::kQueued:
      return "queued";
    case State::kStarted:
      return "started";
    case State::kFinished:
      return "finished";
    case State::kCancelled:
      return "cancelled";
    case State::kMaybe:
      return "cancelled or run";
  }
  return "";
}

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
  bool extensions = false;
  int handles = 0;
  bool shut_down = false;
};

struct System {
  System(Lab& l, Implementation& i, Executor& e, int workers, bool extensions)
      : lab(l),
        impl(i),
        executor(e),
        spec(workers, extensions),
        start_log(l.new_log()),
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
  bool lost = false;  // see ModelCommand

  FuturePtr& future(const Task& t) { return futures[static_cast<std::size_t>(t.handle)]; }
  std::vector<FuturePtr> inputs(const std::vector<int>& handles) {
    std::vector<FuturePtr> out;
    for (int h : handles) out.push_back(futures[static_cast<std::size_t>(h)]);
    return out;
  }

  // Brings the executor to the model's quiescent state, then checks it.
  void settle() {
    if (lost) return;
    spec.advance();
    // First what cannot depend on timing: with every live task blocked at a
    // closed gate or queued behind one, none of them can be done.
    for (auto& t : spec.tasks()) {
      if (t.handle < 0 || !t.live() || (t.state == State::kStarted && t.gate_open)) continue;
      CF_CHECK(spec.not_done_yet(t), !future(t)->done())
          << "task " << t.id << " (" << state_name(t) << ") is done although its gate is closed ("
          << to_string(future(t)->result(std::chrono::seconds(0))) << ")";
    }
    for (auto& t : spec.tasks()) {
      if (t.state == State::kStarted) {
        const bool arrived = lab.await_arrivals(t.gate, 1, kLong);
        CF_CHECK(spec.not_started(lab.log(start_log)), arrived)
            << "task " << t.id << " did not start although it is among the oldest "
            << spec.workers() << " live tasks";
      } else if (t.state == State::kFinished && t.handle >= 0) {
        const auto start = Clock::now();
        Outcome got = future(t)->result(kLong);
        auto rule = spec.finished_result(t, got, Clock::now() - start >= kLong);
        CF_CHECK_EQ(rule.clause, props::seen(got, rule.expected), to_string(rule.expected))
            << "result() of finished task " << t.id;
      }
    }
    check_start_log();
    check_queries();
    check_callbacks();
  }

  // Each task ran at most once, only if started; every started one ran.
  void check_start_log() {
    auto log = lab.log(start_log);
    for (const auto& t : spec.tasks()) {
      auto times = props::times_in(log, t.id);
      if (t.handle < 0 && t.state == State::kFinished && times == 0 && await_entry(t.id)) {
        // A finished map call records before it returns; it has now.
        log = lab.log(start_log);
        times = props::times_in(log, t.id);
      }
      auto most = spec.at_most_runs(t, log);
      CF_CHECK(most.clause, times <= most.expected)
          << "task " << t.id << " (" << state_name(t) << ") ran " << times << " times, at most "
          << most.expected << " allowed";
      auto least = spec.at_least_runs(t, log);
      CF_CHECK(least.clause, times >= least.expected)
          << "task " << t.id << " (" << state_name(t) << ") never ran";
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
      Queries seen{f->running(), f->cancelled(), f->done()};
      auto rule = spec.queries(t, seen.running);
      CF_CHECK_EQ(rule.clause, to_string(seen), to_string(rule.expected))
          << "task " << t.id << " (" << state_name(t) << (t.claimed ? ", claimed" : "") << ")";
    }
  }

  void check_callbacks() {
    if (!props::has(impl.caps(), Cap::kDoneCallbacks)) return;
    for (const auto& t : spec.tasks()) {
      long last = -1;
      for (const auto& cb : t.callbacks) {
        const char* rule = ExecutorSpec::callback_rule(t, cb);
        if (t.done()) {
          CF_CHECK(rule, callbacks->await(cb.id))
              << "callback " << cb.id << " of done task " << t.id << " never ran";
        }
        auto calls = callbacks->of(cb.id);
        if (!t.done()) {
          CF_CHECK("FUT-CB-1", calls.empty())
              << "callback " << cb.id << " of task " << t.id << " ran before it completed";
          continue;
        }
        // Never run: the completion's rule; run again: once is FUT-CB-1's.
        CF_CHECK(calls.empty()   ? rule
                 : cb.added_done ? "FUT-CB-3"
                                 : "FUT-CB-1",
                 calls.size() == 1)
            << "callback " << cb.id << " of task " << t.id << " ran " << calls.size() << " times";
        if (calls.empty()) continue;  // (where that rule is not judged)
        const auto& call = calls.front();
        CF_CHECK(cb.added_done ? "FUT-CB-3" : "FUT-CB-2", call.sequence > last)
            << "callbacks of task " << t.id << " ran out of the order added";
        last = call.sequence;
        CF_CHECK(rule, call.event.done && call.event.cancelled == (t.state == State::kCancelled))
            << "callback " << cb.id << " of task " << t.id << " saw done=" << call.event.done
            << " cancelled=" << call.event.cancelled;
        if (t.cancelled_here && !cb.added_done) {
          CF_CHECK("FUT-CB-6", call.event.thread_token == test_thread)
              << "callback " << cb.id << " of task " << t.id
              << " did not run in the cancelling thread";
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

// The rescue of a call blocked on `futures`: an executor may cancel a future
// without waking its waiters until it notifies it (CPython, gh-92001; the
// WAIT-CANCEL-1 and ASC-CANCEL-1 deviations), which set_running_or_notify_cancel()
// does; so that a failed case ends at once, each cancelled one is notified.
std::function<void()> notify_cancelled(Implementation& impl, std::vector<FuturePtr> futures) {
  if (!props::has(impl.caps(), Cap::kRawFuture)) return {};
  return [futures = std::move(futures)] {
    for (const auto& f : futures) {
      try {
        if (f->cancelled()) f->set_running_or_notify_cancel();
      } catch (const Raised&) {
        // A refusal leaves the call as blocked as before; nothing to add.
      }
    }
  };
}

// One step of an as_completed run, on its own thread: what it yielded or
// raised, and when. `rule` says it must return within `bound`. (Where that
// rule is not judged, a step that did not return leaves `returned` false:
// the command has nothing more to compare.)
struct Next {
  bool returned = false;
  std::optional<std::size_t> index;
  std::optional<Outcome> raised;
  Clock::time_point at;
};
Next next_of(System& s, const char* rule, const std::shared_ptr<AsCompletedRun>& run,
             Clock::duration bound, std::function<void()> rescue) {
  Background<Next> call(
      s.lab, rule,
      [run]() -> Next {
        try {
          auto index = run->next();
          return {true, index, std::nullopt, Clock::now()};
        } catch (const Raised& r) {
          return {true, std::nullopt, r.outcome, Clock::now()};
        }
      },
      std::move(rescue));
  const bool returned = call.returns_within(bound);
  CF_CHECK(rule, returned) << "next() of as_completed did not return within " << ns(bound);
  if (!returned) s.lost = true;
  return returned ? call.get() : Next{};
}

// One step of a map's results, likewise.
struct MapNext {
  bool returned = false;
  std::optional<Outcome> outcome;
  Clock::time_point at;
};
MapNext next_of(System& s, const char* rule, const std::shared_ptr<MapRun>& run,
                Clock::duration bound) {
  Background<MapNext> call(s.lab, rule, [run] {
    auto o = run->next();
    return MapNext{true, o, Clock::now()};
  });
  const bool returned = call.returns_within(bound);
  CF_CHECK(rule, returned) << "next() of the map did not return within " << ns(bound);
  if (!returned) s.lost = true;
  return returned ? call.get() : MapNext{};
}

// ---------------------------------------------------------------------------
// Commands.

using Command = rc::state::Command<Plan, System>;

// A command drives one operation and compares what it did with the model.
// Once the executor has left the model's reach (a blocking call that did not
// return, where the rule that says it must is not judged here), nothing more
// is compared.
struct ModelCommand : Command {
  void run(const Plan&, System& s) const final {
    if (!s.lost) drive(s);
  }
  virtual void drive(System& s) const = 0;
};

std::string show_handles(const std::vector<int>& hs) {
  std::string s = "{";
  for (std::size_t i = 0; i < hs.size(); ++i) s += (i ? ", " : "") + std::to_string(hs[i]);
  return s + "}";
}

struct TimeoutChoice {
  Form form = Form::kNone;
  EdgeTimeout edge{"none", Timeout::none(), {}, false};
  Timeout timeout() const { return edge.timeout; }
  bool timed() const { return form == Form::kPoll || form == Form::kTick; }
};

std::ostream& operator<<(std::ostream& os, const TimeoutChoice& c) { return os << c.edge.name; }

// A timeout of a form the implementation declares: a poll or a short one
// (`timed`), none (`untimed`), a huge one (`timed` and huge-timeouts, where
// `huge` allows it).
TimeoutChoice gen_timeout(const Plan& p, Cap untimed, Cap timed, bool huge) {
  std::vector<Form> forms;
  if (props::has(p.caps, timed)) forms.insert(forms.end(), {Form::kPoll, Form::kTick});
  if (props::has(p.caps, untimed)) forms.push_back(Form::kNone);
  if (huge && props::has(p.caps, timed) && props::has(p.caps, Cap::kHugeTimeouts))
    forms.push_back(Form::kHuge);
  RC_PRE(!forms.empty());
  TimeoutChoice c;
  c.form = *rc::gen::elementOf(forms);
  if (c.form == Form::kPoll) c.edge = props::gen_poll_timeout();
  if (c.form == Form::kTick) c.edge = props::gen_short_timeout();
  if (c.form == Form::kHuge) c.edge = props::gen_huge_timeout();
  return c;
}

std::vector<int> gen_subset(const Plan& p) {
  if (p.handles == 0) return {};
  return *rc::gen::container<std::vector<int>>(*rc::gen::inRange<std::size_t>(0, 5),
                                               rc::gen::inRange(0, p.handles));
}

struct Submit : ModelCommand {
  bool fails;
  std::int64_t value;
  explicit Submit(const Plan&)
      : fails(*rc::gen::weightedElement<bool>({{4, false}, {1, true}})),
        value(*rc::gen::inRange<std::int64_t>(-100, 100)) {}
  void checkPreconditions(const Plan& p) const override { RC_PRE(p.handles < kMaxHandles); }
  void apply(Plan& p) const override {
    if (!p.shut_down) ++p.handles;
  }
  void drive(System& s) const override {
    Task t;
    t.fails = fails;
    t.value = value;
    int id = static_cast<int>(s.spec.tasks().size());
    t.id = id;
    Probe probe = Probe().record(s.start_log, id);
    if (s.spec.shut_down()) {
      CF_CHECK_RAISES("EXEC-SUBMIT-4", s.executor.submit(probe.returns(value)), Kind::kShutdown)
          << "submit after shutdown";
      s.settle();
      return;
    }
    t.gate = s.lab.new_gate();
    probe.gate(t.gate);
    t.handle = static_cast<int>(s.futures.size());
    s.futures.push_back(
        s.executor.submit(fails ? probe.raises(t.message()) : probe.returns(value)));
    s.spec.add(t);
    s.settle();
  }
  void show(std::ostream& os) const override {
    os << "submit(task " << (fails ? "raising" : "returning " + std::to_string(value)) << ")";
  }
};

struct OpenGate : ModelCommand {
  int handle;
  explicit OpenGate(const Plan& p) : handle(*rc::gen::inRange(0, std::max(1, p.handles))) {}
  void checkPreconditions(const Plan& p) const override { RC_PRE(handle < p.handles); }
  void drive(System& s) const override {
    Task& t = s.spec.by_handle(handle);
    t.gate_open = true;
    s.lab.open(t.gate);
    s.settle();
  }
  void show(std::ostream& os) const override { os << "open the gate of handle " << handle; }
};

struct Cancel : ModelCommand {
  int handle;
  explicit Cancel(const Plan& p) : handle(*rc::gen::inRange(0, std::max(1, p.handles))) {
    RC_PRE(props::has(p.caps, Cap::kCancel));
  }
  void checkPreconditions(const Plan& p) const override { RC_PRE(handle < p.handles); }
  void drive(System& s) const override {
    Task& t = s.spec.by_handle(handle);
    auto& f = s.future(t);
    bool got = f->cancel();
    bool cancelled = f->cancelled();
    bool running = f->running();
    // What it returned (judged where cancel() reports it), and what it did.
    auto returns = s.spec.cancel_returns(t, running);
    if (returns.expected) {
      CF_CHECK_EQ(returns.clause, got, *returns.expected)
          << "cancel() of " << state_name(t) << " task " << t.id;
    }
    auto effect = s.spec.cancel_effect(t, running);
    if (effect.expected) {
      CF_CHECK_EQ(effect.clause, cancelled, *effect.expected)
          << "cancelled() after cancel() of " << state_name(t) << " task " << t.id
          << " (running() is " << running << ")";
    }
    s.spec.cancel(t, cancelled);
    s.settle();
  }
  void show(std::ostream& os) const override { os << "cancel(handle " << handle << ")"; }
};

struct Read : ModelCommand {
  int handle;
  bool exception;
  TimeoutChoice wait;
  explicit Read(const Plan& p)
      : handle(*rc::gen::inRange(0, std::max(1, p.handles))),
        exception(*rc::gen::arbitrary<bool>()),
        wait(gen_timeout(p, Cap::kResultBlocking, Cap::kResultTimeout, true)) {}
  void checkPreconditions(const Plan& p) const override { RC_PRE(handle < p.handles); }
  void drive(System& s) const override {
    Task& t = s.spec.by_handle(handle);
    const char* form = ExecutorSpec::read_form(exception, wait.form);
    auto f = s.future(t);
    const bool exc = exception;
    auto read_with = [f, exc](Timeout timeout) {
      return [f, exc, timeout] {
        auto start = Clock::now();
        Outcome o = exc ? f->exception(timeout) : f->result(timeout);
        return std::make_pair(o, Clock::now() - start);
      };
    };
    auto read = read_with(wait.timeout());
    if (!t.done() && !wait.timed()) {
      // Blocks until done: release tasks oldest first until this one is.
      // With a huge timeout, the same read without one runs beside it (where
      // the implementation has one): what both do wrong is the untimed
      // read's rule's [FUT-RESULT-5]; what only the huge one does, that
      // timeout's [FUT-RESULT-7].
      struct Reader {
        Form form;
        std::unique_ptr<Background<std::pair<Outcome, Clock::duration>>> call;
      };
      std::vector<Reader> readers;
      if (wait.form == Form::kHuge && props::has(s.impl.caps(), Cap::kResultBlocking)) {
        readers.push_back(
            {Form::kNone, std::make_unique<Background<std::pair<Outcome, Clock::duration>>>(
                              s.lab, ExecutorSpec::read_form(exception, Form::kNone),
                              read_with(Timeout::none()))});
      }
      readers.push_back(
          {wait.form,
           std::make_unique<Background<std::pair<Outcome, Clock::duration>>>(s.lab, form, read)});
      while (!t.done()) {
        for (auto& r : readers) {
          const bool early = r.call->returns_within(std::chrono::nanoseconds(0));
          // A huge timeout's read that returns early is that timeout's fault
          // unless the read without one returns early too.
          const char* why = ExecutorSpec::read_form(exception, r.form);
          if (early && r.form == Form::kHuge && readers.size() > 1 &&
              readers.front().call->returns_within(kLateSlack)) {
            why = ExecutorSpec::read_form(exception, Form::kNone);
          }
          CF_CHECK(why, !early) << "a read of task " << t.id << " with timeout="
                                << (r.form == wait.form ? wait.edge.name : "none") << " returned "
                                << to_string(r.call->get().first) << " before the task was done";
        }
        auto finished = s.release_oldest();
        CF_PRECONDITION(nullptr, !finished.empty() || t.done())
            << "the model had no task left to release";
      }
      bool untimed_right = false;
      for (auto& r : readers) {
        const char* rule_form = ExecutorSpec::read_form(exception, r.form);
        const bool woken = r.call->returns_within(kLong);
        CF_CHECK(rule_form, woken)
            << "a read of task " << t.id << " was not woken when it finished";
        if (!woken) {
          s.lost = true;
          return;
        }
        Outcome got = r.call->get().first;
        auto rule = s.spec.read(t, exception, r.form, got);
        const bool right = props::seen(got, rule.expected) == to_string(rule.expected);
        // What only the huge timeout's read gets wrong, while the read
        // without one beside it got it right, is that timeout's fault.
        const char* clause = rule.clause;
        if (&r != &readers.front()) {
          if (!right && untimed_right) clause = ExecutorSpec::read_form(exception, r.form);
        } else {
          untimed_right = right;
        }
        CF_CHECK_EQ(clause, props::seen(got, rule.expected), to_string(rule.expected))
            << "a blocked read of task " << t.id
            << " with timeout=" << (r.form == wait.form ? wait.edge.name : "none");
      }
      return;
    }
    Background<std::pair<Outcome, Clock::duration>> call(s.lab, form, read);
    const bool returned = call.returns_within(kLateSlack + wait.edge.at_least);
    CF_CHECK(form, returned) << (exception ? "exception(" : "result(") << wait << ") of "
                             << state_name(t) << " task " << t.id << " did not return";
    if (!returned) {
      s.lost = true;
      return;
    }
    auto [got, elapsed] = call.get();
    auto rule = s.spec.read(t, exception, wait.form, got);
    CF_CHECK_EQ(rule.clause, props::seen(got, rule.expected), to_string(rule.expected))
        << (exception ? "exception(" : "result(") << wait << ") of " << state_name(t) << " task "
        << t.id;
    if (!t.done()) {
      CF_CHECK(form, elapsed >= wait.edge.at_least)
          << "timed out after " << ns(elapsed) << ", before its timeout";
      // A timeout changes nothing.
      CF_CHECK(exception ? "FUT-EXC-3" : "FUT-RESULT-4", !f->done() && !f->cancelled())
          << "task " << t.id << " is done or cancelled after a read timed out";
    }
    CF_CHECK(form, elapsed < kLateSlack) << "a read took " << ns(elapsed);
    s.settle();
  }
  void show(std::ostream& os) const override {
    os << (exception ? "exception" : "result") << "(handle " << handle << ", timeout=" << wait
       << ")";
  }
};

struct AddCallback : ModelCommand {
  int handle;
  explicit AddCallback(const Plan& p) : handle(*rc::gen::inRange(0, std::max(1, p.handles))) {
    RC_PRE(props::has(p.caps, Cap::kDoneCallbacks));
  }
  void checkPreconditions(const Plan& p) const override { RC_PRE(handle < p.handles); }
  void drive(System& s) const override {
    Task& t = s.spec.by_handle(handle);
    int cb = s.next_callback++;
    bool was_done = t.done();
    t.callbacks.push_back({cb, was_done});
    s.future(t)->add_done_callback(s.callbacks->record(cb));
    if (was_done) {
      auto calls = s.callbacks->of(cb);
      CF_CHECK_EQ("FUT-CB-3", calls.size(), std::size_t{1})
          << "runs of a callback added to done task " << t.id
          << " before add_done_callback returned";
      CF_CHECK("FUT-CB-3", calls.front().event.thread_token == s.test_thread)
          << "a callback added to done task " << t.id << " ran in another thread";
    }
    s.settle();
  }
  void show(std::ostream& os) const override { os << "add_done_callback(handle " << handle << ")"; }
};

struct WaitCmd : ModelCommand {
  std::vector<int> subset;
  ReturnWhen when;
  TimeoutChoice wait;
  explicit WaitCmd(const Plan& p)
      : subset(gen_subset(p)), wait(gen_timeout(p, Cap::kWait, Cap::kWaitTimeout, p.extensions)) {
    when = props::has(p.caps, Cap::kWaitFirstException)
               ? *rc::gen::element(ReturnWhen::kFirstCompleted, ReturnWhen::kFirstException,
                                   ReturnWhen::kAllCompleted)
               : *rc::gen::element(ReturnWhen::kFirstCompleted, ReturnWhen::kAllCompleted);
  }
  void checkPreconditions(const Plan& p) const override {
    for (int h : subset) RC_PRE(h < p.handles);
  }
  std::vector<int> distinct() const { return model::ExecutorSpec::distinct(subset); }
  std::size_t index_of(int h) const {
    return static_cast<std::size_t>(std::find(subset.begin(), subset.end(), h) - subset.begin());
  }
  // `split` against the model's allowed splits (wait_splits_allowed, `chain`
  // the completions of the last release). With `as`, every check is that
  // clause's (a huge timeout's [EXT-TIMEOUT-1]). Returns whether it matched.
  bool check_split(System& s, const WaitSplit& split, const std::vector<int>& chain = {},
                   const char* as = nullptr) const {
    std::set<std::size_t> done(split.done.begin(), split.done.end());
    std::set<std::size_t> all(done);
    all.insert(split.not_done.begin(), split.not_done.end());
    std::set<std::size_t> firsts;
    for (auto h : distinct()) firsts.insert(index_of(h));
    auto allowed = s.spec.wait_splits_allowed(subset, when, chain);
    const bool timed_out = allowed.empty();
    if (timed_out) allowed.push_back(s.spec.wait_done(subset));  // the current split
    const char* partition = as ? as : s.spec.wait_partition_rule(subset, when, timed_out);
    const bool partitioned =
        all == firsts && split.done.size() + split.not_done.size() == firsts.size();
    CF_CHECK(partition, partitioned) << "wait(" << show_handles(subset)
                                     << ") did not split its distinct inputs: " << split.done.size()
                                     << " done, " << split.not_done.size() << " not done";
    const bool only_cancelled = s.spec.differs_only_in_cancelled(subset, done, allowed.back());
    const char* clause =
        as ? as : s.spec.wait_split_rule(subset, when, done, allowed.back(), timed_out);
    const bool matched = std::find(allowed.begin(), allowed.end(), done) != allowed.end();
    CF_CHECK(clause, matched) << "wait(" << show_handles(subset) << ") reported "
                              << split.done.size() << " done; the model has "
                              << allowed.back().size()
                              << (only_cancelled ? ", the difference being cancelled futures" : "");
    return partitioned && matched;
  }
  // Before blocking on a condition that holds only because cancelled futures
  // count as done [WAIT-CANCEL-1], a poll shows whether they do (where the
  // implementation can poll): a wait that does not count them would block
  // without end, and the failed case would cost its bound on every shrink.
  void poll_counts_cancelled(System& s, const std::function<void()>& rescue) const {
    if (!props::has(s.impl.caps(), Cap::kWaitTimeout)) return;
    Implementation& impl = s.impl;
    auto inputs = s.inputs(subset);
    const ReturnWhen mode = when;
    Background<WaitSplit> poll(
        s.lab, "WAIT-TIMEOUT-1",
        [&impl, inputs, mode] { return impl.wait(inputs, mode, Timeout(std::chrono::seconds(0))); },
        rescue);
    const bool returned = poll.returns_within(kLateSlack);
    CF_CHECK("WAIT-TIMEOUT-1", returned)
        << "wait(" << show_handles(subset) << ", timeout=0s) blocked";
    if (!returned) {
      s.lost = true;
      return;
    }
    const auto split = poll.get();
    for (int h : distinct()) {
      if (s.spec.by_handle(h).state != State::kCancelled) continue;
      CF_CHECK("WAIT-CANCEL-1",
               std::find(split.done.begin(), split.done.end(), index_of(h)) != split.done.end())
          << "wait(" << show_handles(subset)
          << ", timeout=0s) reports the cancelled future at index " << index_of(h)
          << " as not done";
    }
  }
  // A timed wait returned before its deadline with its condition unmet: did
  // it take the condition for met (the mode's rule) or cut its timeout short
  // [WAIT-TIMEOUT-1]? The same wait without a timeout tells, where the
  // implementation has one: it returns too (within the slack), or it blocks.
  const char* early_return_rule(System& s, const std::function<void()>& rescue) const {
    if (!props::has(s.impl.caps(), Cap::kWait)) return "WAIT-TIMEOUT-1";
    Implementation& impl = s.impl;
    auto inputs = s.inputs(subset);
    const ReturnWhen mode = when;
    Background<WaitSplit> plain(
        s.lab, "WAIT-TIMEOUT-1",
        [&impl, inputs, mode] { return impl.wait(inputs, mode, Timeout::none()); }, rescue);
    return plain.returns_within(kLateSlack) ? s.spec.wait_rule(distinct(), when) : "WAIT-TIMEOUT-1";
  }
  void drive(System& s) const override {
    const auto handles = distinct();
    auto inputs = s.inputs(subset);
    Implementation& impl = s.impl;
    const Timeout timeout = wait.timeout();
    const ReturnWhen mode = when;
    auto call_wait = [&impl, inputs, mode, timeout] {
      auto start = Clock::now();
      auto split = impl.wait(inputs, mode, timeout);
      return std::make_pair(split, Clock::now() - start);
    };
    const auto rescue = notify_cancelled(s.impl, inputs);
    const bool was_met = s.spec.wait_met(handles, when);
    if (was_met || wait.timed()) {
      // It returns at once (its condition holds) or at its deadline.
      const char* returns = was_met ? s.spec.wait_at_once_rule(handles, when) : "WAIT-TIMEOUT-1";
      if (!wait.timed() && std::string(returns) == "WAIT-CANCEL-1") {
        poll_counts_cancelled(s, rescue);
        if (s.lost) return;
      }
      Background<std::pair<WaitSplit, Clock::duration>> call(s.lab, returns, call_wait, rescue);
      const bool returned = call.returns_within(kLateSlack + wait.edge.at_least);
      CF_CHECK(returns, returned) << "wait(" << show_handles(subset) << ", timeout=" << wait
                                  << ") did not return";
      if (!returned) {
        s.lost = true;
        return;
      }
      auto [split, elapsed] = call.get();
      check_split(s, split);
      if (!was_met) {
        const bool on_time = elapsed >= wait.edge.at_least;
        CF_CHECK(on_time ? "WAIT-TIMEOUT-1" : early_return_rule(s, rescue), on_time)
            << "wait returned after " << ns(elapsed) << ", before its timeout, its condition unmet";
      }
      CF_CHECK(returns, elapsed < kLateSlack + wait.edge.at_least) << "wait took " << ns(elapsed);
      s.settle();
      return;
    }
    // Not met and no timeout (or a huge one): it must block until the model
    // says it may return. With a huge timeout, the same wait without one
    // runs beside it (where the implementation has one): what both do wrong
    // is the mode's rule's; what only the huge one does is that timeout's
    // [EXT-TIMEOUT-1].
    const char* waits_for = s.spec.wait_rule(handles, when);
    const bool huge = wait.form == Form::kHuge;
    const char* rule = huge ? "EXT-TIMEOUT-1" : waits_for;
    std::optional<Background<std::pair<WaitSplit, Clock::duration>>> plain;
    if (huge && props::has(s.impl.caps(), Cap::kWait)) {
      plain.emplace(
          s.lab, waits_for,
          [&impl, inputs, mode] {
            auto start = Clock::now();
            auto split = impl.wait(inputs, mode, Timeout::none());
            return std::make_pair(split, Clock::now() - start);
          },
          rescue);
    }
    Background<std::pair<WaitSplit, Clock::duration>> call(s.lab, rule, call_wait, rescue);
    std::vector<int> chain;
    while (!s.spec.wait_met(handles, when)) {
      const bool early = call.returns_within(std::chrono::nanoseconds(0));
      if (early) {
        // With a huge timeout, returning early is that timeout's fault unless
        // the same wait without one returns early too.
        const char* why = huge && !(plain && plain->returns_within(kLateSlack)) ? rule : waits_for;
        CF_CHECK(why, !early) << "wait(" << show_handles(subset) << ", timeout=" << wait
                              << ") returned before its condition held";
      }
      if (plain) {
        CF_CHECK(waits_for, !plain->returns_within(std::chrono::nanoseconds(0)))
            << "wait(" << show_handles(subset) << ") returned before its condition held";
      }
      chain = s.release_oldest();
      CF_PRECONDITION(nullptr, !chain.empty()) << "the model had no task left to release";
    }
    if (std::string(s.spec.wait_rule(handles, when)) == "WAIT-CANCEL-1") {
      poll_counts_cancelled(s, rescue);
      if (s.lost) return;
    }
    // A split that the untimed wait gets wrong too is the mode's rule's.
    bool plain_matched = true;
    if (plain) {
      const bool woken = plain->returns_within(kLong);
      CF_CHECK(s.spec.wait_rule(handles, when), woken) << "wait was not woken";
      if (!woken) {
        s.lost = true;
        return;
      }
      plain_matched = check_split(s, plain->get().first, chain);
    }
    const bool woken = call.returns_within(kLong);
    CF_CHECK(huge ? rule : s.spec.wait_rule(handles, when), woken) << "wait was not woken";
    if (!woken) {
      s.lost = true;
      return;
    }
    check_split(s, call.get().first, chain, huge && plain_matched ? rule : nullptr);
  }
  void show(std::ostream& os) const override {
    static const char* names[] = {"FIRST_COMPLETED", "FIRST_EXCEPTION", "ALL_COMPLETED"};
    os << "wait(" << show_handles(subset) << ", " << names[static_cast<int>(when)]
       << ", timeout=" << wait << ")";
  }
};

struct AsCompletedCmd : ModelCommand {
  std::vector<int> subset;
  TimeoutChoice wait;
  explicit AsCompletedCmd(const Plan& p)
      : subset(gen_subset(p)),
        wait(gen_timeout(p, Cap::kAsCompleted, Cap::kAsCompletedTimeout, p.extensions)) {}
  void checkPreconditions(const Plan& p) const override {
    for (int h : subset) RC_PRE(h < p.handles);
  }
  std::size_t index_of(int h) const {
    return static_cast<std::size_t>(std::find(subset.begin(), subset.end(), h) - subset.begin());
  }
  // A step that raised: with a huge timeout, a TimeoutError is that
  // timeout's fault [EXT-TIMEOUT-1]; else `rule`'s.
  const char* raised_rule(const Next& n, const char* rule) const {
    return wait.form == Form::kHuge && n.raised && n.raised->is(Kind::kTimeout) ? "EXT-TIMEOUT-1"
                                                                                : rule;
  }
  // Before an untimed as_completed must yield cancelled futures
  // [ASC-CANCEL-1], a poll (timeout zero) shows whether it does (where the
  // implementation can poll): one that does not would block without end, and
  // the failed case would cost its bound on every shrink. A poll that timed
  // out before a cancelled future that it yields alone held a done future
  // back [ASC-TIMEOUT-2].
  void poll_yields_cancelled(System& s, const std::function<void()>& rescue) const {
    if (!props::has(s.impl.caps(), Cap::kAsCompletedTimeout)) return;
    std::shared_ptr<AsCompletedRun> poll =
        s.impl.as_completed(s.inputs(subset), Timeout(std::chrono::seconds(0)));
    std::set<std::size_t> yielded;
    for (std::size_t i = 0; i <= subset.size(); ++i) {
      Next n = next_of(s, "ASC-TIMEOUT-2", poll, kLateSlack, rescue);
      if (!n.returned || !n.index) break;
      yielded.insert(*n.index);
    }
    if (s.lost) return;
    for (int h : std::set<int>(subset.begin(), subset.end())) {
      if (s.spec.by_handle(h).state != State::kCancelled) continue;
      const bool seen = yielded.count(index_of(h)) > 0;
      CF_CHECK(seen ? "ASC-CANCEL-1"
                    : props::unyielded_cancel_rule(s.impl, s.inputs({h})[0], "ASC-TIMEOUT-2"),
               seen)
          << "as_completed(" << show_handles(subset)
          << ", timeout=0s) did not yield the cancelled future at index " << index_of(h);
    }
  }
  void drive(System& s) const override {
    const std::set<int> distinct(subset.begin(), subset.end());
    auto once_rule = [&](const std::optional<std::size_t>& index) {
      return ExecutorSpec::as_completed_again_rule(subset, index);
    };
    std::vector<int> done_at_call;  // handles, not yet yielded
    std::set<std::size_t> pending;
    for (int h : distinct) {
      if (s.spec.by_handle(h).done()) {
        done_at_call.push_back(h);
      } else {
        pending.insert(index_of(h));
      }
    }
    const auto rescue = notify_cancelled(s.impl, s.inputs(subset));
    const bool cancelled_first = std::any_of(done_at_call.begin(), done_at_call.end(), [&](int h) {
      return s.spec.by_handle(h).state == State::kCancelled;
    });
    if (cancelled_first && !wait.timed()) {
      poll_yields_cancelled(s, rescue);
      if (s.lost) return;
    }
    auto start = Clock::now();
    std::shared_ptr<AsCompletedRun> run = s.impl.as_completed(s.inputs(subset), wait.timeout());
    while (!done_at_call.empty()) {
      const char* rule = s.spec.as_completed_first_rule(done_at_call, wait.timed());
      Next n = next_of(s, rule, run, kLateSlack, rescue);
      CF_CHECK(raised_rule(n, rule), !n.raised) << "as_completed raised " << to_string(*n.raised)
                                                << " before yielding every future done at the call";
      const bool yielded = n.index && *n.index < subset.size();
      CF_CHECK(rule, !n.returned || yielded)
          << "as_completed "
          << (n.index ? "yielded index " + std::to_string(*n.index) : std::string("ended"))
          << " before yielding every future done at the call";
      if (!yielded) return;
      const int h = subset[*n.index];
      auto it = std::find(done_at_call.begin(), done_at_call.end(), h);
      CF_CHECK(rule, s.spec.by_handle(h).done())
          << "as_completed yielded index " << *n.index
          << ", not done at the call, before those that were";
      CF_CHECK(once_rule(n.index), it != done_at_call.end() && *n.index == index_of(h))
          << "as_completed yielded handle " << h << " (index " << *n.index << ") again";
      if (it == done_at_call.end()) return;
      done_at_call.erase(it);
    }
    if (pending.empty()) {
      Next n = next_of(s, "ASC-ALL-1", run, kLateSlack, rescue);
      CF_CHECK(once_rule(n.index), !n.returned || (!n.raised && !n.index))
          << "as_completed yielded more than its inputs: "
          << (n.raised ? "raised " + to_string(*n.raised) : "index " + std::to_string(*n.index));
    } else if (wait.timed()) {
      Next n = next_of(s, "ASC-TIMEOUT-1", run, kLateSlack + wait.edge.at_least, rescue);
      CF_CHECK("ASC-TIMEOUT-1", !n.returned || n.raised.has_value())
          << "as_completed went on past its deadline: "
          << (n.index ? "index " + std::to_string(*n.index) : "the end");
      if (!n.raised) return;
      CF_CHECK_EQ("ASC-TIMEOUT-1", to_string(n.raised->kind), to_string(Kind::kTimeout));
      CF_CHECK("ASC-TIMEOUT-1", n.at - start >= wait.edge.at_least)
          << "timed out after " << ns(n.at - start) << ", before its deadline";
      std::string message = std::to_string(pending.size()) + " (of " +
                            std::to_string(distinct.size()) + ") futures unfinished";
      CF_CHECK("ASC-TIMEOUT-1", n.raised->message.empty() || n.raised->message == message)
          << "message \"" << n.raised->message << "\", expected \"" << message << "\"";
    } else {
      // Release tasks oldest first; each completion in the subset comes next.
      while (!pending.empty()) {
        auto finished = s.release_oldest();
        CF_PRECONDITION(nullptr, !finished.empty()) << "the model had no task left to release";
        for (int id : finished) {
          const Task& t = s.spec.task(id);
          if (t.handle < 0 || !distinct.count(t.handle)) continue;
          Next n = next_of(s, "ASC-ORDER-1", run, kLong, rescue);
          if (!n.returned) return;
          CF_CHECK(raised_rule(n, "ASC-ORDER-1"), !n.raised)
              << "as_completed raised " << to_string(*n.raised);
          CF_CHECK("ASC-ORDER-1", n.index == index_of(t.handle))
              << "as_completed yielded "
              << (n.index ? "index " + std::to_string(*n.index) : "the end") << ", expected index "
              << index_of(t.handle);
          pending.erase(index_of(t.handle));
        }
      }
      Next n = next_of(s, "ASC-ALL-1", run, kLateSlack, rescue);
      CF_CHECK(once_rule(n.index), !n.returned || (!n.raised && !n.index))
          << "as_completed yielded more than its inputs: "
          << (n.raised ? "raised " + to_string(*n.raised) : "index " + std::to_string(*n.index));
    }
    s.settle();
  }
  void show(std::ostream& os) const override {
    os << "as_completed(" << show_handles(subset) << ", timeout=" << wait << ")";
  }
};

struct MapCmd : ModelCommand {
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
        timeout_when_starved(props::has(p.caps, Cap::kMapTimeout) && *rc::gen::arbitrary<bool>()) {
    RC_PRE(props::has(p.caps, Cap::kMap) || props::has(p.caps, Cap::kMapTimeout));
    if (props::has(p.caps, Cap::kMapBuffersize) && *rc::gen::arbitrary<bool>()) {
      buffersize = *rc::gen::inRange<std::size_t>(1, 4);
    }
    if (timeout_when_starved) {
      wait.form = *rc::gen::element(Form::kPoll, Form::kTick);
      wait.edge = wait.form == Form::kPoll ? props::gen_poll_timeout() : props::gen_short_timeout();
    }
  }
  void drive(System& s) const override {
    std::vector<Probe> probes;
    const int first = static_cast<int>(s.spec.tasks().size());
    for (std::size_t i = 0; i < fails.size(); ++i) {
      Probe probe = Probe().record(s.start_log, first + static_cast<int>(i));
      probes.push_back(fails[i] ? probe.raises("map call failed")
                                : probe.returns(first + static_cast<int>(i)));
    }
    if (s.spec.shut_down()) {
      CF_CHECK_RAISES("MAP-SHUTDOWN-1", s.executor.map(probes, MapSpec{kLong, buffersize}),
                      Kind::kShutdown)
          << "map after shutdown";
      s.settle();
      return;
    }
    const bool flowing = s.spec.has_free_worker();
    const bool timed = !flowing && timeout_when_starved && !fails.empty();
    const auto start = Clock::now();
    std::shared_ptr<MapRun> run =
        s.executor.map(probes, MapSpec{timed ? wait.timeout() : Timeout(kLong), buffersize});
    if (flowing && !buffersize) {
      s.spec.add_calls(first, fails, fails.size(), State::kQueued, "MAP-EAGER-1");
      s.settle();  // every call runs: a free worker takes them one by one [MAP-EAGER-1]
    }
    if (flowing) {
      bool read_all = true;
      for (std::size_t i = 0; i < fails.size(); ++i) {
        if (i == take && !fails[i] && !buffersize) {
          // Closed with nothing left to cancel: every call has finished. That
          // the sequence then ends is the abandoning rule's: once stepped
          // [MAP-ABANDON-1]; before the first step [MAP-ABANDON-2].
          run->close();
          const char* abandon = i > 0 ? "MAP-ABANDON-1" : "MAP-ABANDON-2";
          CF_CHECK(abandon, !next_of(s, abandon, run, kLateSlack).outcome)
              << "a closed map went on";
          read_all = false;
          break;
        }
        const char* position = fails[i] ? "MAP-EXC-1" : "MAP-ORDER-1";
        auto step = next_of(s, position, run, kLong);
        if (!step.returned) return;
        auto o = step.outcome;
        if (fails[i]) {
          CF_CHECK("MAP-EXC-1", o && o->is(Kind::kTaskError))
              << "map position " << i << " gave " << describe(o);
          CF_CHECK("MAP-EXC-2", !next_of(s, "MAP-EXC-2", run, kLateSlack).outcome)
              << "map went on after a failure";
          // With buffersize, up to that many later calls were submitted and
          // may have run or been cancelled; the rest never ran.
          s.spec.add_calls(first, fails, i + 1, State::kFinished, "MAP-ORDER-1");
          s.spec.add_calls(first, fails, std::min(fails.size(), i + 1 + buffersize.value_or(0)),
                           State::kMaybe, "MAP-ORDER-1");
          s.spec.add_calls(first, fails, fails.size(), State::kCancelled, "MAP-ORDER-1");
          for (int id = first + static_cast<int>(i) + 1;
               id < static_cast<int>(s.spec.tasks().size()); ++id) {
            s.spec.task(id).cancelled_by = "MAP-EXC-2";
          }
          read_all = false;
          break;
        }
        CF_CHECK("MAP-ORDER-1", o && o->is(Kind::kValue) && o->value == first + static_cast<int>(i))
            << "map position " << i << " gave " << describe(o);
      }
      if (read_all) {
        const char* ends = fails.empty() ? "MAP-EMPTY-1" : "MAP-ORDER-1";
        CF_CHECK(ends, !next_of(s, ends, run, kLong).outcome) << "map yielded more than its inputs";
        s.spec.add_calls(first, fails, fails.size(), State::kFinished, "MAP-ORDER-1");
      }
      s.settle();
      return;
    }
    // Starved: every worker is blocked, no call can start.
    s.spec.add_calls(first, fails, fails.size(), State::kQueued, "MAP-EAGER-1");
    if (timed) {
      auto n = next_of(s, "MAP-TIMEOUT-1", run, kLateSlack + wait.edge.at_least);
      if (!n.returned) return;
      CF_CHECK("MAP-TIMEOUT-1", n.outcome && n.outcome->is(Kind::kTimeout))
          << "a starved map gave " << describe(n.outcome);
      CF_CHECK("MAP-TIMEOUT-1", n.at - start >= wait.edge.at_least)
          << "map timed out after " << ns(n.at - start) << ", before its timeout";
      CF_CHECK("MAP-TIMEOUT-2", !next_of(s, "MAP-TIMEOUT-2", run, kLateSlack).outcome)
          << "map went on after its timeout";
      s.spec.give_up_calls(first, "MAP-TIMEOUT-2");
    } else if (fails.empty()) {
      CF_CHECK("MAP-EMPTY-1", !next_of(s, "MAP-EMPTY-1", run, kLateSlack).outcome)
          << "an empty map yielded";
      run->close();
    } else {
      // Closed before its first step: the sequence ends, but nothing is
      // cancelled, as CPython's generator never started [MAP-ABANDON-2].
      run->close();
      CF_CHECK("MAP-ABANDON-2", !next_of(s, "MAP-ABANDON-2", run, kLateSlack).outcome)
          << "a closed map went on";
      s.spec.give_up_calls(first, "MAP-ABANDON-2",
                           buffersize.value_or(std::numeric_limits<std::size_t>::max()));
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
    os << "; else read " << take << " then close)";
  }
};

struct Shutdown : ModelCommand {
  bool wait;
  bool cancel_futures;
  explicit Shutdown(const Plan& p)
      : wait(!props::has(p.caps, Cap::kShutdownNoWait) || *rc::gen::arbitrary<bool>()),
        cancel_futures(props::has(p.caps, Cap::kCancelFutures) && *rc::gen::arbitrary<bool>()) {}
  void apply(Plan& p) const override { p.shut_down = true; }

  // Queued tasks are cancelled, unless the executor had started them.
  void cancel_queued(System& s) const {
    for (auto& t : s.spec.tasks()) {
      if (t.state != State::kQueued) continue;
      if (t.handle < 0) {
        // A queued call of a map never stepped [MAP-ABANDON-2]: no future
        // here to ask, but shutdown cancels it all the same.
        s.spec.cancelled_by_shutdown_unseen(t);
        continue;
      }
      auto& f = s.future(t);
      const bool cancelled = f->cancelled();
      auto rule = s.spec.cancel_futures_cancels(t, f->running());
      if (rule.expected) {
        CF_CHECK_EQ(rule.clause, cancelled, *rule.expected)
            << (cancelled ? "claimed task " : "pending task ") << t.id
            << (cancelled ? " was cancelled" : " survived shutdown(cancel_futures=true)");
      }
      s.spec.cancelled_by_shutdown(t, cancelled);
    }
  }

  void drive(System& s) const override {
    Executor& ex = s.executor;
    const bool w = wait, c = cancel_futures;
    const bool again = s.spec.shut_down();
    const char* returns = wait ? "SHUT-WAIT-1" : "SHUT-NOWAIT-1";
    // A later shutdown has no further effect and does not throw [SHUT-IDEM-1].
    const char* quietly = again ? "SHUT-IDEM-1" : returns;
    Background<std::optional<Outcome>> call(s.lab, returns,
                                            [&ex, w, c]() -> std::optional<Outcome> {
                                              try {
                                                ex.shutdown(w, c);
                                                return std::nullopt;
                                              } catch (const Raised& r) {
                                                return r.outcome;
                                              }
                                            });
    s.spec.shut_down(cancel_futures);
    if (!wait) {
      CF_CHECK("SHUT-NOWAIT-1", call.returns_within(kLateSlack)) << "shutdown(wait=false) blocked";
      auto raised = call.get();
      CF_CHECK(quietly, !raised) << "shutdown(wait=false) raised " << to_string(*raised);
      if (cancel_futures) cancel_queued(s);
      s.settle();
      return;
    }
    if (cancel_futures) {
      // The cancellation comes first [SHUT-CANCEL-1]: each queued future not
      // claimed is done soon, before any gate is opened. One bound for all of
      // them: one that stays pending is reported by cancel_queued, and must
      // not cost a bound each.
      const auto until = Clock::now() + kLong;
      for (auto& t : s.spec.tasks()) {
        if (t.state != State::kQueued || t.handle < 0 || s.future(t)->running()) continue;
        s.future(t)->result(std::max(Clock::duration::zero(), until - Clock::now()));
      }
      cancel_queued(s);
    }
    s.spec.advance();
    while (s.spec.any_live()) {
      CF_CHECK("SHUT-WAIT-1", !call.returns_within(std::chrono::nanoseconds(0)))
          << "shutdown(wait=true) returned while task " << s.spec.oldest_blocked()
          << " was still running";
      auto finished = s.release_oldest();
      CF_PRECONDITION(nullptr, !finished.empty()) << "the model had no task left to release";
    }
    const bool returned = call.returns_within(kLong);
    CF_CHECK("SHUT-WAIT-1", returned)
        << "shutdown(wait=true) did not return once every task finished";
    auto raised = call.get();
    CF_CHECK(quietly, !raised) << "shutdown(wait=true) raised " << to_string(*raised);
    // Afterwards every future from the executor is done.
    for (auto& t : s.spec.tasks()) {
      if (t.handle >= 0) {
        CF_CHECK("SHUT-WAIT-1", s.future(t)->done()) << "task " << t.id << " is not done";
      }
    }
    s.settle();
  }
  void show(std::ostream& os) const override {
    os << "shutdown(wait=" << (wait ? "true" : "false")
       << ", cancel_futures=" << (cancel_futures ? "true" : "false") << ")";
  }
};

rc::Gen<std::shared_ptr<const Command>> gen_command(const Plan& plan) {
  using Ptr = std::shared_ptr<const Command>;
  auto has = [&](Cap cap) { return props::has(plan.caps, cap); };
  const unsigned handles = plan.handles ? 1u : 0u;
  // The extensions' property leans on map, where its EXT- rule lives.
  const unsigned map = plan.extensions ? 4u : 2u;
  return rc::gen::weightedOneOf<Ptr>({
      {plan.handles >= kMaxHandles ? 0u
       : plan.shut_down            ? 1u
                                   : 6u,
       rc::gen::exec([plan]() -> Ptr { return std::make_shared<const Submit>(plan); })},
      {handles * 5u,
       rc::gen::exec([plan]() -> Ptr { return std::make_shared<const OpenGate>(plan); })},
      {has(Cap::kCancel) ? handles * 3u : 0u,
       rc::gen::exec([plan]() -> Ptr { return std::make_shared<const Cancel>(plan); })},
      {has(Cap::kResultBlocking) || has(Cap::kResultTimeout) ? handles * 3u : 0u,
       rc::gen::exec([plan]() -> Ptr { return std::make_shared<const Read>(plan); })},
      {has(Cap::kDoneCallbacks) ? handles * 2u : 0u,
       rc::gen::exec([plan]() -> Ptr { return std::make_shared<const AddCallback>(plan); })},
      {has(Cap::kWait) || has(Cap::kWaitTimeout) ? 2u : 0u,
       rc::gen::exec([plan]() -> Ptr { return std::make_shared<const WaitCmd>(plan); })},
      {has(Cap::kAsCompleted) || has(Cap::kAsCompletedTimeout) ? 2u : 0u,
       rc::gen::exec([plan]() -> Ptr { return std::make_shared<const AsCompletedCmd>(plan); })},
      {has(Cap::kMap) || has(Cap::kMapTimeout) ? map : 0u,
       rc::gen::exec([plan]() -> Ptr { return std::make_shared<const MapCmd>(plan); })},
      {plan.handles < 3 ? 0u
       : plan.shut_down ? 1u
                        : 2u,
       rc::gen::exec([plan]() -> Ptr { return std::make_shared<const Shutdown>(plan); })},
  });
}

// One case: random commands against a fresh executor, then every gate open
// and a shutdown(wait=true) that must account for every task.
void follow_the_model(Lab& lab, Implementation& impl, bool extensions,
                      const std::function<Executor&(int)>& make) {
  Plan plan;
  plan.workers = *rc::gen::inRange(1, 4);
  plan.caps = impl.caps();
  plan.extensions = extensions;
  System system(lab, impl, make(plan.workers), plan.workers, extensions);
  const auto commands = *rc::state::gen::commands(plan, &gen_command);
  rc::state::runAll(commands, plan, system);
  if (system.lost) return;

  // At the end: release everything; every task ran exactly once or was
  // cancelled and never ran.
  lab.open_all();
  for (auto& t : system.spec.tasks()) t.gate_open = true;
  const bool again = system.spec.shut_down();
  std::optional<Outcome> raised;
  {
    CF_STEP("SHUT-WAIT-1");
    try {
      system.executor.shutdown(true, false);
    } catch (const Raised& r) {
      raised = r.outcome;
    }
  }
  CF_CHECK(again ? "SHUT-IDEM-1" : "SHUT-WAIT-1", !raised)
      << "the last shutdown(wait=true) raised " << to_string(*raised);
  system.spec.shut_down(false);
  for (auto& t : system.spec.tasks()) {
    if (t.live()) t.state = State::kFinished;
    if (t.handle >= 0) {
      CF_CHECK("SHUT-WAIT-1", system.future(t)->done())
          << "task " << t.id << " is not done after shutdown(wait=true)";
    }
  }
  system.settle();
  RC_TAG(commands.size() < 10   ? "< 10 commands"
         : commands.size() < 25 ? "10-24 commands"
                                : "25+ commands");
  RC_TAG(system.spec.handles() < 4 ? "< 4 tasks" : "4+ tasks");
}

// The clauses without EXT-: an executor faithful to CPython passes this.
RC_GTEST_FIXTURE_PROP(Conformance, MODEL_ExecutorFollowsTheSequentialSpec, ()) {
  CF_REQUIRE(Cap::kMaxWorkers, Cap::kStateQueries);
  follow_the_model(lab, impl(), false,
                   [this](int workers) -> Executor& { return make_executor(workers); });
}

// The same, held to cf's EXT- rules as well: huge timeouts of wait and
// as_completed behave as none [EXT-TIMEOUT-1].
RC_GTEST_FIXTURE_PROP(Conformance, MODEL_ExecutorFollowsTheExtensions, ()) {
  CF_REQUIRE(Cap::kMaxWorkers, Cap::kStateQueries);
  follow_the_model(lab, impl(), true,
                   [this](int workers) -> Executor& { return make_executor(workers); });
}

}  // namespace
}  // namespace cf::conformance
