// map()'s timeout: the deadline fixed at the call, and every call not yet
// started cancelled when it passes, explored.
#include <chrono>
#include <string>
#include <vector>

#include "cf/thread_pool.hpp"
#include "protocol.hpp"

namespace cf::explore {
namespace {

using namespace std::chrono_literals;

// map(fn, {1, 2}, timeout 5 ms) on a one-worker pool busy with a call that
// a third actor releases; the consumer reads the results.
void timeout_cancels_rest() {
  bool timed_out = false;
  int started_after_timeout = 0;
  Nanos deadline{}, timed_out_at{};
  std::vector<int> got;
  {
    ThreadPoolExecutor pool(1);
    Future<int> gate;
    auto busy = pool.submit([gate] { return gate.result(); });
    auto fn = [&](int x) {
      if (timed_out) ++started_after_timeout;
      return x * 10;
    };
    run_actors({
        [&] {
          deadline = now() + Nanos(5ms);
          auto results = pool.map(fn, std::vector<int>{1, 2}, MapOptions{5ms});
          try {
            for (int v : results) got.push_back(v);
          } catch (const TimeoutError&) {
            timed_out = true;
            timed_out_at = now();
          }
        },
        [&] { gate.set_result(0); },
    });
  }  // the pool's destructor: every call still queued runs or was cancelled
  const std::vector<int> expected{10, 20};
  check(std::equal(got.begin(), got.end(), expected.begin()), "MAP-ORDER-1",
        "map's results are not a prefix of the inputs' results in order");
  if (timed_out) {
    check(timed_out_at == deadline, "MAP-TIMEOUT-1",
          "map timed out " + std::to_string((timed_out_at - deadline).count()) +
              " ns away from the deadline fixed at the call");
    check(started_after_timeout == 0, "MAP-TIMEOUT-2",
          std::to_string(started_after_timeout) + " calls started after map timed out");
  } else {
    check(got == expected, "MAP-ORDER-1", "map ended early without a timeout");
  }
}

CF_EXPLORE_PROTOCOL(
    "map.timeout_cancels_rest", "MAP-TIMEOUT-1 MAP-TIMEOUT-2 MAP-ORDER-1",
    "map(timeout) on a busy one-worker pool while a third actor releases the worker: results in "
    "order, the timeout at the deadline fixed at the call, and no call starts after it "
    "[MAP-TIMEOUT-1] [MAP-TIMEOUT-2] [MAP-ORDER-1]",
    3, Bounds{2, 1, 20000}, timeout_cancels_rest);

}  // namespace
}  // namespace cf::explore
