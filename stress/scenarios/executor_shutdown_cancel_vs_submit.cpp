// executor.shutdown_cancel_vs_submit — shutdown(wait=false, cancel_futures=true)
// races submit().
//
// A one-worker executor holds its worker at a gate (or is about to), has
// kPrefetch padding calls it may have sent ahead (each ends with its value or
// cancelled) and two calls queued. Actor 0 shuts it down cancelling futures; actor 1 submits
// one more call. Then the gate opens and the executor is joined; every future
// must have an ending. The race that CPython's gh-109934 and gh-87893 are
// about: futures cancelled by the shutdown that a waiter then never hears of.
//
// Outcomes: the table at the end of this file, in jcstress's form (the verdict,
// the clause a forbidden outcome breaks, what it means); `--list` prints it.
#include "support.hpp"

namespace cf::stress {
namespace {

class ShutdownCancelVsSubmit final : public Trial {
 public:
  explicit ShutdownCancelVsSubmit(Stage& stage)
      : stage_(stage), log_(stage.lab().new_log()), executor_(stage) {}
  void setup() override {
    stage_.lab().clear_log(log_);
    started_early_ = false;
    executor_.renew(1);
    held_ = executor_.hold();
    padding_ = executor_.pad();  // so the two queued calls stay queued
    queued_ = {executor_->submit(Probe().record(log_, 1).returns(1)),
               executor_->submit(Probe().record(log_, 2).returns(2))};
    late_.reset();
  }
  void actor(int i) override {
    if (i == 0) {
      executor_->shutdown(false, true);
    } else {
      late_ = try_submit(*executor_, Probe::value_of(3));
    }
  }
  std::string arbiter() override {
    // With the only worker held at the gate no queued call can start before
    // it opens: one that did ran beside or ahead of the holder (start order
    // or worker count, judged by their own tests), and was never the
    // shutdown's to cancel.
    started_early_ = !stage_.lab().log(log_).empty();
    executor_.open();
    executor_->shutdown(true, false);
    // Every future is done now [SHUT-WAIT-1]: a zero wait would do, but the
    // bounded one works for every kind of adapter.
    auto held = ending_of(held_);
    if (held != "value" && held != "cancelled") return held == "pending" ? "lost" : held;
    for (auto& f : padding_) {
      auto end = ending_of(f);
      if (end != "value" && end != "cancelled") return end == "pending" ? "lost" : end;
    }
    for (auto& f : queued_) {
      auto end = ending_of(f);
      if (end == "value") return started_early_ ? "queued started early" : "queued ran";
      if (end != "cancelled") return end == "pending" ? "lost" : end;
    }
    if (!late_) return "refused";
    auto end = ending_of(late_);
    if (end == "cancelled") return "accepted, cancelled";
    if (end == "value") return "accepted, ran";
    return end == "pending" ? "lost" : end;
  }
  void teardown() override { executor_.destroy(); }

 private:
  Stage& stage_;
  int log_;
  bool started_early_ = false;  // a queued call started while the gate was closed
  GatedExecutor executor_;
  FuturePtr held_, late_;
  std::vector<FuturePtr> padding_;
  std::vector<FuturePtr> queued_;
};

CF_STRESS_SCENARIO(Scenario{
    "executor.shutdown_cancel_vs_submit",
    "shutdown(wait=false, cancel_futures=true) races submit(); nothing is lost",
    "CPython gh-109934 and gh-87893: futures cancelled by shutdown that waiters never hear of",
    2,
    needs(Cap::kMaxWorkers, Cap::kShutdownNoWait),
    // clang-format off
    {acceptable(  "refused",                               "submit came after shutdown: it raised"),
     acceptable(  "accepted, cancelled",                   "submit came first and shutdown cancelled it"),
     interesting( "accepted, ran",                         "submit came first and a worker took it before the cancel"),
     forbidden(   "queued ran",           "SHUT-CANCEL-1", "a call queued before the shutdown ran instead of being cancelled"),
     interesting( "queued started early",                  "a queued call started while the gate was closed: the worker was not held"),
     forbidden(   "lost",                 "SHUT-WAIT-1",   "some future was not done after shutdown(wait=true) returned")},
    // clang-format on
    [](Stage& s) { return std::make_unique<ShutdownCancelVsSubmit>(s); }});

}  // namespace
}  // namespace cf::stress
