// pool.hpp — cf's ProcessPoolExecutor for the scenarios about its
// process-only API (a worker killed while map() is read, a break racing a
// submit, max_tasks_per_child churn). They are rows of the reference-process
// column only: no adapter has these operations.
//
// Thread-safety: as the executor underneath.
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "cf/executor.hpp"
#include "cf/future.hpp"
#include "cf/process_pool.hpp"
#include "scenario.hpp"

namespace cf::stress {

// Registered tasks; plain functions, so a worker process runs them.
int task_value(int v);  // returns v
int task_busy(int ms);  // computes for about ms milliseconds, returns ms
int task_crash(int v);  // the worker dies (SIGKILL)

struct PoolOptions {
  int workers = 2;
  std::optional<int> max_tasks_per_child;
};

class ProcessPool {
 public:
  explicit ProcessPool(PoolOptions options)
      : pool_(ProcessPoolExecutor::Options{options.workers, {}, options.max_tasks_per_child}) {}

  Future<int> submit(int (*task)(int), int arg) { return pool_.submit(task, arg); }
  MapResult<int> map(int (*task)(int), std::vector<int> inputs) {
    return pool_.map(task, std::move(inputs));
  }
  // SIGKILLs one worker, or every worker through kill_workers() if none has started.
  void break_pool();

 private:
  ProcessPoolExecutor pool_;
};

// How a future ended, waiting up to kGenerous: "value", "cancelled",
// "broken", "error: <what>", or "pending" if it never completed.
std::string ending_of(const Future<int>& f);

}  // namespace cf::stress
