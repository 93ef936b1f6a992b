// What the process tests share: the registered tasks, checks for zombies and
// leaked fds, and how a call ended, in words a check can compare.
//
// These tests call cf:: directly (a real cf::ProcessPoolExecutor), but run
// under the suite's runner with the reference-process adapter, so their
// tagged checks (harness/check.hpp) land in that column of the clause table.
#pragma once

#include <cxxabi.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

#include "cf/cf.hpp"
#include "cf/detail/posix_io.hpp"
#include "harness/check.hpp"
#include "harness/lab.hpp"
#include "harness/setups.hpp"

namespace cf::process_tests {

using namespace std::chrono_literals;
// Upper bound for something that must happen (a worker starting, a result).
inline constexpr auto kLong = std::chrono::seconds(30);

// Tasks (registered in tasks.cpp).
int square(int x);
int worker_pid(int ignored);
int pass_gate(int lab_fd, int gate);  // arrives at `gate`, waits for it, returns getpid()
int crash_with(int signal);           // raise(signal) in the worker
int write_garbage(int ignored);       // writes non-frame bytes to the parent
int throw_named(std::string type, std::string message);
int throw_or_index(int i);  // throws std::range_error("bad") for 3
int exit_with(int code);    // _exit(code) in the worker
void failing_initializer();
void noop_initializer();

// Files open in this process right now.
inline int open_fd_count() {
  int n = 0;
  for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator("/proc/self/fd")) ++n;
  return n;
}

// True when `pid` is no child of ours, alive or zombie: reaped or never ours.
inline bool reaped(pid_t pid) { return ::waitpid(pid, nullptr, WNOHANG) < 0 && errno == ECHILD; }

// After a fault that broke `pool` (the rule `breaks` says it must): every
// future failed with BrokenProcessPool, the pool says it is broken
// [EXT-BROKEN-1] and refuses a submit [PPE-BROKEN-2], shutdown(true)
// returns, and nothing of it is left: `left()` returns "" or names what is
// (workers not reaped, ranks still serving). The breaking rule kills and
// reaps the workers, so what is left is charged to it.
template <class Pool, class Left>
void check_broken(const char* breaks, Pool& pool, std::vector<Future<int>>& futures, Left left) {
  for (std::size_t i = 0; i < futures.size(); ++i) {
    CF_CHECK_THROWS(breaks, futures[i].result(kLong), BrokenProcessPool) << "future " << i;
  }
  CF_CHECK("EXT-BROKEN-1", pool.is_broken()) << "after its futures failed";
  CF_CHECK_THROWS("PPE-BROKEN-2", pool.submit(square, 2), BrokenProcessPool);
  {
    CF_STEP(breaks);  // the broken pool stopped its workers, so shutdown returns
    pool.shutdown(true);
  }
  std::string what = left();
  CF_CHECK(breaks, what.empty()) << what;
}

// Blocks until process `pid` (any process, not only a child) has exited, or
// `timeout`; true if it is gone.
inline bool await_exit(pid_t pid, std::chrono::milliseconds timeout) {
  auto fd = cf::detail::open_pidfd(pid);
  if (!fd) return errno == ESRCH;  // open_pidfd leaves the syscall's errno
  pollfd p{fd.get(), POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(timeout.count())) == 1;
}

// --- how a call ended ---------------------------------------------------------

// The name of type E, demangled ("cf::BrokenProcessPool").
template <class E>
std::string type_name() {
  int status = 0;
  std::unique_ptr<char, void (*)(void*)> name(
      abi::__cxa_demangle(typeid(E).name(), nullptr, nullptr, &status), std::free);
  return status == 0 && name ? name.get() : typeid(E).name();
}

// How `call` ended, in words a check compares with throw_of<E>(...):
// "<E>: <what()>" when it threw an E, "another exception: <what()>" when it
// threw something else, "returned" when it threw nothing.
template <class E>
std::string ending(const std::function<void()>& call) {
  try {
    try {
      call();
    } catch (const E& e) {
      return type_name<E>() + ": " + e.what();
    }
  } catch (const std::exception& e) {
    return std::string("another exception: ") + e.what();
  } catch (...) {
    return "a non-std exception";
  }
  return "returned";
}

// The ending of a call that throws an E saying `message`.
template <class E>
std::string throw_of(std::string_view message) {
  return type_name<E>() + ": " + std::string(message);
}

}  // namespace cf::process_tests
