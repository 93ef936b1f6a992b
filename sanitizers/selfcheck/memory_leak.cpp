// Planted bug for the lsan self-check: allocates blocks and drops the only
// pointers to them. LeakSanitizer (detect_leaks=1, at exit) must report
// "detected memory leaks".
#include <cstdio>
#include <cstdlib>

namespace {
void* volatile last = nullptr;  // volatile: the allocations cannot be elided

__attribute__((noinline)) void lose_blocks() {
  for (int i = 0; i < 16; ++i) last = std::malloc(4096);
  last = nullptr;  // the only pointers are gone: 16 blocks leaked
}
}  // namespace

int main() {
  lose_blocks();
  std::printf("no leak reported yet (LeakSanitizer reports at exit)\n");
  return 0;
}
