// executor.shutdown_cancel_vs_submit — shutdown(wait=false, cancel_futures=true)
// races submit().
//
// A one-worker pool holds its worker (or is about to), has kPrefetch padding calls that it may
// have sent ahead (each ends with its value or cancelled) and two calls queued. Actor 0 shuts it
// down cancelling futures; actor 1 submits one more call. Then the worker is
// released and the pool joined; every future must have an ending.
//
//   outcome              verdict     meaning
//   refused              ACCEPTABLE  submit came after shutdown: ShutdownError [EXEC-SUBMIT-4]
//   accepted, cancelled  ACCEPTABLE  submit came first and shutdown cancelled it [SHUT-CANCEL-1]
//   accepted, ran        INTERESTING submit came first and a worker took it before the cancel
//   lost                 FORBIDDEN   some future never completed after the pool was joined
//   queued ran           FORBIDDEN   a call queued before the shutdown ran instead of being
//   cancelled
//
// Histogram (cf_stress --backend all --duration 60 --seed 1285684221, default build, 2 shared
// cores):
//   executor.shutdown_cancel_vs_submit [thread] 8332 iterations: refused 5023, accepted, cancelled
//   3309 executor.shutdown_cancel_vs_submit [process] 630 iterations: refused 364, accepted,
//   cancelled 266
#include "pool.hpp"
#include "support.hpp"

namespace cf::stress {
namespace {

class ShutdownCancelVsSubmit final : public Trial {
 public:
  explicit ShutdownCancelVsSubmit(const Context& c) : backend_(c.backend) {}
  void setup() override {
    pool_ = Pool::make(backend_, {1, {}, false});
    held_ = pool_->hold();
    padding_.clear();
    for (int i = 0; i < kPrefetch; ++i) padding_.push_back(pool_->submit(task_value, 0));
    queued_ = {pool_->submit(task_value, 1), pool_->submit(task_value, 2)};
    late_.reset();
    refused_ = false;
  }
  void actor(int i) override {
    if (i == 0) {
      pool_->shutdown(false, true);
    } else {
      try {
        late_ = pool_->submit(task_value, 3);
      } catch (const ShutdownError&) {
        refused_ = true;
      }
    }
  }
  std::string arbiter() override {
    pool_->release();
    pool_->shutdown(true, false);
    // The held call may still have been queued when the shutdown came.
    auto held = ending_of(held_);
    if (held != "value" && held != "cancelled") return held == "pending" ? "lost" : held;
    // Sent ahead, a padding call is running [EXEC-RUNNING-1]; else it is cancelled.
    for (auto& f : padding_) {
      auto end = ending_of(f);
      if (end != "value" && end != "cancelled") return end == "pending" ? "lost" : end;
    }
    for (auto& f : queued_) {
      auto end = ending_of(f);
      if (end == "value") return "queued ran";
      if (end != "cancelled") return end == "pending" ? "lost" : end;
    }
    if (refused_) return "refused";
    if (!late_) return "lost";
    auto end = ending_of(*late_);
    if (end == "cancelled") return "accepted, cancelled";
    if (end == "value") return "accepted, ran";
    return end == "pending" ? "lost" : end;
  }
  void teardown() override { pool_.reset(); }

 private:
  Backend backend_;
  std::unique_ptr<Pool> pool_;
  Future<int> held_;
  std::vector<Future<int>> padding_;
  std::vector<Future<int>> queued_;
  std::optional<Future<int>> late_;
  bool refused_ = false;
};

CF_STRESS_SCENARIO(Scenario{
    "executor.shutdown_cancel_vs_submit",
    "shutdown(wait=false, cancel_futures=true) races submit(); nothing is lost",
    2,
    {Backend::kThread, Backend::kProcess},
    {{"refused", Verdict::kAcceptable, "submit came after shutdown: ShutdownError"},
     {"accepted, cancelled", Verdict::kAcceptable, "submit came first and shutdown cancelled it"},
     {"accepted, ran", Verdict::kInteresting,
      "submit came first and a worker took it before the cancel"},
     {"lost", Verdict::kForbidden, "some future never completed after the pool was joined"},
     {"queued ran", Verdict::kForbidden,
      "a call queued before the shutdown ran instead of being cancelled"}},
    [](const Context& c) { return std::make_unique<ShutdownCancelVsSubmit>(c); }});

}  // namespace
}  // namespace cf::stress
