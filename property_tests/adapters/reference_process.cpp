// The reference-process adapter: cf::ProcessPoolExecutor and cf::Future.
//
// Probes run in worker processes (reference_pool.hpp): every worker inherits
// the test's Lab, a memfd without FD_CLOEXEC, and attaches by fd number.
// Declared gaps, each for a reason:
//   thread-count, thread-names  workers are processes, started by the manager
//                               thread (so not yet counted when submit returns)
//   default-workers             the process default is the CPU count
//                               [PPE-WORKERS-1], not min(32, cores + 4)
//   happens-before              a memory-model guarantee of one process
#include <string>
#include <utility>

#include "cf/cf.hpp"
#include "harness/adapter.hpp"
#include "reference_common.hpp"
#include "reference_pool.hpp"

CF_REFERENCE_POOL_TASKS();

namespace cf::conformance {
namespace {

class ReferenceProcess final : public ReferenceImplementation {
 public:
  std::string name() const override { return "reference-process"; }
  std::string about() const override { return "cf::ProcessPoolExecutor, cfspec " CF_VERSION; }
  Caps caps() const override {
    return all_caps() &
           ~(static_cast<Caps>(Cap::kThreadCount) | static_cast<Caps>(Cap::kThreadNames) |
             static_cast<Caps>(Cap::kDefaultWorkers) | static_cast<Caps>(Cap::kHappensBefore));
  }

  std::unique_ptr<Executor> make_executor(Lab& lab, const ExecutorSpec& spec) override {
    return reference::guard([&] {
      // pid 0: the workers inherit the lab's fd.
      const auto at = LabAddress::of(lab, 0);
      ProcessPoolExecutor::Options options;
      options.max_workers = spec.max_workers;
      if (spec.initializer) {
        options.initializer = TaskCall(reference::run_init_probe, ProbeCall{at, *spec.initializer});
      }
      return std::make_unique<reference::PoolExecutor<ProcessPoolExecutor>>(at, std::move(options));
    });
  }
};

}  // namespace
}  // namespace cf::conformance

CF_CONFORMANCE_ADAPTER(cf::conformance::ReferenceProcess)
