// process.kill_during_map — a worker is SIGKILLed while map() results are read.
//
// Actor 0 reads a map() over twelve short calls; actor 1 kills one worker.
//
// Outcomes: the table at the end of this file, in jcstress's form (the verdict,
// the clause a forbidden outcome breaks, what it means); `--list` prints it.
//
// A row of the reference-process column only: cf's process pool, driven directly.
#include "pool.hpp"

namespace cf::stress {
namespace {

class KillDuringMap final : public Trial {
 public:
  void setup() override {
    pool_ = std::make_unique<ProcessPool>(PoolOptions{2, {}});
    // Start both workers first, so there is one to kill.
    ending_of(pool_->submit(task_value, 0));
    ending_of(pool_->submit(task_value, 0));
  }
  void actor(int i) override {
    if (i == 1) {
      pool_->break_pool();
      return;
    }
    std::vector<int> inputs;
    for (int k = 0; k < 12; ++k) inputs.push_back(k);
    int expected = 0;
    try {
      auto results = pool_->map(task_busy_index, inputs);
      for (auto it = results.begin(); it != results.end(); ++it) {
        if (*it != expected++) {
          verdict_ = "out of order";
          return;
        }
      }
      verdict_ = "finished first";
    } catch (const BrokenProcessPool&) {
      verdict_ = "broken after k";
    } catch (const TimeoutError&) {
      verdict_ = "timed out";
    } catch (...) {
      verdict_ = "wrong error";
    }
  }
  std::string arbiter() override { return verdict_; }
  void teardown() override { pool_.reset(); }

  static int task_busy_index(int i) { return task_busy(1) * 0 + i; }

 private:
  std::unique_ptr<ProcessPool> pool_;
  std::string verdict_;
};
CF_REGISTER_TASK(KillDuringMap::task_busy_index);

CF_STRESS_SCENARIO(Scenario{
    "process.kill_during_map",
    "a worker SIGKILLed while map() results are being read",
    "",
    2,
    0,
    // clang-format off
    {acceptable(  "broken after k",                 "results in order up to the break, then BrokenProcessPool"),
     interesting( "finished first",                 "every result arrived before the kill landed"),
     forbidden(   "out of order",   "MAP-ORDER-1",  "a result came back at the wrong position"),
     forbidden(   "wrong error",    "PPE-BROKEN-1", "the map failed with something other than BrokenProcessPool"),
     forbidden(   "timed out",      "PPE-BROKEN-1", "a result never arrived")},
    // clang-format on
    [](Stage&) { return std::make_unique<KillDuringMap>(); }});

}  // namespace
}  // namespace cf::stress
