// call_queue.hpp — the one queue of calls that every worker of a process pool
// takes from (CPython's call_queue).
//
// Internal. The parent puts encoded kCall frames in; whichever worker is free
// takes the next one, so a call never waits behind a long call in one worker
// while another worker is idle, and calls start in the order they were put
// [TPE-FIFO-1]. It is an AF_UNIX SOCK_SEQPACKET socket pair: the parent writes
// one end, every worker reads the other, and the kernel hands each message,
// whole and in order, to exactly one reader. A frame too large for one message
// travels in a memfd attached to a small kCallInFd message (SCM_RIGHTS).
//
// Thread-safety: CallQueue::put and close are called under the pool's mutex;
// try_take_call and take_call are a worker's, from one thread (the worker
// takes with try_take_call and sleeps in epoll; take_call blocks in recvmsg).
// Guarantees: put() never blocks: it sends what the socket accepts now, in
// order, and says how many; the rest stays with the caller (poll parent_fd()
// for POLLOUT). A message is never split or merged with another.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>

#include "cf/detail/frame.hpp"
#include "cf/detail/posix_io.hpp"

namespace cf::detail {

class CallQueue {
 public:
  // Throws std::system_error if the socket pair cannot be made.
  CallQueue();

  // The end every worker inherits and reads; -1 once closed.
  int worker_fd() const { return worker_end_.get(); }
  // The parent's end, to poll for POLLOUT while put() leaves frames over.
  int parent_fd() const { return parent_end_.get(); }

  // Sends frames[0..k) in order and returns k: every frame the socket takes
  // without blocking. Throws std::system_error on a failure other than a full
  // socket (the pool then breaks).
  std::size_t put(std::span<const std::string> frames);

  // Closes both ends: workers blocked in take_call() see the end of the queue
  // once they have taken what was put before.
  void close();

 private:
  bool put_in_memfd(const std::string& frame);

  UniqueFd parent_end_;
  UniqueFd worker_end_;
};

// In a worker: the next call frame (a kCall frame, whole), or nullopt when the
// pool closed the queue. Blocks. Throws FrameError for a message that is not a
// well-formed frame.
std::optional<Frame> take_call(int fd);

// In a worker, without blocking: kCall with the next call frame in `frame`,
// kEmpty if no call is queued now, kClosed when the pool closed the queue.
// Throws FrameError as take_call does.
enum class Take { kCall, kEmpty, kClosed };
Take try_take_call(int fd, Frame& frame);

}  // namespace cf::detail
