// cf_bench: reference executors against peer executors, in one run.
// Its own process-pool worker too, hence the entry line first.
#include <benchmark/benchmark.h>

#include "cf/process_pool.hpp"
#include "registry.hpp"

int main(int argc, char** argv) {
  CF_PROCESS_WORKER_ENTRY(argc, argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  cf::bench::register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
