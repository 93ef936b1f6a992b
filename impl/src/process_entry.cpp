// The object CF_PROCESS_WORKER_ENTRY pulls into a program. Its marker symbol
// tells ProcessPoolExecutor that main() can act as a worker [PPE-SPAWN-2];
// a program that never calls process_worker_entry never links this object
// (cf is a static library), so the marker is absent there.
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "cf/detail/posix_io.hpp"
#include "cf/detail/process_worker.hpp"
#include "cf/process_pool.hpp"

extern "C" {
extern const char cf_process_worker_entry_present;
const char cf_process_worker_entry_present = 1;
// A rank of cf::MpiPoolExecutor (cf_mpi); null in programs without it.
__attribute__((weak)) int cf_mpi_worker_main(int argc, char** argv);
}

namespace cf::detail {

int process_worker_entry(int argc, char** argv) {
  if (argc == 2 && std::strcmp(argv[1], kMpiWorkerFlag) == 0) {
    if (cf_mpi_worker_main == nullptr) return 2;
    return cf_mpi_worker_main(argc, argv);
  }
  if (argc != 7 || std::strcmp(argv[1], kWorkerFlag) != 0) return -1;
  int fd = std::atoi(argv[2]);
  int call_fd = std::atoi(argv[3]);
  pid_t parent = static_cast<pid_t>(std::atol(argv[4]));
  int bells_fd = std::atoi(argv[5]);
  int slot = std::atoi(argv[6]);
  // Die with the parent process [PPE-SPAWN-3]: a thread watches it, because
  // PR_SET_PDEATHSIG follows the parent's *thread* that spawned the worker,
  // and a thread that submitted may end long before the pool. The check
  // after opening the pidfd closes the race with a parent that died first.
  UniqueFd parent_gone = open_pidfd(parent);
  if (::getppid() != parent) return 3;
  UniqueFd stop(::eventfd(0, EFD_CLOEXEC));
  if (!stop) return 2;
  std::thread watchdog([&] {
    pollfd fds[2] = {{stop.get(), POLLIN, 0}, {parent_gone.get(), POLLIN, 0}};
    for (;;) {
      // Without pidfds (Linux before 5.3) it asks ten times a second.
      int n = parent_gone ? ::poll(fds, 2, -1) : ::poll(fds, 1, 100);
      if (n < 0 && errno == EINTR) continue;
      if (fds[0].revents) return;  // the worker is exiting on its own
      if (parent_gone ? fds[1].revents != 0 : ::getppid() != parent) ::_exit(3);
    }
  });
  int exit_code = worker_main(fd, call_fd, bells_fd, slot);
  // Joined, so the worker exits with one thread (ThreadSanitizer pauses the
  // exit of a process that has more).
  std::uint64_t one = 1;
  while (::write(stop.get(), &one, sizeof one) < 0 && errno == EINTR) {
  }
  watchdog.join();
  return exit_code;
}

}  // namespace cf::detail
