// ext_support.hpp — small helpers shared by the EXT- tests of cf's own API.
//
// These tests call cf:: directly (they are linked only into the reference
// adapters' binaries), so they make their own pools and raw futures; gates
// still come from the fixture's Lab so that every task blocks with an upper
// bound (Lab::kGateLimit) and the fixture can release it. A pool made here is
// followed by an OpenGatesOnExit (setups.hpp), so a test that ends early
// releases it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cf/cf.hpp"
#include "harness/setups.hpp"
#include "harness/suite.hpp"

namespace cf::conformance::ext {

// A count-down with a bounded wait (std::latch has no timed wait).
class Countdown {
 public:
  explicit Countdown(int count) : count_(count) {}
  void count_down() {
    std::lock_guard lock(mutex_);
    if (--count_ <= 0) zero_.notify_all();
  }
  bool wait_for(std::chrono::nanoseconds bound) {
    std::unique_lock lock(mutex_);
    return zero_.wait_for(lock, bound, [this] { return count_ <= 0; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable zero_;
  int count_;
};

// The result of `call`, made with `clause` in progress (check.hpp): a call
// that hangs where that clause's rule says it returns is charged there.
template <class F>
auto during(const char* clause, F&& call) {
  check::Step step(clause, "a blocking call of cf's API", __FILE__, __LINE__);
  return call();
}

// What `call` returned, or "threw <what()>": for a call on a reader's thread,
// so that what it threw reaches the test's check as words.
template <class F>
std::string outcome_of(F&& call) {
  try {
    return call();
  } catch (const std::exception& e) {
    return std::string("threw ") + e.what();
  } catch (...) {
    return "threw a non-std exception";
  }
}

// Captures what cf logs while alive, then puts the previous handler (the
// reference adapter's, which the fixture reads) back.
class CapturedLog {
 public:
  struct Entry {
    LogLevel level;
    std::string message;
  };

  CapturedLog() {
    implementation();  // constructs the adapter, which installs its own handler first
    previous_ = set_log_handler([this](LogLevel level, std::string_view message) {
      std::lock_guard lock(mutex_);
      entries_.push_back({level, std::string(message)});
    });
  }
  ~CapturedLog() { set_log_handler(std::move(previous_)); }
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;

  std::vector<Entry> entries() {
    std::lock_guard lock(mutex_);
    return entries_;
  }

 private:
  LogHandler previous_;
  std::mutex mutex_;
  std::vector<Entry> entries_;
};

}  // namespace cf::conformance::ext
