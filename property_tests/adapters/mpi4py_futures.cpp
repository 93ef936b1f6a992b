// The mpi4py-futures adapter: mpi4py.futures.MPIPoolExecutor, whose workers
// are MPI processes spawned with MPI_Comm_spawn, driven by cpython/driver.py
// started as the one rank of `mpiexec -n 1`.
#include "cpython/client.hpp"

namespace cf::conformance {

class Mpi4pyFutures final : public cpython::CpythonImplementation {
 public:
  Mpi4pyFutures() : CpythonImplementation("mpi4py-futures", "mpi4py") {}
};

}  // namespace cf::conformance

CF_CONFORMANCE_ADAPTER(cf::conformance::Mpi4pyFutures)
