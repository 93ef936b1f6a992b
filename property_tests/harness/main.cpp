// The conformance runner's main: GoogleTest plus what ctest cannot do.
//
// 1. A record per test, written to $CF_REPORT_DIR/<implementation>/<test>.json
//    at start ("started") and at end: the test's status, every clause its
//    checks judged (passes, fails, n/a with the reason), every failed check
//    and precondition with its message and where it is, and the test's output.
//    See record.hpp for the format.
// 2. A watchdog: a test running past its budget (CF_TEST_BUDGET_S, default
//    60 s, scaled by CF_TEST_SCALE) is a hang. It is charged to the clauses
//    whose checks were in progress (check.hpp), keeps the checks recorded
//    before it, carries a stack dump of every thread, and the process exits,
//    so a broken implementation costs one test, never the run.
// 3. A test that dies (a signal, std::terminate) is recorded the same way,
//    charged to the clauses in progress, or inconclusive when none was.
// 4. In a sanitizer build (with CF_REPORT_DIR), every sanitizer report the
//    test's process or its workers write is a finding of EXT-SAN-1 in its
//    record, with the report's first frames (sanitizer.hpp); a report that
//    ends the process is recorded before it does.
// 5. CF_NOISE=<seed>: the program runs again with the noise shim preloaded,
//    so the noise reaches inside the implementation too (noise.hpp).
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "adapter.hpp"
#include "cf/process_pool.hpp"
#include "check.hpp"
#include "noise.hpp"
#include "record.hpp"
#include "sanitizer.hpp"
#include "stack_dump.hpp"

namespace cf::conformance {
namespace {

// The test running now, for the watchdog and the crash handlers.
std::mutex g_current_mutex;
std::string g_current_test;
std::atomic<bool> g_finalized{false};  // the running test's final record is written

std::string current_test() {
  std::lock_guard lock(g_current_mutex);
  return g_current_test;
}

std::string full_name(const ::testing::TestInfo& info) {
  return std::string(info.test_suite_name()) + "." + info.name();
}

// How to run the current test alone again.
std::string replay_line() {
  char exe[4096] = {};
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  std::string program = n > 0 ? std::string(exe, static_cast<std::size_t>(n)) : "<program>";
  return replay_environment() + program + " --gtest_filter=" + current_test();
}

// Charges a hang or a death to the clauses in progress; with none, the test
// is inconclusive. Writes the final record.
void record_abnormal_end(const std::string& kind, const std::string& what,
                         const std::string& detail) {
  if (g_finalized.exchange(true)) return;
  sanitizer::charge(replay_line());
  auto clauses = run::in_progress_clauses();
  std::string doing = run::in_progress_text();
  std::string message = what + (doing.empty() ? std::string() : ", in " + doing);
  for (const auto& clause : clauses) {
    run::add_finding({clause, kind, "[" + clause + "] " + message, "", kind + " in " + doing});
  }
  if (clauses.empty()) run::set_inconclusive(message + " (outside any check)");
  write_record(current_test(), final_status(run::snapshot(), false), run::snapshot(), detail);
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
  void arm(std::chrono::seconds budget) {
    std::lock_guard lock(mutex_);
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
        auto budget = budget_;
        lock.unlock();
        try {
          implementation().on_hang();
        } catch (...) {
        }
        std::string what =
            "hang: the test did not finish within " + std::to_string(budget.count()) + " s";
        std::string doing = run::in_progress_text();
        std::string detail =
            what + (doing.empty() ? "" : "\nin progress: " + doing) + "\n" + stack_dump();
        std::fprintf(stderr, "[watchdog] %s\n", detail.c_str());
        record_abnormal_end("hang", what, detail);
        std::fflush(nullptr);
        _exit(3);
      }
    }
  }
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool armed_ = false;
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

// --- deaths -----------------------------------------------------------------

[[noreturn]] void on_terminate() {
  std::string what = "std::terminate";
  if (auto e = std::current_exception()) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      what += ": uncaught exception: " + std::string(ex.what());
    } catch (...) {
      what += ": uncaught exception of unknown type";
    }
  }
  std::fprintf(stderr, "[runner] %s\n", what.c_str());
  alarm(10);  // a deadlock while recording must not outlive the test's budget
  record_abnormal_end("crash", what, what + "\nin progress: " + run::in_progress_text());
  std::signal(SIGABRT, SIG_DFL);
  std::abort();
}

void on_fatal_signal(int sig) {
  // Best effort: the process is broken; a deadlock here ends at the alarm.
  alarm(10);
  std::string what =
      std::string("killed by signal ") + std::to_string(sig) + " (" + strsignal(sig) + ")";
  record_abnormal_end("crash", what, what + "\nin progress: " + run::in_progress_text());
  std::signal(sig, SIG_DFL);
  std::raise(sig);
}

// A sanitizer report is about to end the process (halt_on_error, or a leak
// found at exit): its findings go into the record first, instead of a
// crash charged to whatever was in progress.
void on_sanitizer_death() {
  if (current_test().empty()) return;
  if (g_finalized.exchange(true)) {
    // After the test's end (LeakSanitizer at exit): its record gains the report.
    if (sanitizer::charge(replay_line()) > 0) {
      auto state = run::snapshot();
      write_record(current_test(), final_status(state, false), state, "a sanitizer report at exit");
    }
    return;
  }
  sanitizer::charge(replay_line());
  auto state = run::snapshot();
  write_record(current_test(), final_status(state, false), state,
               "a sanitizer report ended the test\nin progress: " + run::in_progress_text());
}

void install_death_handlers() {
  std::set_terminate(on_terminate);
  for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT}) std::signal(sig, on_fatal_signal);
}

// --- the listener -------------------------------------------------------------

class RecordListener : public ::testing::EmptyTestEventListener {
 public:
  explicit RecordListener(Watchdog& watchdog) : watchdog_(watchdog) {}

  void OnTestStart(const ::testing::TestInfo& info) override {
    run::reset();
    run::set_test_thread(true, false);  // gtest runs the body on this thread
    {
      std::lock_guard lock(g_current_mutex);
      g_current_test = full_name(info);
    }
    g_finalized = false;
    write_record(full_name(info), "started", {}, "");
    run::set_budget(test_budget());
    watchdog_.arm(test_budget());
  }

  void OnTestPartResult(const ::testing::TestPartResult& part) override {
    if (part.failed()) {
      std::string line = std::string(part.file_name() ? part.file_name() : "?") + ":" +
                         std::to_string(part.line_number()) + ": " + part.message() + "\n";
      detail_ += line;
      // A failure no check named: an exception out of the body, an
      // unconverted assertion, a property that failed by throwing.
      if (!run::reporting_tagged()) untagged_ += part.summary() + std::string("\n");
    } else if (part.skipped()) {
      skip_ = part.message();
    }
  }

  void OnTestEnd(const ::testing::TestInfo& info) override {
    watchdog_.disarm();
    sanitizer::charge(replay_line());
    const auto* result = info.result();
    // An untagged failure beside tagged ones is their echo (RapidCheck's
    // counterexample, a fatal check's return); alone, it ended the test
    // before a check could judge: the escape the guard noted, or nothing.
    if (result->Failed() && !untagged_.empty() && !has_tagged_failure(run::snapshot())) {
      if (auto escape = run::take_escape()) {
        run::add_finding(*escape);
        run::set_inconclusive(escape->message);
      } else {
        run::set_inconclusive("a failure that no check names: " + first_line(untagged_));
      }
    }
    auto state = run::snapshot();
    // The failed checks, whatever RapidCheck's own report of the last shrunk
    // case says (a case that failed through a check on another thread, or at
    // teardown, can end its report with another message).
    if (result->Failed() && !state.findings.empty()) {
      std::printf("[checks] failed checks of this test:\n");
      std::set<std::string> shown;
      for (const auto& f : state.findings) {
        if (shown.size() == 5) break;
        if (shown.insert(f.message).second) std::printf("  %s\n", f.message.c_str());
      }
      if (state.findings.size() > shown.size()) std::printf("  (all in the record)\n");
      std::fflush(stdout);
    }
    std::string status =
        result->Skipped() && state.findings.empty() ? "n/a" : final_status(state, result->Failed());
    if (!g_finalized.exchange(true)) {
      write_record(full_name(info), status, state, status == "n/a" ? skip_ : detail_);
    }
    detail_.clear();
    untagged_.clear();
    skip_.clear();
  }

 private:
  static std::string first_line(const std::string& s) { return s.substr(0, s.find('\n')); }
  Watchdog& watchdog_;
  std::string detail_;
  std::string untagged_;
  std::string skip_;
};

}  // namespace
}  // namespace cf::conformance

int main(int argc, char** argv) {
  CF_PROCESS_WORKER_ENTRY(argc, argv);  // process-pool workers are this program [PPE-SPAWN-2]
  cf::conformance::noise::preload_shim(argv, cf::conformance::noise::enabled());
  ::testing::InitGoogleTest(&argc, argv);
  cf::conformance::install_death_handlers();
  cf::conformance::sanitizer::install(cf::conformance::on_sanitizer_death);
  cf::conformance::Watchdog watchdog;
  ::testing::UnitTest::GetInstance()->listeners().Append(
      new cf::conformance::RecordListener(watchdog));
  return RUN_ALL_TESTS();
}
