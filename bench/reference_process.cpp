// Rows for cf::ProcessPoolExecutor with kWorkers worker processes: the same
// throughput and latency shapes over a registered task, and map with chunks.
// python_baseline.py measures the same shapes with CPython's pool.
#include <benchmark/benchmark.h>

#include <ranges>
#include <vector>

#include "cf/process_pool.hpp"
#include "registry.hpp"
#include "shapes.hpp"

namespace cf::bench {

int process_identity(int x) { return x; }
CF_REGISTER_TASK(process_identity);

namespace {

// Calls per process throughput iteration and inputs per chunked map; keep in
// step with python_baseline.py.
constexpr int kProcessBatch = 2'000;
constexpr int kMapInputs = 10'000;
constexpr int kChunk = 100;

struct ReferenceProcess {
  using Handle = Future<int>;
  explicit ReferenceProcess(int workers) : pool(workers) {}
  Handle submit_value(int i) { return pool.submit(process_identity, i); }
  ProcessPoolExecutor pool;
};

void warm_up(ReferenceProcess& ref) {
  std::vector<Future<int>> futures;
  for (int i = 0; i < 2 * kWorkers; ++i) futures.push_back(ref.submit_value(i));
  for (auto& f : futures) f.result();
}

void throughput(benchmark::State& state) {
  ReferenceProcess ref(kWorkers);
  warm_up(ref);
  std::vector<Future<int>> futures;
  futures.reserve(kProcessBatch);
  for (auto _ : state) {
    for (int i = 0; i < kProcessBatch; ++i) futures.push_back(ref.submit_value(i));
    long long sum = 0;
    for (auto& f : futures) sum += f.result();
    benchmark::DoNotOptimize(sum);
    futures.clear();
  }
  state.SetItemsProcessed(state.iterations() * kProcessBatch);
}

void latency(benchmark::State& state) {
  ReferenceProcess ref(kWorkers);
  warm_up(ref);
  int i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(ref.submit_value(i++).result());
  state.SetItemsProcessed(state.iterations());
}

void map_chunked(benchmark::State& state) {
  ReferenceProcess ref(kWorkers);
  warm_up(ref);
  auto inputs = std::views::iota(0, kMapInputs);
  for (auto _ : state) {
    auto results = ref.pool.map(process_identity, inputs, {}, kChunk);
    long long sum = 0;
    while (auto r = results.next()) sum += *r;
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * kMapInputs);
}

}  // namespace

void register_reference_process() {
  benchmark::RegisterBenchmark("throughput/reference-process", throughput)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
  benchmark::RegisterBenchmark("latency/reference-process", latency)
      ->Unit(benchmark::kMicrosecond)
      ->UseRealTime();
  benchmark::RegisterBenchmark("map_chunked/reference-process", map_chunked)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
}

}  // namespace cf::bench
