// process.max_tasks_churn — two threads submit to a pool whose workers retire
// after every call (max_tasks_per_child=1) [PPE-MAXTASKS-1].
//
//   outcome     verdict     meaning
//   all values  ACCEPTABLE  every call ran once on a fresh worker and returned its value
//   broken      FORBIDDEN   a worker retiring on schedule was taken for a crash
//   lost        FORBIDDEN   a call never completed
//   wrong       FORBIDDEN   a call returned another call's value or an error
//
// Histogram (cf_stress --backend all --duration 60 --seed 1285684221, default build, 2 shared
// cores):
//   process.max_tasks_churn [process] 74 iterations: all values 74
#include "pool.hpp"
#include "support.hpp"

namespace cf::stress {
namespace {

class MaxTasksChurn final : public Trial {
 public:
  void setup() override {
    pool_ = Pool::make(Backend::kProcess, {2, 1, false});
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
  std::unique_ptr<Pool> pool_;
  std::vector<Future<int>> futures_[2];
};

CF_STRESS_SCENARIO(Scenario{
    "process.max_tasks_churn",
    "two submitters on a pool whose workers retire after every call",
    2,
    {Backend::kProcess},
    {{"all values", Verdict::kAcceptable,
      "every call ran once on a fresh worker and returned its value"},
     {"broken", Verdict::kForbidden, "a worker retiring on schedule was taken for a crash"},
     {"lost", Verdict::kForbidden, "a call never completed"},
     {"wrong", Verdict::kForbidden, "a call returned another call's value or an error"}},
    [](const Context&) { return std::make_unique<MaxTasksChurn>(); }});

}  // namespace
}  // namespace cf::stress
