// future.cancel_vs_cancel — two threads cancel one pending future.
//
// Outcomes: the table at the end of this file, in jcstress's form (the verdict,
// the clause a forbidden outcome breaks, what it means); `--list` prints it.
#include <atomic>
#include <memory>

#include "support.hpp"

namespace cf::stress {
namespace {

class CancelVsCancel final : public Trial {
 public:
  explicit CancelVsCancel(Stage& stage) : stage_(stage) {}
  void setup() override {
    future_ = stage_.impl().make_future();
    calls_ = std::make_shared<std::atomic<int>>(0);
    future_->add_done_callback(
        [calls = calls_](const conformance::CallbackEvent&) { calls->fetch_add(1); });
  }
  void actor(int i) override { results_[i] = future_->cancel(); }
  std::string arbiter() override {
    if (!results_[0] || !results_[1]) return "one false";
    int n = calls_->load();
    if (n == 0) return "callbacks never";
    if (n > 1) return "callbacks twice";
    return future_->cancelled() ? "both true, cb x1" : "not cancelled";
  }

 private:
  Stage& stage_;
  FuturePtr future_;
  std::shared_ptr<std::atomic<int>> calls_;
  bool results_[2] = {false, false};
};

CF_STRESS_SCENARIO(Scenario{
    "future.cancel_vs_cancel",
    "two threads cancel the same pending future at once",
    "",
    2,
    needs(Cap::kRawFuture, Cap::kCancelResult, Cap::kStateQueries),
    // clang-format off
    {acceptable( "both true, cb x1",                 "a cancelled future cancels again (true); its callbacks run once"),
     forbidden(  "one false",        "FUT-CANCEL-4", "a cancel of a pending or cancelled future returned false"),
     forbidden(  "callbacks twice",  "FUT-CANCEL-4", "the second cancel ran the callbacks again"),
     forbidden(  "callbacks never",  "FUT-CB-6",     "no cancel ran the done-callback"),
     forbidden(  "not cancelled",    "FUT-STATE-4",  "both cancels returned true but the future is not cancelled")},
    // clang-format on
    [](Stage& s) { return std::make_unique<CancelVsCancel>(s); }});

}  // namespace
}  // namespace cf::stress
