// future.set_result_vs_cancel — the producer finishes a pending future while a
// consumer cancels it.
//
//   outcome         verdict     clause         meaning
//   finished        ACCEPTABLE                 set_result won; cancel() returned false
//   cancelled       ACCEPTABLE                 cancel won; set_result raised InvalidStateError
//   both succeeded  FORBIDDEN   FUT-SET-3      cancel() true and set_result accepted: two outcomes for one future
//   neither         FORBIDDEN   FUT-SET-5      both refused: the future has no outcome
//   torn            FORBIDDEN   FUT-STATE-3    what result() reports is not what the winner set
#include "support.hpp"

namespace cf::stress {
namespace {

class SetResultVsCancel final : public Trial {
 public:
  explicit SetResultVsCancel(Stage& stage) : stage_(stage) {}
  void setup() override { future_ = stage_.impl().make_future(); }
  void actor(int i) override {
    if (i == 0) {
      set_ok_ = future_->set_result(42).is(Kind::kNone);
    } else {
      cancel_ok_ = future_->cancel();
    }
  }
  std::string arbiter() override {
    if (set_ok_ && cancel_ok_) return "both succeeded";
    if (!set_ok_ && !cancel_ok_) return "neither";
    auto o = future_->result(kGenerous);
    if (set_ok_) return o.is(Kind::kValue) && o.value == 42 ? "finished" : "torn";
    return o.is(Kind::kCancelled) ? "cancelled" : "torn";
  }

 private:
  Stage& stage_;
  FuturePtr future_;
  bool set_ok_ = false;
  bool cancel_ok_ = false;
};

CF_STRESS_SCENARIO(Scenario{
    "future.set_result_vs_cancel",
    "set_result() on a pending future races cancel()",
    "",
    2,
    needs(Cap::kRawFuture, Cap::kCancelResult),
    {{"finished", Verdict::kAcceptable, "set_result won; cancel() returned false"},
     {"cancelled", Verdict::kAcceptable, "cancel won; set_result raised InvalidStateError"},
     {"both succeeded", Verdict::kForbidden, "cancel() true and set_result accepted: two outcomes", "FUT-SET-3"},
     {"neither", Verdict::kForbidden, "both refused: the future has no outcome", "FUT-SET-5"},
     {"torn", Verdict::kForbidden, "result() disagrees with the operation that won", "FUT-STATE-3"}},
    [](Stage& s) { return std::make_unique<SetResultVsCancel>(s); }});

}  // namespace
}  // namespace cf::stress
