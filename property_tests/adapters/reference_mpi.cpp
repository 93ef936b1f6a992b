// The reference-mpi adapter: cf::MpiPoolExecutor (cf/mpi_pool.hpp), the
// process pool with its workers on MPI ranks spawned by MPI_Comm_spawn.
//
// Probes run in the ranks (reference_pool.hpp). A rank is not the test
// process's child and inherits none of its fds: it opens the test's Lab
// through /proc/<test pid>/fd, so the column needs its ranks on the test's
// machine (Open MPI places spawned ranks there unless a hostfile says
// otherwise). Ranks serve later pools of the test process (cf/mpi_pool.hpp),
// each pool's lab in turn. Declared gaps, each for a reason:
//   thread-count, thread-names  workers are ranks, started all at once by the
//                               manager thread after the first submit
//   default-workers             the default is the CPU count [PPE-WORKERS-1]
//   happens-before              a memory-model guarantee of one process
//   crash                       a rank that dies ends the whole MPI job, the
//                               test process included (cf/mpi_pool.hpp)
#include <unistd.h>

#include <string>
#include <utility>

#include "cf/cf.hpp"
#include "cf/mpi_pool.hpp"
#include "harness/adapter.hpp"
#include "reference_common.hpp"
#include "reference_pool.hpp"

CF_REFERENCE_POOL_TASKS();

namespace cf::conformance {
namespace {

class ReferenceMpi final : public ReferenceImplementation {
 public:
  std::string name() const override { return "reference-mpi"; }
  std::string about() const override { return "cf::MpiPoolExecutor, cfspec " CF_VERSION; }
  Caps caps() const override {
    return all_caps() &
           ~(static_cast<Caps>(Cap::kThreadCount) | static_cast<Caps>(Cap::kThreadNames) |
             static_cast<Caps>(Cap::kDefaultWorkers) | static_cast<Caps>(Cap::kHappensBefore) |
             static_cast<Caps>(Cap::kCrash));
  }

  std::unique_ptr<Executor> make_executor(Lab& lab, const ExecutorSpec& spec) override {
    return reference::guard([&] {
      const auto at = LabAddress::of(lab, ::getpid());
      MpiPoolExecutor::Options options;
      options.max_workers = spec.max_workers;
      if (spec.initializer) {
        options.initializer = TaskCall(reference::run_init_probe, ProbeCall{at, *spec.initializer});
      }
      return std::make_unique<reference::PoolExecutor<MpiPoolExecutor>>(at, std::move(options));
    });
  }
};

}  // namespace
}  // namespace cf::conformance

CF_CONFORMANCE_ADAPTER(cf::conformance::ReferenceMpi)
