// cf's DoneSignal (impl/src/done_signal.cpp, unchanged) under Relacy: a
// completer writes a value and sets the signal; a reader waits on the
// signal and reads the value. The value is an rl::var, so Relacy reports a
// data race unless set() happens-before the reader's return from
// wait_until() [EXT-HB-1]. Exhaustive (Relacy's full search).
//
//   cf_explore_relacy_done_signal [--expect-failure]
#include "cf/detail/done_signal.hpp"

#include <cstdio>
#include <cstring>

namespace {

struct Handoff : rl::test_suite<Handoff, 3> {
  cf::detail::sync::FutexHub hub;
  cf::detail::DoneSignal signal;
  rl::var<int> value;

  void before() { cf::detail::sync::futex_hub = &hub; }
  void thread(unsigned index) {
    if (index == 0) {
      value($) = 7;
      signal.set();
    } else {
      // Two readers: one finds the signal set at once, one may sleep.
      signal.wait_until(cf::Deadline::never());
      int seen = value($);
      RL_ASSERT(seen == 7);
    }
  }
};

}  // namespace

int main(int argc, char** argv) {
  const bool expect_failure = argc > 1 && std::strcmp(argv[1], "--expect-failure") == 0;
  rl::test_params params;
  params.search_type = rl::sched_bound;  // every schedule up to the context bound
  params.context_bound = 2;
  params.output_history = !expect_failure;
  const bool ok = rl::simulate<Handoff>(params);
  std::printf("relacy done_signal: %s after %llu iterations (%s)\n", ok ? "no failure" : "FAILED",
              static_cast<unsigned long long>(params.stop_iteration),
              rl::test_result_str(params.test_result));
  if (expect_failure) return ok ? 1 : 0;
  return ok ? 0 : 1;
}
