// The conformance runner's main: GoogleTest plus two things ctest cannot do.
//
// 1. A record per test, written to $CF_REPORT_DIR/<implementation>/<test>.json
//    at start ("started") and at end (pass / fail / n/a with the failure
//    messages and the clauses the test named). A test whose process died
//    leaves only "started", which the report counts as a failure.
// 2. A watchdog: a test running past its budget (CF_TEST_BUDGET_S, default
//    60 s, scaled by CF_TEST_SCALE) is a hang. The watchdog writes a "fail"
//    record with a stack dump of every thread and exits, so a broken
//    implementation costs one test, never the run.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "adapter.hpp"
#include "stack_dump.hpp"
#include "cf/process_pool.hpp"
#include "suite.hpp"


namespace cf::conformance {
namespace {

std::mutex g_mutex;
std::vector<std::string> g_clauses;  // of the running test
std::vector<std::string> g_checks;   // failed checks noted by the running test

std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::filesystem::path record_path(const std::string& test) {
  const char* dir = std::getenv("CF_REPORT_DIR");
  if (!dir || !*dir) return {};
  auto path = std::filesystem::path(dir) / implementation().name();
  std::filesystem::create_directories(path);
  return path / (test + ".json");
}

void write_record(const std::string& test, const std::string& status, const std::string& detail) {
  auto path = record_path(test);
  if (path.empty()) return;
  std::vector<std::string> clauses;
  {
    std::lock_guard lock(g_mutex);
    clauses = g_clauses;
  }
  std::ostringstream out;
  out << "{\"implementation\": \"" << json_escape(implementation().name()) << "\", \"about\": \""
      << json_escape(implementation().about()) << "\", \"test\": \"" << json_escape(test)
      << "\", \"status\": \"" << status << "\", \"clauses\": [";
  for (std::size_t i = 0; i < clauses.size(); ++i) {
    out << (i ? ", " : "") << '"' << json_escape(clauses[i]) << '"';
  }
  out << "], \"detail\": \"" << json_escape(detail) << "\"}\n";
  auto tmp = path;
  tmp += ".tmp";
  std::ofstream(tmp) << out.str();
  std::filesystem::rename(tmp, path);  // a reader never sees half a record
}

std::string full_name(const ::testing::TestInfo& info) {
  return std::string(info.test_suite_name()) + "." + info.name();
}

class Watchdog {
 public:
  Watchdog() : thread_([this] { loop(); }) {}
  ~Watchdog() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  void arm(std::string test, std::chrono::seconds budget) {
    std::lock_guard lock(mutex_);
    test_ = std::move(test);
    deadline_ = std::chrono::steady_clock::now() + budget;
    budget_ = budget;
    armed_ = true;
    cv_.notify_all();
  }
  void disarm() {
    std::lock_guard lock(mutex_);
    armed_ = false;
  }

 private:
  void loop() {
    std::unique_lock lock(mutex_);
    while (!stop_) {
      if (!armed_) {
        cv_.wait(lock);
        continue;
      }
      if (cv_.wait_until(lock, deadline_) == std::cv_status::timeout && armed_ &&
          std::chrono::steady_clock::now() >= deadline_) {
        std::string test = test_;
        auto budget = budget_;
        lock.unlock();
        try {
          implementation().on_hang();
        } catch (...) {
        }
        std::string stacks = stack_dump();
        std::string detail = "hang: the test did not finish within " +
                             std::to_string(budget.count()) + " s\n" + stacks;
        std::fprintf(stderr, "[watchdog] %s\n", detail.c_str());
        write_record(test, "fail", detail);
        std::fflush(nullptr);
        _exit(3);
      }
    }
  }
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool armed_ = false;
  std::string test_;
  std::chrono::seconds budget_{0};
  std::chrono::steady_clock::time_point deadline_{};
  std::thread thread_;
};

std::chrono::seconds test_budget() {
  long seconds = 60;
  if (const char* s = std::getenv("CF_TEST_BUDGET_S")) seconds = std::atol(s);
  long scale = 1;
  if (const char* s = std::getenv("CF_TEST_SCALE")) scale = std::max(1L, std::atol(s));
  return std::chrono::seconds(seconds * scale);
}

class RecordListener : public ::testing::EmptyTestEventListener {
 public:
  explicit RecordListener(Watchdog& watchdog) : watchdog_(watchdog) {}

  void OnTestStart(const ::testing::TestInfo& info) override {
    {
      std::lock_guard lock(g_mutex);
      g_clauses.clear();
      g_checks.clear();
    }
    write_record(full_name(info), "started", "");
    watchdog_.arm(full_name(info), test_budget());
  }

  void OnTestPartResult(const ::testing::TestPartResult& part) override {
    if (part.failed()) {
      std::ostringstream line;
      line << (part.file_name() ? part.file_name() : "?") << ":" << part.line_number() << ": "
           << part.summary() << "\n";
      failures_ += line.str();
    } else if (part.skipped()) {
      skip_ = part.message();
    }
  }

  void OnTestEnd(const ::testing::TestInfo& info) override {
    watchdog_.disarm();
    const auto* result = info.result();
    std::string status = result->Failed() ? "fail" : result->Skipped() ? "n/a" : "pass";
    if (result->Failed()) {
      std::lock_guard lock(g_mutex);
      if (!g_checks.empty()) failures_ += "checks that failed during the run:\n";
      for (const auto& check : g_checks) failures_ += check + "\n";
    }
    write_record(full_name(info), status, result->Failed() ? failures_ : skip_);
    failures_.clear();
    skip_.clear();
  }

 private:
  Watchdog& watchdog_;
  std::string failures_;
  std::string skip_;
};

}  // namespace

void note_failed_check(const std::string& message) {
  std::lock_guard lock(g_mutex);
  if (g_checks.size() < 8 && std::find(g_checks.begin(), g_checks.end(), message) == g_checks.end()) {
    g_checks.push_back(message);
  }
}

void record_clauses(std::initializer_list<const char*> clauses) {
  std::lock_guard lock(g_mutex);
  for (const char* c : clauses) {
    // A property body runs many times; each clause is recorded once.
    if (std::find(g_clauses.begin(), g_clauses.end(), c) == g_clauses.end()) g_clauses.emplace_back(c);
  }
  std::string line = "[clauses]";
  for (const char* c : clauses) line += std::string(" ") + c;
  ::testing::Test::RecordProperty("clauses", line.substr(10));
}

}  // namespace cf::conformance

int main(int argc, char** argv) {
  CF_PROCESS_WORKER_ENTRY(argc, argv);  // process-pool workers are this program [PPE-SPAWN-2]
  ::testing::InitGoogleTest(&argc, argv);
  cf::conformance::Watchdog watchdog;
  ::testing::UnitTest::GetInstance()->listeners().Append(
      new cf::conformance::RecordListener(watchdog));
  return RUN_ALL_TESTS();
}
