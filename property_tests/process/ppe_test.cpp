// The PPE- clauses of spec/SPEC.md on the reference ProcessPoolExecutor:
// options, registration, remote exceptions, terminate/kill, chunksize,
// worker reuse, and that nothing leaks (fds, zombies).
#include <algorithm>
#include <exception>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "support.hpp"

namespace cf::process_tests {
namespace {

using conformance::Lab;
using conformance::OpenGatesOnExit;

int unregistered(int x) { return x; }

TEST(PPE, PPE_WORKERS_DefaultAndValidation) {
  ProcessPoolExecutor pool;
  cpu_set_t set;
  CF_PRECONDITION(nullptr, sched_getaffinity(0, sizeof set, &set) == 0)
      << "sched_getaffinity failed";
  CF_CHECK_EQ("PPE-WORKERS-1", pool.max_workers(), CPU_COUNT(&set));
  for (int bad : {0, -1}) {
    CF_CHECK_EQ("PPE-WORKERS-1", ending<std::invalid_argument>([&] { ProcessPoolExecutor p(bad); }),
                throw_of<std::invalid_argument>(msg::kMaxWorkers))
        << "max_workers " << bad;
  }
  CF_CHECK("PPE-WORKERS-1", pool.worker_pids().empty()) << "a worker before the first submit";
}

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

TEST(PPE, PPE_REG_SameFunctionOnBothBackends) {
  ProcessPoolExecutor processes(2);
  ThreadPoolExecutor threads(2);
  auto a = processes.submit(square, 12);
  auto b = threads.submit(square, 12);
  CF_CHECK_EQ("PPE-REG-1", a.result(kLong), 144) << "on the process pool";
  CF_CHECK_EQ("PPE-REG-1", b.result(kLong), 144) << "on the thread pool";
  // Futures of both backends mix in one wait.
  CF_CHECK_EQ("PPE-REG-1", cf::wait(std::vector<AnyFuture>{a, b}, ALL_COMPLETED, kLong).done.size(),
              2u);
}

TEST(PPE, PPE_REG_UnregisteredFunctionThrowsAtSubmit) {
  ProcessPoolExecutor pool(1);
  std::string seen = ending<UnregisteredTaskError>([&] { pool.submit(unregistered, 1); });
  CF_CHECK("PPE-REG-2", seen.starts_with(type_name<UnregisteredTaskError>()) &&
                            seen.find("CF_REGISTER_TASK") != std::string::npos)
      << "submit of an unregistered function ended with " << seen;
  CF_CHECK_EQ("PPE-REG-2", pool.submit(square, 3).result(kLong), 9) << "the pool is still usable";
}

struct StdCase {
  const char* type;
  std::function<bool(std::exception_ptr)> is_that_type;
};

template <class E>
bool exactly(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const E& x) {
    return typeid(x) == typeid(E);
  } catch (...) {
    return false;
  }
}

TEST(PPE, PPE_REMOTE_StandardTypesComeBackAsThemselves) {
  ProcessPoolExecutor pool(2);
  std::vector<StdCase> cases = {
      {"std::runtime_error", exactly<std::runtime_error>},
      {"std::logic_error", exactly<std::logic_error>},
      {"std::invalid_argument", exactly<std::invalid_argument>},
      {"std::out_of_range", exactly<std::out_of_range>},
      {"std::domain_error", exactly<std::domain_error>},
      {"std::length_error", exactly<std::length_error>},
      {"std::range_error", exactly<std::range_error>},
      {"std::overflow_error", exactly<std::overflow_error>},
      {"std::underflow_error", exactly<std::underflow_error>},
      {"std::bad_alloc", exactly<std::bad_alloc>},
      {"cf::CancelledError", exactly<CancelledError>},
  };
  for (auto& c : cases) {
    auto f = pool.submit(throw_named, std::string(c.type), std::string("boom"));
    CF_PRECONDITION("EXEC-SUBMIT-2", f.exception(kLong) != nullptr) << c.type << " was not stored";
    auto error = f.exception(0s);
    CF_CHECK("PPE-REMOTE-1", c.is_that_type(error)) << c.type;
    if (std::string(c.type) != "std::bad_alloc") {
      CF_CHECK_EQ("PPE-REMOTE-1", ending<std::exception>([&] { std::rethrow_exception(error); }),
                  throw_of<std::exception>("boom"))
          << c.type;
    }
  }
  CF_CHECK_EQ("PPE-REMOTE-1", pool.submit(square, 4).result(kLong), 16)
      << "a task's exception harms nothing";
}

// The RemoteError `error` holds, if that is what it is.
std::optional<RemoteError> remote_error(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const RemoteError& e) {
    return e;
  } catch (...) {
  }
  return std::nullopt;
}

TEST(PPE, PPE_REMOTE_OtherTypesBecomeRemoteError) {
  ProcessPoolExecutor pool(1);
  auto custom = pool.submit(throw_named, std::string("custom"), std::string("odd"));
  CF_ASSERT_THROWS("PPE-REMOTE-2", custom.result(kLong), RemoteError) << "a CustomError";
  auto remote = remote_error(custom.exception(0s));
  CF_CHECK("PPE-REMOTE-2", remote->type_name().find("CustomError") != std::string::npos)
      << remote->type_name();
  CF_CHECK_EQ("PPE-REMOTE-2", remote->message(), "odd");

  auto thrown_int = pool.submit(throw_named, std::string("int"), std::string());
  CF_ASSERT_THROWS("PPE-REMOTE-2", thrown_int.result(kLong), RemoteError) << "a thrown int";
  CF_CHECK_EQ("PPE-REMOTE-2", remote_error(thrown_int.exception(0s))->type_name(),
              "unknown exception");
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
  auto queued = pool.submit(square, 5);
  auto pids = pool.worker_pids();
  release.dismiss();  // the worker waiting in the lab is about to be signalled
  force(pool, kill);
  CF_CHECK("PPE-KILL-1", queued.cancelled()) << "the queued call";
  CF_CHECK_THROWS("PPE-KILL-1", running.result(kLong), BrokenProcessPool) << "the running call";
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

TEST(PPE, PPE_CHUNK_ChunksizeMustBePositive) {
  ProcessPoolExecutor pool(1);
  for (int bad : {0, -1}) {
    CF_CHECK_EQ("PPE-CHUNK-1", ending<std::invalid_argument>([&] {
                  pool.map(square, std::vector<int>{1}, {}, bad);
                }),
                throw_of<std::invalid_argument>(msg::kChunkSize))
        << "chunksize " << bad;
  }
}

TEST(PPE, PPE_CHUNK_ChunkedMapKeepsOrderAndErrors) {
  ProcessPoolExecutor pool(2);
  std::vector<int> in(23);
  std::vector<int> squares(23);
  for (int i = 0; i < 23; ++i) {
    in[i] = i;
    squares[i] = i * i;
  }
  std::vector<int> out;
  CF_CHECK_NO_THROW("PPE-CHUNK-2", for (int v : pool.map(square, in, {}, 5)) out.push_back(v));
  CF_CHECK_EQ("PPE-CHUNK-2", out, squares);
  // Chunks of 2 with a failure in input 3: inputs 0 and 1 come back, then the
  // failing chunk raises at its first position (input 2).
  std::vector<int> seen;
  auto results = pool.map(throw_or_index, std::vector<int>{0, 1, 2, 3, 4}, {}, 2);
  CF_CHECK_EQ("PPE-CHUNK-2", ending<std::range_error>([&] {
                for (int v : results) seen.push_back(v);
              }),
              throw_of<std::range_error>("bad"));
  CF_CHECK_EQ("PPE-CHUNK-2", seen, (std::vector<int>{0, 1}));
}

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
