#include "pool.hpp"

#include <signal.h>

#include <chrono>
#include <thread>

namespace cf::stress {

int task_value(int v) { return v; }

int task_busy(int ms) {
  // Work, not synchronisation: the task stands for a call that takes a while.
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < until) std::this_thread::yield();
  return ms;
}

int task_crash(int v) {
  ::raise(SIGKILL);
  return v;
}

CF_REGISTER_TASK(task_value);
CF_REGISTER_TASK(task_busy);
CF_REGISTER_TASK(task_crash);

void ProcessPool::break_pool() {
  auto pids = pool_.worker_pids();
  if (pids.empty()) {
    pool_.kill_workers();
  } else {
    ::kill(pids.front(), SIGKILL);
  }
}

std::string ending_of(const Future<int>& f) {
  try {
    f.result(kGenerous);
    return "value";
  } catch (const CancelledError&) {
    return "cancelled";
  } catch (const TimeoutError&) {
    return "pending";
  } catch (const BrokenExecutor&) {
    return "broken";
  } catch (const std::exception& e) {
    return std::string("error: ") + e.what();
  }
}

}  // namespace cf::stress
