// support.hpp — small helpers shared by scenario files.
#pragma once

#include <atomic>
#include <chrono>
#include <stdexcept>
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
