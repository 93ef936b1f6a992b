// runner.hpp — runs a scenario for a budget, keeps its histogram, watches for
// hangs.
//
// Thread-safety: one Runner is driven from one thread; its watchdog thread
// reads the current run's figures under a mutex.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "scenario.hpp"

namespace cf::stress {

// The histogram of one scenario in one noise setting.
struct Tally {
  const Scenario* scenario = nullptr;
  bool noise = false;
  std::uint64_t seed = 0;
  long iterations = 0;
  double seconds = 0;
  std::map<std::string, long> counts;
  std::vector<std::string> problems;  // leaks, a trial that could not run: no clause named

  Verdict verdict_of(const std::string& outcome) const;
  const Outcome* row_of(const std::string& outcome) const;
  long forbidden() const;
  double rate() const { return seconds > 0 ? static_cast<double>(iterations) / seconds : 0; }
};

// Process-wide resources, compared before and after each run.
struct Resources {
  int fds = 0;
  int children = 0;
  long rss_kib = 0;
  static Resources now();
};

struct RunLimits {
  std::optional<std::chrono::duration<double>> budget;
  std::optional<long> iterations;
  bool stop_at_forbidden = false;  // end the run at its first forbidden outcome
};

class Runner {
 public:
  // `on_hang` runs on the watchdog's thread when no iteration finished for
  // `hang_after`, with what was in progress; the process then exits 3.
  Runner(std::chrono::seconds hang_after, std::function<void(const std::string&)> on_hang);
  ~Runner();

  Tally run(const Scenario& scenario, std::uint64_t seed, bool noise, const RunLimits& limits);
  // The figures of the run in progress (for the hang report).
  Tally current() const;

 private:
  void watch();
  std::chrono::seconds hang_after_;
  std::function<void(const std::string&)> on_hang_;
  std::atomic<std::uint64_t> progress_{0};
  std::atomic<long> iterations_total_{0};
  mutable std::mutex mutex_;
  std::condition_variable stop_cv_;
  bool stop_ = false;
  std::string label_;
  Tally current_;
  std::chrono::steady_clock::time_point started_;
  std::thread watchdog_;
};

}  // namespace cf::stress
