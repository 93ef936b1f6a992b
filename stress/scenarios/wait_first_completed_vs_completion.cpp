// wait.first_completed_vs_completion — wait(FIRST_COMPLETED) while the first
// of two calls completes.
//
// Actor 0 submits a short call and a held one and hands them over; actor 1
// waits for the first to complete (bounded by kGenerous).
//
//   outcome       verdict     meaning
//   one done      ACCEPTABLE  returned when the short call completed; the held one not done
//   [WAIT-FIRST-1] both done     INTERESTING the held call also finished before wait() took its
//   split empty         FORBIDDEN   returned with nothing done before the timeout torn split
//   FORBIDDEN   a future in `done` is not done, or the split is not the input
//
// Histogram (cf_stress --backend all --duration 60 --seed 1285684221, default build, 2 shared
// cores):
//   wait.first_completed_vs_completion [thread] 11584 iterations: one done 11584
//   wait.first_completed_vs_completion [process] 4504 iterations: one done 4504
#include "cf/wait.hpp"
#include "pool.hpp"
#include "support.hpp"

namespace cf::stress {
namespace {

class FirstCompletedVsCompletion final : public Trial {
 public:
  explicit FirstCompletedVsCompletion(const Context& c)
      : pool_(Pool::make(c.backend, {2, {}, false})) {}
  void setup() override { handoff_.reset(); }
  void actor(int i) override {
    if (i == 0) {
      handoff_.publish({pool_->hold(), pool_->submit(task_value, 1)});
      return;
    }
    const auto& fs = handoff_.take();
    auto split = cf::wait(fs, FIRST_COMPLETED, kGenerous);
    bool torn = split.done.size() + split.not_done.size() != 2;
    for (const auto& f : split.done) torn = torn || !f.done();
    if (torn) {
      verdict_ = "torn split";
    } else if (split.done.empty()) {
      verdict_ = "empty";
    } else {
      verdict_ = split.done.size() == 2 ? "both done" : "one done";
    }
  }
  std::string arbiter() override {
    pool_->release();
    for (const auto& f : handoff_.take()) {
      if (ending_of(f) != "value") return "lost";
    }
    return verdict_;
  }

 private:
  std::unique_ptr<Pool> pool_;
  Handoff<std::vector<Future<int>>> handoff_;
  std::string verdict_;
};

CF_STRESS_SCENARIO(Scenario{
    "wait.first_completed_vs_completion",
    "wait(FIRST_COMPLETED) while one of two calls completes",
    2,
    {Backend::kThread, Backend::kProcess},
    {{"one done", Verdict::kAcceptable,
      "returned when the short call completed; the held one not done"},
     {"both done", Verdict::kInteresting,
      "the held call also finished before wait() took its split"},
     {"empty", Verdict::kForbidden, "returned with nothing done before the timeout"},
     {"torn split", Verdict::kForbidden,
      "a future in done is not done, or the split is not the input"},
     {"lost", Verdict::kForbidden, "a call never completed"}},
    [](const Context& c) { return std::make_unique<FirstCompletedVsCompletion>(c); }});

}  // namespace
}  // namespace cf::stress
