// future.cancel_vs_start — cancel() races the worker that starts the call.
//
// Actor 0 submits a call to a one-worker executor and hands the future to
// actor 1, which cancels it while the worker is taking it: the window between
// a worker's "is it cancelled?" and its "it is running now" is where a
// check-then-act executor loses the cancel (the future ends cancelled, yet the
// call runs). The call records itself in the lab's log; the arbiter waits for
// a sentinel submitted after it (one worker, first in first out: the call is
// then over) and reads the log.
//
// Outcomes: the table at the end of this file, in jcstress's form (the verdict,
// the clause a forbidden outcome breaks, what it means); `--list` prints it.
//
// Histogram (cf_stress_reference-thread --scenario future.cancel_vs_start --duration 20 --seed 1,
// 2 shared cores, loaded):
//   [quiet]  see stress/README.md
#include "support.hpp"

namespace cf::stress {
namespace {

class CancelVsStart final : public Trial {
 public:
  explicit CancelVsStart(Stage& stage)
      : stage_(stage), log_(stage.lab().new_log()), executor_(stage.executor(1)) {}
  ~CancelVsStart() override { retire(executor_); }
  void setup() override {
    handoff_.reset();
    stage_.lab().clear_log(log_);
  }
  void actor(int i) override {
    if (i == 0) {
      handoff_.publish(executor_->submit(Probe().record(log_, 1).returns(7)));
    } else {
      cancelled_ = handoff_.take()->cancel();
    }
  }
  std::string arbiter() override {
    const auto& f = handoff_.take();
    std::string end = ending_of(f);
    if (ending_of(executor_->submit(Probe::value_of(0))) != "value" || end == "pending")
      return "lost";
    bool ran = !stage_.lab().log(log_).empty();
    if (cancelled_)
      return ran || end != "cancelled" ? "cancelled but ran" : "cancelled before start";
    return end == "cancelled" ? "refused but cancelled" : end == "value" ? "started first" : end;
  }

 private:
  Stage& stage_;
  int log_;
  std::unique_ptr<Executor> executor_;
  Handoff<FuturePtr> handoff_;
  bool cancelled_ = false;
};

CF_STRESS_SCENARIO(Scenario{
    "future.cancel_vs_start",
    "cancel() of a just-submitted call races the worker that starts it",
    "the check-then-act window of a worker that tests cancelled() and then starts the call",
    2,
    needs(Cap::kCancelResult, Cap::kMaxWorkers),
    // clang-format off
    {acceptable( "cancelled before start",                  "cancel() won: true, and the call never ran"),
     acceptable( "started first",                           "the worker won: cancel() false, the value arrives"),
     forbidden(  "cancelled but ran",      "EXEC-CANCEL-1", "cancel() said true yet the call ran"),
     forbidden(  "refused but cancelled",  "FUT-CANCEL-2",  "cancel() said false yet the future is cancelled"),
     forbidden(  "lost",                   "EXEC-SUBMIT-1", "the future never completed")},
    // clang-format on
    [](Stage& s) { return std::make_unique<CancelVsStart>(s); }});

}  // namespace
}  // namespace cf::stress
