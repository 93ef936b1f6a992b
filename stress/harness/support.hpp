// support.hpp — small helpers shared by scenario files.
#pragma once

#include <atomic>
#include <string>
#include <thread>

#include "cf/errors.hpp"
#include "cf/future.hpp"
#include "scenario.hpp"

namespace cf::stress {

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
  const T& take() const {
    while (!ready_.load(std::memory_order_acquire)) std::this_thread::yield();
    return value_;
  }

 private:
  T value_{};
  std::atomic<bool> ready_{false};
};

// How a future ended, waiting up to kGenerous: "value", "cancelled",
// "broken", "error: <what>", or "pending" if it never completed.
template <class T>
std::string ending_of(const Future<T>& f) {
  try {
    f.result(kGenerous);
    return "value";
  } catch (const CancelledError&) {
    return "cancelled";
  } catch (const TimeoutError&) {
    return "pending";
  } catch (const BrokenExecutor&) {
    return "broken";
  } catch (const std::exception& e) {
    return std::string("error: ") + e.what();
  }
}

}  // namespace cf::stress
