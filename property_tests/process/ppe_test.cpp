// The PPE- clauses of spec/SPEC.md that only the reference ProcessPoolExecutor
// has: worker reuse, max_tasks_per_child, terminate/kill, and that nothing
// leaks (fds, zombies). The rules the MPI pool meets too are in
// pool_rules_test.cpp.
#include <algorithm>
#include <exception>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "harness/setups.hpp"
#include "support.hpp"

namespace cf::process_tests {
namespace {

using conformance::Lab;
using conformance::OpenGatesOnExit;

TEST(PPE, PPE_WORKERS_IdleWorkerIsReused) {
  ProcessPoolExecutor pool(4);
  std::set<int> pids;
  for (int i = 0; i < 10; ++i) {
    auto f = pool.submit(worker_pid, i);
    CF_PRECONDITION("EXEC-SUBMIT-1", f.result(kLong) > 0) << "call " << i;
    pids.insert(f.result(0s));
  }
  CF_CHECK_EQ("PPE-WORKERS-1", pids.size(), 1u) << "workers used by ten calls one after another";
  CF_CHECK_EQ("PPE-WORKERS-1", pool.spawned_count(), 1u);
}

TEST(PPE, PPE_MAXTASKS_WorkersReplacedAfterN) {
  for (int bad : {0, -3}) {
    ProcessPoolExecutor::Options o;
    o.max_tasks_per_child = bad;
    CF_CHECK_EQ("PPE-MAXTASKS-1", ending<std::invalid_argument>([&] { ProcessPoolExecutor p(o); }),
                throw_of<std::invalid_argument>(msg::kMaxTasksPerChild))
        << "max_tasks_per_child " << bad;
  }
  ProcessPoolExecutor::Options o;
  o.max_workers = 1;
  o.max_tasks_per_child = 2;
  ProcessPoolExecutor pool(o);
  std::vector<int> pids;
  for (int i = 0; i < 6; ++i) {
    auto f = pool.submit(worker_pid, i);
    CF_PRECONDITION("EXEC-SUBMIT-1", f.result(kLong) > 0) << "call " << i;
    pids.push_back(f.result(0s));
  }
  for (int i = 0; i < 6; i += 2)
    CF_CHECK_EQ("PPE-MAXTASKS-1", pids[i], pids[i + 1]) << "runs of two per worker";
  CF_CHECK("PPE-MAXTASKS-1", pids[0] != pids[2]) << "a worker ran a third call";
  CF_CHECK("PPE-MAXTASKS-1", pids[2] != pids[4]) << "a worker ran a third call";
  CF_CHECK_EQ("PPE-MAXTASKS-1", pool.spawned_count(), 3u);
}

// terminate_workers() or kill_workers(), by name.
void force(ProcessPoolExecutor& pool, bool kill) {
  kill ? pool.kill_workers() : pool.terminate_workers();
}

// A running call and a queued one when the pool is forced down.
void running_broken_pending_cancelled(bool kill) {
  Lab lab;
  int gate = lab.new_gate();
  ProcessPoolExecutor pool(1);
  OpenGatesOnExit release(lab);
  auto running = pool.submit(pass_gate, lab.fd(), gate);
  CF_PRECONDITION("EXEC-SUBMIT-1", lab.await_arrivals(gate, 1, kLong))
      << "the gated call never started";
  // Calls the pool may have sent ahead to the busy worker already count as
  // running [EXEC-RUNNING-1]: each of these ends cancelled or broken; the
  // call behind them is still queued.
  std::vector<Future<int>> padding;
  for (int i = 0; i < conformance::kPrefetch; ++i) padding.push_back(pool.submit(square, i));
  auto queued = pool.submit(square, 5);
  auto pids = pool.worker_pids();
  release.dismiss();  // the worker waiting in the lab is about to be signalled
  force(pool, kill);
  CF_CHECK("PPE-KILL-1", queued.cancelled()) << "the queued call";
  CF_CHECK_THROWS("PPE-KILL-1", running.result(kLong), BrokenProcessPool) << "the running call";
  for (auto& f : padding) {
    if (!f.cancelled()) {
      CF_CHECK_THROWS("PPE-KILL-1", f.result(kLong), BrokenProcessPool) << "a call sent ahead";
    }
  }
  CF_CHECK_THROWS("PPE-KILL-1", pool.submit(square, 1), ShutdownError);
  {
    CF_STEP("SHUT-WAIT-1");
    pool.shutdown(true);
  }
  for (int pid : pids) CF_CHECK("PPE-SPAWN-1", reaped(pid)) << "worker " << pid << " not reaped";
}

TEST(PPE, PPE_KILL_TerminateRunningBrokenPendingCancelled) {
  running_broken_pending_cancelled(false);
}
TEST(PPE, PPE_KILL_KillRunningBrokenPendingCancelled) { running_broken_pending_cancelled(true); }

// Forcing down a pool that never started a worker.
void no_op_without_workers(bool kill) {
  ProcessPoolExecutor pool(2);
  CF_CHECK_NO_THROW("PPE-KILL-1", force(pool, kill));
  CF_CHECK_THROWS("PPE-KILL-1", pool.submit(square, 1), ShutdownError);
}

TEST(PPE, PPE_KILL_TerminateIsNoOpWithoutWorkers) { no_op_without_workers(false); }
TEST(PPE, PPE_KILL_KillIsNoOpWithoutWorkers) { no_op_without_workers(true); }

TEST(PPE, PPE_SPAWN_NoLeakedFdsOrZombies) {
  int before = open_fd_count();
  std::vector<int> pids;
  {
    ProcessPoolExecutor pool(3);
    Lab lab;
    OpenGatesOnExit release(lab);
    int gate = lab.new_gate();
    std::vector<Future<int>> fs;
    for (int i = 0; i < 3; ++i) fs.push_back(pool.submit(pass_gate, lab.fd(), gate));
    CF_PRECONDITION("EXEC-SUBMIT-1", lab.await_arrivals(gate, 3, kLong))
        << "the three calls never started";
    pids = pool.worker_pids();
    CF_CHECK_EQ("PPE-WORKERS-1", pids.size(), 3u) << "workers for three running calls";
    lab.open(gate);
    for (auto& f : fs) CF_CHECK("EXEC-SUBMIT-1", f.result(kLong) > 0);
    CF_STEP("SHUT-WAIT-1");
    pool.shutdown(true);
  }
  for (int pid : pids) CF_CHECK("PPE-SPAWN-1", reaped(pid)) << "worker " << pid << " not reaped";
  CF_CHECK_EQ("PPE-SPAWN-1", open_fd_count(), before);
}

}  // namespace
}  // namespace cf::process_tests
