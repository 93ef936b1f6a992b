// What the process tests share: the clause tag, the registered tasks, and
// checks for zombies and leaked fds.
#pragma once

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "cf/cf.hpp"
#include "harness/lab.hpp"

// The clauses a test checks (read by ci/check_clauses from the source).
#define CF_CLAUSES(...) ::testing::Test::RecordProperty("clauses", #__VA_ARGS__)

namespace cf::process_tests {

using namespace std::chrono_literals;
// Upper bound for something that must happen (a worker starting, a result).
inline constexpr auto kLong = std::chrono::seconds(30);

// Tasks (registered in tasks.cpp).
int square(int x);
int worker_pid(int ignored);
int pass_gate(int lab_fd, int gate);     // arrives at `gate`, waits for it, returns getpid()
int crash_with(int signal);              // raise(signal) in the worker
int write_garbage(int ignored);          // writes non-frame bytes to the parent
int throw_named(std::string type, std::string message);
int throw_or_index(int i);            // throws std::range_error("bad") for 3
void failing_initializer();
void noop_initializer();

// Files open in this process right now.
inline int open_fd_count() {
  int n = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

// True when `pid` is no child of ours, alive or zombie: reaped or never ours.
inline bool reaped(pid_t pid) {
  return ::waitpid(pid, nullptr, WNOHANG) < 0 && errno == ECHILD;
}

// Blocks until process `pid` (any process, not only a child) has exited, or
// `timeout`; true if it is gone.
inline bool await_exit(pid_t pid, std::chrono::milliseconds timeout) {
  int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) return errno == ESRCH;
  pollfd p{fd, POLLIN, 0};
  int rc = ::poll(&p, 1, static_cast<int>(timeout.count()));
  ::close(fd);
  return rc == 1;
}

}  // namespace cf::process_tests
