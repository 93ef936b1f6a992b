// Unit tests of detail::DoneSignal (the one-shot flag a future's waiters
// block on) and detail::spin_until (the bounded spin before parking). Every
// blocking call has a deadline; none uses sleep to order threads.
#include "cf/detail/done_signal.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "cf/detail/spin_wait.hpp"
#include "cf/timeout.hpp"

namespace cf::detail {
namespace {

using namespace std::chrono_literals;

// Far longer than any wake-up takes, even on a loaded 2-core CI machine.
constexpr auto kGenerous = 30s;

TEST(DoneSignal, StartsUnsetAndAPollSaysSo) {
  DoneSignal signal;
  EXPECT_FALSE(signal.is_set());
  EXPECT_FALSE(signal.wait_until(Timeout(0s).deadline()));
}

TEST(DoneSignal, SetIsSeenAndStays) {
  DoneSignal signal;
  signal.set();
  signal.set();  // idempotent
  EXPECT_TRUE(signal.is_set());
  EXPECT_TRUE(signal.wait_until(Timeout(0s).deadline()));
  EXPECT_TRUE(signal.wait_until(Deadline::never()));
}

TEST(DoneSignal, TimedWaitGivesUpNoEarlierThanItsDeadline) {
  DoneSignal signal;
  auto start = Clock::now();
  EXPECT_FALSE(signal.wait_until(Timeout(20ms).deadline()));
  EXPECT_GE(Clock::now() - start, 20ms);
}

// Waiters past their spin are asleep on the futex; set() must wake them all.
TEST(DoneSignal, SetWakesEveryBlockedWaiter) {
  DoneSignal signal;
  std::atomic<int> woken{0};
  std::vector<std::thread> waiters;
  for (int i = 0; i < 4; ++i) {
    waiters.emplace_back([&] {
      if (signal.wait_until(Timeout(kGenerous).deadline())) ++woken;
    });
  }
  // Let the waiters run out of spin budget so the futex path is taken; this
  // wait only makes sleeping likely, correctness does not depend on it.
  spin_until([] { return false; }, 5 * kSpinBudget);
  signal.set();
  for (auto& t : waiters) t.join();
  EXPECT_EQ(woken, 4);
}

// What the setter wrote before set() is visible after wait_until() returns.
TEST(DoneSignal, SetHappensBeforeTheWaiterReturns) {
  for (int round = 0; round < 200; ++round) {
    DoneSignal signal;
    int value = 0;
    std::thread setter([&] {
      value = round + 1;
      signal.set();
    });
    ASSERT_TRUE(signal.wait_until(Timeout(kGenerous).deadline()));
    EXPECT_EQ(value, round + 1);
    setter.join();
  }
}

TEST(SpinUntil, ReturnsAtOnceWhenReady) {
  int polls = 0;
  EXPECT_TRUE(spin_until([&] { return ++polls > 0; }));
  EXPECT_EQ(polls, 1);
}

TEST(SpinUntil, GivesUpAfterItsBudget) {
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(spin_until([] { return false; }, 2ms));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 2ms);
}

TEST(SpinUntil, SeesAnotherThreadsChange) {
  std::atomic<bool> ready{false};
  std::thread flipper([&] { ready = true; });
  // Keep spinning (budget per call) until the flip; bounded by kGenerous.
  auto give_up = std::chrono::steady_clock::now() + kGenerous;
  bool seen = false;
  while (!seen && std::chrono::steady_clock::now() < give_up) {
    seen = spin_until([&] { return ready.load(); });
  }
  flipper.join();
  EXPECT_TRUE(seen);
}

}  // namespace
}  // namespace cf::detail
