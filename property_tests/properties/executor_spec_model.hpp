// executor_spec_model.hpp — the sequential model of an executor that the
// stateful property (executor_model.cpp) checks every step against.
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
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "harness/adapter.hpp"

namespace cf::conformance::model {

// Queued calls an executor may have marked running, per worker (as the
// conformance tests' padding).
inline constexpr int kPrefetch = 4;

struct Task {
  enum class State { kQueued, kStarted, kFinished, kCancelled, kMaybe };
  int id = 0;              // its entry in the start log
  int gate = -1;           // -1: ungated (map calls)
  bool gate_open = false;  // always true for ungated tasks
  bool fails = false;
  std::int64_t value = 0;
  State state = State::kQueued;
  bool claimed = false;         // queued, but running() already true
  int handle = -1;              // index of its FuturePtr, -1 for map calls
  std::vector<int> callbacks;   // callback ids, in the order added
  bool cancelled_here = false;  // cancelled by the test thread (cancel())
  // The clause by which the model holds it cancelled: a run of it is charged there.
  const char* cancelled_by = "EXEC-CANCEL-1 SHUT-CANCEL-1 MAP-TIMEOUT-2";

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
  explicit ExecutorSpec(int workers) : workers_(workers) {}

  int workers() const { return workers_; }
  bool shut_down() const { return shut_down_; }
  void set_shut_down() { shut_down_ = true; }
  std::vector<Task>& tasks() { return tasks_; }
  const std::vector<Task>& tasks() const { return tasks_; }
  Task& task(int id) { return tasks_[static_cast<std::size_t>(id)]; }
  Task& by_handle(int handle) { return task(handle_task_.at(static_cast<std::size_t>(handle))); }
  int handles() const { return static_cast<int>(handle_task_.size()); }

  Task& add(Task t) {
    t.id = static_cast<int>(tasks_.size());
    if (t.gate < 0) t.gate_open = true;
    if (t.handle >= 0) handle_task_.push_back(t.id);
    tasks_.push_back(std::move(t));
    return tasks_.back();
  }

  // Its position among the queued tasks, or -1 if it is not queued.
  int queue_position(const Task& t) const {
    if (t.state != Task::State::kQueued) return -1;
    int pos = 0;
    for (const auto& u : tasks_) {
      if (u.id == t.id) return pos;
      if (u.state == Task::State::kQueued) ++pos;
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
                              [](const Task& t) { return t.state == Task::State::kStarted; });
    return busy < workers_;
  }

  // Moves to the quiescent state; returns the ids that finished, in order.
  std::vector<int> advance() {
    std::vector<int> finished;
    for (bool changed = true; changed;) {
      changed = false;
      for (auto& t : tasks_) {
        if (t.state == Task::State::kStarted && t.gate_open) {
          t.state = Task::State::kFinished;
          finished.push_back(t.id);
          changed = true;
          break;  // its worker takes the next queued task first
        }
      }
      for (auto& t : tasks_) {
        if (!has_free_worker()) break;
        if (t.state == Task::State::kQueued) {
          t.state = Task::State::kStarted;
          changed = true;
        }
      }
    }
    return finished;
  }

  // The oldest started task whose gate is closed, or -1.
  int oldest_blocked() const {
    for (const auto& t : tasks_) {
      if (t.state == Task::State::kStarted && !t.gate_open) return t.id;
    }
    return -1;
  }

 private:
  int workers_;
  bool shut_down_ = false;
  std::vector<Task> tasks_;
  std::vector<int> handle_task_;  // handle -> task id
};

}  // namespace cf::conformance::model
