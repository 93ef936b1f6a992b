// ext_support.hpp — small helpers shared by the EXT- tests of cf's own API.
//
// These tests call cf:: directly (they are linked only into the reference
// adapters' binaries), so they make their own pools and raw futures; gates
// still come from the fixture's Lab so that every task blocks with an upper
// bound (Lab::kGateLimit) and the fixture can release it.
#pragma once

#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cf/cf.hpp"
#include "harness/suite.hpp"

namespace cf::conformance::ext {

// Opens every gate of `lab` when it goes out of scope. Declared after a pool,
// it is destroyed before it, so a failed ASSERT releases the pool's gated
// tasks instead of leaving the pool's destructor waiting for Lab::kGateLimit.
class OpenGatesOnExit {
 public:
  explicit OpenGatesOnExit(Lab& lab) : lab_(lab) {}
  ~OpenGatesOnExit() { lab_.open_all(); }
  OpenGatesOnExit(const OpenGatesOnExit&) = delete;
  OpenGatesOnExit& operator=(const OpenGatesOnExit&) = delete;

 private:
  Lab& lab_;
};

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

// True if `reader` has not finished after kShort. A call that must block
// (a huge timeout on a pending future) and returns within kShort is a bug; a
// reader that was merely slow to be scheduled only makes the check weaker.
template <class T>
bool still_blocked(const std::future<T>& reader) {
  return reader.wait_for(kShort) == std::future_status::timeout;
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
