// cf/detail/posix_io.hpp — the descriptor and process plumbing of the process pool, in
// one place: the parent (process_pool.cpp), the worker (process_worker.cpp)
// and the call queue between them (call_queue.cpp) use these and nothing
// else to write, read, close and reap; cf's own tests use them too (the
// CPython driver's pipes, a worker's exit).
//
// Internal. Every call retries EINTR itself; none throws unless it says so.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string_view>
#include <utility>

namespace cf::detail {

// Throws std::system_error for errno, naming `what`.
[[noreturn]] void throw_errno(const char* what);

// Writes all of `data`; false if that failed (the peer is gone). To a socket
// it sends with MSG_NOSIGNAL, so a closed peer is a false return, never a
// SIGPIPE; to anything else (a memfd) it writes.
bool write_all(int fd, std::string_view data);

// One read of up to `size` bytes: > 0 bytes read, 0 at EOF, -1 on an error
// other than EINTR (errno set; EAGAIN for a non-blocking fd with no data).
long read_some(int fd, char* buffer, std::size_t size);

// Marks a descriptor close-on-exec / non-blocking; false on failure.
bool set_cloexec(int fd);
bool set_nonblocking(int fd);

// Waits until the child `pid` has exited and reaps it.
void reap(pid_t pid);

// Reaps the child `pid`, which is ending, and returns its wait status. It
// waits at most `grace_ms` for the child to end (its descriptors close just
// before it does); past that the child is killed, and the status says so.
int reap_ending(pid_t pid, int grace_ms);

// The CPUs this process may run on (its affinity mask), at least 1: what
// os.process_cpu_count() returns, behind both pools' default worker counts.
int process_cpu_count();

// An owned descriptor, closed once.
class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    if (this != &other) reset(std::exchange(other.fd_, -1));
    return *this;
  }
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  void reset(int fd = -1);
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_ = -1;
};

// A pidfd of process `pid` (readable once it has ended), or an empty UniqueFd
// if the kernel has none (Linux before 5.3, errno ENOSYS) or the process is
// gone (errno ESRCH).
UniqueFd open_pidfd(pid_t pid);

}  // namespace cf::detail
