// EXT-LOG-1: cf::set_log_handler installs the sink for what cf cannot throw;
// the default handler writes to stderr.
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "cf/cf.hpp"
#include "ext_support.hpp"
#include "harness/suite.hpp"

namespace cf::conformance {
namespace {

using ext::CapturedLog;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Redirects file descriptor 2 into a temporary file until finish(), so the
// default handler's output can be read back.
class StderrCapture {
 public:
  StderrCapture() : file_(std::tmpfile()) {
    std::fflush(stderr);
    saved_ = ::dup(2);
    if (file_ != nullptr && saved_ >= 0) ::dup2(::fileno(file_), 2);
  }
  ~StderrCapture() { finish(); }
  StderrCapture(const StderrCapture&) = delete;
  StderrCapture& operator=(const StderrCapture&) = delete;

  bool ok() const { return file_ != nullptr && saved_ >= 0; }

  std::string finish() {
    if (!ok()) return {};
    std::fflush(stderr);
    ::dup2(saved_, 2);
    ::close(saved_);
    saved_ = -1;
    std::string text;
    std::rewind(file_);
    char buffer[512];
    std::size_t n;
    while ((n = std::fread(buffer, 1, sizeof buffer, file_)) > 0) text.append(buffer, n);
    std::fclose(file_);
    file_ = nullptr;
    return text;
  }

 private:
  std::FILE* file_;
  int saved_ = -1;
};

TEST_F(Conformance, EXT_LOG_HandlerCapturesThrowingCallbacks) {
  CapturedLog log;
  cf::Future<int> f;
  f.add_done_callback([](const cf::Future<int>&) { throw std::runtime_error("callback-boom-41"); });
  f.add_done_callback([](const cf::Future<int>&) { throw 42; });  // not a std::exception
  CF_CHECK_NO_THROW("FUT-CB-4", f.set_result(1));
  // Added to a done future: runs (and fails) inside add_done_callback.
  CF_CHECK_NO_THROW("FUT-CB-4", f.add_done_callback([](const cf::Future<int>&) {
    throw std::logic_error("late-boom-43");
  }));

  auto entries = log.entries();
  CF_ASSERT_EQ("FUT-CB-4", entries.size(), 3u) << "one report per throwing callback";
  for (const auto& entry : entries) {
    CF_CHECK("EXT-LOG-1", entry.level == cf::LogLevel::kError) << entry.message;
    CF_CHECK("EXT-LOG-1", contains(entry.message, cf::msg::kCallbackFailed)) << entry.message;
  }
  CF_CHECK("EXT-LOG-1", contains(entries[0].message, "callback-boom-41")) << entries[0].message;
  CF_CHECK("EXT-LOG-1", contains(entries[2].message, "late-boom-43")) << entries[2].message;
  CF_CHECK_EQ("FUT-CB-4", f.result(0s), 1) << "the outcome is unchanged";
}

TEST_F(Conformance, EXT_LOG_FailingInitializerIsLoggedCritical) {
  CapturedLog log;
  {
    cf::ThreadPoolExecutor::Options options;
    options.max_workers = 1;
    options.initializer = [] { throw std::runtime_error("init-boom-17"); };
    cf::ThreadPoolExecutor pool(std::move(options));
    try {
      auto f = pool.submit([] { return 1; });
      CF_CHECK_THROWS("TPE-INIT-2", f.result(kLong), cf::BrokenThreadPool);
    } catch (const cf::BrokenThreadPool&) {
      // The pool broke before submit: equally a failed initializer.
    }
    CF_STEP("SHUT-WAIT-1");
    pool.shutdown(true);
  }  // joined: the worker has logged, whichever way it went
  auto entries = log.entries();
  CF_ASSERT_EQ("TPE-INIT-2", entries.size(), 1u) << "the failure is logged once";
  CF_CHECK("EXT-LOG-1", entries[0].level == cf::LogLevel::kCritical) << entries[0].message;
  CF_CHECK("EXT-LOG-1", contains(entries[0].message, "init-boom-17")) << entries[0].message;
}

TEST_F(Conformance, EXT_LOG_DefaultHandlerWritesToStderr) {
  CapturedLog restore_afterwards;       // puts the adapter's handler back at the end
  auto ours = cf::set_log_handler({});  // empty: the default
  CF_CHECK("EXT-LOG-1", static_cast<bool>(ours)) << "set_log_handler returns the previous handler";

  StderrCapture capture;
  CF_PRECONDITION(nullptr, capture.ok()) << "could not redirect stderr";
  cf::Future<int> f;
  f.add_done_callback([](const cf::Future<int>&) { throw std::runtime_error("stderr-boom-9"); });
  f.set_result(1);
  std::string text = capture.finish();

  CF_CHECK("EXT-LOG-1", contains(text, "stderr-boom-9")) << "stderr was: " << text;
  CF_CHECK("EXT-LOG-1", contains(text, cf::msg::kCallbackFailed)) << "stderr was: " << text;
  CF_CHECK("EXT-LOG-1", restore_afterwards.entries().empty())
      << "the replaced handler saw something";

  auto previous = cf::set_log_handler({});
  CF_CHECK("EXT-LOG-1", !static_cast<bool>(previous))
      << "the default is reported as an empty handler";
}

TEST_F(Conformance, EXT_LOG_SetLogHandlerReturnsThePreviousOne) {
  CapturedLog first;
  std::atomic<int> second_calls{0};
  auto previous =
      cf::set_log_handler([&](cf::LogLevel, std::string_view) { second_calls.fetch_add(1); });
  CF_ASSERT("EXT-LOG-1", static_cast<bool>(previous)) << "set_log_handler returned no handler";
  previous(cf::LogLevel::kError, "forwarded");  // the returned handler is `first`'s
  auto entries = first.entries();
  CF_ASSERT_EQ("EXT-LOG-1", entries.size(), 1u) << "the returned handler is not the one replaced";
  CF_CHECK_EQ("EXT-LOG-1", entries[0].message, "forwarded");

  cf::log(cf::LogLevel::kCritical, "to the second");
  CF_CHECK_EQ("EXT-LOG-1", second_calls.load(), 1);
  CF_CHECK_EQ("EXT-LOG-1", first.entries().size(), 1u);
  cf::set_log_handler(std::move(previous));
  cf::log(cf::LogLevel::kError, "back to the first");
  CF_CHECK_EQ("EXT-LOG-1", first.entries().size(), 2u);
  CF_CHECK_EQ("EXT-LOG-1", second_calls.load(), 1);
}

// Every event logged while handlers are being swapped reaches exactly one of
// the installed handlers: none lost to the default, none delivered twice.
TEST_F(Conformance, EXT_LOG_SwappingHandlersLosesNoEvent) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 100;
  std::atomic<int> a{0};
  std::atomic<int> b{0};
  CapturedLog restore_afterwards;  // declared after the counters: restores before they die
  auto count_a = [&](cf::LogLevel, std::string_view) { a.fetch_add(1); };
  auto count_b = [&](cf::LogLevel, std::string_view) { b.fetch_add(1); };
  cf::set_log_handler(count_a);

  ext::Countdown go(kThreads + 1);
  std::vector<std::thread> producers;
  for (int t = 0; t < kThreads; ++t) {
    producers.emplace_back([&] {
      go.count_down();
      go.wait_for(kLong);
      for (int i = 0; i < kPerThread; ++i) {
        cf::Future<int> f;
        f.add_done_callback([](const cf::Future<int>&) { throw std::runtime_error("swap"); });
        f.set_result(i);
      }
    });
  }
  go.count_down();
  go.wait_for(kLong);
  for (int i = 0; i < 200; ++i)
    cf::set_log_handler(i % 2 == 0 ? cf::LogHandler(count_b) : cf::LogHandler(count_a));
  {
    CF_STEP("EXT-LOG-1");  // the producers log through handlers being swapped, then return
    for (auto& t : producers) t.join();
  }
  CF_CHECK_EQ("EXT-LOG-1", a.load() + b.load(), kThreads * kPerThread);
  CF_CHECK("EXT-LOG-1", restore_afterwards.entries().empty())
      << "an event reached the handler replaced first";
}

}  // namespace
}  // namespace cf::conformance
