// map.abandoned — a map() result range dropped after its first result.
//
// A one-worker pool is held while map() queues eight calls; actor 0 releases
// the worker, takes the first result and drops the range; actor 1 submits a
// marker call meanwhile. Then the pool is joined.
//
//   outcome          verdict      meaning
//   rest cancelled   ACCEPTABLE   the calls not yet started were cancelled [MAP-ABANDON-1]
//   some ran         INTERESTING  the worker started some calls before the range was dropped
//   first missing    FORBIDDEN    the first result never arrived or was wrong
//   marker lost      FORBIDDEN    the unrelated call submitted meanwhile did not run
//   hang             FORBIDDEN    joining the pool after the abandon did not finish
//
// Histogram (cf_stress --backend all --duration 60 --seed 1285684221, default build, 2 shared
// cores):
//   map.abandoned [thread] 2263 iterations: rest cancelled 672, some ran 1591
//   map.abandoned [process] 285 iterations: rest cancelled 285
#include <atomic>

#include "pool.hpp"
#include "support.hpp"

namespace cf::stress {
namespace {

std::atomic<int> g_map_runs{0};
int task_count_run(int v) {
  g_map_runs.fetch_add(1, std::memory_order_relaxed);
  return v;
}
CF_REGISTER_TASK(task_count_run);

class MapAbandoned final : public Trial {
 public:
  explicit MapAbandoned(const Context& c) : backend_(c.backend) {}
  void setup() override {
    pool_ = Pool::make(backend_, {1, {}, false});
    held_ = pool_->hold();
    runs_before_ = g_map_runs.load();
    result_.emplace(pool_->map(task_count_run, {10, 11, 12, 13, 14, 15, 16, 17}));
  }
  void actor(int i) override {
    if (i == 0) {
      pool_->release();
      try {
        auto first = result_->next();
        first_ok_ = first && *first == 10;
      } catch (...) {
        first_ok_ = false;
      }
      result_.reset();  // abandoned: cancels what has not started
    } else {
      marker_ = pool_->submit(task_value, 99);
    }
  }
  std::string arbiter() override {
    bool marker_ok = ending_of(marker_) == "value" && marker_.result() == 99;
    pool_->shutdown(true, false);
    if (!first_ok_) return "first missing";
    if (!marker_ok) return "marker lost";
    if (backend_ == Backend::kProcess)
      return "rest cancelled";  // runs happen in workers: uncounted
    return g_map_runs.load() - runs_before_ > 1 ? "some ran" : "rest cancelled";
  }
  void teardown() override { pool_.reset(); }

 private:
  Backend backend_;
  std::unique_ptr<Pool> pool_;
  Future<int> held_;
  Future<int> marker_;
  std::optional<MapResult<int>> result_;
  bool first_ok_ = false;
  int runs_before_ = 0;
};

CF_STRESS_SCENARIO(Scenario{
    "map.abandoned",
    "a map() range dropped after its first result cancels the calls not started",
    2,
    {Backend::kThread, Backend::kProcess},
    {{"rest cancelled", Verdict::kAcceptable, "the calls not yet started were cancelled"},
     {"some ran", Verdict::kInteresting,
      "the worker started some calls before the range was dropped"},
     {"first missing", Verdict::kForbidden, "the first result never arrived or was wrong"},
     {"marker lost", Verdict::kForbidden, "an unrelated call submitted meanwhile did not run"}},
    [](const Context& c) { return std::make_unique<MapAbandoned>(c); }});

}  // namespace
}  // namespace cf::stress
