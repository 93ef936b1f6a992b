// future.result_timeout_vs_completion — a timed result() wake-up races the
// completion.
//
// Actor 0 waits in result(timeout) with a generous timeout; actor 1 sets the
// result at the same moment. A waiter that checks "not done" and then sleeps
// without re-checking under the same lock misses the notify and sleeps until
// its deadline: a lost wake-up (Open3D-PoissonRecon PR #6: a predicate-less
// wait missing an early notify_all; stdexec #1475/#1476, its pool's sleep and
// wake protocol).
//
// Outcomes: the table at the end of this file, in jcstress's form (the verdict,
// the clause a forbidden outcome breaks, what it means); `--list` prints it.
#include "support.hpp"

namespace cf::stress {
namespace {

class ResultTimeoutVsCompletion final : public Trial {
 public:
  explicit ResultTimeoutVsCompletion(Stage& stage) : stage_(stage) {}
  void setup() override { future_ = stage_.impl().make_future(); }
  void actor(int i) override {
    if (i == 0) {
      outcome_ = future_->result(kGenerous);
    } else {
      future_->set_result(9);
    }
  }
  std::string arbiter() override {
    if (outcome_.is(Kind::kTimeout)) return "timed out";
    return outcome_.is(Kind::kValue) && outcome_.value == 9 ? "value" : "wrong value";
  }

 private:
  Stage& stage_;
  FuturePtr future_;
  conformance::Outcome outcome_;
};

CF_STRESS_SCENARIO(Scenario{
    "future.result_timeout_vs_completion",
    "result(timeout) goes to sleep while set_result() completes the future: it wakes",
    "lost wake-ups: Open3D-PoissonRecon PR #6, stdexec #1475/#1476",
    2,
    needs(Cap::kRawFuture),
    // clang-format off
    {acceptable( "value",                       "result() returned the value"),
     forbidden(  "timed out",   "FUT-RESULT-4", "TimeoutError although the future was done long before the deadline"),
     forbidden(  "wrong value", "FUT-RESULT-1", "result() returned something else")},
    // clang-format on
    [](Stage& s) { return std::make_unique<ResultTimeoutVsCompletion>(s); }});

}  // namespace
}  // namespace cf::stress
