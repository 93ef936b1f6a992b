// doorbells.hpp — counters a process pool shares with its workers, so that a
// worker waiting for its next call looks at memory, not at its sockets.
//
// Internal. One page-aligned memfd, mapped shared by the parent and every
// worker (inherited at spawn). It holds, each on its own cache line:
//   - queued(): calls the parent has put in the call queue (call_queue.hpp);
//   - direct(slot): worker `slot`'s hand-off word (kFree, kRouted, kTaking),
//     which decides, call by call, whether the parent may send a call to that
//     worker alone, on its own socket (process_pool.cpp, send_direct_locked);
//   - spinner(): slot + 1 of the worker that last sent a result, the one idle
//     worker that keeps looking for work before it sleeps (the workers write
//     it; the parent never reads it).
// The parent adds to queued() only after the put it counts has returned, so a
// worker that sees it move finds the calls in the queue (or taken by other
// workers). A worker looks here rather than at its sockets: a system call
// costs microseconds on some machines (about 1.2 us for getppid() on the CI
// machine), and a worker that polls both sockets between calls pays several of
// them per look.
//
// The hand-off word keeps a worker from holding two calls at once: one sent to
// it alone and one it took from the queue. The one sent alone is the older
// (the parent sends one only when no other call is in flight), so the worker
// would run it first, and the queued call would wait behind it however long
// it runs, while another worker sat idle. So the two exclude each other:
//   - the parent sends a call to a worker alone only if it turns the word from
//     kFree to kRouted (before the send; back to kFree if the send fails), and
//     otherwise puts the call in the queue;
//   - a worker reads the queue only if it turns the word from kFree to kTaking
//     (back to kFree after the read); finding kRouted, it reads its own socket
//     until the call is in, and puts kFree back once it has it.
//
// The parent reads nothing back but the hand-off word, and only to choose
// between its two routes, both correct: what a worker does to the mapping
// cannot mislead the pool.
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

  // The states of a hand-off word, direct(slot).
  static constexpr std::uint64_t kFree = 0;    // neither side holds it
  static constexpr std::uint64_t kRouted = 1;  // the parent sends the worker a call alone
  static constexpr std::uint64_t kTaking = 2;  // the worker is reading the queue

  Counter& queued() { return line(0); }
  Counter& spinner() { return line(1); }
  Counter& direct(std::size_t slot) { return line(2 + slot); }

 private:
  Counter& line(std::size_t i);

  UniqueFd fd_;
  void* base_ = nullptr;
  std::size_t size_ = 0;
  std::size_t slots_ = 0;
};

}  // namespace cf::detail
