// support.hpp — small helpers shared by scenario files.
#pragma once

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

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

}  // namespace cf::stress
