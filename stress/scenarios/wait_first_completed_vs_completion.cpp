// wait.first_completed_vs_completion — wait(FIRST_COMPLETED) while the first
// of two calls completes.
//
// Actor 0 submits a call held at a gate and a short one and hands them over;
// actor 1 waits for the first to complete (bounded by kGenerous).
//
// Outcomes: the table at the end of this file, in jcstress's form (the verdict,
// the clause a forbidden outcome breaks, what it means); `--list` prints it.
#include "support.hpp"

namespace cf::stress {
namespace {

class FirstCompletedVsCompletion final : public Trial {
 public:
  explicit FirstCompletedVsCompletion(Stage& stage) : stage_(stage), executor_(stage, 2) {}
  void setup() override {
    handoff_.reset();
    executor_.close();
  }
  void actor(int i) override {
    if (i == 0) {
      handoff_.publish({executor_.hold(), executor_->submit(Probe::value_of(1))});
      return;
    }
    const auto& fs = handoff_.take();
    auto split = stage_.impl().wait(fs, conformance::ReturnWhen::kFirstCompleted, kGenerous);
    bool torn = split.done.size() + split.not_done.size() != 2;
    for (auto i : split.done) torn = torn || !fs[i]->done();
    if (torn) {
      verdict_ = "torn split";
    } else if (split.done.empty()) {
      verdict_ = "empty";
    } else {
      verdict_ = split.done.size() == 2 ? "both done" : "one done";
    }
  }
  std::string arbiter() override {
    executor_.open();
    for (const auto& f : handoff_.take()) {
      if (ending_of(f) != "value") return "lost";
    }
    return verdict_;
  }

 private:
  Stage& stage_;
  GatedExecutor executor_;
  Handoff<std::vector<FuturePtr>> handoff_;
  std::string verdict_;
};

CF_STRESS_SCENARIO(Scenario{
    "wait.first_completed_vs_completion",
    "wait(FIRST_COMPLETED) while one of two calls completes",
    "",
    2,
    needs(Cap::kMaxWorkers, Cap::kDone),
    // clang-format off
    {acceptable(  "one done",                    "returned when the short call completed; the held one not done"),
     interesting( "both done",                   "the held call also finished before wait() took its split"),
     forbidden(   "empty",      "WAIT-FIRST-1",  "returned with nothing done: the completion was missed"),
     forbidden(   "torn split", "WAIT-FIRST-1",  "a future in done is not done, or the split is not the input"),
     forbidden(   "lost",       "EXEC-SUBMIT-1", "a call never completed")},
    // clang-format on
    [](Stage& s) { return std::make_unique<FirstCompletedVsCompletion>(s); }});

}  // namespace
}  // namespace cf::stress
