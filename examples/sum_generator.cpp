// cf_example_sum_generator — seed 000 ("Futures", concurrent.futures basics).
//
// Mirrors the three summing programs of the seed, which run
// `sum_generator(n) = sum(range(1, n+1))` over WORK_LIST:
//   map           main():              executor.map(sum_generator, WORK_LIST)
//   wait          main_wait():         submit each, then wait(futures, timeout=0.5)
//   as_completed  main_as_completed(): submit each, then for f in as_completed(futures)
// Run one with its name as the argument, or all three with none.
//
// Like the seed, these run on a process pool: cf::ProcessPoolExecutor, with
// sum_generator registered for its workers (CF_REGISTER_TASK) and main
// starting with CF_PROCESS_WORKER_ENTRY, as every program using the pool must
// [PPE-SPAWN-2]. In C++ even the 10,000,000 sum takes milliseconds, so
// wait(timeout=0.5) usually finds every future done and prints "Pending ones
// ...:set()", where Python's process pool may still be working on the largest
// one.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "cf/cf.hpp"
#include "python_style.hpp"

namespace {

const std::vector<std::int64_t> WORK_LIST = {10000, 100000, 1000000, 10000000};

// The seed's generator expression, one addition at a time.
std::int64_t sum_generator(std::int64_t n) {
  std::int64_t total = 0;
  for (std::int64_t i = 1; i <= n; ++i) total += i;
  return total;
}
CF_REGISTER_TASK(sum_generator);

double seconds_since(cf::Clock::time_point start) {
  return std::chrono::duration<double>(cf::Clock::now() - start).count();
}

std::string list_repr(const std::vector<std::int64_t>& values) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ", ";
    out += std::to_string(values[i]);
  }
  return out + "]";
}

// The seed computes `worker` and then calls ProcessPoolExecutor() without it;
// passing it keeps the intent (one worker per work item, at most 10).
int worker_count() { return static_cast<int>(std::min<std::size_t>(10, WORK_LIST.size())); }

void main_map() {
  auto start_tm = cf::Clock::now();
  std::vector<std::int64_t> result;
  {
    cf::ProcessPoolExecutor executor(worker_count());
    // map: results in input order, every call submitted at once.
    for (std::int64_t value : executor.map(sum_generator, WORK_LIST)) result.push_back(value);
  }
  double end_tm = seconds_since(start_tm);
  std::printf("\n Result -> %s Time: %.2fsec\n", list_repr(result).c_str(), end_tm);
}

void main_wait() {
  auto start_tm = cf::Clock::now();
  std::vector<cf::Future<std::int64_t>> futures_list;
  cf::ProcessPoolExecutor executor(worker_count());
  for (std::int64_t work : WORK_LIST) {
    auto future = executor.submit(sum_generator, work);
    futures_list.push_back(future);
    std::printf("Scheduled for %lld : %s\n", static_cast<long long>(work),
                examples::future_repr(future).c_str());
  }
  std::printf("\n");

  const double time_limit = 0.5;
  cf::DoneAndNotDone result =
      cf::wait(futures_list, cf::ALL_COMPLETED, std::chrono::duration<double>(time_limit));
  std::printf("Completed tasks:%s\n", examples::set_repr(result.done).c_str());
  // "afer" is the seed's spelling.
  std::printf("Pending ones afer waiting for %g seconds:%s\n", time_limit,
              examples::set_repr(result.not_done).c_str());

  std::vector<std::int64_t> results;
  for (const cf::AnyFuture& future : result.done) {
    results.push_back(future.as<std::int64_t>().result());
  }
  std::printf("%s\n", list_repr(results).c_str());

  double end_tm = seconds_since(start_tm);
  // The seed prints list(result), the (done, not_done) named tuple as a list.
  std::printf("\n Result -> [%s, %s] Time: %.2fsec\n", examples::set_repr(result.done).c_str(),
              examples::set_repr(result.not_done).c_str(), end_tm);
}

void main_as_completed() {
  auto start_tm = cf::Clock::now();
  std::vector<cf::Future<std::int64_t>> futures_list;
  cf::ProcessPoolExecutor executor(worker_count());
  for (std::int64_t work : WORK_LIST) {
    auto future = executor.submit(sum_generator, work);
    futures_list.push_back(future);
    std::printf("Scheduled for %lld : %s\n", static_cast<long long>(work),
                examples::future_repr(future).c_str());
  }
  std::printf("\n");

  for (const cf::AnyFuture& future : cf::as_completed(futures_list)) {
    std::int64_t result = future.as<std::int64_t>().result();
    // The seed writes `future.cancelled` without the call and so prints a
    // bound-method repr; the value it meant is printed here.
    std::printf("Future Result: %lld, Done: %s, Cancelled: %s\n", static_cast<long long>(result),
                examples::py_bool(future.done()), examples::py_bool(future.cancelled()));
  }

  double end_tm = seconds_since(start_tm);
  std::printf("\n Result -> Time: %.2fsec\n", end_tm);
}

}  // namespace

int main(int argc, char** argv) {
  CF_PROCESS_WORKER_ENTRY(argc, argv);  // in a worker: its loop, then exit
  std::string_view which = argc > 1 ? argv[1] : "all";
  if (which != "all" && which != "map" && which != "wait" && which != "as_completed") {
    std::fprintf(stderr, "usage: %s [map|wait|as_completed|all]\n", argv[0]);
    return 2;
  }
  if (which == "map" || which == "all") main_map();
  if (which == "wait" || which == "all") main_wait();
  if (which == "as_completed" || which == "all") main_as_completed();
  return 0;
}
