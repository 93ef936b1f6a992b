// template_adapter.cpp — copy this file to validate your own executor.
//
// 1. Copy it next to your code (my_adapter.cpp) and replace `YourPool` and
//    `YourFuture` with your executor and its future type.
// 2. In caps(), declare ONLY what your library really offers. A test that
//    needs a capability you leave out is reported "n/a" (with the capability
//    named), never "pass". Do not emulate what the library lacks (no polling
//    loops standing in for a missing wait): leave the capability out.
// 3. Map each error of your library to an Outcome kind (see outcome_of):
//    the task's own error -> kTaskError, cancellation -> kCancelled, a
//    timeout -> kTimeout, "pool is shut down" -> kShutdown, a bad argument
//    -> kInvalidArgument. Anything unexpected -> kOther with a message: the
//    report shows it.
// 4. Register it, in your CMakeLists.txt, after add_subdirectory(cfspec):
//      cf_add_conformance(NAME my-pool SOURCES my_adapter.cpp LIBS my_pool_lib)
//    then: CF_REPORT_DIR=$PWD/records ctest -L adapter:my-pool -j2
//          python3 cfspec/ci/conformance_report.py --spec cfspec/spec/SPEC.md
//            --records records --json report.json --markdown report.md
//
// Rules every adapter follows (the suite relies on them):
// - Run probes with run_probe(lab, probe, token): gates and logs are how tests
//   synchronise without sleeping. A process backend ships the Probe (plain
//   data) to its worker and attaches to the Lab with Lab::attach(lab.fd()).
// - Bound every blocking call by the Timeout given; never wait unbounded
//   where the library offers a timed wait. A hang is caught by the runner's
//   watchdog, but costs a whole test budget.
// - Methods are called from several threads at once.
// - See peer_common.hpp (helpers for std::future-based libraries) and
//   boost_thread.cpp (a library with callbacks, wait and as_completed).
#include <future>
#include <memory>
#include <thread>

#include "harness/adapter.hpp"
#include "peer_common.hpp"

namespace cf::conformance {
namespace {

// ---- Replace with your library. A placeholder: one thread per task. -------
struct YourPool {
  explicit YourPool(int /*workers*/) {}
  template <class F>
  std::shared_future<std::int64_t> submit(F f) {
    return std::async(std::launch::async, std::move(f)).share();
  }
  void shutdown(bool /*wait*/) {}
};
// ---------------------------------------------------------------------------

class TemplateExecutor final : public peer::PeerExecutor {
 public:
  TemplateExecutor(Lab& lab, int workers) : lab_(lab), workers_(workers), pool_(workers) {}

  FuturePtr submit(const Probe& probe) override {
    try {
      auto f =
          pool_.submit([&lab = lab_, probe] { return run_probe(lab, probe, this_thread_token()); });
      // std::future-like handles: result/exception with a timeout.
      return std::make_shared<peer::StdFuture<std::int64_t>>(f);
    } catch (...) {
      // e.g. your "pool is closed" error: map it to kShutdown here.
      throw Raised{peer::outcome_of(std::current_exception())};
    }
  }
  void shutdown(bool wait, bool /*cancel_futures*/) override { pool_.shutdown(wait); }
  int max_workers() override { return workers_; }

 private:
  Lab& lab_;
  int workers_;
  YourPool pool_;
};

class TemplateImplementation final : public peer::PeerImplementation {
 public:
  std::string name() const override { return "template"; }  // the report's column
  Caps caps() const override {
    // Add Cap::kCancel, Cap::kStateQueries, Cap::kWait, ... only when your
    // Future / Implementation overrides implement them for real.
    return Cap::kResultTimeout | Cap::kResultBlocking | Cap::kDone;
  }
  std::unique_ptr<Executor> make_executor(Lab& lab, const ExecutorSpec& spec) override {
    return std::make_unique<TemplateExecutor>(lab, spec.max_workers.value_or(4));
  }
};

}  // namespace
}  // namespace cf::conformance

CF_CONFORMANCE_ADAPTER(cf::conformance::TemplateImplementation)
