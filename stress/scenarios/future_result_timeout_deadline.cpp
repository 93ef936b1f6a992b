// future.result_timeout_deadline — result(timeout) while the producer aims
// set_result() at the deadline.
//
// Actor 1 spins on the clock (work, not synchronisation) until just about the
// waiter's deadline, then completes the future.
//
// Outcomes: the table at the end of this file, in jcstress's form (the verdict,
// the clause a forbidden outcome breaks, what it means); `--list` prints it.
#include <chrono>
#include <thread>

#include "support.hpp"

namespace cf::stress {
namespace {

constexpr auto kTimeout = std::chrono::microseconds(300);

class ResultAtDeadline final : public Trial {
 public:
  explicit ResultAtDeadline(Stage& stage) : stage_(stage) {}
  void setup() override {
    future_ = stage_.impl().make_future();
    // Aim a little before or after the deadline, from the seeded generator.
    offset_ =
        std::chrono::microseconds(static_cast<long>(rng_() % 200)) - std::chrono::microseconds(100);
  }
  void actor(int i) override {
    auto start = std::chrono::steady_clock::now();
    if (i == 0) {
      outcome_ = future_->result(kTimeout);
      elapsed_ = std::chrono::steady_clock::now() - start;
    } else {
      while (std::chrono::steady_clock::now() - start < kTimeout + offset_)
        std::this_thread::yield();
      future_->set_result(5);
    }
  }
  std::string arbiter() override {
    if (outcome_.is(Kind::kTimeout)) return elapsed_ < kTimeout ? "early timeout" : "timed out";
    return outcome_.is(Kind::kValue) && outcome_.value == 5 ? "value" : "wrong value";
  }

 private:
  Stage& stage_;
  FuturePtr future_;
  std::chrono::microseconds offset_{0};
  conformance::Outcome outcome_;
  std::chrono::steady_clock::duration elapsed_{};
};

CF_STRESS_SCENARIO(Scenario{
    "future.result_timeout_deadline",
    "result(timeout) races a set_result() aimed at the deadline",
    "",
    2,
    needs(Cap::kRawFuture),
    // clang-format off
    {acceptable(  "value",                         "completed before the deadline; result() returned it"),
     interesting( "timed out",                     "the deadline passed first: TimeoutError, the future finished later"),
     forbidden(   "early timeout", "FUT-RESULT-4", "TimeoutError before the timeout had elapsed"),
     forbidden(   "wrong value",   "FUT-RESULT-1", "result() returned something else")},
    // clang-format on
    [](Stage& s) { return std::make_unique<ResultAtDeadline>(s); }});

}  // namespace
}  // namespace cf::stress
