// future.cancel_vs_add_callback — add_done_callback() races cancel().
//
// A callback added before the cancel is run by the cancelling thread; one
// added after it, at once by the adder. Either way it runs exactly once and
// sees the future cancelled. The registration window (the callback list
// swapped out while a late registration still appends to it) is where a
// callback is lost or run twice; pebble #105 and CPython bpo-33110 (gh-77291)
// are bugs of this registration-versus-completion path.
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
  std::atomic<bool> cancelled{true};
};

class CancelVsAddCallback final : public Trial {
 public:
  explicit CancelVsAddCallback(Stage& stage) : stage_(stage) {}
  void setup() override {
    future_ = stage_.impl().make_future();
    seen_ = std::make_shared<Seen>();
  }
  void actor(int i) override {
    if (i == 0) {
      adder_ = stage_.impl().thread_token();
      future_->add_done_callback([seen = seen_](const conformance::CallbackEvent& e) {
        seen->ran_on = e.thread_token;
        if (!e.cancelled) seen->cancelled = false;
        seen->calls.fetch_add(1);
      });
    } else {
      future_->cancel();
    }
  }
  std::string arbiter() override {
    // A future the cancel left undone runs no callback: that is the broken
    // rule, not the callback's.
    if (stage_.has(Cap::kStateQueries) && !future_->done()) return "cancel left it undone";
    int n = seen_->calls.load();
    if (n == 0) return "never";
    if (n > 1) return "twice";
    if (!seen_->cancelled) return "not cancelled";
    return seen_->ran_on == adder_ ? "once, by adder" : "once, by canceller";
  }

 private:
  Stage& stage_;
  FuturePtr future_;
  std::shared_ptr<Seen> seen_;
  std::int64_t adder_ = 0;
};

CF_STRESS_SCENARIO(Scenario{
    "future.cancel_vs_add_callback",
    "add_done_callback() races cancel(): the callback runs exactly once, seeing the cancel",
    "callback registration racing completion: pebble #105, CPython bpo-33110 (gh-77291)",
    2,
    needs(Cap::kRawFuture, Cap::kCancel),
    // clang-format off
    {acceptable( "once, by canceller",                   "added first, run by the cancelling thread"),
     acceptable( "once, by adder",                       "added after the cancel, run at once by the adder"),
     forbidden(  "never",                 "FUT-CB-1",    "the callback was lost"),
     forbidden(  "twice",                 "FUT-CB-1",    "the callback ran twice"),
     forbidden(  "not cancelled",         "FUT-CB-6",    "the callback did not see the future cancelled"),
     forbidden(  "cancel left it undone", "FUT-STATE-4", "done() is false after the cancel")},
    // clang-format on
    [](Stage& s) { return std::make_unique<CancelVsAddCallback>(s); }});

}  // namespace
}  // namespace cf::stress
