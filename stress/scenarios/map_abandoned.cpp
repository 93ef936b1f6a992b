// map.abandoned — a map() sequence closed after its first result.
//
// A one-worker executor is held at a gate while map() queues eight calls,
// all but the first held at a second gate; actor 0 opens the first gate,
// takes the first result and closes the sequence; actor 1 submits a marker
// call meanwhile. Then the second gate opens and the executor is joined.
// Every call records itself in the lab's log, so runs are counted in worker
// processes too. At the close, at most one call is running (the worker's),
// plus the few a process pool marks running ahead of its workers.
//
// Outcomes: the table at the end of this file, in jcstress's form (the verdict,
// the clause a forbidden outcome breaks, what it means); `--list` prints it.
#include "support.hpp"

namespace cf::stress {
namespace {

constexpr int kCalls = 8;

class MapAbandoned final : public Trial {
 public:
  explicit MapAbandoned(Stage& stage)
      : stage_(stage),
        rest_(stage.lab().new_gate()),
        log_(stage.lab().new_log()),
        executor_(stage) {}
  ~MapAbandoned() override { stage_.lab().open(rest_); }  // then executor_ retires
  void setup() override {
    stage_.lab().open(rest_);
    executor_.renew(1);
    stage_.lab().reset_gate(rest_);
    stage_.lab().clear_log(log_);
    held_ = executor_.hold();
    std::vector<Probe> calls;
    calls.push_back(Probe().record(log_, 0).returns(10));
    for (int k = 1; k < kCalls; ++k)
      calls.push_back(Probe().record(log_, k).gate(rest_).returns(10 + k));
    run_ = executor_->map(calls, {});
  }
  void actor(int i) override {
    if (i == 0) {
      executor_.open();
      auto first = run_->next();
      first_ok_ = first && first->is(Kind::kValue) && first->value == 10;
      run_->close();  // abandoned: cancels what has not started
    } else {
      marker_ = executor_->submit(Probe::value_of(99));
    }
  }
  std::string arbiter() override {
    stage_.lab().open(rest_);
    auto marker = marker_->result(kGenerous);
    executor_->shutdown(true, false);
    run_.reset();
    if (!first_ok_) return "first missing";
    if (!marker.is(Kind::kValue) || marker.value != 99) return "marker lost";
    auto ran = stage_.lab().log(log_).size();
    return ran == kCalls ? "all ran" : ran > 2 ? "some ran" : "rest cancelled";
  }

 private:
  Stage& stage_;
  int rest_;
  int log_;
  GatedExecutor executor_;
  std::unique_ptr<conformance::MapRun> run_;
  FuturePtr held_, marker_;
  bool first_ok_ = false;
};

CF_STRESS_SCENARIO(Scenario{
    "map.abandoned",
    "a map() sequence closed after its first result cancels the calls not started",
    "",
    2,
    needs(Cap::kMaxWorkers),
    // clang-format off
    {acceptable(  "rest cancelled",                  "the calls not yet started were cancelled"),
     interesting( "some ran",                        "the worker started some calls before the sequence was closed"),
     forbidden(   "all ran",        "MAP-ABANDON-1", "closing the sequence cancelled nothing"),
     forbidden(   "first missing",  "MAP-ORDER-1",   "the first result never arrived or was wrong"),
     forbidden(   "marker lost",    "EXEC-SUBMIT-1", "an unrelated call submitted meanwhile did not run")},
    // clang-format on
    [](Stage& s) { return std::make_unique<MapAbandoned>(s); }});

}  // namespace
}  // namespace cf::stress
