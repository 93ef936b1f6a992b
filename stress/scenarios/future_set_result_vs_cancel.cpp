// future.set_result_vs_cancel — the producer finishes a pending future while a
// consumer cancels it.
//
//   outcome         verdict     meaning
//   finished        ACCEPTABLE  set_result won; cancel() returned false [FUT-CANCEL-3]
//   cancelled       ACCEPTABLE  cancel won; set_result threw InvalidStateError [FUT-SET-3]
//   both succeeded  FORBIDDEN   cancel() true and set_result accepted: two outcomes for one future
//   neither         FORBIDDEN   both refused: the future has no outcome
//   torn            FORBIDDEN   the winner's outcome is not what result() reports
//
// Histogram (cf_stress --backend all --duration 60 --seed 1285684221, default build, 2 shared
// cores):
//   future.set_result_vs_cancel [thread] 52859 iterations: finished 31954, cancelled 20905
#include "cf/future.hpp"
#include "scenario.hpp"

namespace cf::stress {
namespace {

class SetResultVsCancel final : public Trial {
 public:
  void setup() override { future_ = Future<int>(); }
  void actor(int i) override {
    if (i == 0) {
      try {
        future_.set_result(42);
        set_ok_ = true;
      } catch (const InvalidStateError&) {
        set_ok_ = false;
      }
    } else {
      cancel_ok_ = future_.cancel();
    }
  }
  std::string arbiter() override {
    if (set_ok_ && cancel_ok_) return "both succeeded";
    if (!set_ok_ && !cancel_ok_) return "neither";
    if (set_ok_) return !future_.cancelled() && future_.result() == 42 ? "finished" : "torn";
    return future_.cancelled() ? "cancelled" : "torn";
  }

 private:
  Future<int> future_;
  bool set_ok_ = false;
  bool cancel_ok_ = false;
};

CF_STRESS_SCENARIO(Scenario{
    "future.set_result_vs_cancel",
    "set_result() on a pending future races cancel()",
    2,
    {Backend::kThread},
    {{"finished", Verdict::kAcceptable, "set_result won; cancel() returned false"},
     {"cancelled", Verdict::kAcceptable, "cancel won; set_result threw InvalidStateError"},
     {"both succeeded", Verdict::kForbidden, "cancel() true and set_result accepted: two outcomes"},
     {"neither", Verdict::kForbidden, "both refused: the future has no outcome"},
     {"torn", Verdict::kForbidden, "result() disagrees with the operation that won"}},
    [](const Context&) { return std::make_unique<SetResultVsCancel>(); }});

}  // namespace
}  // namespace cf::stress
