// future.callback_vs_completion — add_done_callback() races set_result().
//
//   outcome               verdict     clause     meaning
//   once, by completer    ACCEPTABLE             queued first, run by the completing thread
//   once, by adder        ACCEPTABLE             added after completion, run at once by the adder
//   never                 FORBIDDEN   FUT-CB-1   the callback was lost
//   twice                 FORBIDDEN   FUT-CB-1   the callback ran twice
//   not done in callback  FORBIDDEN   FUT-CB-1   the callback ran while the future was not done
#include <atomic>
#include <memory>

#include "support.hpp"

namespace cf::stress {
namespace {

struct Seen {
  std::atomic<int> calls{0};
  std::atomic<std::int64_t> ran_on{0};
  std::atomic<bool> done{true};
};

class CallbackVsCompletion final : public Trial {
 public:
  explicit CallbackVsCompletion(Stage& stage) : stage_(stage) {}
  void setup() override {
    future_ = stage_.impl().make_future();
    seen_ = std::make_shared<Seen>();
  }
  void actor(int i) override {
    if (i == 0) {
      adder_ = stage_.impl().thread_token();
      future_->add_done_callback([seen = seen_](const conformance::CallbackEvent& e) {
        seen->ran_on = e.thread_token;
        if (!e.done) seen->done = false;
        seen->calls.fetch_add(1);
      });
    } else {
      future_->set_result(1);
    }
  }
  std::string arbiter() override {
    int n = seen_->calls.load();
    if (n == 0) return "never";
    if (n > 1) return "twice";
    if (!seen_->done) return "not done in callback";
    return seen_->ran_on == adder_ ? "once, by adder" : "once, by completer";
  }

 private:
  Stage& stage_;
  FuturePtr future_;
  std::shared_ptr<Seen> seen_;
  std::int64_t adder_ = 0;
};

CF_STRESS_SCENARIO(Scenario{
    "future.callback_vs_completion",
    "add_done_callback() races set_result(): the callback runs exactly once",
    "",
    2,
    needs(Cap::kRawFuture),
    {{"once, by completer", Verdict::kAcceptable, "queued first, run by the completing thread"},
     {"once, by adder", Verdict::kAcceptable, "added after completion, run at once by the adder"},
     {"never", Verdict::kForbidden, "the callback was lost", "FUT-CB-1"},
     {"twice", Verdict::kForbidden, "the callback ran twice", "FUT-CB-1"},
     {"not done in callback", Verdict::kForbidden, "the callback ran while the future was not done",
      "FUT-CB-1"}},
    [](Stage& s) { return std::make_unique<CallbackVsCompletion>(s); }});

}  // namespace
}  // namespace cf::stress
