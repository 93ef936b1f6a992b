// cf/process_pool.hpp — Python's ProcessPoolExecutor.
//
// Runs registered functions (cf/codec.hpp) in up to max_workers worker
// processes [PPE-WORKERS-1]. Workers are spawned (posix_spawn of
// /proc/self/exe), never forked from the threaded parent [PPE-SPAWN-1]; the
// program's main must start with CF_PROCESS_WORKER_ENTRY(argc, argv), else the
// constructor throws std::logic_error [PPE-SPAWN-2]. Workers start lazily on
// submit and idle ones are reused. Calls go to one queue that every worker
// takes from, like CPython's call queue: up to max_workers + 1 calls wait
// there ahead of the workers, already RUNNING [EXEC-RUNNING-1], so a worker
// that finishes a call finds the next one without a round trip to the parent.
// One manager thread per pool reads results, spawns and reaps workers; every
// future of this pool is completed (and its callbacks run) on that thread.
//
// A worker that dies (crash, abort, SIGKILL) or sends a malformed frame
// breaks the pool [PPE-BROKEN-1] [PPE-FRAME-1]: every unfinished future fails
// with BrokenProcessPool, later submits throw it [PPE-BROKEN-2], the other
// workers are killed and every worker is reaped. Workers die with the parent
// [PPE-SPAWN-3].
//
// Thread-safety: every method may be called from any thread, concurrently.
// Blocking: submit() never waits for running work; shutdown(wait=true) and
// the destructor wait until queued work is done and workers are reaped.
// Requires: CF_PROCESS_WORKER_ENTRY in main; cf is linked statically (the
// entry check relies on a symbol only the macro pulls in); shutdown(wait=true)
// is not called from a done-callback of this pool's futures.
// Guarantees: a call enters the queue only after its future moved to RUNNING,
// so a future that is still cancellable never runs, and only while a worker is
// alive to take it; every call runs once, or is cancelled, or fails with
// BrokenProcessPool — none is dropped.
// Non-guarantees: which worker runs a call; that a call marked running has
// started (up to max_workers + 1 wait in the queue; shutdown(cancel_futures)
// cannot cancel them). A running call is never interrupted, except by
// terminate_workers()/kill_workers() [PPE-KILL-1].
#pragma once

#include <cstddef>
#include <deque>
#include <memory>
#include <optional>
#include <ranges>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "cf/codec.hpp"
#include "cf/detail/call_pool.hpp"
#include "cf/detail/process_call.hpp"
#include "cf/executor.hpp"
#include "cf/future.hpp"

namespace cf {

namespace detail {
// In a worker: runs the worker loop and returns its exit code. Elsewhere: -1.
int process_worker_entry(int argc, char** argv);
}  // namespace detail

// A registered function and the arguments it is called with, encoded now:
// the process pool's initializer and initargs [PPE-INIT-1].
class TaskCall {
 public:
  TaskCall() = default;
  TaskCall(void (*fn)()) : TaskCall(fn, Tag{}) {}  // NOLINT(google-explicit-constructor)
  template <class... A, class... Args>
  TaskCall(void (*fn)(A...), Args&&... args)
      : task_(detail::task_for(reinterpret_cast<detail::AnyFunction>(fn)).name),
        args_(detail::encode_args(fn, std::forward<Args>(args)...)) {}
  explicit operator bool() const { return !task_.empty(); }
  const std::string& task() const { return task_; }
  const std::string& args() const { return args_; }

 private:
  struct Tag {};
  TaskCall(void (*fn)(), Tag)
      : task_(fn ? detail::task_for(reinterpret_cast<detail::AnyFunction>(fn)).name : ""),
        args_(fn ? detail::encode(std::tuple<>()) : "") {}
  std::string task_;
  std::string args_;
};

class ProcessPoolExecutor : public detail::CallPool<ProcessPoolExecutor> {
 public:
  struct Options {
    // None: the CPUs this process may use [PPE-WORKERS-1]; <= 0 throws.
    std::optional<int> max_workers;
    // A registered void function (with its arguments: TaskCall(fn, args...))
    // run first in each worker; if it throws, the worker exits and the pool
    // breaks [PPE-INIT-1]. Unregistered: the constructor of TaskCall throws
    // UnregisteredTaskError.
    TaskCall initializer;
    // None: workers live as long as the pool; N >= 1: a worker exits after N
    // calls and a fresh one replaces it [PPE-MAXTASKS-1].
    std::optional<int> max_tasks_per_child;
  };

  ProcessPoolExecutor() : ProcessPoolExecutor(Options{}) {}
  explicit ProcessPoolExecutor(int max_workers)
      : ProcessPoolExecutor(Options{max_workers, {}, std::nullopt}) {}
  // Throws std::invalid_argument for max_workers <= 0 or max_tasks_per_child
  // <= 0, and
  // std::logic_error when main lacks CF_PROCESS_WORKER_ENTRY [PPE-SPAWN-2].
  explicit ProcessPoolExecutor(Options options);
  // shutdown(wait=true) [SHUT-DTOR-1].
  ~ProcessPoolExecutor();
  ProcessPoolExecutor(const ProcessPoolExecutor&) = delete;
  ProcessPoolExecutor& operator=(const ProcessPoolExecutor&) = delete;

  // submit() and map(): cf/detail/call_pool.hpp.

  // Stops accepting work [EXEC-SUBMIT-4]; cancel_futures cancels the calls not
  // yet sent to a worker [SHUT-CANCEL-1]; wait blocks until all sent and
  // queued calls finished and every worker exited and was reaped
  // [SHUT-WAIT-1]. Idempotent [SHUT-IDEM-1].
  void shutdown(bool wait = true, bool cancel_futures = false);

  // Python 3.14: shutdown(wait=false, cancel_futures=true), then SIGTERM /
  // SIGKILL to every live worker; calls they were running fail with
  // BrokenProcessPool. A no-op on workers when none was started [PPE-KILL-1].
  void terminate_workers();
  void kill_workers();

  // True once the pool broke: its unfinished calls failed with
  // BrokenProcessPool and submit throws it [PPE-BROKEN-1] [EXT-BROKEN-1].
  bool is_broken() const;

  int max_workers() const;
  // Pids of the unreaped workers, retiring ones included (introspection for
  // tests); never more than max_workers() [PPE-WORKERS-1]. Right after a
  // submit, the workers its calls need are there [PPE-WORKERS-2].
  std::vector<int> worker_pids() const;
  // Workers spawned so far over the pool's life.
  std::size_t spawned_count() const;
  // The number of CPUs this process may run on [PPE-WORKERS-1].
  static int default_max_workers();

 private:
  friend class detail::CallPool<ProcessPoolExecutor>;
  void enqueue(std::shared_ptr<detail::ProcessCall> call);
  void force_shutdown(int signal);

  struct Impl;
  std::shared_ptr<Impl> impl_;
};

static_assert(Executor<ProcessPoolExecutor>);

}  // namespace cf

// The first line of main() in any program that uses a ProcessPoolExecutor
// [PPE-SPAWN-2]. In a worker process it runs the worker loop and returns its
// exit code from main; in the parent it does nothing.
#define CF_PROCESS_WORKER_ENTRY(argc, argv)                                      \
  do {                                                                           \
    if (int cf_worker_rc__ = ::cf::detail::process_worker_entry((argc), (argv)); \
        cf_worker_rc__ >= 0)                                                     \
      return cf_worker_rc__;                                                     \
  } while (0)
