#include "harness/suite.hpp"

namespace cf::conformance {
namespace {

TEST_F(Conformance, SmokeSubmitValue) {
  CF_CLAUSES("EXEC-SUBMIT-1");
  auto& ex = make_executor(2);
  auto f = ex.submit(Probe::value_of(42));
  CF_EXPECT_VALUE(f->result(kLong), 42);
}

}  // namespace
}  // namespace cf::conformance
