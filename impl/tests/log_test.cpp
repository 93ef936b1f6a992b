// Unit tests of the log hook's internals: the text cf logs for a throwing
// callback, and that a handler may itself log or swap handlers (log() calls
// it outside its lock, so neither deadlocks).
#include <gtest/gtest.h>

#include <cstdio>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "cf/cf.hpp"

namespace cf {
namespace {

// Installs a recording handler; puts the previous one back.
class Recorder {
 public:
  Recorder() {
    previous_ = set_log_handler([this](LogLevel level, std::string_view message) {
      std::lock_guard lock(mutex_);
      levels_.push_back(level);
      messages_.emplace_back(message);
    });
  }
  ~Recorder() { set_log_handler(std::move(previous_)); }
  std::vector<std::string> messages() {
    std::lock_guard lock(mutex_);
    return messages_;
  }
  std::vector<LogLevel> levels() {
    std::lock_guard lock(mutex_);
    return levels_;
  }

 private:
  LogHandler previous_;
  std::mutex mutex_;
  std::vector<LogLevel> levels_;
  std::vector<std::string> messages_;
};

std::string address_of(const AnyFuture& f) {
  char text[32];
  std::snprintf(text, sizeof text, "%p", static_cast<const void*>(&f.state()));
  return text;
}

TEST(Log, ThrowingCallbackMessageNamesTheFutureAndTheError) {
  Recorder recorder;
  Future<int> f;
  f.add_done_callback([](const Future<int>&) { throw std::runtime_error("boom"); });
  f.add_done_callback([](const Future<int>&) { throw 7; });
  f.set_result(1);
  std::string repr = "<Future at " + address_of(f) + " state=finished returned int>";
  EXPECT_EQ(
      recorder.messages(),
      (std::vector<std::string>{"exception calling callback for " + repr + ": boom",
                                "exception calling callback for " + repr + ": unknown exception"}));
  EXPECT_EQ(recorder.levels(), (std::vector<LogLevel>{LogLevel::kError, LogLevel::kError}));
}

TEST(Log, CancelledFutureCallbackMessageSaysCancelled) {
  Recorder recorder;
  Future<int> f;
  f.add_done_callback([](const Future<int>&) { throw std::runtime_error("c"); });
  f.cancel();
  ASSERT_EQ(recorder.messages().size(), 1u);
  EXPECT_NE(recorder.messages()[0].find("state=cancelled>: c"), std::string::npos)
      << recorder.messages()[0];
}

TEST(Log, HandlerMayLogAndSwapHandlersFromInside) {
  Recorder outer;  // restores the default at the end
  std::vector<std::string> inner_seen;
  LogHandler inner = [&](LogLevel, std::string_view m) { inner_seen.emplace_back(m); };
  bool swapped = false;
  set_log_handler([&](LogLevel, std::string_view m) {
    if (swapped) return;
    swapped = true;
    set_log_handler(inner);  // would self-deadlock if called under log()'s lock
    log(LogLevel::kError, std::string("nested after ") + std::string(m));
  });
  log(LogLevel::kCritical, "first");
  EXPECT_TRUE(swapped);
  EXPECT_EQ(inner_seen, (std::vector<std::string>{"nested after first"}));
  log(LogLevel::kError, "second");
  EXPECT_EQ(inner_seen.size(), 2u);
  EXPECT_TRUE(outer.messages().empty());
}

TEST(Log, EmptyHandlerMeansDefault) {
  LogHandler previous = set_log_handler({});
  LogHandler again = set_log_handler(std::move(previous));
  EXPECT_FALSE(static_cast<bool>(again)) << "the default is represented as empty";
}

}  // namespace
}  // namespace cf
