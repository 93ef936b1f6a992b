// The PPE- clauses of spec v2 on the reference ProcessPoolExecutor: a call
// whose arguments cannot be encoded [PPE-ARGS-1], chunksize with buffersize
// [PPE-CHUNK-3], recycled workers never stranding calls [PPE-MAXTASKS-2] and
// no worker outliving a forced shutdown [PPE-KILL-2].
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "support.hpp"

namespace cf::process_tests {
namespace {

using conformance::Lab;
using conformance::OpenGatesOnExit;

// A value whose encoding fails in the parent when it is negative: the
// parent's own encoding error, known before anything reaches a worker.
struct Fragile {
  int value = 0;
  template <class Archive>
  void serialize(Archive& archive) {
    if (Archive::is_saving::value && value < 0) throw std::domain_error("cannot encode a negative");
    archive(value);
  }
};

int unwrap(Fragile f) { return f.value; }
CF_REGISTER_TASK(unwrap);

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

// --- PPE-ARGS-1 ---------------------------------------------------------------

// test_error_at_task_pickle: the call fails alone, with the parent's error;
// the calls around it and the pool are untouched.
TEST(PPE, PPE_ARGS_UnencodableArgumentsFailTheirCallAlone) {
  ProcessPoolExecutor pool(1);
  auto before = pool.submit(unwrap, Fragile{3});
  auto bad = pool.submit(unwrap, Fragile{-1});
  auto after = pool.submit(unwrap, Fragile{5});
  CF_CHECK_EQ("PPE-ARGS-1", ending<std::domain_error>([&] { bad.result(kLong); }),
              throw_of<std::domain_error>("cannot encode a negative"));
  CF_CHECK_EQ("PPE-ARGS-1", before.result(kLong), 3) << "the call before it";
  CF_CHECK_EQ("PPE-ARGS-1", after.result(kLong), 5) << "the call after it";
  CF_CHECK_EQ("PPE-ARGS-1", pool.submit(square, 6).result(kLong), 36) << "the pool afterwards";
  CF_CHECK_EQ("PPE-ARGS-1", pool.spawned_count(), 1u) << "workers started (none may have died)";
}

// --- PPE-CHUNK-3 --------------------------------------------------------------

TEST(PPE, PPE_CHUNK_ChunkedMapRefusesBuffersize) {
  ProcessPoolExecutor pool(2);
  for (int chunksize : {2, 7}) {
    CF_CHECK_EQ("PPE-CHUNK-3", ending<std::invalid_argument>([&] {
                  pool.map(square, std::vector<int>{1, 2, 3},
                           MapOptions{.buffersize = 2, .chunksize = chunksize});
                }),
                throw_of<std::invalid_argument>(msg::kChunkedBuffersize))
        << "chunksize " << chunksize << " with buffersize 2";
  }
  CF_CHECK_EQ("PPE-CHUNK-3", pool.spawned_count(), 0u) << "workers started by the refused maps";
  // chunksize 1 keeps buffersize (MAP-BUF-1's bound), so the refusal is the
  // combination's, not buffersize's.
  std::vector<int> out;
  for (int v : pool.map(square, std::vector<int>{1, 2, 3}, MapOptions{.buffersize = 2})) {
    out.push_back(v);
  }
  CF_CHECK_EQ("PPE-CHUNK-3", out, (std::vector<int>{1, 4, 9})) << "chunksize 1 with buffersize 2";
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
