// wait.as_completed_vs_completion — as_completed() iterates while the calls
// complete.
//
// Actor 0 submits four calls and hands them over; actor 1 iterates
// as_completed over them (bounded by kGenerous) while the pool completes them.
//
//   outcome        verdict     meaning
//   each once      ACCEPTABLE  every future yielded exactly once, each done when yielded
//   [ASC-ALL-1] duplicate      FORBIDDEN   a future was yielded twice not done       FORBIDDEN   a
//   yielded future was not done timed out      FORBIDDEN   a completion was missed: the iteration
//   ran into its deadline
//
// Histogram (cf_stress --backend all --duration 60 --seed 1285684221, default build, 2 shared
// cores):
//   wait.as_completed_vs_completion [thread] 8847 iterations: each once 8847
//   wait.as_completed_vs_completion [process] 5208 iterations: each once 5208
#include <set>

#include "cf/wait.hpp"
#include "pool.hpp"
#include "support.hpp"

namespace cf::stress {
namespace {

class AsCompletedVsCompletion final : public Trial {
 public:
  explicit AsCompletedVsCompletion(const Context& c)
      : pool_(Pool::make(c.backend, {2, {}, false})) {}
  void setup() override { handoff_.reset(); }
  void actor(int i) override {
    if (i == 0) {
      std::vector<Future<int>> fs;
      for (int k = 0; k < 4; ++k) fs.push_back(pool_->submit(task_value, k));
      handoff_.publish(std::move(fs));
      return;
    }
    const auto& fs = handoff_.take();
    std::set<const void*> seen;
    verdict_ = "each once";
    try {
      for (const AnyFuture& f : as_completed(fs, kGenerous)) {
        if (!f.done()) verdict_ = "not done";
        if (!seen.insert(&f.state()).second) verdict_ = "duplicate";
      }
      if (seen.size() != fs.size() && verdict_ == "each once") verdict_ = "missing";
    } catch (const TimeoutError&) {
      verdict_ = "timed out";
    }
  }
  std::string arbiter() override { return verdict_; }

 private:
  std::unique_ptr<Pool> pool_;
  Handoff<std::vector<Future<int>>> handoff_;
  std::string verdict_;
};

CF_STRESS_SCENARIO(Scenario{
    "wait.as_completed_vs_completion",
    "as_completed() iterates while its futures complete: each yielded once",
    2,
    {Backend::kThread, Backend::kProcess},
    {{"each once", Verdict::kAcceptable, "every future yielded exactly once, done when yielded"},
     {"duplicate", Verdict::kForbidden, "a future was yielded twice"},
     {"not done", Verdict::kForbidden, "a yielded future was not done"},
     {"missing", Verdict::kForbidden, "the iteration ended with a future not yielded"},
     {"timed out", Verdict::kForbidden, "a completion was missed: the iteration hit its deadline"}},
    [](const Context& c) { return std::make_unique<AsCompletedVsCompletion>(c); }});

}  // namespace
}  // namespace cf::stress
