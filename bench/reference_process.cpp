// Rows for cf::ProcessPoolExecutor with kWorkers worker processes, and, where
// cf_mpi is built, for cf::MpiPoolExecutor with kWorkers MPI ranks: the same
// throughput and latency shapes over a registered task, and map with chunks.
// python_baseline.py measures the same shapes with CPython's pool (and
// mpi4py.futures' MPIPoolExecutor).
//
// The calls run in the workers, so their ledger (ledger.hpp) is a memfd that
// the pool's initializer maps in each worker: by the inherited fd number in a
// process worker, through /proc/<parent>/fd in an MPI rank (not a child of
// the parent; on the parent's machine).
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <ranges>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "cf/process_pool.hpp"
#ifdef CF_BENCH_HAVE_MPI
#include "cf/mpi_pool.hpp"
#endif
#include "registry.hpp"
#include "shapes.hpp"

namespace cf::bench {

// Calls per process throughput iteration and inputs per chunked map; keep in
// step with python_baseline.py.
constexpr int kProcessBatch = 2'000;
constexpr int kMapInputs = 10'000;
constexpr int kChunk = 100;
// Ledger slots: one per input of the largest shape.
constexpr std::size_t kSlots = kMapInputs;

namespace {

// The ledger shared with the workers: in the parent it is created; in a
// worker, attach_ledger maps it (the memfd has no FD_CLOEXEC, so every
// spawned worker inherits it under the same number).
LedgerView g_ledger;

LedgerSlot* map_slots(int fd) {
  void* p = ::mmap(nullptr, kSlots * sizeof(LedgerSlot), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) throw std::runtime_error("cannot map the ledger");
  return static_cast<LedgerSlot*>(p);
}

class SharedLedger {
 public:
  SharedLedger() : fd_(::memfd_create("cf-bench-ledger", 0)) {
    if (fd_ < 0 || ::ftruncate(fd_, kSlots * sizeof(LedgerSlot)) != 0) {
      throw std::runtime_error("cannot create the ledger");
    }
    slots_ = map_slots(fd_);
    view_ = LedgerView(slots_, kSlots);
  }
  ~SharedLedger() {
    ::munmap(slots_, kSlots * sizeof(LedgerSlot));
    ::close(fd_);
  }
  SharedLedger(const SharedLedger&) = delete;
  SharedLedger& operator=(const SharedLedger&) = delete;
  int fd() const { return fd_; }
  const LedgerView& view() const { return view_; }

 private:
  int fd_;
  LedgerSlot* slots_ = nullptr;
  LedgerView view_;
};

}  // namespace

// `pid` 0: the fd is inherited; else it is `pid`'s.
void attach_ledger(std::int64_t pid, int fd) {
  if (pid != 0) {
    std::string path = "/proc/" + std::to_string(pid) + "/fd/" + std::to_string(fd);
    fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error("cannot open the ledger at " + path);
  }
  g_ledger = LedgerView(map_slots(fd), kSlots);
}
CF_REGISTER_TASK(attach_ledger);

// The task of every process row: counts its run, returns its input.
int process_identity(int x) {
  g_ledger.ran(static_cast<std::size_t>(x));
  return x;
}
CF_REGISTER_TASK(process_identity);

namespace {

// A pool of kWorkers workers that have all run a call. Pool::Options has
// max_workers and initializer.
template <class Pool>
struct Started {
  Started(const SharedLedger& ledger, std::int64_t ledger_pid) : pool(options(ledger, ledger_pid)) {
    std::vector<Future<int>> futures;
    for (int i = 0; i < 2 * kWorkers; ++i) futures.push_back(pool.submit(process_identity, i));
    for (auto& f : futures) f.result();
    ledger.view().settle(0);  // the warm-up calls are not the row's
  }
  static typename Pool::Options options(const SharedLedger& ledger, std::int64_t ledger_pid) {
    typename Pool::Options o;
    o.max_workers = kWorkers;
    o.initializer = TaskCall(attach_ledger, ledger_pid, ledger.fd());
    return o;
  }
  Pool pool;
};

// How a pool's workers reach the parent's ledger: inherited (0) or through
// the parent's pid.
template <class Pool>
std::int64_t ledger_pid() {
  if constexpr (std::is_same_v<Pool, ProcessPoolExecutor>) {
    return 0;
  } else {
    return ::getpid();
  }
}

template <class Pool>
void throughput(benchmark::State& state) {
  SharedLedger ledger;
  Started<Pool> ref(ledger, ledger_pid<Pool>());
  std::vector<Future<int>> futures;
  futures.reserve(kProcessBatch);
  std::string error;
  for (auto _ : state) {
    for (int i = 0; i < kProcessBatch; ++i) futures.push_back(ref.pool.submit(process_identity, i));
    for (int i = 0; i < kProcessBatch; ++i) {
      int got = futures[static_cast<std::size_t>(i)].result();
      if (got != i && error.empty()) error = wrong_value(got, i);
    }
    futures.clear();
    if (error.empty()) error = ledger.view().settle(kProcessBatch);
  }
  report(state, error);
  state.SetItemsProcessed(state.iterations() * kProcessBatch);
}

template <class Pool>
void latency(benchmark::State& state) {
  SharedLedger ledger;
  Started<Pool> ref(ledger, ledger_pid<Pool>());
  RoundTrips trips;
  std::string error;
  int i = 0;
  for (auto _ : state) {
    auto start = std::chrono::steady_clock::now();
    int got = ref.pool.submit(process_identity, i % static_cast<int>(kSlots)).result();
    trips.add(std::chrono::steady_clock::now() - start);
    if (got != i % static_cast<int>(kSlots) && error.empty()) error = wrong_value(got, i);
    ++i;
  }
  if (error.empty()) error = ledger.view().settle(static_cast<std::size_t>(i));
  report(state, error);
  trips.report(state);
  state.SetItemsProcessed(state.iterations());
}

template <class Pool>
void map_chunked(benchmark::State& state) {
  SharedLedger ledger;
  Started<Pool> ref(ledger, ledger_pid<Pool>());
  auto inputs = std::views::iota(0, kMapInputs);
  std::string error;
  for (auto _ : state) {
    auto results = ref.pool.map(process_identity, inputs, {}, kChunk);
    int i = 0;
    while (auto r = results.next()) {
      if (*r != i && error.empty()) error = wrong_value(*r, i);
      ++i;
    }
    if (i != kMapInputs && error.empty()) error = "map lost results";
    if (error.empty()) error = ledger.view().settle(kMapInputs);
  }
  report(state, error);
  state.SetItemsProcessed(state.iterations() * kMapInputs);
}

template <class Pool>
void register_rows(const std::string& column) {
  benchmark::RegisterBenchmark(("throughput/" + column).c_str(), throughput<Pool>)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
  benchmark::RegisterBenchmark(("latency/" + column).c_str(), latency<Pool>)
      ->Unit(benchmark::kMicrosecond)
      ->UseRealTime();
  benchmark::RegisterBenchmark(("map_chunked/" + column).c_str(), map_chunked<Pool>)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
}

}  // namespace

void register_reference_process() { register_rows<ProcessPoolExecutor>("reference-process"); }

#ifdef CF_BENCH_HAVE_MPI
void register_reference_mpi() { register_rows<MpiPoolExecutor>("reference-mpi"); }
#endif

}  // namespace cf::bench
