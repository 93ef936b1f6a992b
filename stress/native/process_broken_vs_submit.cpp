// process.broken_vs_submit — a worker dies while another thread submits.
//
// Actor 0 submits a call that kills its worker; actor 1 submits three calls.
// Every future must end in a value or BrokenProcessPool, and once broken,
// submit throws BrokenProcessPool [PPE-BROKEN-1] [PPE-BROKEN-2].
//
// Outcomes: the table at the end of this file, in jcstress's form (the verdict,
// the clause a forbidden outcome breaks, what it means); `--list` prints it.
//
// A row of the reference-process column only: cf's process pool, driven directly.
#include "pool.hpp"

namespace cf::stress {
namespace {

class BrokenVsSubmit final : public Trial {
 public:
  void setup() override {
    pool_ = std::make_unique<ProcessPool>(PoolOptions{2, {}});
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
  std::unique_ptr<ProcessPool> pool_;
  Future<int> crash_;
  std::vector<Future<int>> others_;
  bool wrong_ = false;
};

CF_STRESS_SCENARIO(Scenario{
    "process.broken_vs_submit",
    "a worker killed by its call while another thread submits",
    "",
    2,
    0,
    // clang-format off
    {acceptable( "all broken",                     "the break reached every call; later submits were refused"),
     acceptable( "some ran",                       "calls a live worker finished before the break kept their value"),
     forbidden(  "crash survived", "PPE-BROKEN-1", "the killing call reported a value"),
     forbidden(  "lost",           "PPE-BROKEN-1", "a future never completed"),
     forbidden(  "wrong error",    "PPE-BROKEN-2", "a future or submit failed with something else")},
    // clang-format on
    [](Stage&) { return std::make_unique<BrokenVsSubmit>(); }});

}  // namespace
}  // namespace cf::stress
