// executor.shutdown_nowait_vs_running — shutdown(wait=false) while calls run
// and are queued.
//
// A two-worker executor gets six short calls; actor 0 shuts it down without
// waiting while actor 1 collects every result (each bounded by kGenerous).
//
// Outcomes: the table at the end of this file, in jcstress's form (the verdict,
// the clause a forbidden outcome breaks, what it means); `--list` prints it.
#include "support.hpp"

namespace cf::stress {
namespace {

class ShutdownNowaitVsRunning final : public Trial {
 public:
  explicit ShutdownNowaitVsRunning(Stage& stage) : stage_(stage) {}
  ~ShutdownNowaitVsRunning() override { retire(executor_); }
  void setup() override {
    executor_ = stage_.executor(2);
    futures_.clear();
    for (int i = 0; i < 6; ++i) futures_.push_back(executor_->submit(Probe::value_of(i)));
  }
  void actor(int i) override {
    if (i == 0) {
      executor_->shutdown(false, false);
      return;
    }
    verdict_ = "all ran";
    for (auto& f : futures_) {
      auto end = ending_of(f);
      if (end == "value") continue;
      verdict_ = end == "pending" ? "lost" : end == "cancelled" ? "cancelled" : "error";
      return;
    }
  }
  std::string arbiter() override { return verdict_; }
  void teardown() override { retire(executor_); }

 private:
  Stage& stage_;
  std::unique_ptr<Executor> executor_;
  std::vector<FuturePtr> futures_;
  std::string verdict_;
};

CF_STRESS_SCENARIO(Scenario{
    "executor.shutdown_nowait_vs_running",
    "shutdown(wait=false) while calls run: every queued call still completes",
    "",
    2,
    needs(Cap::kMaxWorkers),
    // clang-format off
    {acceptable( "all ran",                    "shutdown(wait=false) stops new submits only; queued calls run"),
     forbidden(  "cancelled", "SHUT-CANCEL-2", "a call was cancelled without cancel_futures"),
     forbidden(  "lost",      "SHUT-NOWAIT-1", "a queued call never completed"),
     forbidden(  "error",     "EXEC-SUBMIT-1", "a call ended with an error it did not raise")},
    // clang-format on
    [](Stage& s) { return std::make_unique<ShutdownNowaitVsRunning>(s); }});

}  // namespace
}  // namespace cf::stress
