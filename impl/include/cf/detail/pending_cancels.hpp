// cf/detail/pending_cancels.hpp — the futures a shutdown(cancel_futures=true)
// took from a pool and is still cancelling.
//
// Internal. A pool cancels them outside its lock, since a done-callback may
// call the pool. So a shutdown(wait=true) in another thread can find the
// workers gone while some of those futures are not yet cancelled; it waits
// here until they are, since afterwards every future of the pool is done
// [SHUT-WAIT-1]. A done-callback that this cancelling runs, in the cancelling
// thread, and that waits for the same pool's shutdown does not wait for its
// own thread.
//
// Thread-safety: begin_locked() and wait() under the pool's mutex; cancel()
// without it (it takes the mutex to end).
#pragma once

#include <cstddef>
#include <mutex>
#include <utility>

namespace cf::detail {

template <class Mutex, class CondVar>
class PendingCancels {
 public:
  // Under the pool's mutex: `items` were just taken from the pool to cancel.
  template <class Items>
  void begin_locked(const Items& items) {
    if (!items.empty()) ++count_;
  }

  // Without the mutex: cancels each of `items` with `cancel_one`, then ends
  // what begin_locked() began and wakes the shutdowns waiting for it.
  template <class Items, class Cancel>
  void cancel(Mutex& mutex, Items& items, Cancel cancel_one) {
    if (items.empty()) return;
    const void* outer = std::exchange(t_cancelling, this);
    for (auto& item : items) cancel_one(item);
    items.clear();
    t_cancelling = outer;
    std::lock_guard lock(mutex);
    if (--count_ == 0) done_.notify_all();
  }

  // Under the pool's mutex (`lock` holds it): waits until every cancelling
  // begun in another thread has ended.
  template <class Lock>
  void wait(Lock& lock) {
    const std::size_t own = t_cancelling == this ? 1 : 0;
    done_.wait(lock, [&] { return count_ <= own; });
  }

 private:
  static inline thread_local const void* t_cancelling = nullptr;
  std::size_t count_ = 0;
  CondVar done_;
};

}  // namespace cf::detail
