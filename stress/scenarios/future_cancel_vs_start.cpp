// future.cancel_vs_start — cancel() races a pool worker starting the call.
//
// Actor 0 submits a call to a one-worker pool and hands the future to actor 1,
// which cancels it while the worker is taking it. The arbiter waits for a
// sentinel submitted after it (one worker, FIFO: the call is then over).
//
//   outcome                 verdict     meaning
//   cancelled before start  ACCEPTABLE  cancel() won: true, and the call never ran [FUT-CANCEL-1]
//   started first           ACCEPTABLE  the worker won: cancel() false, the value arrives
//   [FUT-CANCEL-2] cancelled but ran       FORBIDDEN   cancel() said true yet the call ran refused
//   but cancelled   FORBIDDEN   cancel() said false yet the future is cancelled lost FORBIDDEN the
//   future never completed
//
// Histogram (cf_stress --backend all --duration 60 --seed 1285684221, default build, 2 shared
// cores):
//   future.cancel_vs_start [thread] 12356 iterations: cancelled before start 9647, started first
//   2709 future.cancel_vs_start [process] 10333 iterations: cancelled before start 5529, started
//   first 4804
#include <atomic>

#include "pool.hpp"
#include "support.hpp"

namespace cf::stress {
namespace {

std::atomic<int> g_marks{0};
int task_mark(int v) {
  g_marks.fetch_add(1, std::memory_order_relaxed);
  return v;
}
CF_REGISTER_TASK(task_mark);

class CancelVsStart final : public Trial {
 public:
  explicit CancelVsStart(const Context& c)
      : backend_(c.backend), pool_(Pool::make(c.backend, {1, {}, false})) {}
  void setup() override {
    handoff_.reset();
    marks_before_ = g_marks.load();
  }
  void actor(int i) override {
    if (i == 0) {
      handoff_.publish(pool_->submit(task_mark, 7));
    } else {
      cancelled_ = handoff_.take().cancel();
    }
  }
  std::string arbiter() override {
    const auto& f = handoff_.take();
    if (ending_of(pool_->submit(task_value, 0)) != "value") return "lost";
    std::string end = ending_of(f);
    // Only the thread backend runs task_mark in this process.
    bool ran = backend_ == Backend::kThread ? g_marks.load() != marks_before_ : end == "value";
    if (end == "pending") return "lost";
    if (cancelled_)
      return ran || end != "cancelled" ? "cancelled but ran" : "cancelled before start";
    return end == "cancelled" ? "refused but cancelled" : end == "value" ? "started first" : end;
  }

 private:
  Backend backend_;
  std::unique_ptr<Pool> pool_;
  Handoff<Future<int>> handoff_;
  bool cancelled_ = false;
  int marks_before_ = 0;
};

CF_STRESS_SCENARIO(Scenario{
    "future.cancel_vs_start",
    "cancel() of a just-submitted call races the worker that starts it",
    2,
    {Backend::kThread, Backend::kProcess},
    {{"cancelled before start", Verdict::kAcceptable, "cancel() won: true, and the call never ran"},
     {"started first", Verdict::kAcceptable, "the worker won: cancel() false, the value arrives"},
     {"cancelled but ran", Verdict::kForbidden, "cancel() said true yet the call ran"},
     {"refused but cancelled", Verdict::kForbidden,
      "cancel() said false yet the future is cancelled"},
     {"lost", Verdict::kForbidden, "the future never completed"}},
    [](const Context& c) { return std::make_unique<CancelVsStart>(c); }});

}  // namespace
}  // namespace cf::stress
