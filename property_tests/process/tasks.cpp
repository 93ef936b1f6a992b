#include <signal.h>
#include <unistd.h>

#include <map>
#include <mutex>
#include <stdexcept>

#include "cf/detail/process_worker.hpp"
#include "support.hpp"

namespace cf::process_tests {
namespace {
// Labs are held by value, so a worker's exit unmaps them (held by raw
// pointer, each was leaked at every worker's exit).
conformance::Lab& lab_in_worker(int fd) {
  static std::mutex mutex;
  static std::map<int, conformance::Lab> labs;
  std::lock_guard lock(mutex);
  auto it = labs.find(fd);
  if (it == labs.end()) it = labs.emplace(fd, conformance::Lab::attach(fd)).first;
  return it->second;
}

struct CustomError : std::runtime_error {
  using std::runtime_error::runtime_error;
};
}  // namespace

int square(int x) { return x * x; }
int worker_pid(int) { return static_cast<int>(::getpid()); }
int pass_gate(int lab_fd, int gate) {
  lab_in_worker(lab_fd).pass_gate(gate);
  return static_cast<int>(::getpid());
}
int crash_with(int signal) {
  // Death by the signal itself: AddressSanitizer's SIGSEGV handler would
  // otherwise catch it, print a report of a crash we asked for and exit(1).
  ::signal(signal, SIG_DFL);
  ::raise(signal);
  return 0;
}
int write_garbage(int) {
  const char junk[] = "this is not a frame";
  [[maybe_unused]] auto n = ::write(detail::worker_socket_fd(), junk, sizeof junk);
  return 0;
}
int throw_named(std::string type, std::string message) {
  if (type == "std::runtime_error") throw std::runtime_error(message);
  if (type == "std::logic_error") throw std::logic_error(message);
  if (type == "std::invalid_argument") throw std::invalid_argument(message);
  if (type == "std::out_of_range") throw std::out_of_range(message);
  if (type == "std::domain_error") throw std::domain_error(message);
  if (type == "std::length_error") throw std::length_error(message);
  if (type == "std::range_error") throw std::range_error(message);
  if (type == "std::overflow_error") throw std::overflow_error(message);
  if (type == "std::underflow_error") throw std::underflow_error(message);
  if (type == "std::bad_alloc") throw std::bad_alloc();
  if (type == "cf::CancelledError") throw CancelledError(message);
  if (type == "int") throw 42;
  throw CustomError(message);
}
int exit_with(int code) { ::_exit(code); }
int throw_or_index(int i) {
  if (i == 3) throw std::range_error("bad");
  return i;
}
void failing_initializer() { throw std::runtime_error("initializer failed on purpose"); }
void noop_initializer() {}

CF_REGISTER_TASK(square);
CF_REGISTER_TASK(worker_pid);
CF_REGISTER_TASK(pass_gate);
CF_REGISTER_TASK(crash_with);
CF_REGISTER_TASK(write_garbage);
CF_REGISTER_TASK(throw_named);
CF_REGISTER_TASK(throw_or_index);
CF_REGISTER_TASK(exit_with);
CF_REGISTER_TASK(failing_initializer);
CF_REGISTER_TASK(noop_initializer);

}  // namespace cf::process_tests
