// executor.destructor_vs_callbacks — the executor is destroyed while its
// calls complete and their done-callbacks run.
//
// A two-worker executor has four calls held at a gate, each future with a
// done-callback. Actor 0 destroys the executor (a draining destructor, like
// Python's `with` block); actor 1 opens the gate. After the destructor every
// future must be done and every callback must run exactly once. Teardown
// races of this kind: a pool destructor that misses its workers' stop
// wake-up and hangs (ScrollPrize/villa PR #1688, Kitware/kwiver #208), or
// frees what a late callback still uses (stdexec #1413, #1492).
//
// Outcomes: the table at the end of this file, in jcstress's form (the verdict,
// the clause a forbidden outcome breaks, what it means); `--list` prints it.
#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "support.hpp"

namespace cf::stress {
namespace {

constexpr int kCalls = 4;

class DestructorVsCallbacks final : public Trial {
 public:
  explicit DestructorVsCallbacks(Stage& stage) : executor_(stage) {}
  void setup() override {
    executor_.renew(2);
    calls_ = std::make_shared<std::atomic<int>>(0);
    futures_.clear();
    for (int k = 0; k < kCalls; ++k) {
      auto f = executor_->submit(Probe::gated(executor_.gate(), k));
      f->add_done_callback(
          [calls = calls_](const conformance::CallbackEvent&) { calls->fetch_add(1); });
      futures_.push_back(f);
    }
  }
  void actor(int i) override {
    if (i == 1) {
      executor_.open();
      return;
    }
    executor_.destroy();  // blocks until the work is done [SHUT-DTOR-1]
    at_return_ = calls_->load();
    not_done_ = false;
    for (auto& f : futures_) not_done_ = not_done_ || !f->done();
  }
  std::string arbiter() override {
    if (not_done_) return "not done";
    // A callback on another thread may still be on its way: give it kGenerous.
    auto deadline = std::chrono::steady_clock::now() + kGenerous;
    while (calls_->load() < kCalls && std::chrono::steady_clock::now() < deadline)
      std::this_thread::yield();
    int n = calls_->load();
    if (n < kCalls) return "callback missing";
    if (n > kCalls) return "callback twice";
    return at_return_ == kCalls ? "all before" : "callback after";
  }

 private:
  GatedExecutor executor_;
  std::shared_ptr<std::atomic<int>> calls_;
  std::vector<FuturePtr> futures_;
  int at_return_ = 0;
  bool not_done_ = false;
};

CF_STRESS_SCENARIO(Scenario{
    "executor.destructor_vs_callbacks",
    "the executor's destructor races its calls' completions and done-callbacks",
    "teardown races: ScrollPrize/villa PR #1688, Kitware/kwiver #208, stdexec #1413/#1492",
    2,
    needs(Cap::kMaxWorkers, Cap::kDone, Cap::kDoneCallbacks),
    // clang-format off
    {acceptable(  "all before",                      "every callback had run when the destructor returned"),
     interesting( "callback after",                  "a callback ran after the destructor returned (on another thread)"),
     forbidden(   "not done",         "SHUT-DTOR-1", "a future was not done when the destructor returned"),
     forbidden(   "callback missing", "FUT-CB-1",    "a done future's callback never ran"),
     forbidden(   "callback twice",   "FUT-CB-1",    "a callback ran twice")},
    // clang-format on
    [](Stage& s) { return std::make_unique<DestructorVsCallbacks>(s); }});

}  // namespace
}  // namespace cf::stress
