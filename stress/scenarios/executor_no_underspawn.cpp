// executor.no_underspawn — while one worker is blocked, the other workers
// take the calls submitted meanwhile.
//
// A three-worker executor, reused across iterations: actor 0 submits a call
// held at a gate, actor 1 submits two short calls; both short calls must
// finish while the held one still blocks (three workers, three calls). An
// executor whose count of idle workers drifts, so it believes a worker is
// free when none is, leaves the short calls queued behind the held one:
// CPython's unbalanced idle semaphore (gh-88354, gh-102024), and the stale
// idle token of gh-115634.
//
// Outcomes: the table at the end of this file, in jcstress's form (the verdict,
// the clause a forbidden outcome breaks, what it means); `--list` prints it.
#include "support.hpp"

namespace cf::stress {
namespace {

class NoUnderspawn final : public Trial {
 public:
  explicit NoUnderspawn(Stage& stage) : executor_(stage, 3) {}
  void setup() override {
    executor_.close();
    handoff_.reset();
    shorts_.clear();
  }
  void actor(int i) override {
    if (i == 0) {
      handoff_.publish(executor_.hold());
    } else {
      shorts_ = {executor_->submit(Probe::value_of(1)), executor_->submit(Probe::value_of(2))};
    }
  }
  std::string arbiter() override {
    bool progress = true;
    for (auto& f : shorts_) progress = progress && f->result(kGenerous).is(Kind::kValue);
    executor_.open();
    auto held = handoff_.take()->result(kGenerous);
    if (!held.is(Kind::kValue)) return "lost";
    for (auto& f : shorts_) {
      if (!f->result(kGenerous).is(Kind::kValue)) return "lost";
    }
    return progress ? "progress" : "stuck";
  }

 private:
  GatedExecutor executor_;
  Handoff<FuturePtr> handoff_;
  std::vector<FuturePtr> shorts_;
};

CF_STRESS_SCENARIO(Scenario{
    "executor.no_underspawn",
    "one call blocks a worker while two more are submitted: the other workers take them",
    "CPython gh-88354, gh-102024 (the unbalanced idle semaphore) and gh-115634 (a stale idle "
    "token)",
    2,
    needs(Cap::kMaxWorkers),
    // clang-format off
    {acceptable( "progress",                  "both short calls finished while the held call blocked"),
     forbidden(  "stuck",    "TPE-MAX-1",     "a short call waited for the held one although a worker was free"),
     forbidden(  "lost",     "EXEC-SUBMIT-1", "a call never returned its value, even after the gate opened")},
    // clang-format on
    [](Stage& s) { return std::make_unique<NoUnderspawn>(s); }});

}  // namespace
}  // namespace cf::stress
