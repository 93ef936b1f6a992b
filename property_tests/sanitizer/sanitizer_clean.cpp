// EXT-SAN-1: operations used as the spec allows cause no data race and no
// memory error. Judged in sanitizer builds (`tsan`, `asan` presets), n/a
// elsewhere.
//
// Every test of a sanitizer build is a verdict on EXT-SAN-1 too: the runner
// charges any report written while it ran (harness/sanitizer.hpp). This test
// is the one that exists for it: many threads using one executor's futures
// at once in every way the implementation declares, so that an access the
// implementation does not order (a done() that reads its state unlocked, a
// callback list appended while it is walked) has a partner to race with.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "harness/sanitizer.hpp"
#include "harness/suite.hpp"

namespace cf::conformance {
namespace {

// The first report, as the record shows it: title, summary, first frames.
std::string describe(const std::vector<sanitizer::Report>& reports) {
  if (reports.empty()) return {};
  std::string out = reports.front().title + ": " + reports.front().summary;
  for (const auto& frame : reports.front().frames) out += "\n  " + frame;
  if (reports.size() > 1) out += "\n(and " + std::to_string(reports.size() - 1) + " more reports)";
  return out;
}

TEST_F(Conformance, SAN_ConcurrentUseReportsNothing) {
  if (!*sanitizer::active()) {
    GTEST_SKIP()
        << "n/a: built without a sanitizer; EXT-SAN-1 is judged in the tsan and asan builds "
           "(bash ci/conformance --sanitizer tsan)";
  }
  constexpr int kCalls = 64;
  auto& ex = make_executor(2);
  std::vector<FuturePtr> futures;
  std::atomic<int> callbacks{0};
  for (int i = 0; i < kCalls; ++i) {
    futures.push_back(ex.submit(i % 7 == 0 ? Probe::failure("planned") : Probe::value_of(i)));
    if (has(Cap::kDoneCallbacks)) {
      futures.back()->add_done_callback(
          [&callbacks](const CallbackEvent&) { callbacks.fetch_add(1); });
    }
  }
  // Queries from threads the workers never synchronise with, while they complete.
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&, r] {
      for (int round = 0; round < 50; ++round) {
        for (int i = r; i < kCalls; i += 2) {
          if (has(Cap::kDone) || has(Cap::kStateQueries))
            (void)futures[static_cast<std::size_t>(i)]->done();
          if (has(Cap::kStateQueries)) (void)futures[static_cast<std::size_t>(i)]->running();
        }
      }
    });
  }
  if (has(Cap::kCancel)) {
    for (int i = kCalls - 8; i < kCalls; ++i) futures[static_cast<std::size_t>(i)]->cancel();
  }
  if (has(Cap::kWait) || has(Cap::kWaitTimeout)) {
    impl().wait(futures, ReturnWhen::kFirstCompleted, kLong);
  }
  for (auto& f : futures) (void)f->result(kLong);
  for (auto& t : readers) t.join();
  ex.shutdown(true, false);
  std::vector<sanitizer::Report> reports = sanitizer::take_reports();
  CF_CHECK("EXT-SAN-1", reports.empty()) << describe(reports);
}

}  // namespace
}  // namespace cf::conformance
