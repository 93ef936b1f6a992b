// Must not compile: a positive plain number is not a timeout, its unit is
// ambiguous [EXT-TIMEOUT-2]. The ctest test timeout_number_needs_a_unit
// expects the diagnostic to name the fix.
#include "cf/future.hpp"

int main() {
  cf::Future<int> f;
  f.set_result(1);
  return f.result(5);
}
