// Rows for std::async(std::launch::async): libstdc++ starts a thread per
// call, so there is no worker count to match. Only latency applies: a
// throughput batch would start kBatch threads at once.
#include <benchmark/benchmark.h>

#include <future>

#include "registry.hpp"
#include "shapes.hpp"

namespace cf::bench {
namespace {

struct StdAsync {
  using Handle = std::future<int>;
  explicit StdAsync(int /*workers: not expressible*/) {}
  template <class F>
  Handle submit(F fn) {
    return std::async(std::launch::async, std::move(fn));
  }
  static int get(Handle& h) { return h.get(); }
};

}  // namespace

void register_std_async() {
  benchmark::RegisterBenchmark("latency/std-async", latency<StdAsync>)
      ->Unit(benchmark::kMicrosecond)
      ->UseRealTime();
}

}  // namespace cf::bench
