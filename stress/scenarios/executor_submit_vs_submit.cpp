// executor.submit_vs_submit — two threads submit at once.
//
// Actors 0 and 1 each submit three calls to a two-worker executor; every call
// records its (actor, index) in the lab's log. Every future must return its
// own value and every call must run exactly once: a queue that loses or
// duplicates a task under concurrent pushes and steals fails here (stdexec
// #1692: task loss between its queue's push and steal).
//
// Outcomes: the table at the end of this file, in jcstress's form (the verdict,
// the clause a forbidden outcome breaks, what it means); `--list` prints it.
#include <algorithm>

#include "support.hpp"

namespace cf::stress {
namespace {

class SubmitVsSubmit final : public Trial {
 public:
  explicit SubmitVsSubmit(Stage& stage)
      : stage_(stage), log_(stage.lab().new_log()), executor_(stage.executor(2)) {}
  ~SubmitVsSubmit() override { retire(executor_); }
  void setup() override {
    stage_.lab().clear_log(log_);
    for (auto& fs : futures_) fs.clear();
  }
  void actor(int i) override {
    for (int k = 0; k < 3; ++k) {
      std::int64_t v = i * 100 + k;
      futures_[i].push_back(executor_->submit(Probe().record(log_, v).returns(v)));
    }
  }
  std::string arbiter() override {
    for (int i = 0; i < 2; ++i) {
      for (int k = 0; k < 3; ++k) {
        auto o = futures_[i][static_cast<std::size_t>(k)]->result(kGenerous);
        if (o.is(Kind::kTimeout)) return "lost";
        if (!o.is(Kind::kValue) || o.value != i * 100 + k) return "wrong value";
      }
    }
    auto ran = stage_.lab().log(log_);
    for (int i = 0; i < 2; ++i) {
      for (int k = 0; k < 3; ++k) {
        auto n = std::count(ran.begin(), ran.end(), i * 100 + k);
        if (n == 0) return "lost";
        if (n > 1) return "ran twice";
      }
    }
    return "each once";
  }

 private:
  Stage& stage_;
  int log_;
  std::unique_ptr<Executor> executor_;
  std::vector<FuturePtr> futures_[2];
};

CF_STRESS_SCENARIO(Scenario{
    "executor.submit_vs_submit",
    "two threads submit at once: every call runs once and returns its own value",
    "task loss between a queue's push and steal: stdexec #1692",
    2,
    0,
    // clang-format off
    {acceptable( "each once",                    "every call ran once and returned its value"),
     forbidden(  "wrong value", "EXEC-SUBMIT-1", "a future returned another call's value, or an error"),
     forbidden(  "lost",        "EXEC-SUBMIT-1", "a call never ran, or its future never completed"),
     forbidden(  "ran twice",   "EXEC-SUBMIT-1", "a call ran more than once")},
    // clang-format on
    [](Stage& s) { return std::make_unique<SubmitVsSubmit>(s); }});

}  // namespace
}  // namespace cf::stress
