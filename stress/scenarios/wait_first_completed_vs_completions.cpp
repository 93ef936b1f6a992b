// wait.first_completed_vs_completions — wait(FIRST_COMPLETED) installs its
// waiter while two other threads complete two of its three futures.
//
// The waiter must hear of whichever completion comes first, however the
// completions interleave with its installing (CPython's
// _create_and_install_waiters and _FirstCompletedWaiter; gh-92001 is a
// completion this waiter never hears of).
//
// Outcomes: the table at the end of this file, in jcstress's form (the verdict,
// the clause a forbidden outcome breaks, what it means); `--list` prints it.
#include "support.hpp"

namespace cf::stress {
namespace {

class FirstCompletedVsCompletions final : public Trial {
 public:
  explicit FirstCompletedVsCompletions(Stage& stage) : stage_(stage) {}
  void setup() override {
    futures_.clear();
    for (int k = 0; k < 3; ++k) futures_.push_back(stage_.impl().make_future());
  }
  void actor(int i) override {
    if (i == 0) {
      split_ = stage_.impl().wait(futures_, conformance::ReturnWhen::kFirstCompleted, kGenerous);
    } else {
      futures_[static_cast<std::size_t>(i - 1)]->set_result(i);
    }
  }
  std::string arbiter() override {
    if (split_.done.size() + split_.not_done.size() != 3) return "torn split";
    for (auto i : split_.done) {
      if (i > 1) return "torn split";  // the third future is never completed
    }
    if (split_.done.empty()) return "empty";
    return split_.done.size() == 1 ? "one done" : "two done";
  }

 private:
  Stage& stage_;
  std::vector<FuturePtr> futures_;
  conformance::WaitSplit split_;
};

CF_STRESS_SCENARIO(Scenario{
    "wait.first_completed_vs_completions",
    "wait(FIRST_COMPLETED) installs its waiter while two futures complete concurrently",
    "waiters that miss a completion: CPython gh-92001",
    3,
    needs(Cap::kRawFuture),
    // clang-format off
    {acceptable( "one done",                   "returned on the first completion"),
     acceptable( "two done",                   "both completions came before wait() took its split"),
     forbidden(  "empty",      "WAIT-FIRST-1", "returned with nothing done: the completions were missed"),
     forbidden(  "torn split", "WAIT-FIRST-1", "a future in done is not done, or the split is not the input")},
    // clang-format on
    [](Stage& s) { return std::make_unique<FirstCompletedVsCompletions>(s); }});

}  // namespace
}  // namespace cf::stress
