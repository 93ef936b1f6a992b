// doorbells.hpp — counters a process pool shares with its workers, so that a
// worker waiting for its next call looks at memory, not at its sockets.
//
// Internal. One page-aligned memfd, mapped shared by the parent and every
// worker (inherited at spawn). It holds, each on its own cache line:
//   - queued(): calls the parent has put in the call queue (call_queue.hpp);
//   - sent(slot): calls the parent has sent to worker `slot` alone, on its own
//     socket (process_pool.cpp, send_direct_locked);
//   - spinner(): slot + 1 of the worker that last sent a result, the one idle
//     worker that keeps looking for work before it sleeps (the workers write
//     it; the parent never reads it).
// The parent adds to queued() only after the put it counts has returned, so a
// worker that sees it move finds the calls in the queue (or taken by other
// workers). It adds to sent(slot) just before the send, so the worker reads
// its socket as soon as the call lands, and takes one back if the send
// fails: a worker keeps reading while sent(slot) is ahead of what it took. A system call costs
// microseconds on some machines (about 1.2 us for getppid() on the CI machine), and a worker that
// polls both sockets between calls pays several of them per look.
//
// The parent only writes the counters and never reads them back: what a
// worker does to the mapping cannot mislead the pool.
//
// Thread-safety: the counters are lock-free atomics, shared across processes.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "cf/detail/posix_io.hpp"

namespace cf::detail {

class Doorbells {
 public:
  using Counter = std::atomic<std::uint64_t>;
  static_assert(Counter::is_always_lock_free, "counters shared between processes");

  // In the parent: counters for `slots` workers, zeroed. Throws
  // std::system_error if the memfd cannot be made or mapped.
  explicit Doorbells(std::size_t slots);
  // In a worker: the parent's counters, from the inherited `fd`. Throws
  // std::system_error if it cannot be mapped, std::out_of_range if `slot` is
  // not in it.
  Doorbells(int fd, std::size_t slot);
  Doorbells(const Doorbells&) = delete;
  Doorbells& operator=(const Doorbells&) = delete;
  ~Doorbells();

  // The memfd, for a worker to inherit; -1 in a worker.
  int fd() const { return fd_.get(); }
  // Slots there are counters for: as asked in the parent, as the mapping
  // holds in a worker (a whole number of pages, so at least as many).
  std::size_t slots() const { return slots_; }

  Counter& queued() { return line(0); }
  Counter& spinner() { return line(1); }
  Counter& sent(std::size_t slot) { return line(2 + slot); }

 private:
  Counter& line(std::size_t i);

  UniqueFd fd_;
  void* base_ = nullptr;
  std::size_t size_ = 0;
  std::size_t slots_ = 0;
};

}  // namespace cf::detail
