// The cpython-thread adapter: CPython's own concurrent.futures.ThreadPoolExecutor,
// the suite's oracle (the spec describes CPython). Everything is in
// property_tests/cpython/ (driver.py and its C++ client); this file names the
// executor kind.
#include "cpython/client.hpp"

namespace cf::conformance {

class CpythonThread final : public cpython::CpythonImplementation {
 public:
  CpythonThread() : CpythonImplementation("cpython-thread", "thread") {}
};

}  // namespace cf::conformance

CF_CONFORMANCE_ADAPTER(cf::conformance::CpythonThread)
