// runner.hpp — runs scenarios, keeps the histograms, watches for hangs.
//
// Thread-safety: one Runner is driven from one thread; its watchdog thread
// only reads atomics and the current label under a mutex.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "scenario.hpp"

namespace cf::stress {

// The histogram of one scenario on one backend.
struct Tally {
  const Scenario* scenario = nullptr;
  Backend backend = Backend::kThread;
  std::uint64_t seed = 0;
  long iterations = 0;
  double seconds = 0;
  std::map<std::string, long> counts;
  std::vector<std::string> failures;  // forbidden outcomes, leaks, errors

  Verdict verdict_of(const std::string& outcome) const;
  long forbidden() const;
};

// Process-wide resources, compared before and after each run.
struct Resources {
  int fds = 0;
  int children = 0;
  long rss_kib = 0;
  static Resources now();
};

struct RunLimits {
  std::optional<std::chrono::duration<double>> budget;  // per scenario and backend
  std::optional<long> iterations;
};

class Runner {
 public:
  explicit Runner(std::chrono::seconds hang_after);
  ~Runner();

  Tally run(const Scenario& scenario, Backend backend, std::uint64_t seed, const RunLimits& limits);

 private:
  void watch();
  std::chrono::seconds hang_after_;
  std::atomic<std::uint64_t> progress_{0};
  std::atomic<long> iterations_total_{0};
  std::atomic<bool> stop_{false};
  std::mutex label_mutex_;
  std::string label_;
  std::chrono::steady_clock::time_point started_;
  std::thread watchdog_;
};

}  // namespace cf::stress
