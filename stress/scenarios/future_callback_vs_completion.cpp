// future.callback_vs_completion — add_done_callback() races set_result().
//
//   outcome               verdict     meaning
//   once, by completer    ACCEPTABLE  queued first, run by the completing thread [FUT-CB-1]
//   once, by adder        ACCEPTABLE  added after completion, run at once by the adder [FUT-CB-3]
//   never                 FORBIDDEN   the callback was lost
//   twice                 FORBIDDEN   the callback ran twice
//
// Histogram (cf_stress --backend all --duration 60 --seed 1285684221, default build, 2 shared
// cores):
//   future.callback_vs_completion [thread] 61703 iterations: once, by completer 25017, once, by
//   adder 36686
#include <atomic>
#include <thread>

#include "cf/future.hpp"
#include "scenario.hpp"

namespace cf::stress {
namespace {

class CallbackVsCompletion final : public Trial {
 public:
  void setup() override {
    future_ = Future<int>();
    calls_ = 0;
  }
  void actor(int i) override {
    if (i == 0) {
      adder_ = std::this_thread::get_id();
      future_.add_done_callback([this](const Future<int>&) {
        ran_on_ = std::this_thread::get_id();
        calls_.fetch_add(1);
      });
    } else {
      future_.set_result(1);
    }
  }
  std::string arbiter() override {
    int n = calls_.load();
    if (n == 0) return "never";
    if (n > 1) return "twice";
    return ran_on_ == adder_ ? "once, by adder" : "once, by completer";
  }

 private:
  Future<int> future_;
  std::atomic<int> calls_{0};
  std::thread::id adder_;
  std::thread::id ran_on_;
};

CF_STRESS_SCENARIO(Scenario{
    "future.callback_vs_completion",
    "add_done_callback() races set_result(): the callback runs exactly once",
    2,
    {Backend::kThread},
    {{"once, by completer", Verdict::kAcceptable, "queued first, run by the completing thread"},
     {"once, by adder", Verdict::kAcceptable, "added after completion, run at once by the adder"},
     {"never", Verdict::kForbidden, "the callback was lost"},
     {"twice", Verdict::kForbidden, "the callback ran twice"}},
    [](const Context&) { return std::make_unique<CallbackVsCompletion>(); }});

}  // namespace
}  // namespace cf::stress
