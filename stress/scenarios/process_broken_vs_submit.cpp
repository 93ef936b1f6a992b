// process.broken_vs_submit — a worker dies while another thread submits.
//
// Actor 0 submits a call that kills its worker; actor 1 submits three calls.
// Every future must end in a value or BrokenProcessPool, and once broken,
// submit throws BrokenProcessPool [PPE-BROKEN-1] [PPE-BROKEN-2].
//
//   outcome              verdict      meaning
//   all broken           ACCEPTABLE   the break reached every call; later submits were refused
//   some ran             ACCEPTABLE   calls that a live worker finished before the break kept their
//   value crash survived       FORBIDDEN    the killing call reported a value lost FORBIDDEN    a
//   future never completed wrong error          FORBIDDEN    a future or submit failed with
//   something else
//
// Histogram (cf_stress --backend all --duration 60 --seed 1285684221, default build, 2 shared
// cores):
//   process.broken_vs_submit [process] 245 iterations: all broken 97, some ran 148
#include "pool.hpp"
#include "support.hpp"

namespace cf::stress {
namespace {

class BrokenVsSubmit final : public Trial {
 public:
  void setup() override {
    pool_ = Pool::make(Backend::kProcess, {2, {}, false});
    others_.clear();
    wrong_ = false;
  }
  void actor(int i) override {
    try {
      if (i == 0) {
        crash_ = pool_->submit(task_crash, 0);
      } else {
        for (int k = 0; k < 3; ++k) others_.push_back(pool_->submit(task_value, k));
      }
    } catch (const BrokenProcessPool&) {
    } catch (...) {
      wrong_ = true;
    }
  }
  std::string arbiter() override {
    if (wrong_) return "wrong error";
    auto crash = ending_of(crash_);
    if (crash == "value") return "crash survived";
    if (crash != "broken") return crash == "pending" ? "lost" : "wrong error";
    bool some_ran = false;
    for (auto& f : others_) {
      auto end = ending_of(f);
      if (end == "pending") return "lost";
      if (end == "value")
        some_ran = true;
      else if (end != "broken")
        return "wrong error";
    }
    return some_ran ? "some ran" : "all broken";
  }
  void teardown() override { pool_.reset(); }

 private:
  std::unique_ptr<Pool> pool_;
  Future<int> crash_;
  std::vector<Future<int>> others_;
  bool wrong_ = false;
};

CF_STRESS_SCENARIO(Scenario{
    "process.broken_vs_submit",
    "a worker killed by its call while another thread submits",
    2,
    {Backend::kProcess},
    {{"all broken", Verdict::kAcceptable,
      "the break reached every call; later submits were refused"},
     {"some ran", Verdict::kAcceptable,
      "calls a live worker finished before the break kept their value"},
     {"crash survived", Verdict::kForbidden, "the killing call reported a value"},
     {"lost", Verdict::kForbidden, "a future never completed"},
     {"wrong error", Verdict::kForbidden, "a future or submit failed with something else"}},
    [](const Context&) { return std::make_unique<BrokenVsSubmit>(); }});

}  // namespace
}  // namespace cf::stress
