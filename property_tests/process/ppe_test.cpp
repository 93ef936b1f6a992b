// The PPE- clauses of spec/PPE.md on the reference ProcessPoolExecutor:
// options, registration, remote exceptions, terminate/kill, chunksize,
// worker reuse, and that nothing leaks (fds, zombies).
#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "harness/setups.hpp"
#include "support.hpp"

namespace cf::process_tests {
namespace {

using conformance::Lab;

int unregistered(int x) { return x; }

TEST(PPE, PPE_WORKERS_DefaultAndValidation) {
  CF_CLAUSES("PPE-WORKERS-1");
  ProcessPoolExecutor pool;
  cpu_set_t set;
  ASSERT_EQ(sched_getaffinity(0, sizeof set, &set), 0);
  EXPECT_EQ(pool.max_workers(), CPU_COUNT(&set));
  for (int bad : {0, -1}) {
    try {
      ProcessPoolExecutor p(bad);
      FAIL() << "max_workers " << bad << " accepted";
    } catch (const std::invalid_argument& e) {
      EXPECT_STREQ(e.what(), msg::kMaxWorkers);
    }
  }
  EXPECT_TRUE(pool.worker_pids().empty()) << "no worker before the first submit";
}

TEST(PPE, PPE_WORKERS_IdleWorkerIsReused) {
  CF_CLAUSES("PPE-WORKERS-1");
  ProcessPoolExecutor pool(4);
  std::set<int> pids;
  for (int i = 0; i < 10; ++i) pids.insert(pool.submit(worker_pid, i).result(kLong));
  EXPECT_EQ(pids.size(), 1u);
  EXPECT_EQ(pool.spawned_count(), 1u);
}

TEST(PPE, PPE_REG_SameFunctionOnBothBackends) {
  CF_CLAUSES("PPE-REG-1");
  ProcessPoolExecutor processes(2);
  ThreadPoolExecutor threads(2);
  auto a = processes.submit(square, 12);
  auto b = threads.submit(square, 12);
  EXPECT_EQ(a.result(kLong), 144);
  EXPECT_EQ(b.result(kLong), 144);
  // Futures of both backends mix in one wait [PPE-REG-1].
  auto split = cf::wait(std::vector<AnyFuture>{a, b}, ALL_COMPLETED, kLong);
  EXPECT_EQ(split.done.size(), 2u);
}

TEST(PPE, PPE_REG_UnregisteredFunctionThrowsAtSubmit) {
  CF_CLAUSES("PPE-REG-2");
  ProcessPoolExecutor pool(1);
  try {
    pool.submit(unregistered, 1);
    FAIL() << "unregistered function accepted";
  } catch (const UnregisteredTaskError& e) {
    EXPECT_NE(std::string(e.what()).find("CF_REGISTER_TASK"), std::string::npos);
  }
  EXPECT_EQ(pool.submit(square, 3).result(kLong), 9) << "the pool is still usable";
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
  CF_CLAUSES("PPE-REMOTE-1");
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
    auto error = f.exception(kLong);
    ASSERT_TRUE(error) << c.type;
    EXPECT_TRUE(c.is_that_type(error)) << c.type;
    if (std::string(c.type) != "std::bad_alloc") {
      try {
        std::rethrow_exception(error);
      } catch (const std::exception& e) {
        EXPECT_STREQ(e.what(), "boom") << c.type;
      }
    }
  }
  EXPECT_EQ(pool.submit(square, 4).result(kLong), 16) << "a task's exception harms nothing";
}

TEST(PPE, PPE_REMOTE_OtherTypesBecomeRemoteError) {
  CF_CLAUSES("PPE-REMOTE-2");
  ProcessPoolExecutor pool(1);
  try {
    pool.submit(throw_named, std::string("custom"), std::string("odd")).result(kLong);
    FAIL();
  } catch (const RemoteError& e) {
    EXPECT_NE(e.type_name().find("CustomError"), std::string::npos) << e.type_name();
    EXPECT_EQ(e.message(), "odd");
  }
  try {
    pool.submit(throw_named, std::string("int"), std::string()).result(kLong);
    FAIL();
  } catch (const RemoteError& e) {
    EXPECT_EQ(e.type_name(), "unknown exception");
  }
}

TEST(PPE, PPE_MAXTASKS_WorkersReplacedAfterN) {
  CF_CLAUSES("PPE-MAXTASKS-1");
  for (int bad : {0, -3}) {
    ProcessPoolExecutor::Options o;
    o.max_tasks_per_child = bad;
    try {
      ProcessPoolExecutor p(o);
      FAIL();
    } catch (const std::invalid_argument& e) {
      EXPECT_STREQ(e.what(), msg::kMaxTasksPerChild);
    }
  }
  ProcessPoolExecutor::Options o;
  o.max_workers = 1;
  o.max_tasks_per_child = 2;
  ProcessPoolExecutor pool(o);
  std::vector<int> pids;
  for (int i = 0; i < 6; ++i) pids.push_back(pool.submit(worker_pid, i).result(kLong));
  for (int i = 0; i < 6; i += 2) EXPECT_EQ(pids[i], pids[i + 1]) << "runs of two per worker";
  EXPECT_NE(pids[0], pids[2]);
  EXPECT_NE(pids[2], pids[4]);
  EXPECT_EQ(pool.spawned_count(), 3u);
}

class ForceShutdown : public ::testing::TestWithParam<bool> {
 protected:
  void force(ProcessPoolExecutor& pool) { GetParam() ? pool.kill_workers() : pool.terminate_workers(); }
};

TEST_P(ForceShutdown, PPE_KILL_RunningBrokenPendingCancelled) {
  CF_CLAUSES("PPE-KILL-1");
  Lab lab;
  int gate = lab.new_gate();
  ProcessPoolExecutor pool(1);
  auto running = pool.submit(pass_gate, lab.fd(), gate);
  ASSERT_TRUE(lab.await_arrivals(gate, 1, kLong));
  // Calls the pool may have sent ahead to the busy worker already count as
  // running [EXEC-RUNNING-1]: each of these ends cancelled or broken; the
  // call behind them is still queued.
  std::vector<Future<int>> padding;
  for (int i = 0; i < conformance::kPrefetch; ++i) padding.push_back(pool.submit(square, i));
  auto queued = pool.submit(square, 5);
  auto pids = pool.worker_pids();
  force(pool);
  EXPECT_TRUE(queued.cancelled());
  EXPECT_THROW(running.result(kLong), BrokenProcessPool);
  for (auto& f : padding) {
    if (!f.cancelled()) {
      EXPECT_THROW(f.result(kLong), BrokenProcessPool);
    }
  }
  EXPECT_THROW(pool.submit(square, 1), ShutdownError);
  pool.shutdown(true);
  for (int pid : pids) EXPECT_TRUE(reaped(pid));
}

TEST_P(ForceShutdown, PPE_KILL_NoOpWithoutWorkers) {
  CF_CLAUSES("PPE-KILL-1");
  ProcessPoolExecutor pool(2);
  force(pool);
  EXPECT_THROW(pool.submit(square, 1), ShutdownError);
}

INSTANTIATE_TEST_SUITE_P(TerminateOrKill, ForceShutdown, ::testing::Bool());

TEST(PPE, PPE_CHUNK_ChunksizeMustBePositive) {
  CF_CLAUSES("PPE-CHUNK-1");
  ProcessPoolExecutor pool(1);
  for (int bad : {0, -1}) {
    try {
      pool.map(square, std::vector<int>{1}, {}, bad);
      FAIL();
    } catch (const std::invalid_argument& e) {
      EXPECT_STREQ(e.what(), msg::kChunkSize);
    }
  }
}

TEST(PPE, PPE_CHUNK_ChunkedMapKeepsOrderAndErrors) {
  CF_CLAUSES("PPE-CHUNK-2");
  ProcessPoolExecutor pool(2);
  std::vector<int> in(23);
  for (int i = 0; i < 23; ++i) in[i] = i;
  std::vector<int> out;
  for (int v : pool.map(square, in, {}, 5)) out.push_back(v);
  ASSERT_EQ(out.size(), 23u);
  for (int i = 0; i < 23; ++i) EXPECT_EQ(out[i], i * i);
  // Chunks of 2 with a failure in input 3: inputs 0 and 1 come back, then the
  // failing chunk raises at its first position (input 2).
  std::vector<int> seen;
  auto results = pool.map(throw_or_index, std::vector<int>{0, 1, 2, 3, 4}, {}, 2);
  try {
    for (int v : results) seen.push_back(v);
    FAIL() << "no exception";
  } catch (const std::range_error& e) {
    EXPECT_STREQ(e.what(), "bad");
  }
  EXPECT_EQ(seen, (std::vector<int>{0, 1}));
}

TEST(PPE, PPE_SPAWN_NoLeakedFdsOrZombies) {
  CF_CLAUSES("PPE-SPAWN-1");
  int before = open_fd_count();
  std::vector<int> pids;
  {
    ProcessPoolExecutor pool(3);
    Lab lab;
    int gate = lab.new_gate();
    std::vector<Future<int>> fs;
    for (int i = 0; i < 3; ++i) fs.push_back(pool.submit(pass_gate, lab.fd(), gate));
    ASSERT_TRUE(lab.await_arrivals(gate, 3, kLong));
    pids = pool.worker_pids();
    EXPECT_EQ(pids.size(), 3u);
    lab.open(gate);
    for (auto& f : fs) EXPECT_GT(f.result(kLong), 0);
  }
  for (int pid : pids) EXPECT_TRUE(reaped(pid)) << pid;
  EXPECT_EQ(open_fd_count(), before);
}

}  // namespace
}  // namespace cf::process_tests
