// support.hpp — small helpers shared by scenario files.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "scenario.hpp"

namespace cf::stress {

using Kind = conformance::Outcome::Kind;

// Hands a value from one actor to another: the reader spins (yielding) until
// the writer published, so both actors are released by the same barrier and
// the race of interest starts right after.
template <class T>
class Handoff {
 public:
  void reset() { ready_.store(false, std::memory_order_relaxed); }
  void publish(T value) {
    value_ = std::move(value);
    ready_.store(true, std::memory_order_release);
  }
  // Throws if nothing was published within kGenerous (the writer threw), so
  // one failed actor cannot leave the other spinning forever.
  const T& take() const {
    auto deadline = std::chrono::steady_clock::now() + kGenerous;
    while (!ready_.load(std::memory_order_acquire)) {
      if (std::chrono::steady_clock::now() > deadline) {
        throw std::runtime_error("nothing handed over: the publishing actor failed");
      }
      std::this_thread::yield();
    }
    return value_;
  }

 private:
  T value_{};
  std::atomic<bool> ready_{false};
};

// How a future ended, waiting up to kGenerous: "value", "cancelled",
// "broken", "task error", "pending" if it never completed, or
// "error: <kind>" for anything else.
inline std::string ending_of(conformance::Future& f) {
  auto o = f.result(kGenerous);
  switch (o.kind) {
    case Kind::kValue:
      return "value";
    case Kind::kCancelled:
      return "cancelled";
    case Kind::kBroken:
      return "broken";
    case Kind::kTaskError:
      return "task error";
    case Kind::kTimeout:
      return "pending";
    default:
      return "error: " + conformance::to_string(o);
  }
}
inline std::string ending_of(const FuturePtr& f) { return ending_of(*f); }

// Submits `probe`; a submit that raises returns null (the caller decides
// what a refusal means).
inline FuturePtr try_submit(Executor& executor, const Probe& probe, Kind* raised = nullptr) {
  try {
    return executor.submit(probe);
  } catch (const conformance::Raised& r) {
    if (raised) *raised = r.outcome.kind;
    return nullptr;
  }
}

// Shuts an executor down and waits, whatever it has left, so the next
// iteration starts clean; a raising shutdown is not this scene's business.
inline void retire(std::unique_ptr<Executor>& executor) {
  if (!executor) return;
  try {
    executor->shutdown(true, false);
  } catch (const conformance::Raised&) {
  }
  executor.reset();
}

// The scene most scenarios start from: an executor and a gate its calls wait
// at. renew() opens the gate (a failed iteration may have left it closed),
// retires the previous executor so it drains, closes the gate again and makes
// a fresh executor; the destructor opens the gate and retires the executor.
// Scenes that keep one executor for the whole run make it at construction and
// close() the gate each iteration.
class GatedExecutor {
 public:
  explicit GatedExecutor(Stage& stage) : stage_(stage), gate_(stage.lab().new_gate()) {}
  GatedExecutor(Stage& stage, int workers) : GatedExecutor(stage) {
    executor_ = stage.executor(workers);
  }
  ~GatedExecutor() { retire(); }
  GatedExecutor(const GatedExecutor&) = delete;
  GatedExecutor& operator=(const GatedExecutor&) = delete;

  Executor& renew(int workers) {
    retire();
    close();
    executor_ = stage_.executor(workers);
    return *executor_;
  }
  Executor& renew(const conformance::ExecutorSpec& spec) {
    retire();
    close();
    executor_ = stage_.executor(spec);
    return *executor_;
  }
  // Opens the gate, then shuts the executor down and waits (stress::retire).
  void retire() {
    open();
    stress::retire(executor_);
  }
  // Destroys the executor as its owner would, gate as it is (SHUT-DTOR-1's scene).
  void destroy() { executor_.reset(); }

  int gate() const { return gate_; }
  void open() { stage_.lab().open(gate_); }
  void close() { stage_.lab().reset_gate(gate_); }

  // A call held at the gate; on a one-worker executor it holds the worker.
  FuturePtr hold() { return executor_->submit(Probe::gated(gate_)); }
  // After hold(): the calls an executor may send ahead to its held worker
  // (they then count as running, EXEC-RUNNING-1), kPrefetch of them, so calls
  // submitted after these stay queued.
  std::vector<FuturePtr> pad() {
    std::vector<FuturePtr> padding;
    for (int i = 0; i < conformance::kPrefetch; ++i)
      padding.push_back(executor_->submit(Probe::value_of(0)));
    return padding;
  }

  Executor* operator->() const { return executor_.get(); }
  Executor& operator*() const { return *executor_; }

 private:
  Stage& stage_;
  int gate_;
  std::unique_ptr<Executor> executor_;
};

}  // namespace cf::stress
