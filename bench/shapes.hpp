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

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <latch>
#include <string>
#include <vector>

#include "ledger.hpp"

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

// The call every shape makes: counts its run in the ledger, returns its index.
inline auto counted_call(const LedgerView& ledger, int i) {
  return [ledger = &ledger, i] {
    ledger->ran(static_cast<std::size_t>(i));
    return i;
  };
}

// Submit kBatch trivial calls, then collect every result.
template <class Pool>
void throughput(benchmark::State& state) {
  Pool pool(kWorkers);
  warm_up(pool);
  Ledger ledger(kBatch);
  std::vector<typename Pool::Handle> handles;
  handles.reserve(kBatch);
  std::string error;
  for (auto _ : state) {
    for (int i = 0; i < kBatch; ++i) handles.push_back(pool.submit(counted_call(ledger.view(), i)));
    for (int i = 0; i < kBatch; ++i) {
      int got = Pool::get(handles[static_cast<std::size_t>(i)]);
      if (got != i && error.empty()) error = wrong_value(got, i);
    }
    handles.clear();
    if (error.empty()) error = ledger.view().settle(kBatch);
  }
  report(state, error);
  state.SetItemsProcessed(state.iterations() * kBatch);
}

// Submit -> result round-trip times, reported as the counters p50_us,
// p99_us and p999_us of the row (the row's time is their mean).
class RoundTrips {
 public:
  RoundTrips() { samples_.reserve(1 << 20); }
  void add(std::chrono::steady_clock::duration d) {
    if (samples_.size() < samples_.capacity()) samples_.push_back(d);
  }
  void report(benchmark::State& state) {
    if (samples_.empty()) return;
    std::sort(samples_.begin(), samples_.end());
    auto at = [&](double q) {
      auto i = static_cast<std::size_t>(q * static_cast<double>(samples_.size() - 1));
      return std::chrono::duration<double, std::micro>(samples_[i]).count();
    };
    state.counters["p50_us"] = at(0.50);
    state.counters["p99_us"] = at(0.99);
    state.counters["p999_us"] = at(0.999);
  }

 private:
  std::vector<std::chrono::steady_clock::duration> samples_;
};

// One call at a time: submit, then block for its result (a blocking round
// trip). Each is timed on its own for the percentiles.
template <class Pool>
void latency(benchmark::State& state) {
  Pool pool(kWorkers);
  warm_up(pool);
  Ledger ledger(kBatch);
  RoundTrips trips;
  std::string error;
  int i = 0;
  for (auto _ : state) {
    auto start = std::chrono::steady_clock::now();
    auto h = pool.submit(counted_call(ledger.view(), i));
    int got = Pool::get(h);
    trips.add(std::chrono::steady_clock::now() - start);
    if (got != i && error.empty()) error = wrong_value(got, i);
    ++i;
  }
  if (error.empty()) error = ledger.view().settle(static_cast<std::size_t>(i));
  report(state, error);
  trips.report(state);
  state.SetItemsProcessed(state.iterations());
}

// Heap bytes held per call waiting in the queue (its future included):
// every worker is parked on a gate while kBatch calls are queued behind it.
template <class Pool>
void queued_memory(benchmark::State& state) {
  Pool pool(kWorkers);
  warm_up(pool);
  Ledger ledger(kBatch);
  std::vector<typename Pool::Handle> handles;
  handles.reserve(kBatch + kWorkers);
  long long bytes = 0;
  std::string error;
  for (auto _ : state) {
    std::latch started(kWorkers);
    std::atomic<bool> open{false};
    for (int w = 0; w < kWorkers; ++w) {
      handles.push_back(pool.submit([&] {
        started.count_down();
        open.wait(false);
        return -1;
      }));
    }
    started.wait();
    long long before = heap_in_use();
    for (int i = 0; i < kBatch; ++i) handles.push_back(pool.submit(counted_call(ledger.view(), i)));
    bytes += heap_in_use() - before;
    open = true;
    open.notify_all();
    for (std::size_t k = 0; k < handles.size(); ++k) {
      int want = k < std::size_t{kWorkers} ? -1 : static_cast<int>(k) - kWorkers;
      int got = Pool::get(handles[k]);
      if (got != want && error.empty()) error = wrong_value(got, want);
    }
    handles.clear();
    if (error.empty()) error = ledger.view().settle(kBatch);
  }
  report(state, error);
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
