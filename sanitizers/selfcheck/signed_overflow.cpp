// Planted bug for the ubsan self-check: INT_MAX + 1 on int. With
// -fno-sanitize-recover=undefined, UndefinedBehaviorSanitizer must report
// "signed integer overflow" and end the program.
#include <climits>
#include <cstdio>

namespace {
__attribute__((noinline)) int add(int x, int y) { return x + y; }  // overflows below
}  // namespace

int main(int argc, char**) {
  int sum = add(INT_MAX, argc);  // argc >= 1: not folded at compile time
  std::printf("sum=%d (no overflow reported)\n", sum);
  return 0;
}
