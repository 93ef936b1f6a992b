// Planted bug for the asan self-check: reads a heap block after delete[].
// AddressSanitizer must report "heap-use-after-free".
#include <cstdio>

namespace {
__attribute__((noinline)) int read_after_free(int i) {
  int* block = new int[8]();
  delete[] block;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuse-after-free"  // the bug is the point
  return block[i];
#pragma GCC diagnostic pop
}
}  // namespace

int main(int argc, char**) {
  int value = read_after_free(argc);
  std::printf("read %d (no use-after-free reported)\n", value);
  return 0;
}
