// LogCapture: collects what cf logs (cf::set_log_handler) while it is alive,
// for checks on what a pool reports through the log hook [EXT-LOG-1].
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cf/log.hpp"
#include "harness/adapter.hpp"

namespace cf::conformance {

// Collects what cf logs while alive; puts the previous handler back.
class LogCapture {
 public:
  LogCapture() {
    implementation();  // the adapter installs its own handler first
    previous_ = cf::set_log_handler([this](cf::LogLevel level, std::string_view message) {
      std::lock_guard lock(mutex_);
      entries_.emplace_back(level, std::string(message));
    });
  }
  ~LogCapture() { cf::set_log_handler(std::move(previous_)); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  std::vector<std::pair<cf::LogLevel, std::string>> entries() {
    std::lock_guard lock(mutex_);
    return entries_;
  }

  // Whether an entry at `level` contains `text`.
  bool has(cf::LogLevel level, std::string_view text) {
    std::lock_guard lock(mutex_);
    for (auto& [l, message] : entries_) {
      if (l == level && message.find(text) != std::string::npos) return true;
    }
    return false;
  }

 private:
  cf::LogHandler previous_;
  std::mutex mutex_;
  std::vector<std::pair<cf::LogLevel, std::string>> entries_;
};

}  // namespace cf::conformance
