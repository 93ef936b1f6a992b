// The PPE- rules that both of cf's pools of worker processes meet, on each:
// registration [PPE-REG-1] [PPE-REG-2], remote exceptions [PPE-REMOTE-1]
// [PPE-REMOTE-2], arguments that fail to encode or decode [PPE-ARGS-1]
// [PPE-ARGS-2], chunked maps [PPE-CHUNK-1] [PPE-CHUNK-2] [PPE-CHUNK-3],
// initializers [PPE-INIT-1] [PPE-INIT-2], the broken pool refusing work
// [PPE-BROKEN-2] and the default worker count
// [PPE-WORKERS-1]. Compiled into cf_process_tests for cf::ProcessPoolExecutor
// (the reference-process column) and, with CF_TEST_MPI_POOL, into
// cf_mpi_pool_tests for cf::MpiPoolExecutor (reference-mpi). The rules only
// the process pool has (dead workers, max_tasks_per_child, terminate and kill,
// spawning) stay in ppe_test.cpp, ppe_v2_test.cpp and fault_test.cpp.
#include <sched.h>

#include <cstddef>
#include <exception>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <typeinfo>
#include <vector>

#include "harness/log_capture.hpp"
#include "support.hpp"

#ifdef CF_TEST_MPI_POOL
#include "cf/mpi_pool.hpp"
#endif

namespace cf::process_tests {
namespace {

#ifdef CF_TEST_MPI_POOL
using Pool = MpiPoolExecutor;
#else
using Pool = ProcessPoolExecutor;
#endif

// Workers the pool has started: every one it spawned (the process pool), or
// the ranks serving it (the MPI pool, whose ranks start together).
template <class P>
std::size_t workers_started(const P& pool) {
  if constexpr (requires { pool.spawned_count(); }) {
    return pool.spawned_count();
  } else {
    return pool.worker_count();
  }
}

int unregistered(int x) { return x; }

TEST(PPE, PPE_WORKERS_DefaultAndValidation) {
  Pool pool;
  cpu_set_t set;
  CF_PRECONDITION(nullptr, sched_getaffinity(0, sizeof set, &set) == 0)
      << "sched_getaffinity failed";
  CF_CHECK_EQ("PPE-WORKERS-1", pool.max_workers(), CPU_COUNT(&set));
  for (int bad : {0, -1}) {
    CF_CHECK_EQ("PPE-WORKERS-1", ending<std::invalid_argument>([&] { Pool p(bad); }),
                throw_of<std::invalid_argument>(msg::kMaxWorkers))
        << "max_workers " << bad;
  }
  CF_CHECK("PPE-WORKERS-1", workers_started(pool) == 0) << "a worker before the first submit";
}

TEST(PPE, PPE_REG_SameFunctionOnBothBackends) {
  Pool processes(2);
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
  Pool pool(1);
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
  Pool pool(2);
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
  Pool pool(1);
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

// After one call of a one-worker `pool` failed alone (the rule `alone` says
// it must): the calls submitted before and after it return their values, the
// pool takes a new call, and its worker never died.
void check_nothing_else_failed(const char* alone, Pool& pool, Future<int>& before, int before_value,
                               Future<int>& after, int after_value) {
  CF_CHECK_EQ(alone, before.result(kLong), before_value) << "the call before it";
  CF_CHECK_EQ(alone, after.result(kLong), after_value) << "the call after it";
  CF_CHECK_EQ(alone, pool.submit(square, 6).result(kLong), 36) << "the pool afterwards";
  CF_CHECK_EQ(alone, workers_started(pool), 1u) << "workers started (none may have died)";
}

// --- PPE-ARGS-1 ---------------------------------------------------------------

// test_error_at_task_pickle: the call fails alone, with the parent's error;
// the calls around it and the pool are untouched.
TEST(PPE, PPE_ARGS_UnencodableArgumentsFailTheirCallAlone) {
  Pool pool(1);
  auto before = pool.submit(unwrap, Fragile{3});
  auto bad = pool.submit(unwrap, Fragile{-1});
  auto after = pool.submit(unwrap, Fragile{5});
  CF_CHECK_EQ("PPE-ARGS-1", ending<std::domain_error>([&] { bad.result(kLong); }),
              throw_of<std::domain_error>("cannot encode a negative"));
  check_nothing_else_failed("PPE-ARGS-1", pool, before, 3, after, 5);
}

// --- PPE-ARGS-2 ---------------------------------------------------------------

// A value the parent encodes, but whose decoding throws in the worker.
struct Undecodable {
  int value = 0;
  template <class Archive>
  void save(Archive& archive) const {
    archive(value);
  }
  template <class Archive>
  void load(Archive& archive) {
    archive(value);
    throw std::out_of_range("cannot decode " + std::to_string(value));
  }
};

int unwrap_undecodable(Undecodable u) { return u.value; }
CF_REGISTER_TASK(unwrap_undecodable);

// test_error_at_task_unpickle, where CPython breaks the pool: the call fails
// alone, with the worker's decoding error; the worker lives on.
TEST(PPE, PPE_ARGS_UndecodableArgumentsFailTheirCallAlone) {
  Pool pool(1);
  auto before = pool.submit(square, 3);
  auto bad = pool.submit(unwrap_undecodable, Undecodable{7});
  auto after = pool.submit(square, 5);
  CF_CHECK_EQ("PPE-ARGS-2", ending<std::out_of_range>([&] { bad.result(kLong); }),
              throw_of<std::out_of_range>("cannot decode 7"));
  check_nothing_else_failed("PPE-ARGS-2", pool, before, 9, after, 25);
}

// gh-110337: a call whose arguments fail to encode, then at once
// shutdown(wait=false), once left the call's future pending forever. It
// completes with the encoding error, and the calls around it run.
TEST(PPE, CORPUS_gh110337_AnUnencodableCallRacingShutdownNoWaitStillCompletes) {
  std::optional<Pool> pool(std::in_place, 1);
  auto before = pool->submit(unwrap, Fragile{3});
  auto bad = pool->submit(unwrap, Fragile{-1});
  auto after = pool->submit(unwrap, Fragile{5});
  pool->shutdown(false);
  CF_CHECK_EQ("PPE-ARGS-1", ending<std::domain_error>([&] { bad.result(kLong); }),
              throw_of<std::domain_error>("cannot encode a negative"));
  CF_CHECK_EQ("SHUT-NOWAIT-1", before.result(kLong), 3) << "the call before it";
  CF_CHECK_EQ("SHUT-NOWAIT-1", after.result(kLong), 5) << "the call after it";
  CF_STEP("SHUT-DTOR-1");
  pool.reset();
}

// --- PPE-CHUNK-3 --------------------------------------------------------------

TEST(PPE, PPE_CHUNK_ChunkedMapRefusesBuffersize) {
  Pool pool(2);
  for (int chunksize : {2, 7}) {
    CF_CHECK_EQ("PPE-CHUNK-3", ending<std::invalid_argument>([&] {
                  pool.map(square, std::vector<int>{1, 2, 3},
                           MapOptions{.buffersize = 2, .chunksize = chunksize});
                }),
                throw_of<std::invalid_argument>(msg::kChunkedBuffersize))
        << "chunksize " << chunksize << " with buffersize 2";
  }
  CF_CHECK_EQ("PPE-CHUNK-3", workers_started(pool), 0u) << "workers started by the refused maps";
  // chunksize 1 keeps buffersize (MAP-BUF-1's bound), so the refusal is the
  // combination's, not buffersize's.
  std::vector<int> out;
  for (int v : pool.map(square, std::vector<int>{1, 2, 3}, MapOptions{.buffersize = 2})) {
    out.push_back(v);
  }
  CF_CHECK_EQ("PPE-CHUNK-3", out, (std::vector<int>{1, 4, 9})) << "chunksize 1 with buffersize 2";
}

TEST(PPE, PPE_CHUNK_ChunksizeMustBePositive) {
  Pool pool(1);
  for (int bad : {0, -1}) {
    CF_CHECK_EQ("PPE-CHUNK-1", ending<std::invalid_argument>([&] {
                  pool.map(square, std::vector<int>{1}, {}, bad);
                }),
                throw_of<std::invalid_argument>(msg::kChunkSize))
        << "chunksize " << bad;
  }
}

TEST(PPE, PPE_CHUNK_ChunkedMapKeepsOrderAndErrors) {
  Pool pool(2);
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

TEST(ProcessFault, PPE_INIT_FailingInitializerBreaksThePool) {
  conformance::LogCapture log;
  Pool::Options options;
  options.max_workers = 2;
  options.initializer = failing_initializer;
  Pool pool(options);
  std::vector<Future<int>> futures;
  // A submit waits for the worker it needs, whose initializer may have
  // failed by the next submit: from then on submits throw [PPE-BROKEN-2].
  try {
    for (int i = 0; i < 4; ++i) futures.push_back(pool.submit(square, i));
  } catch (const BrokenProcessPool&) {
  }
  CF_PRECONDITION("EXEC-SUBMIT-1", !futures.empty()) << "the first submit threw";
  for (std::size_t i = 0; i < futures.size(); ++i) {
    CF_CHECK_THROWS("PPE-INIT-1", futures[i].result(kLong), BrokenProcessPool) << "future " << i;
  }
  CF_CHECK_THROWS("PPE-INIT-1", pool.submit(square, 1), BrokenProcessPool);
  // Known broken now: a submit or a map is refused with the broken-pool text.
  CF_PRECONDITION("EXT-BROKEN-1", pool.is_broken()) << "after its futures failed";
  const auto refused = throw_of<BrokenProcessPool>(msg::kBrokenProcessPoolSubmit);
  CF_CHECK_EQ("PPE-BROKEN-2", ending<BrokenProcessPool>([&] { pool.submit(square, 1); }), refused)
      << "submit";
  CF_CHECK_EQ("PPE-BROKEN-2", ending<BrokenProcessPool>([&] {
                pool.map(square, std::vector<int>{1, 2});
              }),
              refused)
      << "map";
  // Logged in the parent before the futures failed.
  CF_CHECK("PPE-INIT-2", log.has(LogLevel::kCritical,
                                 "Exception in initializer: std::runtime_error: "
                                 "initializer failed on purpose"))
      << log.entries().size() << " messages logged";
}

TEST(ProcessFault, PPE_INIT_InitializerRunsBeforeTasks) {
  Pool::Options options;
  options.max_workers = 2;
  options.initializer = noop_initializer;
  Pool pool(options);
  CF_CHECK_EQ("PPE-INIT-1", pool.submit(square, 9).result(kLong), 81);
}

}  // namespace
}  // namespace cf::process_tests
