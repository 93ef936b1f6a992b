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
//   outcome                 verdict     clause   meaning
//   woken: value            ACCEPTABLE           the waiter woke and the target had run
//   woken: cancelled        ACCEPTABLE           the waiter woke and the target was cancelled
//   woken: broken           ACCEPTABLE           the waiter woke and the target failed with
//   BrokenExecutor stuck                   FORBIDDEN   (below)  the waiter was still blocked after
//   kGenerous stuck, cancelled        FORBIDDEN   (below)  cancel / shutdown: the trigger had
//   cancelled the target stuck, ran              FORBIDDEN   (below)  cancel: cancel() refused, the
//   gate opened, the target ran stuck, not cancelled    FORBIDDEN   (below)  shutdown: the target
//   was not cancelled when it returned
//
// The clause a stuck waiter breaks, by waiter and what the trigger did:
//             completed      cancelled       not cancelled   broken       crashed
//   result    FUT-RESULT-5   FUT-CANCEL-5 *  SHUT-CANCEL-1   TPE-INIT-2   PPE-BROKEN-1
//   wait      WAIT-ALL-1     WAIT-CANCEL-1   SHUT-CANCEL-1   TPE-INIT-2   PPE-BROKEN-1
//   as_compl. ASC-ALL-1      ASC-CANCEL-1    SHUT-CANCEL-1   TPE-INIT-2   PPE-BROKEN-1
// * FUT-RESULT-5 when shutdown, not cancel(), cancelled the target.
// "completed" is the complete trigger and a cancel that found the target
// taken (the gate opened); "cancelled", a cancel() that succeeded or a
// shutdown that had cancelled the target by the time it returned; "not
// cancelled", a shutdown(cancel_futures=true) that returned with the queued
// target neither cancelled nor started.
#include "support.hpp"

namespace cf::stress {
namespace {

enum class Waiter { kResult, kWait, kAsCompleted };
enum class Trigger { kComplete, kCancel, kShutdown, kBreak, kCrash };

constexpr const char* kStuckCancelled = "stuck, cancelled";
constexpr const char* kStuckRan = "stuck, ran";
constexpr const char* kStuckNotCancelled = "stuck, not cancelled";

class Liveness final : public Trial {
 public:
  Liveness(Stage& stage, Waiter waiter, Trigger trigger)
      : stage_(stage), waiter_(waiter), trigger_(trigger), executor_(stage) {}
  void setup() override {
    conformance::ExecutorSpec spec;
    spec.max_workers = 1;
    if (trigger_ == Trigger::kBreak) {
      // The worker is held in its initializer, which fails once released.
      spec.initializer = Probe().gate(executor_.gate()).raises("initializer broken on purpose");
      executor_.renew(spec);
    } else {
      executor_.renew(spec);
      auto held = Probe().gate(executor_.gate());
      if (trigger_ == Trigger::kCrash) held.crash();
      held_ = executor_->submit(held);
      padding_ = executor_.pad();  // so the target stays queued (and cancellable)
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
        executor_.open();
        break;
      case Trigger::kCancel:
        cancelled_ = target_->cancel();
        if (!cancelled_) executor_.open();
        break;
      case Trigger::kShutdown:
        executor_->shutdown(false, true);
        cancelled_ = target_->cancelled();
        break;
    }
  }
  std::string arbiter() override {
    executor_.open();
    auto end = ending_of(target_);
    if (woke_ && end != "pending") return "woken: " + end;
    // Stuck: which rule that breaks depends on what the trigger did.
    switch (trigger_) {
      case Trigger::kCancel:
        return cancelled_ ? kStuckCancelled : kStuckRan;
      case Trigger::kShutdown:
        return cancelled_ ? kStuckCancelled : kStuckNotCancelled;
      default:
        return kStuck;
    }
  }
  void teardown() override { executor_.retire(); }

 private:
  bool block() {
    std::vector<FuturePtr> fs{target_};
    switch (waiter_) {
      case Waiter::kResult:
        return !target_->result(kGenerous).is(Kind::kTimeout);
      case Waiter::kWait:
        return stage_.impl()
            .wait(fs, conformance::ReturnWhen::kAllCompleted, kGenerous)
            .not_done.empty();
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
  GatedExecutor executor_;
  FuturePtr held_;
  std::vector<FuturePtr> padding_;
  FuturePtr target_;
  bool woke_ = false;
  bool cancelled_ = false;  // the cancel / shutdown trigger had cancelled the target
};

// The clause a waiter stuck after the target completed / was cancelled breaks.
const char* completion_clause(Waiter waiter) {
  return waiter == Waiter::kResult ? "FUT-RESULT-5"
         : waiter == Waiter::kWait ? "WAIT-ALL-1"
                                   : "ASC-ALL-1";
}
const char* cancellation_clause(Waiter waiter) {
  return waiter == Waiter::kResult ? "FUT-CANCEL-5"
         : waiter == Waiter::kWait ? "WAIT-CANCEL-1"
                                   : "ASC-CANCEL-1";
}

// The forbidden outcomes of liveness.<waiter>.<trigger>, each with the clause
// it breaks (the table at the top).
std::vector<Outcome> stuck_outcomes(Waiter waiter, Trigger trigger) {
  const char* blocked = "the waiter was still blocked after the generous deadline";
  switch (trigger) {
    case Trigger::kComplete:
      return {{kStuck, Verdict::kForbidden, blocked, completion_clause(waiter)}};
    case Trigger::kCancel:
      return {{kStuckCancelled, Verdict::kForbidden,
               "cancel() succeeded, and the waiter was still blocked after the generous deadline",
               cancellation_clause(waiter)},
              {kStuckRan, Verdict::kForbidden,
               "cancel() refused (the target was taken), the gate opened, and the waiter was still "
               "blocked",
               completion_clause(waiter)}};
    case Trigger::kShutdown:
      // A reader blocked in result() must wake when the future is done,
      // cancelled by shutdown included (FUT-RESULT-5: FUT-CANCEL-5 is about
      // cancel(), which this trigger does not call).
      return {{kStuckCancelled, Verdict::kForbidden,
               "shutdown had cancelled the target, and the waiter was still blocked after the "
               "generous deadline",
               waiter == Waiter::kResult ? "FUT-RESULT-5" : cancellation_clause(waiter)},
              {kStuckNotCancelled, Verdict::kForbidden,
               "shutdown(cancel_futures=true) returned with the queued target not cancelled, and "
               "the waiter "
               "was still blocked",
               "SHUT-CANCEL-1"}};
    case Trigger::kBreak:
      return {{kStuck, Verdict::kForbidden, blocked, "TPE-INIT-2"}};
    case Trigger::kCrash:
      return {{kStuck, Verdict::kForbidden, blocked, "PPE-BROKEN-1"}};
  }
  return {};
}

Caps trigger_needs(Trigger trigger) {
  switch (trigger) {
    case Trigger::kComplete:
      return needs(Cap::kMaxWorkers);
    case Trigger::kCancel:
      return needs(Cap::kMaxWorkers, Cap::kCancelResult);
    case Trigger::kShutdown:
      return needs(Cap::kMaxWorkers, Cap::kShutdownNoWait);
    // Thread pools (thread-count marks them, as in the conformance suite):
    // a process pool's failing initializer follows PPE-INIT-1; crash covers it.
    case Trigger::kBreak:
      return needs(Cap::kMaxWorkers, Cap::kInitializer, Cap::kThreadCount);
    case Trigger::kCrash:
      return needs(Cap::kMaxWorkers, Cap::kCrash);
  }
  return 0;
}

std::vector<Outcome> outcomes(Waiter waiter, Trigger trigger) {
  std::vector<Outcome> all = {
      {"woken: value", Verdict::kAcceptable, "the waiter woke and the target had run"},
      {"woken: cancelled", Verdict::kAcceptable, "the waiter woke and the target was cancelled"},
      {"woken: broken", Verdict::kAcceptable,
       "the waiter woke and the target failed with BrokenExecutor"}};
  for (auto& o : stuck_outcomes(waiter, trigger)) all.push_back(std::move(o));
  return all;
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
      register_scenario(Scenario{std::string("liveness.") + wname + "." + tname,
                                 std::string("a thread blocked in ") + wname +
                                     " wakes when the executor's " + tname + " ends the future",
                                 trigger == Trigger::kCancel || trigger == Trigger::kShutdown
                                     ? "CPython gh-92001, gh-109934, gh-87893, gh-136655: waiters "
                                       "never told of a cancel"
                                     : "lost wake-ups in pools: Open3D-PoissonRecon PR #6",
                                 2, trigger_needs(trigger) | extra, outcomes(waiter, trigger),
                                 [waiter, trigger](Stage& s) {
                                   return std::make_unique<Liveness>(s, waiter, trigger);
                                 }},
                        __FILE__);
    }
  }
  return true;
}
[[maybe_unused]] const bool g_registered = register_all();

}  // namespace
}  // namespace cf::stress
