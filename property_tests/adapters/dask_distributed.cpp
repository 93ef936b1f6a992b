// The dask-distributed adapter: dask.distributed's concurrent.futures
// executor (Client.get_executor()) on a local cluster, driven by the same
// cpython/driver.py as CPython's own executors. Its futures are plain
// concurrent.futures.Future objects that dask completes from its scheduler,
// so wait/as_completed are CPython's over dask's completions.
#include "cpython/client.hpp"

namespace cf::conformance {

class DaskDistributed final : public cpython::CpythonImplementation {
 public:
  DaskDistributed() : CpythonImplementation("dask-distributed", "dask") {}
};

}  // namespace cf::conformance

CF_CONFORMANCE_ADAPTER(cf::conformance::DaskDistributed)
