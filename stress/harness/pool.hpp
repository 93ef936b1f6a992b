// pool.hpp — one executor behind the same small interface on both backends.
//
// Scenarios that apply to the thread and the process backend talk to a Pool,
// which runs the registered tasks of tasks.cpp on a cf::ThreadPoolExecutor or
// a cf::ProcessPoolExecutor. Thread-safety: as the executor underneath.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "cf/codec.hpp"
#include "cf/executor.hpp"
#include "cf/future.hpp"
#include "scenario.hpp"

namespace cf::stress {

// Registered tasks (tasks.cpp); plain functions, so either backend runs them.
int task_value(int v);           // returns v
int task_busy(int ms);           // computes for about ms milliseconds, returns ms
int task_crash(int v);           // process: the worker dies (SIGKILL); thread: throws
int task_value_or_crash(int v);  // v < 0: as task_crash; else v
int task_gate(int id);           // blocks until the parent releases gate id

// Calls a pool may send ahead to a busy worker per worker, already running
// and no longer cancellable [EXEC-RUNNING-1] (the process pool keeps
// max_workers + 1 ahead, as CPython's). A scenario that needs a call known
// to be still queued behind a held worker submits this many padding calls
// per worker first; as property_tests/harness/setups.hpp's kPrefetch.
inline constexpr int kPrefetch = 4;

struct PoolOptions {
  int workers = 2;
  std::optional<int> max_tasks_per_child;
  // Thread backend only: the initializer blocks until break_pool() and then
  // throws, so the pool breaks on demand [TPE-INIT-2].
  bool breakable = false;
};

class Pool {
 public:
  static std::unique_ptr<Pool> make(Backend backend, PoolOptions options = {});
  virtual ~Pool() = default;

  virtual Future<int> submit(int (*task)(int), int arg) = 0;
  virtual MapResult<int> map(int (*task)(int), std::vector<int> inputs) = 0;
  // Occupies one worker until release(): an in-process gate (thread) or a
  // FIFO the parent holds open (process).
  virtual Future<int> hold() = 0;
  virtual void release() = 0;
  virtual void shutdown(bool wait, bool cancel_futures) = 0;
  // Thread: lets the breakable initializer throw. Process: SIGKILLs one
  // worker, or every worker through kill_workers() if none has started.
  virtual void break_pool() = 0;
  virtual std::vector<int> worker_pids() const = 0;
};

}  // namespace cf::stress
