// Conformance tests for the TPE section of SPEC.md: worker-count validation
// and default, lazy start, reuse of idle workers, the max_workers bound, FIFO
// start order, thread names and the initializer. Modelled on CPython's
// test_thread_pool.py (test_default_workers, test_saturation,
// test_idle_thread_reuse), test_shutdown.py (test_threads_terminate,
// test_thread_names_*), executor.py (test_max_workers_negative) and
// test_init.py, with gates instead of sleeps.
#include <sched.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "harness/setups.hpp"
#include "harness/suite.hpp"

namespace cf::conformance {
namespace {

using Kind = Outcome::Kind;

// --- TPE-WORKERS-1 ----------------------------------------------------------

TEST_F(Conformance, TPE_WORKERS_ZeroOrNegativeMaxWorkersThrows) {
  CF_CLAUSES("TPE-WORKERS-1");
  CF_REQUIRE(Cap::kMaxWorkers);
  for (int bad : {0, -1, -100}) {
    ExecutorSpec spec;
    spec.max_workers = bad;
    CF_EXPECT_RAISES(impl().make_executor(lab, spec), Kind::kInvalidArgument);
  }
}

// The boundary: one worker is valid and runs work.
TEST_F(Conformance, TPE_WORKERS_OneWorkerIsAccepted) {
  CF_CLAUSES("TPE-WORKERS-1");
  CF_REQUIRE(Cap::kMaxWorkers);
  auto& ex = make_executor(1);
  CF_EXPECT_VALUE(ex.submit(Probe::value_of(5))->result(kLong), 5);
}

// --- TPE-WORKERS-2 ----------------------------------------------------------

// test_default_workers: min(32, CPUs this process may run on + 4).
TEST_F(Conformance, TPE_WORKERS_DefaultIsMin32AndCpusPlus4) {
  CF_CLAUSES("TPE-WORKERS-2");
  CF_REQUIRE(Cap::kDefaultWorkers);
  cpu_set_t set;
  CPU_ZERO(&set);
  int cpus = 1;
  if (sched_getaffinity(0, sizeof set, &set) == 0) cpus = std::max(1, CPU_COUNT(&set));
  auto& ex = make_executor(ExecutorSpec{});
  EXPECT_EQ(ex.max_workers(), std::min(32, cpus + 4))
      << "with " << cpus << " CPUs in the affinity mask";
}

// An explicit count is reported as given, not replaced by the default.
TEST_F(Conformance, TPE_WORKERS_ExplicitCountIsKept) {
  CF_CLAUSES("TPE-WORKERS-2");
  CF_REQUIRE(Cap::kDefaultWorkers, Cap::kMaxWorkers);
  EXPECT_EQ(make_executor(3).max_workers(), 3);
  EXPECT_EQ(make_executor(64).max_workers(), 64);
}

// --- TPE-LAZY-1 -------------------------------------------------------------

TEST_F(Conformance, TPE_LAZY_NoThreadBeforeFirstSubmit) {
  CF_CLAUSES("TPE-LAZY-1");
  CF_REQUIRE(Cap::kThreadCount);
  auto& ex = make_executor(4);
  EXPECT_EQ(ex.thread_count(), 0u);
  auto& defaulted = make_executor(ExecutorSpec{});
  EXPECT_EQ(defaulted.thread_count(), 0u);
  CF_EXPECT_VALUE(ex.submit(Probe::value_of(1))->result(kLong), 1);
  EXPECT_GE(ex.thread_count(), 1u);
}

// test_threads_terminate: three tasks blocked at once on a pool of five start
// exactly three threads; the pool does not start threads nobody asked for.
TEST_F(Conformance, TPE_LAZY_ThreadsStartAsTasksArrive) {
  CF_CLAUSES("TPE-LAZY-1");
  CF_REQUIRE(Cap::kThreadCount, Cap::kMaxWorkers);
  auto& ex = make_executor(5);
  int gate = lab.new_gate();
  std::vector<FuturePtr> futures;
  for (int i = 0; i < 3; ++i) {
    futures.push_back(ex.submit(Probe().gate(gate).returns(i)));
    // Each new task finds every started worker busy, so it needs a new one.
    ASSERT_TRUE(lab.await_arrivals(gate, i + 1, kLong));
    EXPECT_EQ(ex.thread_count(), static_cast<std::size_t>(i + 1));
  }
  lab.open(gate);
  for (int i = 0; i < 3; ++i) CF_EXPECT_VALUE(futures[i]->result(kLong), i);
  EXPECT_EQ(ex.thread_count(), 3u);
}

// --- TPE-REUSE-1 ------------------------------------------------------------

// test_idle_thread_reuse: sequential submit-then-wait uses a single thread.
TEST_F(Conformance, TPE_REUSE_SequentialSubmitUsesOneThread) {
  CF_CLAUSES("TPE-REUSE-1");
  CF_REQUIRE(Cap::kThreadCount, Cap::kMaxWorkers);
  auto& ex = make_executor(4);
  for (int i = 0; i < 3; ++i) CF_EXPECT_VALUE(ex.submit(Probe::value_of(i))->result(kLong), i);
  EXPECT_EQ(ex.thread_count(), 1u);
}

// The same, observed from the tasks: every call ran on the same worker.
TEST_F(Conformance, TPE_REUSE_SequentialTasksRunOnTheSameWorker) {
  CF_CLAUSES("TPE-REUSE-1");
  CF_REQUIRE(Cap::kThreadCount, Cap::kMaxWorkers);
  auto& ex = make_executor(4);
  int workers = lab.new_log();
  for (int i = 0; i < 10; ++i) {
    CF_EXPECT_VALUE(ex.submit(Probe().record_worker(workers).returns(i))->result(kLong), i);
  }
  auto tokens = lab.log(workers);
  ASSERT_EQ(tokens.size(), 10u);
  EXPECT_EQ(std::set<std::int64_t>(tokens.begin(), tokens.end()).size(), 1u);
  EXPECT_EQ(ex.thread_count(), 1u);
}

// --- TPE-MAX-1 --------------------------------------------------------------

// test_saturation: 3*M blocked tasks on M workers use exactly M threads, and
// exactly M run at once until the gate opens.
TEST_F(Conformance, TPE_MAX_NeverMoreThanMaxWorkersThreads) {
  CF_CLAUSES("TPE-MAX-1");
  CF_REQUIRE(Cap::kThreadCount, Cap::kMaxWorkers);
  constexpr int kM = 4;
  auto& ex = make_executor(kM);
  int log = lab.new_log();
  int gate = lab.new_gate();
  std::vector<FuturePtr> futures;
  for (int i = 0; i < 3 * kM; ++i)
    futures.push_back(ex.submit(Probe().gate(gate).record(log, i).returns(i)));
  ASSERT_TRUE(lab.await_arrivals(gate, kM, kLong));
  EXPECT_EQ(ex.thread_count(), static_cast<std::size_t>(kM));
  // "No more than M" after a short settle: an upper bound in the safe
  // direction (a late extra start may escape it; a correct pool never fails it).
  EXPECT_FALSE(lab.await_arrivals(gate, kM + 1, kShort))
      << lab.arrived(gate) << " tasks running at once on " << kM << " workers";
  EXPECT_EQ(lab.arrived(gate), kM);
  lab.open(gate);
  for (int i = 0; i < 3 * kM; ++i) CF_EXPECT_VALUE(futures[i]->result(kLong), i);
  EXPECT_EQ(ex.thread_count(), static_cast<std::size_t>(kM));
  EXPECT_EQ(sorted(lab.log(log)), iota(0, 3 * kM));
}

// The bound also holds with one worker: the second task waits for the first.
TEST_F(Conformance, TPE_MAX_OneWorkerRunsOneTaskAtATime) {
  CF_CLAUSES("TPE-MAX-1");
  CF_REQUIRE(Cap::kThreadCount, Cap::kMaxWorkers);
  auto& ex = make_executor(1);
  int gate = lab.new_gate();
  auto a = ex.submit(Probe().gate(gate).returns(1));
  auto b = ex.submit(Probe().gate(gate).returns(2));
  ASSERT_TRUE(lab.await_arrivals(gate, 1, kLong));
  EXPECT_FALSE(lab.await_arrivals(gate, 2, kShort));
  EXPECT_EQ(ex.thread_count(), 1u);
  lab.open(gate);
  CF_EXPECT_VALUE(a->result(kLong), 1);
  CF_EXPECT_VALUE(b->result(kLong), 2);
  EXPECT_EQ(ex.thread_count(), 1u);
}

// --- TPE-FIFO-1 -------------------------------------------------------------

TEST_F(Conformance, TPE_FIFO_StartOrderWithOneWorker) {
  CF_CLAUSES("TPE-FIFO-1");
  CF_REQUIRE(Cap::kMaxWorkers);
  auto& ex = make_executor(1);
  int log = lab.new_log();
  int gate = lab.new_gate();
  auto blocker = ex.submit(Probe().record(log, 0).gate(gate).returns(0));
  ASSERT_TRUE(lab.await_arrivals(gate, 1, kLong));
  std::vector<FuturePtr> rest;
  for (int i = 1; i <= 20; ++i) rest.push_back(ex.submit(Probe().record(log, i).returns(i)));
  lab.open(gate);
  CF_EXPECT_VALUE(blocker->result(kLong), 0);
  for (int i = 1; i <= 20; ++i) CF_EXPECT_VALUE(rest[i - 1]->result(kLong), i);
  EXPECT_EQ(lab.log(log), iota(0, 21));
}

// Start order, not finish order: with two workers the tasks start in
// submission order even when a later one finishes first.
TEST_F(Conformance, TPE_FIFO_StartOrderNotFinishOrder) {
  CF_CLAUSES("TPE-FIFO-1");
  CF_REQUIRE(Cap::kMaxWorkers);
  auto& ex = make_executor(2);
  int started = lab.new_log();
  int finished = lab.new_log();
  int first = lab.new_gate();
  int second = lab.new_gate();
  auto a = ex.submit(Probe().record(started, 0).gate(first).record(finished, 0).returns(0));
  ASSERT_TRUE(lab.await_arrivals(first, 1, kLong));
  auto b = ex.submit(Probe().record(started, 1).gate(second).record(finished, 1).returns(1));
  ASSERT_TRUE(lab.await_arrivals(second, 1, kLong));
  // Both workers are busy: the next three queue up and must start in order.
  std::vector<FuturePtr> queued;
  for (int i = 2; i < 5; ++i) {
    queued.push_back(ex.submit(Probe().record(started, i).record(finished, i).returns(i)));
  }
  lab.open(second);
  CF_EXPECT_VALUE(b->result(kLong), 1);
  for (int i = 2; i < 5; ++i) CF_EXPECT_VALUE(queued[i - 2]->result(kLong), i);
  lab.open(first);
  CF_EXPECT_VALUE(a->result(kLong), 0);
  EXPECT_EQ(lab.log(started), iota(0, 5));
  EXPECT_EQ(lab.log(finished), (std::vector<std::int64_t>{1, 2, 3, 4, 0}));
}

// --- TPE-NAME-1 -------------------------------------------------------------

// The names of M workers blocked at once, one token each.
std::vector<std::string> worker_names(Lab& lab, Executor& ex, int m,
                                      const std::function<std::string(std::int64_t)>& name_of) {
  int workers = lab.new_log();
  int gate = lab.new_gate();
  std::vector<FuturePtr> futures;
  for (int i = 0; i < m; ++i)
    futures.push_back(ex.submit(Probe().record_worker(workers).gate(gate)));
  EXPECT_TRUE(lab.await_arrivals(gate, m, kLong));
  lab.open(gate);
  for (auto& f : futures) CF_EXPECT_VALUE(f->result(kLong), 0);
  std::vector<std::string> names;
  for (auto token : lab.log(workers)) names.push_back(name_of(token));
  std::sort(names.begin(), names.end());
  return names;
}

// test_thread_names_assigned.
TEST_F(Conformance, TPE_NAME_PrefixedNamesCountFromZero) {
  CF_CLAUSES("TPE-NAME-1");
  CF_REQUIRE(Cap::kThreadNames, Cap::kMaxWorkers);
  constexpr int kM = 5;
  ExecutorSpec spec;
  spec.max_workers = kM;
  spec.thread_name_prefix = "SpecialPool";
  auto& ex = make_executor(spec);
  auto names = worker_names(lab, ex, kM, [&](std::int64_t t) { return impl().thread_name_of(t); });
  std::vector<std::string> expected;
  for (int i = 0; i < kM; ++i) expected.push_back("SpecialPool_" + std::to_string(i));
  EXPECT_EQ(names, expected);
}

// test_thread_names_default: "ThreadPoolExecutor-{N}_{i}", with N from a
// process-wide counter, so two pools get different N.
TEST_F(Conformance, TPE_NAME_DefaultPrefixFromAProcessWideCounter) {
  CF_CLAUSES("TPE-NAME-1");
  CF_REQUIRE(Cap::kThreadNames, Cap::kMaxWorkers);
  constexpr int kM = 3;
  const std::regex pattern("^ThreadPoolExecutor-([0-9]+)_([0-9]+)$");
  std::set<std::string> pool_numbers;
  for (int pool = 0; pool < 2; ++pool) {
    auto& ex = make_executor(kM);
    auto names =
        worker_names(lab, ex, kM, [&](std::int64_t t) { return impl().thread_name_of(t); });
    ASSERT_EQ(names.size(), static_cast<std::size_t>(kM));
    std::set<std::string> numbers;
    std::set<std::string> indices;
    for (const auto& name : names) {
      std::smatch m;
      ASSERT_TRUE(std::regex_match(name, m, pattern)) << "worker named \"" << name << "\"";
      numbers.insert(m[1]);
      indices.insert(m[2]);
    }
    EXPECT_EQ(numbers.size(), 1u) << "one pool's workers carry different pool numbers";
    EXPECT_EQ(indices, (std::set<std::string>{"0", "1", "2"}));
    pool_numbers.insert(*numbers.begin());
  }
  EXPECT_EQ(pool_numbers.size(), 2u) << "two pools share a default prefix";
}

// --- TPE-INIT-1 -------------------------------------------------------------

// test_initializer: every worker ran the initializer once, before any task.
TEST_F(Conformance, TPE_INIT_RunsOncePerWorkerBeforeAnyTask) {
  CF_CLAUSES("TPE-INIT-1");
  CF_REQUIRE(Cap::kInitializer, Cap::kThreadCount, Cap::kMaxWorkers);
  constexpr int kM = 3;
  int init_log = lab.new_log();
  int task_log = lab.new_log();
  int init_gate = lab.new_gate();
  int task_gate = lab.new_gate();
  ExecutorSpec spec;
  spec.max_workers = kM;
  spec.initializer = Probe().record_worker(init_log).gate(init_gate);
  auto& ex = make_executor(spec);
  std::vector<FuturePtr> futures;
  for (int i = 0; i < kM; ++i) {
    futures.push_back(ex.submit(Probe().record_worker(task_log).gate(task_gate).returns(i)));
  }
  // While an initializer is held at its gate, no task has started. The check
  // waits kShort for a task that must not start: an upper bound in the safe
  // direction.
  ASSERT_TRUE(lab.await_arrivals(init_gate, 1, kLong));
  EXPECT_FALSE(lab.await_log_size(task_log, 1, kShort))
      << "a task started before its initializer ended";
  lab.open(init_gate);
  ASSERT_TRUE(lab.await_arrivals(task_gate, kM, kLong));
  lab.open(task_gate);
  for (int i = 0; i < kM; ++i) CF_EXPECT_VALUE(futures[i]->result(kLong), i);
  // More work on the same threads runs no initializer again.
  std::vector<FuturePtr> more;
  for (int i = 0; i < 4 * kM; ++i)
    more.push_back(ex.submit(Probe().record_worker(task_log).returns(i)));
  for (int i = 0; i < 4 * kM; ++i) CF_EXPECT_VALUE(more[i]->result(kLong), i);
  ex.shutdown(true, false);

  auto inits = lab.log(init_log);
  std::set<std::int64_t> init_workers(inits.begin(), inits.end());
  EXPECT_EQ(init_workers.size(), inits.size()) << "an initializer ran twice in one worker";
  EXPECT_EQ(inits.size(), ex.thread_count()) << "not every worker ran the initializer";
  for (auto token : lab.log(task_log)) {
    EXPECT_TRUE(init_workers.count(token)) << "a task ran on a worker without its initializer";
  }
}

// --- TPE-INIT-2 -------------------------------------------------------------

// FailingInitializerMixin.test_initializer: every queued future fails with
// BrokenThreadPool and no task runs.
TEST_F(Conformance, TPE_INIT_FailingInitializerBreaksThePool) {
  CF_CLAUSES("TPE-INIT-2");
  // kThreadCount marks a thread pool: a process pool's failing initializer
  // follows PPE-INIT-1 (another message, reported on the worker's stderr).
  CF_REQUIRE(Cap::kInitializer, Cap::kMaxWorkers, Cap::kThreadCount);
  int task_log = lab.new_log();
  int init_gate = lab.new_gate();
  ExecutorSpec spec;
  spec.max_workers = 2;
  // Held at a gate, so that every task below is queued when the pool breaks.
  spec.initializer = Probe().gate(init_gate).raises("error in initializer");
  auto& ex = make_executor(spec);
  std::vector<FuturePtr> futures;
  for (int i = 0; i < 5; ++i) futures.push_back(ex.submit(Probe().record(task_log, i).returns(i)));
  ASSERT_TRUE(lab.await_arrivals(init_gate, 1, kLong));
  lab.open(init_gate);
  for (auto& f : futures) {
    auto o = f->result(kLong);
    CF_EXPECT_OUTCOME(o, Kind::kBroken);
    EXPECT_EQ(o.message, "A thread initializer failed, the thread pool is not usable anymore");
  }
  ex.shutdown(true, false);
  EXPECT_TRUE(lab.log(task_log).empty()) << "a task ran on a thread whose initializer failed";
}

// "The failure is logged" [EXT-LOG-1]: the initializer's error reaches the log sink.
TEST_F(Conformance, TPE_INIT_FailureIsLogged) {
  CF_CLAUSES("TPE-INIT-2");
  CF_REQUIRE(Cap::kInitializer, Cap::kLogHook, Cap::kThreadCount);
  impl().take_logged();
  ExecutorSpec spec;
  spec.max_workers = 1;
  spec.initializer = Probe::failure("error in initializer");
  auto& ex = make_executor(spec);
  auto f = ex.submit(Probe::value_of(1));
  CF_EXPECT_OUTCOME(f->result(kLong), Kind::kBroken);
  ex.shutdown(true, false);
  auto logged = impl().take_logged();
  EXPECT_TRUE(std::any_of(
      logged.begin(), logged.end(),
      [](const std::string& m) { return m.find("error in initializer") != std::string::npos; }))
      << "logged: " << ::testing::PrintToString(logged);
}

// --- TPE-INIT-3 -------------------------------------------------------------

TEST_F(Conformance, TPE_INIT_BrokenPoolRefusesSubmissions) {
  CF_CLAUSES("TPE-INIT-3");
  CF_REQUIRE(Cap::kInitializer);
  int task_log = lab.new_log();
  ExecutorSpec spec;
  spec.max_workers = 2;
  spec.initializer = Probe::failure("error in initializer");
  auto& ex = make_executor(spec);
  auto first = ex.submit(Probe().record(task_log, 0).returns(0));
  // Once a future has failed with BrokenThreadPool, the pool is broken.
  CF_EXPECT_OUTCOME(first->result(kLong), Kind::kBroken);
  for (int i = 1; i <= 3; ++i) {
    CF_EXPECT_RAISES(ex.submit(Probe().record(task_log, i).returns(i)), Kind::kBroken);
  }
  ex.shutdown(true, false);
  EXPECT_TRUE(lab.log(task_log).empty()) << "a refused submission was scheduled";
}

}  // namespace
}  // namespace cf::conformance
