// liveness.<waiter>.<trigger> — termination mode: a thread blocked on a
// future must wake when something ends it.
//
// The target call is queued behind a held worker. Actor 0 blocks on it in
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
// Histogram (cf_stress --backend all --duration 30 --seed 2, default build, 2 cores):
//   liveness.result.break [thread] 4287 iterations: woken: broken 4287
//   liveness.result.break [process] 363 iterations: woken: cancelled 221, woken: broken 142
//   liveness.result.cancel [thread] 1466 iterations: woken: cancelled 1466
//   liveness.result.cancel [process] 19 iterations: woken: cancelled 19
//   liveness.result.complete [thread] 3714 iterations: woken: value 3714
//   liveness.result.complete [process] 19 iterations: woken: value 19
//   liveness.result.shutdown [thread] 2024 iterations: woken: cancelled 2024
//   liveness.result.shutdown [process] 40 iterations: woken: cancelled 40
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
    if (!breakable) held_ = pool_->hold();
    target_ = pool_->submit(task_value, 1);
  }
  void actor(int i) override {
    if (i == 0) {
      woke_ = block();
      return;
    }
    switch (trigger_) {
      case Trigger::kComplete: pool_->release(); break;
      case Trigger::kCancel:
        if (!target_.cancel()) pool_->release();
        break;
      case Trigger::kShutdown: pool_->shutdown(false, true); break;
      case Trigger::kBreak: pool_->break_pool(); break;
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
      case Waiter::kWait: return cf::wait({target_}, ALL_COMPLETED, kGenerous).not_done.empty();
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
          std::string("a thread blocked in ") + wname + " wakes when the pool's " + tname + " ends the future",
          2,
          {Backend::kThread, Backend::kProcess},
          {{"woken: value", Verdict::kAcceptable, "the waiter woke and the target had run"},
           {"woken: cancelled", Verdict::kAcceptable, "the waiter woke and the target was cancelled"},
           {"woken: broken", Verdict::kAcceptable, "the waiter woke and the target failed with BrokenExecutor"},
           {kStuck, Verdict::kForbidden, "the waiter was still blocked after the generous deadline"}},
          [waiter, trigger](const Context& c) { return std::make_unique<Liveness>(c, waiter, trigger); }});
    }
  }
  return true;
}
[[maybe_unused]] const bool g_registered = register_all();

}  // namespace
}  // namespace cf::stress
