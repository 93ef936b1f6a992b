// future.set_result_vs_cancel — the producer finishes a pending future while a
// consumer cancels it.
//
// Outcomes: the table at the end of this file, in jcstress's form (the verdict,
// the clause a forbidden outcome breaks, what it means); `--list` prints it.
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
    // clang-format off
    {acceptable( "finished",                      "set_result won; cancel() returned false"),
     acceptable( "cancelled",                     "cancel won; set_result raised InvalidStateError"),
     forbidden(  "both succeeded", "FUT-SET-3",   "cancel() true and set_result accepted: two outcomes"),
     forbidden(  "neither",        "FUT-SET-5",   "both refused: the future has no outcome"),
     forbidden(  "torn",           "FUT-STATE-3", "result() disagrees with the operation that won")},
    // clang-format on
    [](Stage& s) { return std::make_unique<SetResultVsCancel>(s); }});

}  // namespace
}  // namespace cf::stress
