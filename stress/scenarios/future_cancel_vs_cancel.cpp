// future.cancel_vs_cancel — two threads cancel one pending future.
//
//   outcome            verdict     meaning
//   both true, cb x1   ACCEPTABLE  cancelling a cancelled future is true again [FUT-CANCEL-4];
//   callbacks run once one false          FORBIDDEN   a pending future refused a cancel callbacks
//   != 1     FORBIDDEN   the done-callback ran twice or never [FUT-CB-1]
//
// Histogram (cf_stress --backend all --duration 60 --seed 1285684221, default build, 2 shared
// cores):
//   future.cancel_vs_cancel [thread] 36597 iterations: both true, cb x1 36597
#include <atomic>

#include "cf/future.hpp"
#include "scenario.hpp"

namespace cf::stress {
namespace {

class CancelVsCancel final : public Trial {
 public:
  void setup() override {
    future_ = Future<int>();
    calls_ = 0;
    future_.add_done_callback([this](const Future<int>&) { calls_.fetch_add(1); });
  }
  void actor(int i) override { results_[i] = future_.cancel(); }
  std::string arbiter() override {
    if (!results_[0] || !results_[1]) return "one false";
    if (calls_.load() != 1 || !future_.cancelled()) return "callbacks != 1";
    return "both true, cb x1";
  }

 private:
  Future<int> future_;
  std::atomic<int> calls_{0};
  bool results_[2] = {false, false};
};

CF_STRESS_SCENARIO(Scenario{
    "future.cancel_vs_cancel",
    "two threads cancel the same pending future at once",
    2,
    {Backend::kThread},
    {{"both true, cb x1", Verdict::kAcceptable,
      "a cancelled future cancels again (true); its callbacks run once"},
     {"one false", Verdict::kForbidden, "a pending future refused a cancel"},
     {"callbacks != 1", Verdict::kForbidden, "the done-callback ran twice or never"}},
    [](const Context&) { return std::make_unique<CancelVsCancel>(); }});

}  // namespace
}  // namespace cf::stress
