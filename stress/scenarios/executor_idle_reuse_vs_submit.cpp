// executor.idle_reuse_vs_submit — a submit that comes right after the
// previous call's result must reuse the idle worker.
//
// On a fresh four-worker executor, actor 0 submits three calls one after the
// other, each waited for before the next. A worker that publishes the result
// before it counts itself idle leaves the next submit to start another
// thread: CPython's idle semaphore released only after the result is set
// (gh-88354, gh-102024; gh-117344 is the flaky idle-reuse test without the
// GIL).
//
// Outcomes: the table at the end of this file, in jcstress's form (the verdict,
// the clause a forbidden outcome breaks, what it means); `--list` prints it.
#include "support.hpp"

namespace cf::stress {
namespace {

class IdleReuseVsSubmit final : public Trial {
 public:
  explicit IdleReuseVsSubmit(Stage& stage) : stage_(stage) {}
  ~IdleReuseVsSubmit() override { retire(executor_); }
  void setup() override {
    retire(executor_);
    executor_ = stage_.executor(4);
  }
  void actor(int) override {
    lost_ = false;
    for (int k = 0; k < 3; ++k) {
      auto o = executor_->submit(Probe::value_of(k))->result(kGenerous);
      if (!o.is(Kind::kValue) || o.value != k) lost_ = true;
    }
    threads_ = executor_->thread_count();
  }
  std::string arbiter() override {
    if (lost_) return "lost";
    return threads_ <= 1 ? "one worker" : "more workers";
  }
  void teardown() override { retire(executor_); }

 private:
  Stage& stage_;
  std::unique_ptr<Executor> executor_;
  std::size_t threads_ = 0;
  bool lost_ = false;
};

CF_STRESS_SCENARIO(Scenario{
    "executor.idle_reuse_vs_submit",
    "sequential submit-then-wait: the next submit races the worker going idle, and reuses it",
    "CPython gh-88354, gh-102024, gh-117344: the idle count published after the result",
    1,
    needs(Cap::kThreadCount),
    // clang-format off
    {acceptable( "one worker",                    "every call ran on the one worker the first submit started"),
     forbidden(  "more workers", "TPE-REUSE-1",   "a submit after a finished call started another worker"),
     forbidden(  "lost",         "EXEC-SUBMIT-1", "a call did not return its value")},
    // clang-format on
    [](Stage& s) { return std::make_unique<IdleReuseVsSubmit>(s); }});

}  // namespace
}  // namespace cf::stress
