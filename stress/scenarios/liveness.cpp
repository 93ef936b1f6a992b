// liveness.<waiter>.<trigger> — termination mode: a thread blocked on a
// future must wake when something ends it.
//
// The target call is queued behind a worker held at a gate (one worker).
// Actor 0 blocks on it in result(), wait() or as_completed(), each bounded by
// kGenerous; actor 1 fires the trigger:
//   complete  opens the gate, so the target runs
//   cancel    cancels the target (or, if a worker already took it, opens the gate)
//   shutdown  shutdown(wait=false, cancel_futures=true)
//   break     breaks the executor: its initializer fails once the gate opens
//   crash     the held call's worker dies once the gate opens (process backends)
// These are the lost wake-ups executors have shipped: CPython's wait() and
// as_completed() that never hear of a cancelled future (gh-92001, gh-109934,
// gh-87893, gh-136655), and a pool whose waiters miss a notify
// (Open3D-PoissonRecon PR #6).
//
//   outcome            verdict     clause   meaning
//   woken: value       ACCEPTABLE           the waiter woke and the target had run
//   woken: cancelled   ACCEPTABLE           the waiter woke and the target was cancelled
//   woken: broken      ACCEPTABLE           the waiter woke and the target failed with BrokenExecutor
//   stuck              FORBIDDEN   (below)  the waiter was still blocked after kGenerous
//
// The clause "stuck" breaks, by waiter and trigger:
//             complete       cancel          shutdown        break        crash
//   result    FUT-RESULT-5   FUT-CANCEL-5    SHUT-CANCEL-1   TPE-INIT-2   PPE-BROKEN-1
//   wait      WAIT-ALL-1     WAIT-CANCEL-1   SHUT-CANCEL-1   TPE-INIT-2   PPE-BROKEN-1
//   as_compl. ASC-ALL-1      ASC-CANCEL-1    SHUT-CANCEL-1   TPE-INIT-2   PPE-BROKEN-1
#include "support.hpp"

namespace cf::stress {
namespace {

enum class Waiter { kResult, kWait, kAsCompleted };
enum class Trigger { kComplete, kCancel, kShutdown, kBreak, kCrash };

class Liveness final : public Trial {
 public:
  Liveness(Stage& stage, Waiter waiter, Trigger trigger)
      : stage_(stage), waiter_(waiter), trigger_(trigger), gate_(stage.lab().new_gate()) {}
  ~Liveness() override {
    stage_.lab().open(gate_);
    retire(executor_);
  }
  void setup() override {
    stage_.lab().open(gate_);
    retire(executor_);
    stage_.lab().reset_gate(gate_);
    conformance::ExecutorSpec spec;
    spec.max_workers = 1;
    if (trigger_ == Trigger::kBreak) {
      // The worker is held in its initializer, which fails once released.
      spec.initializer = Probe().gate(gate_).raises("initializer broken on purpose");
      executor_ = stage_.executor(spec);
    } else {
      executor_ = stage_.executor(spec);
      auto held = Probe().gate(gate_);
      if (trigger_ == Trigger::kCrash) held.crash();
      held_ = executor_->submit(held);
      // Calls the executor may send ahead to its held worker: the padding
      // takes them, so the target stays queued (and cancellable).
      padding_.clear();
      for (int i = 0; i < conformance::kPrefetch; ++i) padding_.push_back(executor_->submit(Probe::value_of(0)));
    }
    target_ = executor_->submit(Probe::value_of(1));
  }
  void actor(int i) override {
    if (i == 0) {
      woke_ = block();
      return;
    }
    switch (trigger_) {
      case Trigger::kComplete:
      case Trigger::kBreak:
      case Trigger::kCrash:
        stage_.lab().open(gate_);
        break;
      case Trigger::kCancel:
        if (!target_->cancel()) stage_.lab().open(gate_);
        break;
      case Trigger::kShutdown:
        executor_->shutdown(false, true);
        break;
    }
  }
  std::string arbiter() override {
    stage_.lab().open(gate_);
    if (!woke_) return kStuck;
    auto end = ending_of(target_);
    return end == "pending" ? kStuck : "woken: " + end;
  }
  void teardown() override { retire(executor_); }

 private:
  bool block() {
    std::vector<FuturePtr> fs{target_};
    switch (waiter_) {
      case Waiter::kResult:
        return !target_->result(kGenerous).is(Kind::kTimeout);
      case Waiter::kWait:
        return stage_.impl().wait(fs, conformance::ReturnWhen::kAllCompleted, kGenerous).not_done.empty();
      case Waiter::kAsCompleted:
        try {
          auto run = stage_.impl().as_completed(fs, kGenerous);
          while (run->next()) {
          }
        } catch (const conformance::Raised& r) {
          if (r.outcome.is(Kind::kTimeout)) return false;
          throw;
        }
        return true;
    }
    return false;
  }

  Stage& stage_;
  Waiter waiter_;
  Trigger trigger_;
  int gate_;
  std::unique_ptr<Executor> executor_;
  FuturePtr held_;
  std::vector<FuturePtr> padding_;
  FuturePtr target_;
  bool woke_ = false;
};

const char* stuck_clause(Waiter waiter, Trigger trigger) {
  switch (trigger) {
    case Trigger::kComplete:
      return waiter == Waiter::kResult ? "FUT-RESULT-5" : waiter == Waiter::kWait ? "WAIT-ALL-1" : "ASC-ALL-1";
    case Trigger::kCancel:
      return waiter == Waiter::kResult ? "FUT-CANCEL-5"
                                       : waiter == Waiter::kWait ? "WAIT-CANCEL-1" : "ASC-CANCEL-1";
    case Trigger::kShutdown: return "SHUT-CANCEL-1";
    case Trigger::kBreak: return "TPE-INIT-2";
    case Trigger::kCrash: return "PPE-BROKEN-1";
  }
  return nullptr;
}

Caps trigger_needs(Trigger trigger) {
  switch (trigger) {
    case Trigger::kComplete: return needs(Cap::kMaxWorkers);
    case Trigger::kCancel: return needs(Cap::kMaxWorkers, Cap::kCancelResult);
    case Trigger::kShutdown: return needs(Cap::kMaxWorkers, Cap::kShutdownNoWait);
    // Thread pools (thread-count marks them, as in the conformance suite):
    // a process pool's failing initializer follows PPE-INIT-1; crash covers it.
    case Trigger::kBreak: return needs(Cap::kMaxWorkers, Cap::kInitializer, Cap::kThreadCount);
    case Trigger::kCrash: return needs(Cap::kMaxWorkers, Cap::kCrash);
  }
  return 0;
}

bool register_all() {
  const std::pair<Waiter, const char*> waiters[] = {
      {Waiter::kResult, "result"}, {Waiter::kWait, "wait"}, {Waiter::kAsCompleted, "as_completed"}};
  const std::pair<Trigger, const char*> triggers[] = {{Trigger::kComplete, "complete"},
                                                      {Trigger::kCancel, "cancel"},
                                                      {Trigger::kShutdown, "shutdown"},
                                                      {Trigger::kBreak, "break"},
                                                      {Trigger::kCrash, "crash"}};
  for (auto [waiter, wname] : waiters) {
    for (auto [trigger, tname] : triggers) {
      Caps extra = waiter == Waiter::kResult ? 0 : needs(Cap::kWait);
      if (waiter == Waiter::kAsCompleted) extra = needs(Cap::kAsCompleted);
      register_scenario(
          Scenario{std::string("liveness.") + wname + "." + tname,
                   std::string("a thread blocked in ") + wname + " wakes when the executor's " + tname +
                       " ends the future",
                   trigger == Trigger::kCancel || trigger == Trigger::kShutdown
                       ? "CPython gh-92001, gh-109934, gh-87893, gh-136655: waiters never told of a cancel"
                       : "lost wake-ups in pools: Open3D-PoissonRecon PR #6",
                   2,
                   trigger_needs(trigger) | extra,
                   {{"woken: value", Verdict::kAcceptable, "the waiter woke and the target had run"},
                    {"woken: cancelled", Verdict::kAcceptable, "the waiter woke and the target was cancelled"},
                    {"woken: broken", Verdict::kAcceptable,
                     "the waiter woke and the target failed with BrokenExecutor"},
                    {kStuck, Verdict::kForbidden, "the waiter was still blocked after the generous deadline",
                     stuck_clause(waiter, trigger)}},
                   [waiter, trigger](Stage& s) { return std::make_unique<Liveness>(s, waiter, trigger); }},
          __FILE__);
    }
  }
  return true;
}
[[maybe_unused]] const bool g_registered = register_all();

}  // namespace
}  // namespace cf::stress
