// future.result_timeout_deadline — result(timeout) while the producer aims
// set_result() at the deadline.
//
// Actor 1 spins on the clock (work, not synchronisation) until just about the
// waiter's deadline, then completes the future.
//
//   outcome         verdict      meaning
//   value           ACCEPTABLE   completed before the deadline, result() returned it
//   timed out       INTERESTING  the deadline passed first: TimeoutError, the future finished later
//   [FUT-RESULT-4] early timeout   FORBIDDEN    TimeoutError before the timeout had elapsed wrong
//   value     FORBIDDEN    result() returned something else
//
// Histogram (cf_stress --backend all --duration 60 --seed 1285684221, default build, 2 shared
// cores):
//   future.result_timeout_deadline [thread] 2747 iterations: value 1375, timed out 1372
#include <chrono>
#include <thread>

#include "cf/future.hpp"
#include "scenario.hpp"

namespace cf::stress {
namespace {

constexpr auto kTimeout = std::chrono::microseconds(300);

class ResultAtDeadline final : public Trial {
 public:
  void setup() override {
    future_ = Future<int>();
    // Aim a little before or after the deadline, from the seeded generator.
    offset_ =
        std::chrono::microseconds(static_cast<long>(rng_() % 200)) - std::chrono::microseconds(100);
  }
  void actor(int i) override {
    auto start = std::chrono::steady_clock::now();
    if (i == 0) {
      try {
        value_ = future_.result(kTimeout);
        timed_out_ = false;
      } catch (const TimeoutError&) {
        timed_out_ = true;
      }
      elapsed_ = std::chrono::steady_clock::now() - start;
    } else {
      while (std::chrono::steady_clock::now() - start < kTimeout + offset_)
        std::this_thread::yield();
      future_.set_result(5);
    }
  }
  std::string arbiter() override {
    if (timed_out_) return elapsed_ < kTimeout ? "early timeout" : "timed out";
    return value_ == 5 ? "value" : "wrong value";
  }

 private:
  Future<int> future_;
  std::chrono::microseconds offset_{0};
  bool timed_out_ = false;
  int value_ = 0;
  std::chrono::steady_clock::duration elapsed_{};
};

CF_STRESS_SCENARIO(Scenario{
    "future.result_timeout_deadline",
    "result(timeout) races a set_result() aimed at the deadline",
    2,
    {Backend::kThread},
    {{"value", Verdict::kAcceptable, "completed before the deadline; result() returned it"},
     {"timed out", Verdict::kInteresting,
      "the deadline passed first: TimeoutError, the future finished later"},
     {"early timeout", Verdict::kForbidden, "TimeoutError before the timeout had elapsed"},
     {"wrong value", Verdict::kForbidden, "result() returned something else"}},
    [](const Context&) { return std::make_unique<ResultAtDeadline>(); }});

}  // namespace
}  // namespace cf::stress
