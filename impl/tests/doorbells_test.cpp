// The doorbells a process pool shares with its workers (doorbells.hpp): a
// worker's view of the memfd sees the parent's counters and words move and the
// parent the workers' spinner line, each is its own word, and a slot outside the
// mapping is refused.
#include "doorbells.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>

namespace cf::detail {
namespace {

TEST(Doorbells, AWorkerSeesTheParentsCounters) {
  Doorbells parent(3);
  ASSERT_GE(parent.fd(), 0);
  EXPECT_GE(parent.slots(), 3u);
  Doorbells worker(parent.fd(), 2);  // another mapping of the same memfd
  EXPECT_EQ(worker.queued().load(), 0u);
  EXPECT_EQ(worker.direct(2).load(), Doorbells::kFree);
  parent.queued().fetch_add(5);
  std::uint64_t free = Doorbells::kFree;
  EXPECT_TRUE(parent.direct(2).compare_exchange_strong(free, Doorbells::kRouted));
  EXPECT_EQ(worker.queued().load(), 5u);
  EXPECT_EQ(worker.direct(2).load(), Doorbells::kRouted);
  EXPECT_EQ(worker.direct(0).load(), Doorbells::kFree);
  EXPECT_EQ(worker.direct(1).load(), Doorbells::kFree);
  worker.spinner().store(3);  // a worker's own line, apart from the parent's
  EXPECT_EQ(parent.spinner().load(), 3u);
  EXPECT_EQ(parent.queued().load(), 5u);
  for (std::size_t slot = 0; slot < 2; ++slot) {
    EXPECT_EQ(parent.direct(slot).load(), Doorbells::kFree);
  }
}

TEST(Doorbells, ACountIsSeenAcrossProcesses) {
  Doorbells parent(1);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    Doorbells worker(parent.fd(), 0);
    // Waits for the parent's ring, a generous upper bound at most.
    auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (worker.queued().load(std::memory_order_acquire) == 0) {
      if (std::chrono::steady_clock::now() > give_up) ::_exit(2);
    }
    ::_exit(worker.queued().load() == 7 ? 0 : 1);
  }
  parent.queued().fetch_add(7, std::memory_order_release);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(Doorbells, ASlotOutsideTheMappingIsRefused) {
  Doorbells parent(2);
  EXPECT_THROW(Doorbells(parent.fd(), 1u << 20), std::out_of_range);  // past the memfd's end
  EXPECT_THROW(Doorbells(-1, 0), std::system_error);
}

}  // namespace
}  // namespace cf::detail
