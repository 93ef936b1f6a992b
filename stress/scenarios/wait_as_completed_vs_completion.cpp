// wait.as_completed_vs_completion — as_completed() iterates while the calls
// complete.
//
// Actor 0 submits four calls and hands them over; actor 1 iterates
// as_completed over them (bounded by kGenerous) while the executor completes
// them.
//
// Outcomes: the table at the end of this file, in jcstress's form (the verdict,
// the clause a forbidden outcome breaks, what it means); `--list` prints it.
#include <set>

#include "support.hpp"

namespace cf::stress {
namespace {

class AsCompletedVsCompletion final : public Trial {
 public:
  explicit AsCompletedVsCompletion(Stage& stage) : stage_(stage), executor_(stage.executor(2)) {}
  ~AsCompletedVsCompletion() override { retire(executor_); }
  void setup() override { handoff_.reset(); }
  void actor(int i) override {
    if (i == 0) {
      std::vector<FuturePtr> fs;
      for (int k = 0; k < 4; ++k) fs.push_back(executor_->submit(Probe::value_of(k)));
      handoff_.publish(std::move(fs));
      return;
    }
    const auto& fs = handoff_.take();
    std::set<std::size_t> seen;
    verdict_ = "each once";
    try {
      auto run = stage_.impl().as_completed(fs, kGenerous);
      while (auto index = run->next()) {
        if (!fs[*index]->done()) verdict_ = "not done";
        if (!seen.insert(*index).second) verdict_ = "duplicate";
      }
      if (seen.size() != fs.size() && verdict_ == "each once") verdict_ = "missing";
    } catch (const conformance::Raised& r) {
      if (!r.outcome.is(Kind::kTimeout)) throw;
      verdict_ = "timed out";
    }
  }
  std::string arbiter() override { return verdict_; }

 private:
  Stage& stage_;
  std::unique_ptr<Executor> executor_;
  Handoff<std::vector<FuturePtr>> handoff_;
  std::string verdict_;
};

CF_STRESS_SCENARIO(Scenario{
    "wait.as_completed_vs_completion",
    "as_completed() iterates while its futures complete: each yielded once",
    "",
    2,
    needs(Cap::kDone),
    // clang-format off
    {acceptable( "each once",              "every future yielded exactly once, done when yielded"),
     forbidden(  "duplicate", "ASC-ALL-1", "a future was yielded twice"),
     forbidden(  "missing",   "ASC-ALL-1", "the iteration ended with a future not yielded"),
     forbidden(  "not done",  "ASC-ALL-1", "a yielded future was not done"),
     forbidden(  "timed out", "ASC-ALL-1", "a completion was missed: the iteration hit its deadline")},
    // clang-format on
    [](Stage& s) { return std::make_unique<AsCompletedVsCompletion>(s); }});

}  // namespace
}  // namespace cf::stress
