// executor.cancel_vs_shutdown_wait — a just-submitted call is cancelled while
// another thread shuts the executor down and waits.
//
// A one-worker executor holds its worker at a gate and has one call queued.
// Actor 0 cancels the queued call; actor 1 opens the gate and calls
// shutdown(wait=true). The shutdown must return once the held call is done,
// whether the cancel came first or the worker took the call: CPython's
// process pool hung here (gh-94440: shutdown(wait=True) after a submit and an
// immediate cancel never returned). A hang is caught by the watchdog and
// charged to SHUT-WAIT-1, whose step the shutdown is.
//
// Outcomes: the table at the end of this file, in jcstress's form (the verdict,
// the clause a forbidden outcome breaks, what it means); `--list` prints it.
#include "check.hpp"
#include "support.hpp"

namespace cf::stress {
namespace {

class CancelVsShutdownWait final : public Trial {
 public:
  explicit CancelVsShutdownWait(Stage& stage)
      : stage_(stage), log_(stage.lab().new_log()), executor_(stage) {}
  void setup() override {
    stage_.lab().clear_log(log_);
    executor_.renew(1);
    held_ = executor_.hold();
    queued_ = executor_->submit(Probe().record(log_, 1).returns(1));
  }
  void actor(int i) override {
    if (i == 0) {
      cancelled_ = queued_->cancel();
      return;
    }
    executor_.open();
    CF_STEP("SHUT-WAIT-1");
    executor_->shutdown(true, false);
  }
  std::string arbiter() override {
    if (!held_->done() || !queued_->done()) return "not done";
    bool ran = !stage_.lab().log(log_).empty();
    if (cancelled_) return ran ? "ran after cancel" : "cancelled, joined";
    return "ran, joined";
  }
  void teardown() override { executor_.retire(); }

 private:
  Stage& stage_;
  int log_;
  GatedExecutor executor_;
  FuturePtr held_, queued_;
  bool cancelled_ = false;
};

CF_STRESS_SCENARIO(Scenario{
    "executor.cancel_vs_shutdown_wait",
    "a queued call is cancelled while another thread calls shutdown(wait=true): it returns",
    "CPython gh-94440: shutdown(wait=True) hung after a submit and an immediate cancel",
    2,
    needs(Cap::kMaxWorkers, Cap::kCancelResult, Cap::kDone),
    // clang-format off
    {acceptable( "cancelled, joined",                  "the cancel won; shutdown returned"),
     acceptable( "ran, joined",                        "the worker took the call first; shutdown returned after it"),
     forbidden(  "ran after cancel",  "EXEC-CANCEL-1", "cancel() said true yet the call ran"),
     forbidden(  "not done",          "SHUT-WAIT-1",   "a future was not done after shutdown(wait=true) returned")},
    // clang-format on
    [](Stage& s) { return std::make_unique<CancelVsShutdownWait>(s); }});

}  // namespace
}  // namespace cf::stress
