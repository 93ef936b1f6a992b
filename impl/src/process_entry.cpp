// The object CF_PROCESS_WORKER_ENTRY pulls into a program. Its marker symbol
// tells ProcessPoolExecutor that main() can act as a worker [PPE-SPAWN-2];
// a program that never calls process_worker_entry never links this object
// (cf is a static library), so the marker is absent there.
#include <sys/prctl.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "cf/detail/process_worker.hpp"
#include "cf/process_pool.hpp"

extern "C" {
extern const char cf_process_worker_entry_present;
const char cf_process_worker_entry_present = 1;
}

namespace cf::detail {

int process_worker_entry(int argc, char** argv) {
  if (argc != 5 || std::strcmp(argv[1], kWorkerFlag) != 0) return -1;
  int fd = std::atoi(argv[2]);
  int call_fd = std::atoi(argv[3]);
  pid_t parent = static_cast<pid_t>(std::atol(argv[4]));
  // Die with the parent [PPE-SPAWN-3]; the check after it closes the race
  // with a parent that died before prctl.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) return 3;
  return worker_main(fd, call_fd);
}

}  // namespace cf::detail
