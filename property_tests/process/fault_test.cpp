// Faults a thread pool never sees: a worker killed from outside, a crash
// inside a task, a malformed frame, a parent that exits with live workers (a
// failing initializer: pool_rules_test.cpp). Each must break the pool like Python's (every
// unfinished future BrokenProcessPool, later submits throw it), never hang,
// and leave no zombie or stray worker.
//
// The fault is the scene; the checks name the rule that says how the pool
// answers it: a dead worker [PPE-BROKEN-1], a malformed frame [PPE-FRAME-1];
// once the pool is known broken, a submit is PPE-BROKEN-2's.
#include <fcntl.h>
#include <spawn.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <vector>

#include "support.hpp"

extern char** environ;

namespace cf::process_tests {
namespace {

using conformance::Lab;
using conformance::OpenGatesOnExit;

// check_broken (support.hpp) for a process pool: every worker it had is
// reaped, and it lists none.
void check_broken(const char* breaks, ProcessPoolExecutor& pool, std::vector<Future<int>>& futures,
                  const std::vector<int>& pids) {
  process_tests::check_broken(breaks, pool, futures, [&] {
    std::string left;
    for (int pid : pids) {
      if (!reaped(pid)) left += "worker " + std::to_string(pid) + " not reaped; ";
    }
    if (!pool.worker_pids().empty()) left += "worker_pids() still lists workers";
    return left;
  });
}

TEST(ProcessFault, PPE_BROKEN_WorkerKilledMidTask) {
  Lab lab;
  int gate = lab.new_gate();
  ProcessPoolExecutor pool(2);
  OpenGatesOnExit release(lab);
  std::vector<Future<int>> futures;
  futures.push_back(pool.submit(pass_gate, lab.fd(), gate));
  futures.push_back(pool.submit(pass_gate, lab.fd(), gate));
  CF_PRECONDITION("EXEC-SUBMIT-1", lab.await_arrivals(gate, 2, kLong))
      << "the two calls never started";
  for (int i = 0; i < 5; ++i) futures.push_back(pool.submit(square, i));  // queued, not sent
  auto pids = pool.worker_pids();
  CF_PRECONDITION("PPE-WORKERS-1", pids.size() == 2u)
      << pids.size() << " workers for two running calls";
  CF_CHECK("EXT-BROKEN-1", !pool.is_broken()) << "before the fault";
  release.dismiss();  // both workers wait in the lab, and one is about to die there
  CF_PRECONDITION(nullptr, ::kill(pids[0], SIGKILL) == 0) << "could not kill worker " << pids[0];
  CF_ASSERT_EQ("PPE-BROKEN-1", ending<BrokenProcessPool>([&] { futures[0].result(kLong); }),
               throw_of<BrokenProcessPool>(msg::kBrokenProcessPool))
      << "the call of the killed worker";
  CF_CHECK_EQ("PPE-BROKEN-2", ending<BrokenProcessPool>([&] { pool.submit(square, 1); }),
              throw_of<BrokenProcessPool>(msg::kBrokenProcessPoolSubmit));
  check_broken("PPE-BROKEN-1", pool, futures, pids);
}

// A task that dies of `signal` on one worker while the other runs a call.
void crash_breaks_the_pool(int signal) {
  Lab lab;
  int gate = lab.new_gate();
  ProcessPoolExecutor pool(2);
  OpenGatesOnExit release(lab);
  std::vector<Future<int>> futures;
  futures.push_back(pool.submit(pass_gate, lab.fd(), gate));  // running on the other worker
  CF_PRECONDITION("EXEC-SUBMIT-1", lab.await_arrivals(gate, 1, kLong))
      << "the gated call never started";
  release.dismiss();  // the broken pool kills the worker waiting in the lab
  futures.push_back(pool.submit(crash_with, signal));
  auto pids = pool.worker_pids();
  CF_ASSERT_THROWS("PPE-BROKEN-1", futures[1].result(kLong), BrokenProcessPool)
      << "the crashed call";
  check_broken("PPE-BROKEN-1", pool, futures, pids);
}

TEST(ProcessFault, PPE_BROKEN_CrashBySigkillBreaksThePool) { crash_breaks_the_pool(SIGKILL); }
TEST(ProcessFault, PPE_BROKEN_CrashBySigabrtBreaksThePool) { crash_breaks_the_pool(SIGABRT); }
TEST(ProcessFault, PPE_BROKEN_CrashBySigsegvBreaksThePool) { crash_breaks_the_pool(SIGSEGV); }

TEST(ProcessFault, PPE_FRAME_MalformedFrameBreaksThePool) {
  ProcessPoolExecutor pool(1);
  std::vector<Future<int>> futures;
  futures.push_back(pool.submit(write_garbage, 0));
  for (int i = 0; i < 3; ++i) futures.push_back(pool.submit(square, i));
  std::string seen;
  {
    CF_STEP("PPE-FRAME-1");
    seen = ending<BrokenProcessPool>([&] { futures[0].result(kLong); });
  }
  CF_ASSERT("PPE-FRAME-1", seen.starts_with(throw_of<BrokenProcessPool>(msg::kMalformedFrame)))
      << "the call that wrote garbage ended with " << seen;
  auto pids = pool.worker_pids();
  check_broken("PPE-FRAME-1", pool, futures, pids);
}

// The test runs this same program again as the parent that dies: its child
// copy (CF_ORPHAN_REPORT_FD set) starts a pool whose workers block at a gate,
// writes their pids to the fd, and ends without any cleanup.
constexpr const char* kOrphanFd = "CF_ORPHAN_REPORT_FD";
constexpr int kChildNoArrivals = 2;

[[noreturn]] void orphan_parent(int report) {
  Lab lab;
  int gate = lab.new_gate();
  auto* pool = new ProcessPoolExecutor(3);  // never destroyed: the process just ends
  for (int i = 0; i < 3; ++i) pool->submit(pass_gate, lab.fd(), gate);
  if (!lab.await_arrivals(gate, 3, kLong)) ::_exit(kChildNoArrivals);
  for (int pid : pool->worker_pids()) {
    [[maybe_unused]] auto n = ::write(report, &pid, sizeof pid);
  }
  ::_exit(0);
}

TEST(ProcessOrphans, PPE_SPAWN_WorkersDieWithTheirParent) {
  if (const char* fd_text = std::getenv(kOrphanFd)) orphan_parent(std::atoi(fd_text));

  int fds[2];
  CF_PRECONDITION(nullptr, ::pipe2(fds, O_CLOEXEC) == 0) << "pipe2 failed";
  // The child writes no record of its own (it is not a test of the report).
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) {
    std::string_view entry(*e);
    if (entry.starts_with("CF_REPORT_DIR=") || entry.starts_with(std::string(kOrphanFd) + "="))
      continue;
    env_strings.emplace_back(entry);
  }
  env_strings.push_back(std::string(kOrphanFd) + "=" + std::to_string(fds[1]));
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string filter =
      std::string("--gtest_filter=") + info->test_suite_name() + "." + info->name();
  std::vector<char*> argv = {const_cast<char*>("orphan-parent"), filter.data(), nullptr};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], fds[1]);  // clears close-on-exec in the child
  pid_t child = -1;
  int spawned =
      ::posix_spawn(&child, "/proc/self/exe", &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  CF_PRECONDITION(nullptr, spawned == 0) << "posix_spawn failed: " << spawned;
  int status = 0;
  CF_PRECONDITION(nullptr, ::waitpid(child, &status, 0) == child) << "waitpid failed";
  CF_PRECONDITION("EXEC-SUBMIT-1", !(WIFEXITED(status) && WEXITSTATUS(status) == kChildNoArrivals))
      << "the child's calls never reached their gate";
  CF_PRECONDITION(nullptr, WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "child status " << status;
  std::vector<int> pids;
  int pid = 0;
  while (::read(fds[0], &pid, sizeof pid) == static_cast<ssize_t>(sizeof pid)) pids.push_back(pid);
  ::close(fds[0]);
  CF_PRECONDITION(nullptr, pids.size() == 3u) << "the child reported " << pids.size() << " workers";
  for (int p : pids) {
    CF_CHECK("PPE-SPAWN-3", await_exit(p, std::chrono::milliseconds(kLong)))
        << "stray worker " << p;
  }
}

TEST(ProcessFault, PPE_MAXTASKS_TenThousandTasksOnePerChild) {
  // 10 000 in the soak run (CF_MAXTASKS_TASKS=10000, ctest label soak): on a
  // 2-core machine one spawn costs ~10 ms of CPU, so 10 000 take minutes.
  const char* n = std::getenv("CF_MAXTASKS_TASKS");
  const int kTasks = n ? std::atoi(n) : 500;
  int fds_before = open_fd_count();
  {
    ProcessPoolExecutor::Options options;
    options.max_workers = 8;
    options.max_tasks_per_child = 1;
    ProcessPoolExecutor pool(options);
    std::vector<Future<int>> futures;
    futures.reserve(kTasks);
    for (int i = 0; i < kTasks; ++i) futures.push_back(pool.submit(worker_pid, i));
    // A retiring worker is a process until it is reaped: the replacement
    // waits for it, so the bound holds at every point of the run.
    std::size_t most_workers = 0;
    for (std::size_t i = 0; i < futures.size(); ++i) {
      CF_CHECK("PPE-MAXTASKS-1", futures[i].result(std::chrono::seconds(120)) > 0) << "task " << i;
      most_workers = std::max(most_workers, pool.worker_pids().size());
    }
    // One call per worker: a spawn per task. (Pids cannot show it: the OS
    // may give a reaped worker's pid to a later one.)
    CF_CHECK_EQ("PPE-MAXTASKS-1", pool.spawned_count(), static_cast<std::size_t>(kTasks));
    CF_CHECK("PPE-WORKERS-1", most_workers <= 8u) << most_workers << " workers at once";
    CF_STEP("SHUT-WAIT-1");
    pool.shutdown(true);
  }
  CF_CHECK_EQ("PPE-SPAWN-1", open_fd_count(), fds_before);
}

}  // namespace
}  // namespace cf::process_tests
