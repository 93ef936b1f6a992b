// Rows for cf::ThreadPoolExecutor: the shared shapes, plus map, as_completed
// and wait over kBatch futures and the cost of a done-callback.
#include <benchmark/benchmark.h>

#include <ranges>
#include <utility>
#include <vector>

#include "cf/thread_pool.hpp"
#include "cf/wait.hpp"
#include "registry.hpp"
#include "shapes.hpp"

namespace cf::bench {
namespace {

struct ReferenceThread {
  using Handle = Future<int>;
  explicit ReferenceThread(int workers) : pool(workers) {}
  template <class F>
  Handle submit(F fn) {
    return pool.submit(std::move(fn));
  }
  static int get(Handle& h) { return h.result(); }
  ThreadPoolExecutor pool;
};

int identity(int x) { return x; }

std::vector<Future<int>> submit_batch(ThreadPoolExecutor& pool) {
  std::vector<Future<int>> futures;
  futures.reserve(kBatch);
  for (int i = 0; i < kBatch; ++i) futures.push_back(pool.submit(identity, i));
  return futures;
}

void map(benchmark::State& state) {
  ReferenceThread ref(kWorkers);
  warm_up(ref);
  auto inputs = std::views::iota(0, kBatch);
  for (auto _ : state) {
    auto results = ref.pool.map(identity, inputs);
    long long sum = 0;
    while (auto r = results.next()) sum += *r;
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

void as_completed(benchmark::State& state) {
  ReferenceThread ref(kWorkers);
  warm_up(ref);
  for (auto _ : state) {
    auto futures = submit_batch(ref.pool);
    int seen = 0;
    for (const auto& f : cf::as_completed(futures)) {
      benchmark::DoNotOptimize(&f);
      ++seen;
    }
    if (seen != kBatch) state.SkipWithError("as_completed lost a future");
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

void wait_all(benchmark::State& state) {
  ReferenceThread ref(kWorkers);
  warm_up(ref);
  for (auto _ : state) {
    auto futures = submit_batch(ref.pool);
    auto result = cf::wait(futures);
    if (!result.not_done.empty()) state.SkipWithError("wait returned early");
  }
  state.SetItemsProcessed(state.iterations() * kBatch);
}

// A pending future completed in this thread, without and with one callback:
// the difference of the two rows is what a done-callback costs.
void future_complete(benchmark::State& state) {
  for (auto _ : state) {
    Future<int> f;
    f.set_result(1);
    benchmark::DoNotOptimize(f);
  }
  state.SetItemsProcessed(state.iterations());
}

void future_complete_with_callback(benchmark::State& state) {
  int calls = 0;
  for (auto _ : state) {
    Future<int> f;
    f.add_done_callback([&calls](const Future<int>&) { ++calls; });
    f.set_result(1);
    benchmark::DoNotOptimize(f);
  }
  benchmark::DoNotOptimize(calls);
  state.SetItemsProcessed(state.iterations());
}

}  // namespace

void register_reference_thread() {
  register_shapes<ReferenceThread>("reference-thread", true);
  using Shape = void (*)(benchmark::State&);
  const std::pair<const char*, Shape> over_futures[] = {
      {"map/reference-thread", map},
      {"as_completed/reference-thread", as_completed},
      {"wait/reference-thread", wait_all}};
  for (auto [name, fn] : over_futures) {
    benchmark::RegisterBenchmark(name, fn)->Unit(benchmark::kMillisecond)->UseRealTime();
  }
  benchmark::RegisterBenchmark("future_complete/reference", future_complete);
  benchmark::RegisterBenchmark("future_complete_with_callback/reference",
                               future_complete_with_callback);
}

}  // namespace cf::bench
