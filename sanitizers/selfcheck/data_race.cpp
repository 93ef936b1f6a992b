// Planted bug for the tsan self-check: two threads write one plain int with
// nothing ordering the writes. ThreadSanitizer must report "data race" on
// `counter`; silence means the build is not instrumented.
#include <cstdio>
#include <thread>

namespace {
int counter = 0;  // deliberately neither atomic nor locked

__attribute__((noinline)) void bump() { ++counter; }
}  // namespace

int main() {
  std::thread other(bump);
  bump();  // after the thread started, before the join: unordered with its write
  other.join();
  std::printf("counter=%d (no race reported)\n", counter);
  return 0;
}
