// What a thread pool call holds dies when the call is over, whatever its
// future does: a submitted call lives in its future's state (work_item.hpp),
// so a handle still held must not keep the callable and its arguments alive,
// whether the call ran, was cancelled in the queue, was cancelled by
// shutdown(cancel_futures=true) or failed with a broken pool. A callable
// that holds its own future would otherwise keep the pair alive for good.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <semaphore>
#include <stdexcept>

#include "cf/thread_pool.hpp"

namespace cf {
namespace {

// Generous upper bound for a destruction that must happen.
constexpr auto kBound = std::chrono::seconds(30);

// Releases `dead` once, when the last copy of the callable that holds it is
// destroyed.
struct Token {
  explicit Token(std::binary_semaphore& dead) : dead_(&dead) {}
  Token(const Token&) = delete;
  ~Token() { dead_->release(); }
  std::binary_semaphore* dead_;
};

// A worker held on a gate until the test opens it.
struct HeldWorker {
  std::promise<void> started;
  std::promise<void> gate;
  Future<int> future;

  explicit HeldWorker(ThreadPoolExecutor& pool) {
    auto opened = gate.get_future().share();
    future = pool.submit([this, opened] {
      started.set_value();
      opened.wait();
      return 0;
    });
    started.get_future().wait();
  }
  void open() { gate.set_value(); }
};

TEST(TaskLifetime, TheCallableDiesAfterItsRunWhileTheFutureIsStillHeld) {
  std::binary_semaphore dead(0);
  ThreadPoolExecutor pool(1);
  auto token = std::make_shared<Token>(dead);
  auto future = pool.submit([token] { return 7; });
  token.reset();
  EXPECT_EQ(future.result(), 7);
  EXPECT_TRUE(dead.try_acquire_for(kBound)) << "the callable outlived its run";
}

TEST(TaskLifetime, ACallCancelledInTheQueueDiesWhenAWorkerSkipsIt) {
  std::binary_semaphore dead(0);
  ThreadPoolExecutor pool(1);
  HeldWorker held(pool);
  auto token = std::make_shared<Token>(dead);
  auto future = pool.submit([token] { return 7; });
  token.reset();
  ASSERT_TRUE(future.cancel());
  held.open();
  EXPECT_TRUE(dead.try_acquire_for(kBound)) << "the cancelled callable outlived its skip";
  EXPECT_TRUE(future.cancelled());
}

TEST(TaskLifetime, ACallHoldingItsOwnFutureDiesWhenShutdownCancelsIt) {
  std::binary_semaphore dead(0);
  ThreadPoolExecutor pool(1);
  HeldWorker held(pool);
  auto token = std::make_shared<Token>(dead);
  auto own = std::make_shared<Future<int>>();
  auto future = pool.submit([token, own] { return own->done() ? 1 : 0; });
  *own = future;  // the callable now holds its own future: a cycle while it lives
  token.reset();
  own.reset();
  pool.shutdown(/*wait=*/false, /*cancel_futures=*/true);
  EXPECT_TRUE(future.cancelled());
  EXPECT_TRUE(dead.try_acquire_for(kBound)) << "the cancelled callable outlived shutdown";
  held.open();
}

TEST(TaskLifetime, ACallFailedByABrokenPoolDies) {
  std::binary_semaphore dead(0);
  std::promise<void> gate;
  auto opened = gate.get_future().share();
  ThreadPoolExecutor pool(ThreadPoolExecutor::Options{1, {}, [opened] {
                                                        opened.wait();
                                                        throw std::runtime_error("init");
                                                      }});
  auto token = std::make_shared<Token>(dead);
  auto future = pool.submit([token] { return 7; });
  token.reset();
  gate.set_value();  // the initializer throws with the call queued
  EXPECT_THROW(future.result(), BrokenThreadPool);
  EXPECT_TRUE(dead.try_acquire_for(kBound)) << "the orphaned callable outlived the break";
}

}  // namespace
}  // namespace cf
