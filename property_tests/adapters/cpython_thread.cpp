// The cpython-thread adapter: CPython's own concurrent.futures.ThreadPoolExecutor,
// the suite's oracle (the spec describes CPython). Everything is in
// property_tests/cpython/ (driver.py and its C++ client); this file names the
// executor kind.
#include "cpython/client.hpp"

// One program per interpreter (CMake CF_PYTHONS): its column and python.
#ifndef CF_CPYTHON_COLUMN
#define CF_CPYTHON_COLUMN "cpython-thread"
#endif
#ifndef CF_CPYTHON_INTERPRETER
#define CF_CPYTHON_INTERPRETER ""
#endif

namespace cf::conformance {

class CpythonThread final : public cpython::CpythonImplementation {
 public:
  CpythonThread() : CpythonImplementation(CF_CPYTHON_COLUMN, "thread", CF_CPYTHON_INTERPRETER) {}
};

}  // namespace cf::conformance

CF_CONFORMANCE_ADAPTER(cf::conformance::CpythonThread)
