// future.callback_vs_completion — add_done_callback() races set_result().
//
// Outcomes: the table at the end of this file, in jcstress's form (the verdict,
// the clause a forbidden outcome breaks, what it means); `--list` prints it.
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
    // clang-format off
    {acceptable( "once, by completer",               "queued first, run by the completing thread"),
     acceptable( "once, by adder",                   "added after completion, run at once by the adder"),
     forbidden(  "never",                "FUT-CB-1", "the callback was lost"),
     forbidden(  "twice",                "FUT-CB-1", "the callback ran twice"),
     forbidden(  "not done in callback", "FUT-CB-1", "the callback ran while the future was not done")},
    // clang-format on
    [](Stage& s) { return std::make_unique<CallbackVsCompletion>(s); }});

}  // namespace
}  // namespace cf::stress
