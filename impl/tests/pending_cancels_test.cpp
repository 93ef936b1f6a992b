// The cancellings a shutdown(cancel_futures=true) has in progress
// (pending_cancels.hpp): a waiting shutdown returns only once another thread's
// cancelling has ended, and a done-callback that this cancelling runs and
// that waits for the same pool does not wait for its own thread.
#include "cf/detail/pending_cancels.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

namespace cf::detail {
namespace {

using Cancels = PendingCancels<std::mutex, std::condition_variable>;

TEST(PendingCancels, AWaitEndsOnlyOnceAnotherThreadsCancellingHasEnded) {
  std::mutex mutex;
  Cancels cancels;
  std::vector<int> items = {1, 2};
  {
    std::lock_guard lock(mutex);
    cancels.begin_locked(items);
  }
  std::promise<void> entered;
  std::promise<void> gate;
  auto gate_opened = gate.get_future().share();
  std::atomic<int> cancelled{0};
  std::thread canceller([&] {
    cancels.cancel(mutex, items, [&](int) {
      if (cancelled.load() == 0) {
        entered.set_value();
        gate_opened.wait();  // held inside the cancelling
      }
      ++cancelled;
    });
  });
  entered.get_future().wait();

  std::promise<int> seen;
  auto seen_future = seen.get_future();
  std::thread waiter([&] {
    std::unique_lock lock(mutex);
    cancels.wait(lock);
    seen.set_value(cancelled.load());
  });
  // A detection window: a wait that returned while the cancelling is held
  // shows here; one that would return later than this goes unseen.
  EXPECT_EQ(seen_future.wait_for(std::chrono::milliseconds(200)), std::future_status::timeout)
      << "the wait returned while another thread was still cancelling";
  gate.set_value();
  EXPECT_EQ(seen_future.get(), 2) << "the wait returned before every item was cancelled";
  canceller.join();
  waiter.join();
}

TEST(PendingCancels, ACallbackOfTheCancellingDoesNotWaitForItsOwnThread) {
  std::mutex mutex;
  Cancels cancels;
  std::vector<int> items = {1};
  {
    std::lock_guard lock(mutex);
    cancels.begin_locked(items);
  }
  bool waited = false;
  // A hang here is the failure (the test's timeout bounds it).
  cancels.cancel(mutex, items, [&](int) {
    std::unique_lock lock(mutex);
    cancels.wait(lock);
    waited = true;
  });
  EXPECT_TRUE(waited);
  std::unique_lock lock(mutex);
  cancels.wait(lock);  // nothing is being cancelled now: returns at once
}

}  // namespace
}  // namespace cf::detail
