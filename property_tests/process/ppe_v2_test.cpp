// The PPE- clauses of spec v2 on the reference ProcessPoolExecutor: workers
// there when submit returns [PPE-WORKERS-2], the broken-pool error naming the
// dead worker [PPE-BROKEN-3] [PPE-BROKEN-4], recycled workers never stranding
// calls [PPE-MAXTASKS-2] and no worker outliving a forced shutdown
// [PPE-KILL-2]. Arguments that fail to encode or decode and chunksize with
// buffersize are in pool_rules_test.cpp.
#include <signal.h>

#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support.hpp"

namespace cf::process_tests {
namespace {

using conformance::Lab;
using conformance::OpenGatesOnExit;

// How future `f` of call `x * x` ended: "ok", "broken" (BrokenProcessPool), or
// what else it gave.
std::string square_ending(Future<int>& f, int x) {
  try {
    int got = f.result(kLong);
    return got == x * x ? "ok" : "returned " + std::to_string(got);
  } catch (const BrokenProcessPool&) {
    return "broken";
  } catch (const TimeoutError&) {
    return "still pending after " + std::to_string(kLong.count()) + "s";
  } catch (const std::exception& e) {
    return std::string("threw ") + e.what();
  }
}

// --- PPE-WORKERS-2 ------------------------------------------------------------

// test_saturation, test_processes_terminate: each held call that finds no
// idle worker has one started by the time its submit returns, up to
// max_workers.
TEST(PPE, PPE_WORKERS_WorkersAreThereWhenSubmitReturns) {
  Lab lab;
  OpenGatesOnExit release(lab);
  int gate = lab.new_gate();
  ProcessPoolExecutor pool(2);
  CF_CHECK_EQ("PPE-WORKERS-2", pool.worker_pids().size(), 0u) << "before any submit";
  std::vector<Future<int>> fs;
  for (std::size_t n = 1; n <= 4; ++n) {
    fs.push_back(pool.submit(pass_gate, lab.fd(), gate));
    CF_CHECK_EQ("PPE-WORKERS-2", pool.worker_pids().size(), std::min<std::size_t>(n, 2))
        << "workers right after submit number " << n;
  }
  lab.open(gate);
  for (auto& f : fs) CF_CHECK_NO_THROW("EXEC-SUBMIT-1", f.result(kLong));
  CF_CHECK_EQ("PPE-WORKERS-1", pool.spawned_count(), 2u);
}

// A worker started by a submitting thread that has ended since lives on: it
// watches the parent process, not that thread [PPE-SPAWN-3].
TEST(PPE, PPE_SPAWN_WorkerOutlivesTheThreadThatStartedIt) {
  ProcessPoolExecutor pool(1);
  int first = 0;
  std::thread([&] { first = pool.submit(worker_pid, 0).result(kLong); }).join();
  auto pids = pool.worker_pids();
  CF_PRECONDITION("PPE-WORKERS-2", pids.size() == 1u && pids[0] == first)
      << pids.size() << " workers; the first call ran in " << first;
  auto again = pool.submit(worker_pid, 0);
  CF_CHECK_EQ("PPE-SPAWN-3", ending<BrokenProcessPool>([&] { again.result(kLong); }), "returned")
      << "the worker died with the thread that started it";
  CF_CHECK("PPE-SPAWN-3", !pool.is_broken());
  CF_CHECK_EQ("PPE-SPAWN-3", pool.worker_pids(), pids) << "the same worker, still there";
}

// test_cancel_futures: a shutdown(cancel_futures=true) right after many
// submits finds calls started, which complete; the rest are cancelled.
TEST(PPE, PPE_WORKERS_CancelRightAfterSubmitsFindsCallsStarted) {
  Lab lab;
  OpenGatesOnExit release(lab);
  int gate = lab.new_gate();
  ProcessPoolExecutor pool(2);
  std::vector<Future<int>> fs;
  for (int i = 0; i < 50; ++i) fs.push_back(pool.submit(pass_gate, lab.fd(), gate));
  pool.shutdown(false, true);
  lab.open(gate);
  std::size_t started = 0;
  for (auto& f : fs) {
    if (f.cancelled()) continue;
    ++started;
    CF_CHECK_NO_THROW("SHUT-CANCEL-1", f.result(kLong)) << "a call shutdown did not cancel";
  }
  CF_CHECK("PPE-WORKERS-2", started > 0) << "every call was still waiting for a worker";
  CF_CHECK("SHUT-CANCEL-1", started < fs.size()) << "nothing was cancelled";
}

// --- PPE-BROKEN-3, PPE-BROKEN-4 -------------------------------------------------

// The details of the BrokenProcessPool that `f` failed with, in words:
// "pid P, exit code N" / "pid P, signal S" / "no details", then the cause.
std::string broken_details(Future<int>& f, const BrokenProcessPool** object = nullptr) {
  auto error = f.exception(kLong);
  try {
    std::rethrow_exception(error);
  } catch (const BrokenProcessPool& e) {
    if (object) *object = &e;
    std::string out = e.pid() ? "pid " + std::to_string(*e.pid()) : "no pid";
    if (e.exit_code()) out += ", exit code " + std::to_string(*e.exit_code());
    if (e.term_signal()) out += ", signal " + std::to_string(*e.term_signal());
    if (e.cause()) {
      try {
        std::rethrow_exception(e.cause());
      } catch (const std::exception& c) {
        out += std::string("; cause: ") + c.what();
      }
    }
    return out;
  } catch (const std::exception& e) {
    return std::string("not BrokenProcessPool: ") + e.what();
  }
}

// test_traceback_when_child_process_terminates_abruptly: os._exit(99).
TEST(PPE, PPE_BROKEN_ErrorNamesTheWorkerAndItsExitCode) {
  ProcessPoolExecutor pool(1);
  int pid = pool.submit(worker_pid, 0).result(kLong);
  auto f = pool.submit(exit_with, 99);
  std::string expected = "pid " + std::to_string(pid) +
                         ", exit code 99; cause: the worker process " + std::to_string(pid) +
                         " terminated abruptly with exit code 99";
  CF_CHECK_EQ("PPE-BROKEN-3", broken_details(f), expected);
}

// A worker killed by a signal while it holds one call and others wait: every
// future names it, and each holds an error object of its own.
TEST(PPE, PPE_BROKEN_EachFutureHoldsItsOwnErrorNamingTheSignal) {
  Lab lab;
  OpenGatesOnExit release(lab);
  int gate = lab.new_gate();
  ProcessPoolExecutor pool(1);
  std::vector<Future<int>> fs;
  fs.push_back(pool.submit(pass_gate, lab.fd(), gate));
  CF_PRECONDITION("EXEC-SUBMIT-1", lab.await_arrivals(gate, 1, kLong))
      << "the gated call never started";
  for (int i = 0; i < 3; ++i) fs.push_back(pool.submit(square, i));
  auto pids = pool.worker_pids();
  CF_PRECONDITION("PPE-WORKERS-1", pids.size() == 1u) << pids.size() << " workers";
  release.dismiss();  // the worker waiting in the lab is about to be killed
  ::kill(pids[0], SIGKILL);
  std::string expected = "pid " + std::to_string(pids[0]) + ", signal " + std::to_string(SIGKILL) +
                         "; cause: the worker process " + std::to_string(pids[0]) +
                         " terminated abruptly by signal " + std::to_string(SIGKILL);
  std::set<const BrokenProcessPool*> objects;
  for (auto& f : fs) {
    const BrokenProcessPool* object = nullptr;
    CF_CHECK_EQ("PPE-BROKEN-3", broken_details(f, &object), expected);
    if (object) objects.insert(object);
  }
  CF_CHECK_EQ("PPE-BROKEN-4", objects.size(), fs.size()) << "distinct error objects";
}

// --- Corpus: process-pool faults -----------------------------------------------

int crash_with_data(std::string data) {
  ::raise(SIGKILL);
  return static_cast<int>(data.size());
}
CF_REGISTER_TASK(crash_with_data);

// gh-107219 (test_crash_big_data): a worker dies while a call carries more
// data than a pipe holds; the parent must not hang writing it. The call fails
// with BrokenProcessPool and shutdown returns.
TEST(PPE, CORPUS_gh107219_AWorkerDyingWithALargeCallBreaksThePoolWithoutHanging) {
  ProcessPoolExecutor pool(1);
  std::string data(4u << 20, 'a');  // 4 MiB: many times a pipe's or socket's buffer
  auto f = pool.submit(crash_with_data, data);
  CF_CHECK_EQ("PPE-BROKEN-1", ending<BrokenProcessPool>([&] { f.result(kLong); }),
              throw_of<BrokenProcessPool>(msg::kBrokenProcessPool));
  CF_STEP("SHUT-WAIT-1");
  pool.shutdown(true);
}

// --- PPE-MAXTASKS-2 -----------------------------------------------------------

// test_max_tasks_per_child_pending_tasks_gh115634: more calls than workers,
// one call per worker; every call completes.
TEST(PPE, PPE_MAXTASKS_EveryCallCompletesWhileWorkersRetire) {
  ProcessPoolExecutor::Options o;
  o.max_workers = 2;
  o.max_tasks_per_child = 1;
  ProcessPoolExecutor pool(o);
  std::vector<Future<int>> fs;
  for (int i = 0; i < 12; ++i) fs.push_back(pool.submit(square, i));
  for (int i = 0; i < 12; ++i) {
    CF_CHECK_EQ("PPE-MAXTASKS-2", square_ending(fs[i], i), "ok") << "call " << i << " of 12";
  }
  pool.shutdown(true);
}

// test_shutdown_no_wait_max_tasks_gh119592, gh-132969: after
// shutdown(wait=false) the queued calls still complete, each worker being
// replaced after its one call.
TEST(PPE, PPE_MAXTASKS_ShutdownNoWaitStrandsNothing) {
  ProcessPoolExecutor::Options o;
  o.max_workers = 2;
  o.max_tasks_per_child = 1;
  ProcessPoolExecutor pool(o);
  std::vector<Future<int>> fs;
  for (int i = 0; i < 8; ++i) fs.push_back(pool.submit(square, i));
  pool.shutdown(false);
  for (int i = 0; i < 8; ++i) {
    const auto how = square_ending(fs[i], i);
    CF_CHECK("PPE-MAXTASKS-2", how == "ok" || how == "broken")
        << "call " << i << " of 8 after shutdown(wait=false): " << how;
  }
  pool.shutdown(true);
}

// --- PPE-KILL-2 ---------------------------------------------------------------

// A forced shutdown of a pool with running calls and a queue that would need
// new workers (max_tasks_per_child=1): no worker is started after it, and
// once shutdown(true) returns every worker it ever had is reaped.
void nothing_outlives(bool kill) {
  Lab lab;
  int gate = lab.new_gate();
  ProcessPoolExecutor::Options o;
  o.max_workers = 2;
  o.max_tasks_per_child = 1;
  ProcessPoolExecutor pool(o);
  OpenGatesOnExit release(lab);
  std::vector<Future<int>> fs;
  for (int i = 0; i < 2; ++i) fs.push_back(pool.submit(pass_gate, lab.fd(), gate));
  for (int i = 0; i < 6; ++i) fs.push_back(pool.submit(square, i));
  CF_PRECONDITION("EXEC-SUBMIT-1", lab.await_arrivals(gate, 2, kLong))
      << "the two gated calls never started";
  auto pids = pool.worker_pids();
  release.dismiss();  // the workers waiting in the lab are about to be signalled
  kill ? pool.kill_workers() : pool.terminate_workers();
  const auto spawned = pool.spawned_count();
  {
    CF_STEP("SHUT-WAIT-1");
    pool.shutdown(true);
  }
  CF_CHECK_EQ("PPE-KILL-2", pool.spawned_count(), spawned)
      << "workers started after " << (kill ? "kill_workers()" : "terminate_workers()");
  CF_CHECK("PPE-KILL-2", pool.worker_pids().empty())
      << pool.worker_pids().size() << " workers left after shutdown(true)";
  for (int pid : pids) CF_CHECK("PPE-KILL-2", reaped(pid)) << "worker " << pid << " not reaped";
}

TEST(PPE, PPE_KILL_NoWorkerOutlivesTerminate) { nothing_outlives(false); }
TEST(PPE, PPE_KILL_NoWorkerOutlivesKill) { nothing_outlives(true); }

}  // namespace
}  // namespace cf::process_tests
