// bench/shapes.hpp — the workloads every executor is measured with.
//
// A *pool* here is the smallest wrapper that lets one workload body drive any
// executor: constructed with a worker count, `submit(fn)` returns a handle
// for an `int()` call, and `Pool::get(handle)` blocks for its value. Every
// pool is built with kWorkers workers, so the rows of one run compare
// executors, not thread counts. Times are wall-clock (UseRealTime).
#pragma once

#include <benchmark/benchmark.h>
#include <malloc.h>

#include <atomic>
#include <cstddef>
#include <latch>
#include <string>
#include <vector>

namespace cf::bench {

inline constexpr int kWorkers = 2;
// Tasks per throughput iteration, and futures per map/as_completed/wait run.
inline constexpr int kBatch = 10'000;

// Bytes the allocator has handed out and not taken back, over all arenas.
inline long long heap_in_use() { return static_cast<long long>(mallinfo2().uordblks); }

// Each worker ends with a trivial call, so lazily started threads are
// running before anything is timed.
template <class Pool>
void warm_up(Pool& pool) {
  std::vector<typename Pool::Handle> handles;
  for (int i = 0; i < 2 * kWorkers; ++i) handles.push_back(pool.submit([i] { return i; }));
  for (auto& h : handles) Pool::get(h);
}

// Submit kBatch trivial calls, then collect every result.
template <class Pool>
void throughput(benchmark::State& state) {
  Pool pool(kWorkers);
  warm_up(pool);
  std::vector<typename Pool::Handle> handles;
  handles.reserve(kBatch);
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) handles.push_back(pool.submit([i] { return i; }));
    long long sum = 0;
    for (auto& h : handles) sum += Pool::get(h);
    benchmark::DoNotOptimize(sum);
    handles.clear();
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

// One call at a time: submit, then block for its result.
template <class Pool>
void latency(benchmark::State& state) {
  Pool pool(kWorkers);
  warm_up(pool);
  int i = 0;
  for (auto _ : state) {
    auto h = pool.submit([i] { return i; });
    benchmark::DoNotOptimize(Pool::get(h));
    ++i;
  }
  state.SetItemsProcessed(state.iterations());
}

// Heap bytes held per call waiting in the queue (its future included):
// every worker is parked on a gate while kBatch calls are queued behind it.
template <class Pool>
void queued_memory(benchmark::State& state) {
  Pool pool(kWorkers);
  warm_up(pool);
  std::vector<typename Pool::Handle> handles;
  handles.reserve(kBatch + kWorkers);
  long long bytes = 0;
  for (auto _ : state) {
    std::latch started(kWorkers);
    std::atomic<bool> open{false};
    for (int w = 0; w < kWorkers; ++w) {
      handles.push_back(pool.submit([&] {
        started.count_down();
        open.wait(false);
        return 0;
      }));
    }
    started.wait();
    long long before = heap_in_use();
    for (int i = 0; i < kBatch; ++i) handles.push_back(pool.submit([i] { return i; }));
    bytes += heap_in_use() - before;
    open = true;
    open.notify_all();
    for (auto& h : handles) Pool::get(h);
    handles.clear();
  }
  state.counters["bytes_per_task"] =
      static_cast<double>(bytes) / static_cast<double>(state.iterations() * kBatch);
}

// The three shapes as rows "<shape>/<name>".
template <class Pool>
void register_shapes(const std::string& name, bool with_memory) {
  benchmark::RegisterBenchmark(("throughput/" + name).c_str(), throughput<Pool>)
      ->Unit(benchmark::kMillisecond)
      ->UseRealTime();
  benchmark::RegisterBenchmark(("latency/" + name).c_str(), latency<Pool>)
      ->Unit(benchmark::kMicrosecond)
      ->UseRealTime();
  if (with_memory) {
    benchmark::RegisterBenchmark(("queued_memory/" + name).c_str(), queued_memory<Pool>)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime()
        ->Iterations(5);
  }
}

}  // namespace cf::bench
