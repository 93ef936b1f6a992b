// guard.hpp — the suite's side of the adapter: what every test talks to.
//
// Tests never hold an adapter's objects directly. The fixture hands out
// guarded ones, which forward every operation to the adapter and add three
// things the suite needs whatever the implementation:
//
// 1. Attribution. Every blocking call is named while it runs, so a hang that
//    happens outside any check says where it was; an operation that raises
//    outside a check (a submit refused while the scene is being built) is
//    noted as a failed precondition relying on the rule it broke
//    [EXEC-QUEUE-1], not as a failure of the clause under test.
// 2. Bounds. A test bounds every wait (`result(kLong)`), but a library may
//    offer only untimed waits (Cap::kResultBlocking without kResultTimeout),
//    or only timed ones. Where a test uses a timeout only as a bound, the
//    guard bridges to the form the adapter declares: a finite bound over an
//    untimed-only future polls done() until the bound, then makes the untimed
//    call; "no timeout" over a timed-only future becomes a very long one.
//    The form itself is never judged through a bridge: clauses about timed
//    waits need the timed capability (SPEC.md **Needs.**).
// 3. Noise (see noise.hpp): optional, seeded perturbation of the schedule at
//    the adapter boundary.
//
// Thread-safety: as the adapter's objects; the guard adds no shared state
// beyond a flag per executor.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "adapter.hpp"

namespace cf::conformance {

// The adapter object a guarded future forwards to (identity for others).
FuturePtr unguarded(const FuturePtr& future);

class GuardedImplementation final : public Implementation {
 public:
  explicit GuardedImplementation(Implementation& inner) : inner_(inner) {}

  std::string name() const override { return inner_.name(); }
  std::string about() const override { return inner_.about(); }
  std::string follows() const override { return inner_.follows(); }
  Caps caps() const override { return inner_.caps(); }
  std::unique_ptr<Executor> make_executor(Lab& lab, const ExecutorSpec& spec) override;
  FuturePtr make_future() override;
  WaitSplit wait(const std::vector<FuturePtr>& futures, ReturnWhen when, Timeout timeout) override;
  std::unique_ptr<AsCompletedRun> as_completed(const std::vector<FuturePtr>& futures,
                                               Timeout timeout) override;
  std::int64_t thread_token() override { return inner_.thread_token(); }
  std::string thread_name_of(std::int64_t worker_token) override {
    return inner_.thread_name_of(worker_token);
  }
  std::vector<std::string> take_logged() override { return inner_.take_logged(); }
  void on_hang() override { inner_.on_hang(); }

  Implementation& inner() { return inner_; }

 private:
  Implementation& inner_;
};

// Wraps an adapter future (for code that gets one from elsewhere).
FuturePtr guard(FuturePtr future);

}  // namespace cf::conformance
