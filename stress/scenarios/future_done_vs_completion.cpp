// future.done_vs_completion — done() is polled while a worker completes the
// call, and result() is read at once after.
//
// Actor 0 submits a call and hands the future over; actor 1 polls done()
// until it is true, then reads result(): the value must be there, with no
// wait. A done() that reads the state without the lock that guards it
// answers right on most machines and is still a data race, which only a
// ThreadSanitizer build sees [EXT-SAN-1]; this scenario is where the TSan
// column meets it.
//
// Outcomes: the table at the end of this file, in jcstress's form (the verdict,
// the clause a forbidden outcome breaks, what it means); `--list` prints it.
#include <chrono>
#include <thread>

#include "support.hpp"

namespace cf::stress {
namespace {

class DoneVsCompletion final : public Trial {
 public:
  explicit DoneVsCompletion(Stage& stage)
      : stage_(stage), executor_(stage.executor(std::nullopt)) {}
  ~DoneVsCompletion() override { retire(executor_); }
  void setup() override { handoff_.reset(); }
  void actor(int i) override {
    if (i == 0) {
      handoff_.publish(executor_->submit(Probe::value_of(3)));
      return;
    }
    const auto& f = handoff_.take();
    auto deadline = std::chrono::steady_clock::now() + kGenerous;
    seen_done_ = false;
    while (std::chrono::steady_clock::now() < deadline) {
      if (f->done()) {
        seen_done_ = true;
        break;
      }
      std::this_thread::yield();
    }
    outcome_ = f->result(kGenerous);
  }
  std::string arbiter() override {
    if (!seen_done_) return "never done";
    return outcome_.is(Kind::kValue) && outcome_.value == 3 ? "done, then value"
                                                            : "done, not finished";
  }

 private:
  Stage& stage_;
  std::unique_ptr<Executor> executor_;
  Handoff<FuturePtr> handoff_;
  bool seen_done_ = false;
  conformance::Outcome outcome_;
};

CF_STRESS_SCENARIO(Scenario{
    "future.done_vs_completion",
    "done() polled while the call completes: once true, the value is there",
    "an unlocked done(): right answers, and a data race only ThreadSanitizer sees",
    2,
    needs(Cap::kDone),
    // clang-format off
    {acceptable( "done, then value",                  "done() turned true and result() returned the value"),
     forbidden(  "done, not finished", "FUT-STATE-3", "done() was true but result() did not return the value"),
     forbidden(  "never done",         "FUT-STATE-3", "done() stayed false although the call returned")},
    // clang-format on
    [](Stage& s) { return std::make_unique<DoneVsCompletion>(s); }});

}  // namespace
}  // namespace cf::stress
