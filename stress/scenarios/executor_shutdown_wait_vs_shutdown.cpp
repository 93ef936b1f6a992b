// executor.shutdown_wait_vs_shutdown — shutdown(wait=true) from two threads
// while work runs.
//
// A two-worker executor runs two calls held at a gate and has two more
// queued. Actors 0 and 1 each call shutdown(wait=true); actor 2 opens the
// gate. Each shutdown must return only once every call is done, and neither
// may raise. CPython's process pool closes its queues outside its lock, so
// two concurrent shutdowns can raise OSError (SHUT-IDEM-1's recorded
// deviation); a pool whose second shutdown returns without joining breaks
// SHUT-WAIT-1.
//
// Outcomes: the table at the end of this file, in jcstress's form (the verdict,
// the clause a forbidden outcome breaks, what it means); `--list` prints it.
#include <atomic>

#include "support.hpp"

namespace cf::stress {
namespace {

class ShutdownWaitVsShutdown final : public Trial {
 public:
  explicit ShutdownWaitVsShutdown(Stage& stage) : executor_(stage) {}
  void setup() override {
    executor_.renew(2);
    futures_.clear();
    for (int k = 0; k < 2; ++k)
      futures_.push_back(executor_->submit(Probe::gated(executor_.gate(), k)));
    for (int k = 2; k < 4; ++k) futures_.push_back(executor_->submit(Probe::value_of(k)));
    early_ = raised_ = false;
  }
  void actor(int i) override {
    if (i == 2) {
      executor_.open();
      return;
    }
    try {
      executor_->shutdown(true, false);
    } catch (const conformance::Raised&) {
      raised_ = true;
      return;
    }
    for (auto& f : futures_) {
      if (!f->done()) early_ = true;
    }
  }
  std::string arbiter() override {
    if (raised_) return "raised";
    return early_ ? "returned early" : "both waited";
  }

 private:
  GatedExecutor executor_;
  std::vector<FuturePtr> futures_;
  std::atomic<bool> early_{false}, raised_{false};
};

CF_STRESS_SCENARIO(Scenario{
    "executor.shutdown_wait_vs_shutdown",
    "two threads call shutdown(wait=true) while calls run: both wait, neither raises",
    "CPython's process pool closing its queues twice (SHUT-IDEM-1's recorded deviation)",
    3,
    needs(Cap::kMaxWorkers, Cap::kDone),
    // clang-format off
    {acceptable( "both waited",                   "each shutdown returned after every call was done"),
     forbidden(  "returned early", "SHUT-WAIT-1", "a shutdown(wait=true) returned while a call was not done"),
     forbidden(  "raised",         "SHUT-IDEM-1", "a concurrent shutdown raised")},
    // clang-format on
    [](Stage& s) { return std::make_unique<ShutdownWaitVsShutdown>(s); }});

}  // namespace
}  // namespace cf::stress
