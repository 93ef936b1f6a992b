// Planted bug for the tsan self-check: one thread takes a then b, a second
// (started after the first ended, so it never really deadlocks) takes b then
// a. ThreadSanitizer's deadlock detector (detect_deadlocks=1) must report the
// cycle as "lock-order-inversion (potential deadlock)".
#include <cstdio>
#include <mutex>
#include <thread>

namespace {
std::mutex a;
std::mutex b;

__attribute__((noinline)) void a_then_b() {
  std::lock_guard first(a);
  std::lock_guard second(b);
}

__attribute__((noinline)) void b_then_a() {
  std::lock_guard first(b);
  std::lock_guard second(a);
}
}  // namespace

int main() {
  std::thread(a_then_b).join();
  std::thread(b_then_a).join();
  std::printf("no lock-order inversion reported\n");
  return 0;
}
