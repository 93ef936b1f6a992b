// The cpython-process adapter: CPython's own concurrent.futures.ProcessPoolExecutor,
// the suite's oracle (the spec describes CPython). Everything is in
// property_tests/cpython/ (driver.py and its C++ client); this file names the
// executor kind.
#include "cpython/client.hpp"

namespace cf::conformance {

class CpythonProcess final : public cpython::CpythonImplementation {
 public:
  CpythonProcess() : CpythonImplementation("cpython-process", "process") {}
};

}  // namespace cf::conformance

CF_CONFORMANCE_ADAPTER(cf::conformance::CpythonProcess)
