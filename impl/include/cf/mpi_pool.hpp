// cf/mpi_pool.hpp — the process pool with its workers on MPI ranks, as
// mpi4py.futures.MPIPoolExecutor.
//
// The model of cf::ProcessPoolExecutor (registered functions, typed codecs,
// the same Executor API and frames), with the workers started as MPI ranks:
// the first submit spawns max_workers ranks of this same program with
// MPI_Comm_spawn, and calls and results travel as MPI messages over the
// intercommunicator, one frame each. Ranks outlive their pool: when a pool
// that ran no initializer ends cleanly, its ranks wait for a later pool of
// the process with at most that many workers, which takes them instead of
// spawning (a task's global state in a rank may then be seen by a later
// pool's tasks, as by later tasks of the same pool). Ranks of a pool that
// broke or ran an initializer exit; idle ones exit when the program does. The ranks may be on other
// machines, wherever the MPI job places them. Link cf_mpi (Open MPI or any MPI with
// MPI_THREAD_MULTIPLE); main must start with CF_PROCESS_WORKER_ENTRY, as for
// the process pool [PPE-SPAWN-2]. The program runs as a singleton (started
// directly) or under `mpiexec -n 1`; with more ranks than cores, Open MPI needs
// `--oversubscribe` (or OMPI_MCA_rmaps_base_oversubscribe=1).
//
// MPI is initialised (MPI_THREAD_MULTIPLE) by the first pool of the process
// and finalised at exit, on a thread of its own. Each pool has one manager
// thread: it spawns the ranks, sends each worker one call at a time, reads the
// results and completes every future of the pool (its callbacks run there).
// Up to max_workers + 1 calls wait RUNNING ahead of the workers, as CPython's
// call queue [EXEC-RUNNING-1]; the others stay PENDING and cancellable.
//
// A worker's initializer that throws breaks the pool [PPE-INIT-1]: every
// unfinished future fails with BrokenProcessPool, later submits throw it
// [PPE-BROKEN-2]. A rank that dies (crash, abort, SIGKILL) is the rule this
// pool does not meet: MPI 3.1 tells no survivor about it (Open MPI 4.1 has no
// fault tolerance; ULFM came with 5.0). Open MPI's runtime then ends the
// pool's other ranks too, and, under mpiexec with its defaults, the pool's
// program; started alone, the program lives on, and the calls the dead ranks
// held never complete. A pool that must outlive a crashing task is a
// cf::ProcessPoolExecutor [PPE-BROKEN-1].
//
// Open MPI 4.1 with an external PMIx (Debian's) now and then hangs in
// MPI_Comm_spawn (openpmix issue 2735), and hangs when two threads spawn at
// once. cf_mpi sets PMIX_MCA_gds=hash at program start (unless set), which
// makes the first rare, pools spawn one at a time, and reusing ranks spawns seldom. Spawning is
// faster on one machine with OMPI_MCA_pml=ob1 OMPI_MCA_btl=self,vader,tcp (about 0.15 s for two
// ranks instead of 0.4).
//
// Thread-safety: every method may be called from any thread, concurrently.
// Guarantees: every call runs once, or is cancelled, or fails with
// BrokenProcessPool, unless a rank dies (above). Not offered:
// max_tasks_per_child, terminate_workers(), kill_workers().
#pragma once

#include <cstddef>
#include <memory>
#include <optional>

#include "cf/detail/call_pool.hpp"
#include "cf/executor.hpp"
#include "cf/process_pool.hpp"

namespace cf {

class MpiPoolExecutor : public detail::CallPool<MpiPoolExecutor> {
 public:
  struct Options {
    // None: the CPUs this process may use [PPE-WORKERS-1]; <= 0 throws.
    std::optional<int> max_workers;
    // A registered void function run first in each worker; if it throws, the
    // pool breaks [PPE-INIT-1].
    TaskCall initializer;
  };

  MpiPoolExecutor() : MpiPoolExecutor(Options{}) {}
  explicit MpiPoolExecutor(int max_workers) : MpiPoolExecutor(Options{max_workers, {}}) {}
  // Throws std::invalid_argument for max_workers <= 0, std::logic_error when
  // main lacks CF_PROCESS_WORKER_ENTRY [PPE-SPAWN-2], and std::runtime_error
  // when MPI cannot start or lacks MPI_THREAD_MULTIPLE.
  explicit MpiPoolExecutor(Options options);
  // shutdown(wait=true) [SHUT-DTOR-1].
  ~MpiPoolExecutor();
  MpiPoolExecutor(const MpiPoolExecutor&) = delete;
  MpiPoolExecutor& operator=(const MpiPoolExecutor&) = delete;

  // submit() and map(): cf/detail/call_pool.hpp.

  // Stops accepting work [EXEC-SUBMIT-4]; cancel_futures cancels the calls
  // still PENDING [SHUT-CANCEL-1]; wait blocks until every call sent ended
  // and the ranks were handed back or stopped [SHUT-WAIT-1].
  // Idempotent [SHUT-IDEM-1].
  void shutdown(bool wait = true, bool cancel_futures = false);

  // True once the pool broke [PPE-BROKEN-1].
  bool is_broken() const;
  int max_workers() const;
  // Ranks serving this pool: 0, then max_workers() from the first submit
  // until shutdown; they start (or are taken) all at once.
  std::size_t worker_count() const;

 private:
  friend class detail::CallPool<MpiPoolExecutor>;
  void enqueue(std::shared_ptr<detail::ProcessCall> call);

  struct Impl;
  std::shared_ptr<Impl> impl_;
};

static_assert(Executor<MpiPoolExecutor>);

}  // namespace cf
