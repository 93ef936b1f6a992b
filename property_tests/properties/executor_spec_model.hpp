// executor_spec_model.hpp — the sequential model of an executor that the
// stateful properties (executor_model.cpp) check every step against, and the
// spec's rules for each observation, each naming its clause.
//
// Every task is gated, so between commands the real system is quiescent: each
// worker is blocked at a closed gate or idle, and nothing changes on its own.
// The model computes that quiescent state: with W workers, the started tasks
// are always the oldest live ones in submission order [TPE-FIFO-1], exactly
// min(W, live) of them [TPE-MAX-1], and a started task whose gate is open
// finishes, freeing its worker for the next. Where the spec allows more than
// one outcome the model records which one the executor chose:
//
//   - A queued task may already be marked running by the executor (SPEC
//     "Executors": started means running(); EXEC-RUNNING-1 notes CPython's
//     process pool does this for a few queued calls). The model allows it for
//     the first kPrefetch queued tasks per worker only, as the conformance
//     tests do, and from then on expects that task to run (claimed).
//   - A map call in that window cancelled while queued may therefore still
//     run, at most once (kMaybe); a handle task's choice is observable and is
//     recorded as claimed instead.
//
// The rules. What an observation must be is computed here, as a Rule: the
// expected value and the one clause whose rule gives it. The commands in
// executor_model.cpp only drive the executor and compare.
//
// Extensions. The model holds an executor to the clauses without EXT- by
// default, and allows both outcomes where only an EXT- rule decides. With
// extensions() on it also holds it to the EXT- rules: a huge timeout of any
// timed call behaves as none [EXT-TIMEOUT-1] (the commands draw huge timeouts
// for wait and as_completed only then).
//
// Long on purpose: the model's state and every rule it gives, in one place,
// so a verdict of the stateful properties is traced to its clause here alone.
//
// Long on purpose: the whole sequential model, one rule per observation with
// its clause; it is read as one piece.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "harness/adapter.hpp"

namespace cf::conformance::model {

// Queued calls an executor may have marked running, per worker (as the
// conformance tests' padding).
inline constexpr int kPrefetch = 4;

// What the spec expects of one observation, and the clause whose rule says so.
template <class T>
struct Rule {
  T expected;
  const char* clause;
};

// running(), cancelled(), done(), read together.
struct Queries {
  bool running = false;
  bool cancelled = false;
  bool done = false;
  bool operator==(const Queries&) const = default;
};
inline std::string to_string(const Queries& q) {
  return std::string("running=") + (q.running ? "true" : "false") +
         " cancelled=" + (q.cancelled ? "true" : "false") + " done=" + (q.done ? "true" : "false");
}

// The forms of a timeout a command passes.
enum class Form { kPoll, kTick, kNone, kHuge };

struct Task {
  enum class State { kQueued, kStarted, kFinished, kCancelled, kMaybe };
  struct Callback {
    int id;
    bool added_done;  // added to a done future: runs at once [FUT-CB-3]
  };
  int id = 0;              // its entry in the start log
  int gate = -1;           // -1: ungated (map calls)
  bool gate_open = false;  // always true for ungated tasks
  bool fails = false;
  std::int64_t value = 0;
  State state = State::kQueued;
  bool claimed = false;             // queued, but running() already true
  int handle = -1;                  // index of its FuturePtr, -1 for map calls
  std::vector<Callback> callbacks;  // in the order added
  bool cancelled_here = false;      // cancelled by the test thread (cancel())
  // The clause by which the model holds it cancelled (or, kMaybe, perhaps
  // cancelled): a run of a cancelled task is charged there.
  const char* cancelled_by = "";
  // The clause by which it must run: a submitted call runs [EXEC-SUBMIT-1],
  // or, once a shutdown without cancel_futures met it queued, because that
  // shutdown cancels nothing [SHUT-CANCEL-2].
  const char* runs_by = "EXEC-SUBMIT-1";

  bool done() const { return state == State::kFinished || state == State::kCancelled; }
  bool live() const { return state == State::kQueued || state == State::kStarted; }
  std::string message() const { return "task <" + std::to_string(id) + "> failed"; }
  Outcome outcome() const {
    if (state == State::kCancelled) return Outcome::error(Outcome::Kind::kCancelled);
    if (state != State::kFinished) return Outcome::error(Outcome::Kind::kTimeout);
    return fails ? Outcome::error(Outcome::Kind::kTaskError, message()) : Outcome::of_value(value);
  }
  Outcome exception() const {
    Outcome r = outcome();
    return r.is(Outcome::Kind::kValue) ? Outcome{} : r;
  }
};

class ExecutorSpec {
 public:
  using State = Task::State;
  using Kind = Outcome::Kind;

  ExecutorSpec(int workers, bool extensions) : workers_(workers), extensions_(extensions) {}

  int workers() const { return workers_; }
  bool extensions() const { return extensions_; }
  bool shut_down() const { return shut_down_; }
  std::vector<Task>& tasks() { return tasks_; }
  const std::vector<Task>& tasks() const { return tasks_; }
  Task& task(int id) { return tasks_[static_cast<std::size_t>(id)]; }
  const Task& task(int id) const { return tasks_[static_cast<std::size_t>(id)]; }
  Task& by_handle(int handle) { return task(handle_task_.at(static_cast<std::size_t>(handle))); }
  const Task& by_handle(int handle) const {
    return task(handle_task_.at(static_cast<std::size_t>(handle)));
  }
  int handles() const { return static_cast<int>(handle_task_.size()); }

  Task& add(Task t) {
    t.id = static_cast<int>(tasks_.size());
    if (t.gate < 0) t.gate_open = true;
    if (t.handle >= 0) handle_task_.push_back(t.id);
    tasks_.push_back(std::move(t));
    return tasks_.back();
  }

  // --- the executor's moves --------------------------------------------------

  // Its position among the queued tasks, or -1 if it is not queued.
  int queue_position(const Task& t) const {
    if (t.state != State::kQueued) return -1;
    int pos = 0;
    for (const auto& u : tasks_) {
      if (u.id == t.id) return pos;
      if (u.state == State::kQueued) ++pos;
    }
    return -1;
  }
  // May the executor already have marked this queued task running?
  bool may_claim(const Task& t) const {
    int pos = queue_position(t);
    return pos >= 0 && pos < kPrefetch * workers_;
  }

  bool has_free_worker() const {
    auto busy = std::count_if(tasks_.begin(), tasks_.end(),
                              [](const Task& t) { return t.state == State::kStarted; });
    return busy < workers_;
  }
  bool any_live() const {
    return std::any_of(tasks_.begin(), tasks_.end(), [](const Task& t) { return t.live(); });
  }

  // Moves to the quiescent state; returns the ids that finished, in order.
  std::vector<int> advance() {
    std::vector<int> finished;
    for (bool changed = true; changed;) {
      changed = false;
      for (auto& t : tasks_) {
        if (t.state == State::kStarted && t.gate_open) {
          t.state = State::kFinished;
          finished.push_back(t.id);
          changed = true;
          break;  // its worker takes the next queued task first
        }
      }
      for (auto& t : tasks_) {
        if (!has_free_worker()) break;
        if (t.state == State::kQueued) {
          t.state = State::kStarted;
          changed = true;
        }
      }
    }
    return finished;
  }

  // The oldest started task whose gate is closed, or -1.
  int oldest_blocked() const {
    for (const auto& t : tasks_) {
      if (t.state == State::kStarted && !t.gate_open) return t.id;
    }
    return -1;
  }

  // A map call (ungated, no handle) in `state`, for the inputs of a map whose
  // first call is task `first`: adds calls up to input `count`.
  void add_calls(int first, const std::vector<bool>& fails, std::size_t count, State state,
                 const char* runs_by) {
    for (auto i = tasks_.size() - static_cast<std::size_t>(first); i < count; ++i) {
      Task t;
      t.fails = fails[i];
      t.value = first + static_cast<int>(i);
      t.state = state;
      t.runs_by = runs_by;
      add(t);
    }
  }

  // The calls of a map from task `first` on that are still queued when the
  // map gives them up (`cause`: its timeout [MAP-TIMEOUT-2], its closing once
  // stepped [MAP-ABANDON-1]) are cancelled; one the executor may have claimed
  // may still run, once. A map closed before its first step cancels nothing
  // (as CPython's generator never started): every call it submitted must
  // still run, and with a buffer of `submitted` calls the inputs after them
  // were never submitted and never run [MAP-ABANDON-2].
  void give_up_calls(int first, const char* cause,
                     std::size_t submitted = std::numeric_limits<std::size_t>::max()) {
    const bool cancels = std::string(cause) != "MAP-ABANDON-2";
    for (int id = first; id < static_cast<int>(tasks_.size()); ++id) {
      Task& t = task(id);
      if (t.state != State::kQueued) continue;
      if (!cancels && static_cast<std::size_t>(id - first) < submitted) {
        t.runs_by = cause;
        continue;
      }
      if (!cancels) {
        t.state = State::kCancelled;  // never submitted: it has no future to run
        t.cancelled_by = cause;
        continue;
      }
      t.state = may_claim(t) ? State::kMaybe : State::kCancelled;
      t.cancelled_by = cause;
    }
  }

  // shutdown(): no more work is accepted [EXEC-SUBMIT-4]. Without
  // cancel_futures every task still queued must run [SHUT-CANCEL-2]; a call
  // of a map closed unstepped keeps its own, more particular rule
  // [MAP-ABANDON-2], which had it run before the shutdown came.
  void shut_down(bool cancel_futures) {
    shut_down_ = true;
    if (cancel_futures) return;
    for (auto& t : tasks_) {
      if (t.state == State::kQueued && std::string(t.runs_by) == "EXEC-SUBMIT-1") {
        t.runs_by = "SHUT-CANCEL-2";
      }
    }
  }

  // --- the rules ------------------------------------------------------------

  // A live task whose gate is closed, or which is queued behind one, cannot be
  // done: a started (or claimed) task's future reports running until its call
  // returns [EXEC-RUNNING-1]; a queued one finishes only by running
  // (runs_by).
  const char* not_done_yet(const Task& t) const {
    return t.state == State::kStarted || t.claimed ? "EXEC-RUNNING-1" : t.runs_by;
  }

  // A task the model started has not reached its gate: a later one started
  // in its place [TPE-FIFO-1], or the pool left a worker idle while work
  // waited [TPE-MAX-1].
  const char* not_started(const std::vector<std::int64_t>& log) const {
    return queued_one_ran(log) ? "TPE-FIFO-1" : "TPE-MAX-1";
  }
  // Whether a task the model holds queued is in the start log.
  bool queued_one_ran(const std::vector<std::int64_t>& log) const {
    return std::any_of(tasks_.begin(), tasks_.end(), [&](const Task& t) {
      return t.state == State::kQueued && std::count(log.begin(), log.end(), t.id) > 0;
    });
  }

  // The most times the start log may show `t`: never while every worker is
  // busy with an older task, never once cancelled (cancelled_by), and a call
  // at most once [EXEC-SUBMIT-1]. A queued task that ran took the place of an
  // older one the model started, if that one has not run or ran after it
  // [TPE-FIFO-1]; else it ran beside every worker's task [TPE-MAX-1].
  Rule<std::size_t> at_most_runs(const Task& t, const std::vector<std::int64_t>& log) const {
    switch (t.state) {
      case State::kQueued: {
        const auto ran = std::find(log.begin(), log.end(), t.id);
        for (const auto& older : tasks_) {
          if (older.id < t.id && older.state == State::kStarted &&
              std::find(log.begin(), ran, older.id) == ran) {
            return {0, "TPE-FIFO-1"};
          }
        }
        return {0, "TPE-MAX-1"};
      }
      case State::kCancelled:
        return {0, t.cancelled_by};
      default:
        return {1, "EXEC-SUBMIT-1"};
    }
  }
  // The fewest: once started, it ran (runs_by). One that did not, while a
  // task the model holds queued ran, lost its turn to that one [TPE-FIFO-1].
  Rule<std::size_t> at_least_runs(const Task& t, const std::vector<std::int64_t>& log) const {
    if (t.state != State::kStarted && t.state != State::kFinished) return {0, t.runs_by};
    return {1, queued_one_ran(log) ? "TPE-FIFO-1" : t.runs_by};
  }

  // result() of a finished task, read with a bound: its call's value
  // [EXEC-SUBMIT-1] or error [EXEC-SUBMIT-2]; a task that did not finish
  // (cancelled, or not done by the bound) broke the rule by which it had to
  // run; a read that reported a timeout before its bound broke the timeout
  // rule [FUT-RESULT-4].
  Rule<Outcome> finished_result(const Task& t, const Outcome& got, bool waited_the_bound) const {
    if (got.is(Kind::kTimeout) && !waited_the_bound) return {t.outcome(), "FUT-RESULT-4"};
    if (got.is(Kind::kCancelled) || got.is(Kind::kTimeout)) return {t.outcome(), t.runs_by};
    return {t.outcome(), t.fails ? "EXEC-SUBMIT-2" : "EXEC-SUBMIT-1"};
  }

  // The queries of a task's future: pending while queued [FUT-STATE-1],
  // running once started [FUT-STATE-2] and until it finishes, claimed
  // included [EXEC-RUNNING-1], finished [FUT-STATE-3], cancelled by cancel()
  // [FUT-STATE-4] or by shutdown [SHUT-CANCEL-1]. A queued task reporting
  // running() is claimed from then on, if it may be.
  Rule<Queries> queries(Task& t, bool running) {
    switch (t.state) {
      case State::kQueued:
        if (t.claimed) return {{true, false, false}, "EXEC-RUNNING-1"};
        if (running && may_claim(t)) {
          t.claimed = true;
          return {{true, false, false}, "FUT-STATE-2"};
        }
        return {{false, false, false}, "FUT-STATE-1"};
      case State::kStarted:
        return {{true, false, false}, t.claimed ? "EXEC-RUNNING-1" : "FUT-STATE-2"};
      case State::kFinished:
        return {{false, false, true}, "FUT-STATE-3"};
      default:
        return {{false, true, true}, t.cancelled_here ? "FUT-STATE-4" : t.cancelled_by};
    }
  }

  // What cancel() of `t` returns: true while pending [FUT-CANCEL-1], false
  // once started [FUT-CANCEL-2] (claimed included) or finished
  // [FUT-CANCEL-3], true again once cancelled [FUT-CANCEL-4]. A task the
  // executor may have claimed may refuse, if it then reports running().
  Rule<std::optional<bool>> cancel_returns(const Task& t, bool running_after) const {
    switch (t.state) {
      case State::kQueued:
        if (t.claimed) return {false, "FUT-CANCEL-2"};
        if (may_claim(t) && running_after) return {std::nullopt, "FUT-CANCEL-1"};
        return {true, "FUT-CANCEL-1"};
      case State::kStarted:
        return {false, "FUT-CANCEL-2"};
      case State::kFinished:
        return {false, "FUT-CANCEL-3"};
      default:
        return {true, "FUT-CANCEL-4"};
    }
  }
  // What cancelled() says after cancel(): a pending task is withdrawn
  // [EXEC-CANCEL-1]; a started (or claimed) one runs on [EXEC-RUNNING-1]. A
  // claimable one that reports running() may go either way; a done one is
  // judged by its queries.
  Rule<std::optional<bool>> cancel_effect(const Task& t, bool running_after) const {
    if (t.state == State::kStarted || (t.state == State::kQueued && t.claimed))
      return {false, "EXEC-RUNNING-1"};
    if (t.state != State::kQueued) return {std::nullopt, ""};
    if (may_claim(t) && running_after) return {std::nullopt, "EXEC-CANCEL-1"};
    return {true, "EXEC-CANCEL-1"};
  }
  // The model after cancel(): a queued task is cancelled if it says so, else
  // the executor had claimed it.
  void cancel(Task& t, bool cancelled) {
    if (t.state != State::kQueued) return;
    if (!cancelled) {
      t.claimed = true;
      return;
    }
    t.state = State::kCancelled;
    t.cancelled_here = true;
    t.cancelled_by = "EXEC-CANCEL-1";
  }

  // What shutdown(cancel_futures=true) does to a queued task: cancels it
  // unless the executor had started it (claimed, or claimable and reporting
  // running()) [SHUT-CANCEL-1].
  Rule<std::optional<bool>> cancel_futures_cancels(const Task& t, bool running) const {
    if (t.claimed) return {false, "SHUT-CANCEL-1"};
    if (may_claim(t) && running) return {std::nullopt, "SHUT-CANCEL-1"};
    return {true, "SHUT-CANCEL-1"};
  }
  // The same for a queued task without a future to ask (a map's call): it is
  // cancelled, unless the executor may have started it [SHUT-CANCEL-1].
  void cancelled_by_shutdown_unseen(Task& t) {
    t.state = t.claimed || may_claim(t) ? State::kMaybe : State::kCancelled;
    t.cancelled_by = "SHUT-CANCEL-1";
  }
  void cancelled_by_shutdown(Task& t, bool cancelled) {
    if (!cancelled) {
      t.claimed = true;
      return;
    }
    t.state = State::kCancelled;
    t.cancelled_by = "SHUT-CANCEL-1";
  }

  // The clause of a read's timeout form: a poll [FUT-RESULT-6], a short
  // timeout [FUT-RESULT-4], none [FUT-RESULT-5], a huge one [FUT-RESULT-7];
  // exception() follows the same rules [FUT-EXC-3].
  static const char* read_form(bool exception, Form form) {
    if (exception) return "FUT-EXC-3";
    switch (form) {
      case Form::kPoll:
        return "FUT-RESULT-6";
      case Form::kTick:
        return "FUT-RESULT-4";
      case Form::kNone:
        return "FUT-RESULT-5";
      case Form::kHuge:
        return "FUT-RESULT-7";
    }
    return "FUT-RESULT-5";
  }
  // What result() (or exception()) of `t` gives: a timeout while it is not
  // done (its form's rule); once done, its value [FUT-RESULT-1] or error
  // [FUT-RESULT-2] [FUT-EXC-1], or the cancellation [FUT-RESULT-3]
  // [FUT-EXC-2]. A done task read as timed out, or whose timeout was
  // rejected, broke its form's rule.
  Rule<Outcome> read(const Task& t, bool exception, Form form, const Outcome& got) const {
    Outcome expected = exception ? t.exception() : t.outcome();
    if (!t.done() || got.is(Kind::kTimeout) || got.is(Kind::kInvalidArgument)) {
      return {expected, read_form(exception, form)};
    }
    if (t.state == State::kCancelled) return {expected, exception ? "FUT-EXC-2" : "FUT-RESULT-3"};
    if (exception) return {expected, "FUT-EXC-1"};
    return {expected, t.fails ? "FUT-RESULT-2" : "FUT-RESULT-1"};
  }

  // The clause a done-callback of `t` is run by: at once, added to a done
  // future [FUT-CB-3]; by a cancellation, cancel()'s or shutdown's
  // [FUT-CB-6]; at completion [FUT-CB-1].
  static const char* callback_rule(const Task& t, const Task::Callback& cb) {
    if (cb.added_done) return "FUT-CB-3";
    return t.state == State::kCancelled ? "FUT-CB-6" : "FUT-CB-1";
  }

  // --- wait [WAIT-*]: the return conditions, as CPython's waiters ----------

  // Does wait(handles, when) return now? FIRST_COMPLETED once one is done,
  // FIRST_EXCEPTION once one failed or all are done, ALL_COMPLETED once all
  // are; a cancelled future counts as done unless `count_cancelled` is off.
  bool wait_met(const std::vector<int>& handles, ReturnWhen when,
                bool count_cancelled = true) const {
    std::size_t done = 0;
    bool failed = false;
    for (int h : handles) {
      const Task& t = by_handle(h);
      if (t.state == State::kFinished || (count_cancelled && t.state == State::kCancelled)) ++done;
      failed = failed || (t.state == State::kFinished && t.fails);
    }
    if (done == handles.size()) return true;  // also the empty input
    switch (when) {
      case ReturnWhen::kFirstCompleted:
        return done > 0;
      case ReturnWhen::kFirstException:
        return failed;
      case ReturnWhen::kAllCompleted:
        return false;
    }
    return false;
  }
  // The rule that decides wait(handles, when) now: no input [WAIT-EMPTY-1];
  // met only by counting cancelled futures as done [WAIT-CANCEL-1];
  // FIRST_COMPLETED [WAIT-FIRST-1]; FIRST_EXCEPTION with a failure
  // [WAIT-FEXC-1], without one [WAIT-FEXC-3]; ALL_COMPLETED [WAIT-ALL-1].
  // With `cancelled_apart` off, the mode's own rule even so.
  const char* wait_rule(const std::vector<int>& handles, ReturnWhen when,
                        bool cancelled_apart = true) const {
    if (handles.empty()) return "WAIT-EMPTY-1";
    if (cancelled_apart && wait_met(handles, when) && !wait_met(handles, when, false))
      return "WAIT-CANCEL-1";
    switch (when) {
      case ReturnWhen::kFirstCompleted:
        return "WAIT-FIRST-1";
      case ReturnWhen::kFirstException:
        for (int h : handles) {
          if (by_handle(h).state == State::kFinished && by_handle(h).fails) return "WAIT-FEXC-1";
        }
        return "WAIT-FEXC-3";
      case ReturnWhen::kAllCompleted:
        return "WAIT-ALL-1";
    }
    return "WAIT-ALL-1";
  }
  // For a wait whose condition already holds at the call, the rule that says
  // it returns at once: a future already done [WAIT-FIRST-2], a failure
  // already present [WAIT-FEXC-2]; else as wait_rule.
  const char* wait_at_once_rule(const std::vector<int>& handles, ReturnWhen when) const {
    const char* rule = wait_rule(handles, when);
    if (std::string(rule) == "WAIT-FIRST-1") return "WAIT-FIRST-2";
    if (std::string(rule) == "WAIT-FEXC-1") return "WAIT-FEXC-2";
    return rule;
  }
  // The indices of `subset` reported done now: each done future once, under
  // its first index [WAIT-DUP-1].
  std::set<std::size_t> wait_done(const std::vector<int>& subset) const {
    std::set<std::size_t> done;
    for (std::size_t i = 0; i < subset.size(); ++i) {
      if (std::find(subset.begin(), subset.begin() + static_cast<std::ptrdiff_t>(i), subset[i]) !=
          subset.begin() + static_cast<std::ptrdiff_t>(i))
        continue;
      if (by_handle(subset[i]).done()) done.insert(i);
    }
    return done;
  }

  // The splits wait(subset, when) may report after the completions of its
  // last release (`chain`: task ids, in order, already applied): the model's
  // split, or the split at any point along the chain where the condition
  // already held (a wait may return part-way through the chain). Empty when
  // the condition never held: the wait can only have timed out.
  std::vector<std::set<std::size_t>> wait_splits_allowed(const std::vector<int>& subset,
                                                         ReturnWhen when,
                                                         const std::vector<int>& chain) {
    const auto handles = distinct(subset);
    // Undo the chain, then replay it one completion at a time.
    std::vector<std::pair<int, State>> undone;
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
      undone.emplace_back(*it, task(*it).state);
      task(*it).state = State::kStarted;
    }
    std::vector<std::set<std::size_t>> allowed;
    if (wait_met(handles, when)) allowed.push_back(wait_done(subset));
    for (auto it = undone.rbegin(); it != undone.rend(); ++it) {
      task(it->first).state = it->second;
      if (wait_met(handles, when)) allowed.push_back(wait_done(subset));
    }
    return allowed;
  }
  // The rule by which a wait must split its distinct inputs, each once, into
  // done and not done: a duplicate collapsed [WAIT-DUP-1], no input no output
  // [WAIT-EMPTY-1], the split at the deadline [WAIT-TIMEOUT-1], else the
  // mode's own rule.
  const char* wait_partition_rule(const std::vector<int>& subset, ReturnWhen when,
                                  bool timed_out) const {
    const auto handles = distinct(subset);
    if (handles.size() < subset.size()) return "WAIT-DUP-1";
    if (handles.empty()) return "WAIT-EMPTY-1";
    if (timed_out) return "WAIT-TIMEOUT-1";
    return wait_rule(handles, when, false);
  }
  // The rule by which a reported done set `done` must equal the model's
  // `expected`: a difference in cancelled futures only is about whether a
  // cancelled future is done for wait [WAIT-CANCEL-1]; otherwise a timed-out
  // wait's [WAIT-TIMEOUT-1], else the mode's own rule.
  const char* wait_split_rule(const std::vector<int>& subset, ReturnWhen when,
                              const std::set<std::size_t>& done,
                              const std::set<std::size_t>& expected, bool timed_out) const {
    if (differs_only_in_cancelled(subset, done, expected)) return "WAIT-CANCEL-1";
    if (timed_out) return "WAIT-TIMEOUT-1";
    return wait_rule(distinct(subset), when, false);
  }
  bool differs_only_in_cancelled(const std::vector<int>& subset, const std::set<std::size_t>& done,
                                 const std::set<std::size_t>& expected) const {
    std::vector<std::size_t> differ;
    std::set_symmetric_difference(done.begin(), done.end(), expected.begin(), expected.end(),
                                  std::back_inserter(differ));
    return !differ.empty() && std::all_of(differ.begin(), differ.end(), [&](std::size_t i) {
      return by_handle(subset[i]).state == State::kCancelled;
    });
  }
  // Distinct handles, in first-seen order.
  static std::vector<int> distinct(const std::vector<int>& subset) {
    std::vector<int> out;
    for (int h : subset) {
      if (std::find(out.begin(), out.end(), h) == out.end()) out.push_back(h);
    }
    return out;
  }

  // --- as_completed [ASC-*] --------------------------------------------------

  // The rule a future yielded again (or more than the inputs) breaks: a
  // duplicated input yielded more than once [ASC-DUP-1], any other
  // [ASC-ALL-1]. `index`: what the run yielded, if anything.
  static const char* as_completed_again_rule(const std::vector<int>& subset,
                                             const std::optional<std::size_t>& index) {
    const bool duplicated = index && *index < subset.size() &&
                            std::count(subset.begin(), subset.end(), subset[*index]) > 1;
    return duplicated ? "ASC-DUP-1" : "ASC-ALL-1";
  }

  // The rule by which the futures done at the call (`missing`: those not yet
  // yielded) come first: cancelled ones are yielded too [ASC-CANCEL-1], even
  // with a zero timeout [ASC-TIMEOUT-2], before anything else [ASC-DONE-1].
  const char* as_completed_first_rule(const std::vector<int>& missing, bool timed) const {
    if (!missing.empty() && std::all_of(missing.begin(), missing.end(), [&](int h) {
          return by_handle(h).state == State::kCancelled;
        })) {
      return "ASC-CANCEL-1";
    }
    return timed ? "ASC-TIMEOUT-2" : "ASC-DONE-1";
  }

 private:
  int workers_;
  bool extensions_;
  bool shut_down_ = false;
  std::vector<Task> tasks_;
  std::vector<int> handle_task_;  // handle -> task id
};

}  // namespace cf::conformance::model
