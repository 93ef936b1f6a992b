// Faults of cf::MpiPoolExecutor's own channel, the MPI messages between the
// manager and its ranks: a rank that sends the parent a message that is no
// frame breaks the pool [PPE-FRAME-1], as a process pool's worker writing
// garbage to its socket does (fault_test.cpp). Linked into cf_mpi_pool_tests
// only.
#include <mpi.h>

#include <string>
#include <vector>

#include "cf/detail/process_worker.hpp"
#include "cf/mpi_pool.hpp"
#include "support.hpp"

namespace cf::process_tests {
namespace {

// In a rank: sends the parent bytes that are no frame, with the tag the pool
// reads frames under.
int send_garbage_to_parent(int) {
  MPI_Comm parent = MPI_COMM_NULL;
  MPI_Comm_get_parent(&parent);
  const char junk[] = "this is not a frame";
  MPI_Send(junk, static_cast<int>(sizeof junk), MPI_BYTE, 0, detail::kMpiFrameTag, parent);
  return 0;
}
CF_REGISTER_TASK(send_garbage_to_parent);

TEST(MpiFault, PPE_FRAME_MalformedFrameBreaksThePool) {
  MpiPoolExecutor pool(1);
  std::vector<Future<int>> futures;
  futures.push_back(pool.submit(send_garbage_to_parent, 0));
  for (int i = 0; i < 3; ++i) futures.push_back(pool.submit(square, i));
  std::string seen;
  {
    CF_STEP("PPE-FRAME-1");
    seen = ending<BrokenProcessPool>([&] { futures[0].result(kLong); });
  }
  CF_ASSERT("PPE-FRAME-1", seen.starts_with(throw_of<BrokenProcessPool>(msg::kMalformedFrame)))
      << "the call that sent garbage ended with " << seen;
  check_broken("PPE-FRAME-1", pool, futures, [&] {
    std::size_t ranks = pool.worker_count();
    return ranks == 0 ? std::string()
                      : std::to_string(ranks) + " ranks still serving the broken pool";
  });
}

}  // namespace
}  // namespace cf::process_tests
