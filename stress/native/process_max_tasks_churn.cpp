// process.max_tasks_churn — two threads submit to a pool whose workers retire
// after every call (max_tasks_per_child=1) [PPE-MAXTASKS-1].
//
// The liveness of worker recycling is what CPython's gh-115634 broke (a
// stale idle token stopped the replacement worker, and queued calls never ran).
//
// Outcomes: the table at the end of this file, in jcstress's form (the verdict,
// the clause a forbidden outcome breaks, what it means); `--list` prints it.
//
// A row of the reference-process column only: cf's process pool, driven directly.
#include "pool.hpp"

namespace cf::stress {
namespace {

class MaxTasksChurn final : public Trial {
 public:
  void setup() override {
    pool_ = std::make_unique<ProcessPool>(PoolOptions{2, 1});
    for (auto& f : futures_) f.clear();
  }
  void actor(int i) override {
    for (int k = 0; k < 3; ++k) futures_[i].push_back(pool_->submit(task_value, i * 100 + k));
  }
  std::string arbiter() override {
    for (int i = 0; i < 2; ++i) {
      for (int k = 0; k < 3; ++k) {
        auto& f = futures_[i][k];
        auto end = ending_of(f);
        if (end == "pending") return "lost";
        if (end == "broken") return "broken";
        if (end != "value" || f.result() != i * 100 + k) return "wrong";
      }
    }
    return "all values";
  }
  void teardown() override { pool_.reset(); }

 private:
  std::unique_ptr<ProcessPool> pool_;
  std::vector<Future<int>> futures_[2];
};

CF_STRESS_SCENARIO(Scenario{
    "process.max_tasks_churn",
    "two submitters on a pool whose workers retire after every call",
    "CPython gh-115634: a stale idle token stopped the replacement worker",
    2,
    0,
    // clang-format off
    {acceptable( "all values",                   "every call ran once on a fresh worker and returned its value"),
     forbidden(  "broken",     "PPE-MAXTASKS-1", "a worker retiring on schedule was taken for a crash"),
     forbidden(  "lost",       "PPE-MAXTASKS-1", "a call never completed"),
     forbidden(  "wrong",      "PPE-MAXTASKS-1", "a call returned another call's value or an error")},
    // clang-format on
    [](Stage&) { return std::make_unique<MaxTasksChurn>(); }});

}  // namespace
}  // namespace cf::stress
