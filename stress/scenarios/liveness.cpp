// liveness.<waiter>.<trigger> — termination mode: a thread blocked on a
// future must wake when something ends it.
//
// The target call is queued behind a held worker and kPrefetch padding calls
// (which the pool may have sent ahead, running [EXEC-RUNNING-1], so the
// target itself stays queued and cancellable). Actor 0 blocks on it in
// result(), wait() or as_completed(), each bounded by kGenerous; actor 1
// fires the trigger:
//   complete  releases the held worker, so the target runs
//   cancel    cancels the target (or, if a worker already took it, lets it run)
//   shutdown  shutdown(wait=false, cancel_futures=true) [SHUT-CANCEL-1]
//   break     breaks the pool: a failing initializer (thread) [TPE-INIT-2] or a
//             SIGKILLed worker (process) [PPE-BROKEN-1]
//
//   outcome            verdict     meaning
//   woken: value       ACCEPTABLE  the waiter woke and the target had run
//   woken: cancelled   ACCEPTABLE  the waiter woke and the target was cancelled [WAIT-CANCEL-1]
//   woken: broken      ACCEPTABLE  the waiter woke and the target failed with BrokenExecutor
//   stuck              FORBIDDEN   the waiter was still blocked after kGenerous
//
// Histogram (cf_stress --backend all --duration 60 --seed 1285684221, default build, 2 shared
// cores):
//   liveness.result.break [thread] 6370 iterations: woken: broken 6370
//   liveness.result.break [process] 752 iterations: woken: cancelled 661, woken: broken 91
//   liveness.result.cancel [thread] 3130 iterations: woken: cancelled 3130
//   liveness.result.cancel [process] 224 iterations: woken: cancelled 224
//   liveness.result.complete [thread] 2097 iterations: woken: value 2097
//   liveness.result.complete [process] 230 iterations: woken: value 230
//   liveness.result.shutdown [thread] 7022 iterations: woken: cancelled 7022
//   liveness.result.shutdown [process] 683 iterations: woken: cancelled 683
//   (liveness.wait.* and liveness.as_completed.* alike)
#include "cf/wait.hpp"
#include "pool.hpp"
#include "support.hpp"

namespace cf::stress {
namespace {

enum class Waiter { kResult, kWait, kAsCompleted };
enum class Trigger { kComplete, kCancel, kShutdown, kBreak };

class Liveness final : public Trial {
 public:
  Liveness(const Context& c, Waiter waiter, Trigger trigger)
      : backend_(c.backend), waiter_(waiter), trigger_(trigger) {}
  void setup() override {
    bool breakable = trigger_ == Trigger::kBreak && backend_ == Backend::kThread;
    pool_ = Pool::make(backend_, {1, {}, breakable});
    // A breakable thread pool's worker is stuck in its initializer already.
    if (!breakable) {
      held_ = pool_->hold();
      padding_.clear();
      for (int p = 0; p < kPrefetch; ++p) padding_.push_back(pool_->submit(task_value, 0));
    }
    target_ = pool_->submit(task_value, 1);
  }
  void actor(int i) override {
    if (i == 0) {
      woke_ = block();
      return;
    }
    switch (trigger_) {
      case Trigger::kComplete:
        pool_->release();
        break;
      case Trigger::kCancel:
        if (!target_.cancel()) pool_->release();
        break;
      case Trigger::kShutdown:
        pool_->shutdown(false, true);
        break;
      case Trigger::kBreak:
        pool_->break_pool();
        break;
    }
  }
  std::string arbiter() override {
    if (!woke_) return kStuck;
    pool_->release();
    auto end = ending_of(target_);
    return end == "pending" ? kStuck : "woken: " + end;
  }
  void teardown() override { pool_.reset(); }

 private:
  bool block() {
    switch (waiter_) {
      case Waiter::kResult:
        try {
          target_.result(kGenerous);
        } catch (const TimeoutError&) {
          return false;
        } catch (...) {
        }
        return true;
      case Waiter::kWait:
        return cf::wait({target_}, ALL_COMPLETED, kGenerous).not_done.empty();
      case Waiter::kAsCompleted:
        try {
          for ([[maybe_unused]] const AnyFuture& f : as_completed({target_}, kGenerous)) {
          }
        } catch (const TimeoutError&) {
          return false;
        }
        return true;
    }
    return false;
  }

  Backend backend_;
  Waiter waiter_;
  Trigger trigger_;
  std::unique_ptr<Pool> pool_;
  Future<int> held_;
  std::vector<Future<int>> padding_;
  Future<int> target_;
  bool woke_ = false;
};

bool register_all() {
  const std::pair<Waiter, const char*> waiters[] = {
      {Waiter::kResult, "result"}, {Waiter::kWait, "wait"}, {Waiter::kAsCompleted, "as_completed"}};
  const std::pair<Trigger, const char*> triggers[] = {{Trigger::kComplete, "complete"},
                                                      {Trigger::kCancel, "cancel"},
                                                      {Trigger::kShutdown, "shutdown"},
                                                      {Trigger::kBreak, "break"}};
  for (auto [waiter, wname] : waiters) {
    for (auto [trigger, tname] : triggers) {
      register_scenario(Scenario{
          std::string("liveness.") + wname + "." + tname,
          std::string("a thread blocked in ") + wname + " wakes when the pool's " + tname +
              " ends the future",
          2,
          {Backend::kThread, Backend::kProcess},
          {{"woken: value", Verdict::kAcceptable, "the waiter woke and the target had run"},
           {"woken: cancelled", Verdict::kAcceptable,
            "the waiter woke and the target was cancelled"},
           {"woken: broken", Verdict::kAcceptable,
            "the waiter woke and the target failed with BrokenExecutor"},
           {kStuck, Verdict::kForbidden,
            "the waiter was still blocked after the generous deadline"}},
          [waiter, trigger](const Context& c) {
            return std::make_unique<Liveness>(c, waiter, trigger);
          }});
    }
  }
  return true;
}
[[maybe_unused]] const bool g_registered = register_all();

}  // namespace
}  // namespace cf::stress
