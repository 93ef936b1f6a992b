// Rows for cf::ThreadPoolExecutor: the shared shapes, plus map, as_completed
// and wait over kBatch futures and the cost of a done-callback.
#include <benchmark/benchmark.h>

#include <ranges>
#include <string>
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

// The call of the rows over futures: counts its run, returns its input.
auto counted_identity(const LedgerView& ledger) {
  return [ledger = &ledger](int x) {
    ledger->ran(static_cast<std::size_t>(x));
    return x;
  };
}

std::vector<Future<int>> submit_batch(ThreadPoolExecutor& pool, const LedgerView& ledger) {
  std::vector<Future<int>> futures;
  futures.reserve(kBatch);
  for (int i = 0; i < kBatch; ++i) futures.push_back(pool.submit(counted_identity(ledger), i));
  return futures;
}

// "" if futures[i] holds i for every i, else the first mismatch.
std::string check_values(const std::vector<Future<int>>& futures) {
  for (std::size_t i = 0; i < futures.size(); ++i) {
    int got = futures[i].result();
    if (got != static_cast<int>(i)) return wrong_value(got, static_cast<long long>(i));
  }
  return "";
}

void map(benchmark::State& state) {
  ReferenceThread ref(kWorkers);
  warm_up(ref);
  Ledger ledger(kBatch);
  auto inputs = std::views::iota(0, kBatch);
  std::string error;
  for (auto _ : state) {
    auto results = ref.pool.map(counted_identity(ledger.view()), inputs);
    int i = 0;
    while (auto r = results.next()) {
      if (*r != i && error.empty()) error = wrong_value(*r, i);
      ++i;
    }
    if (i != kBatch && error.empty()) error = "map lost results";
    if (error.empty()) error = ledger.view().settle(kBatch);
  }
  report(state, error);
  state.SetItemsProcessed(state.iterations() * kBatch);
}

void as_completed(benchmark::State& state) {
  ReferenceThread ref(kWorkers);
  warm_up(ref);
  Ledger ledger(kBatch);
  std::string error;
  for (auto _ : state) {
    auto futures = submit_batch(ref.pool, ledger.view());
    int seen = 0;
    for (const auto& f : cf::as_completed(futures)) {
      benchmark::DoNotOptimize(&f);
      ++seen;
    }
    if (seen != kBatch && error.empty()) error = "as_completed lost a future";
    if (error.empty()) error = check_values(futures);
    if (error.empty()) error = ledger.view().settle(kBatch);
  }
  report(state, error);
  state.SetItemsProcessed(state.iterations() * kBatch);
}

void wait_all(benchmark::State& state) {
  ReferenceThread ref(kWorkers);
  warm_up(ref);
  Ledger ledger(kBatch);
  std::string error;
  for (auto _ : state) {
    auto futures = submit_batch(ref.pool, ledger.view());
    auto result = cf::wait(futures);
    if (!result.not_done.empty() && error.empty()) error = "wait returned early";
    if (error.empty()) error = check_values(futures);
    if (error.empty()) error = ledger.view().settle(kBatch);
  }
  report(state, error);
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
