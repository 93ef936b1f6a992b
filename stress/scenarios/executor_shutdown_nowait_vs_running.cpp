// executor.shutdown_nowait_vs_running — shutdown(wait=false) while calls run
// and are queued.
//
// A two-worker pool gets six short calls; actor 0 shuts it down without
// waiting while actor 1 collects every result (each bounded by kGenerous).
//
//   outcome     verdict     meaning
//   all ran     ACCEPTABLE  shutdown(wait=false) stops new submits only; queued calls still run
//   [SHUT-NOWAIT-1] cancelled   FORBIDDEN   a call was cancelled without cancel_futures
//   [SHUT-CANCEL-2] lost        FORBIDDEN   a call never completed
//
// Histogram (cf_stress --backend all --duration 60 --seed 1285684221, default build, 2 shared
// cores):
//   executor.shutdown_nowait_vs_running [thread] 3470 iterations: all ran 3470
//   executor.shutdown_nowait_vs_running [process] 193 iterations: all ran 193
#include "pool.hpp"
#include "support.hpp"

namespace cf::stress {
namespace {

class ShutdownNowaitVsRunning final : public Trial {
 public:
  explicit ShutdownNowaitVsRunning(const Context& c) : backend_(c.backend) {}
  void setup() override {
    pool_ = Pool::make(backend_, {2, {}, false});
    futures_.clear();
    for (int i = 0; i < 6; ++i) futures_.push_back(pool_->submit(task_value, i));
  }
  void actor(int i) override {
    if (i == 0) {
      pool_->shutdown(false, false);
      return;
    }
    verdict_ = "all ran";
    for (auto& f : futures_) {
      auto end = ending_of(f);
      if (end == "value") continue;
      verdict_ = end == "pending" ? "lost" : end;
      return;
    }
  }
  std::string arbiter() override { return verdict_; }
  void teardown() override { pool_.reset(); }  // joins: shutdown(wait=true)

 private:
  Backend backend_;
  std::unique_ptr<Pool> pool_;
  std::vector<Future<int>> futures_;
  std::string verdict_;
};

CF_STRESS_SCENARIO(Scenario{
    "executor.shutdown_nowait_vs_running",
    "shutdown(wait=false) while calls run: every queued call still completes",
    2,
    {Backend::kThread, Backend::kProcess},
    {{"all ran", Verdict::kAcceptable,
      "shutdown(wait=false) stops new submits only; queued calls run"},
     {"cancelled", Verdict::kForbidden, "a call was cancelled without cancel_futures"},
     {"lost", Verdict::kForbidden, "a call never completed"}},
    [](const Context& c) { return std::make_unique<ShutdownNowaitVsRunning>(c); }});

}  // namespace
}  // namespace cf::stress
