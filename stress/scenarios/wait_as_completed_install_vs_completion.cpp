// wait.as_completed_install_vs_completion — as_completed() takes its snapshot
// of the done futures and installs its waiter while another thread completes
// them.
//
// A completion that falls between "which are done already?" and "tell me of
// the rest" must be neither lost nor yielded twice (CPython's as_completed
// and _create_and_install_waiters; gh-87893 and gh-136655 are completions
// this iteration never hears of).
//
// Outcomes: the table at the end of this file, in jcstress's form (the verdict,
// the clause a forbidden outcome breaks, what it means); `--list` prints it.
#include <set>

#include "support.hpp"

namespace cf::stress {
namespace {

constexpr int kFutures = 4;

class AsCompletedInstallVsCompletion final : public Trial {
 public:
  explicit AsCompletedInstallVsCompletion(Stage& stage) : stage_(stage) {}
  void setup() override {
    futures_.clear();
    for (int k = 0; k < kFutures; ++k) futures_.push_back(stage_.impl().make_future());
  }
  void actor(int i) override {
    if (i == 1) {
      for (int k = 0; k < kFutures; ++k) futures_[static_cast<std::size_t>(k)]->set_result(k);
      return;
    }
    std::set<std::size_t> seen;
    verdict_ = "each once";
    try {
      auto run = stage_.impl().as_completed(futures_, kGenerous);
      while (auto index = run->next()) {
        if (!seen.insert(*index).second) verdict_ = "duplicate";
      }
      if (seen.size() != futures_.size() && verdict_ == "each once") verdict_ = "missing";
    } catch (const conformance::Raised& r) {
      if (!r.outcome.is(Kind::kTimeout)) throw;
      verdict_ = "timed out";
    }
  }
  std::string arbiter() override { return verdict_; }

 private:
  Stage& stage_;
  std::vector<FuturePtr> futures_;
  std::string verdict_;
};

CF_STRESS_SCENARIO(Scenario{
    "wait.as_completed_install_vs_completion",
    "as_completed() installs its waiter while its futures complete: each yielded once",
    "completions an iteration never hears of: CPython gh-87893, gh-136655",
    2,
    needs(Cap::kRawFuture),
    // clang-format off
    {acceptable( "each once",              "every future yielded exactly once"),
     forbidden(  "duplicate", "ASC-ALL-1", "a future was yielded twice"),
     forbidden(  "missing",   "ASC-ALL-1", "the iteration ended without a future"),
     forbidden(  "timed out", "ASC-ALL-1", "a completion was missed: the iteration hit its deadline")},
    // clang-format on
    [](Stage& s) { return std::make_unique<AsCompletedInstallVsCompletion>(s); }});

}  // namespace
}  // namespace cf::stress
