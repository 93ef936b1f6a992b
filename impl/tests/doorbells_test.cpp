// The doorbells a process pool shares with its workers (doorbells.hpp): a
// worker's view of the memfd sees the parent's counters move and the parent
// the workers' spinner line, each is its own counter, and a slot outside the
// mapping is refused.
#include "doorbells.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
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
  EXPECT_EQ(worker.sent(2).load(), 0u);
  parent.queued().fetch_add(5);
  parent.sent(2).fetch_add(1);
  EXPECT_EQ(worker.queued().load(), 5u);
  EXPECT_EQ(worker.sent(2).load(), 1u);
  EXPECT_EQ(worker.sent(0).load(), 0u);
  EXPECT_EQ(worker.sent(1).load(), 0u);
  worker.spinner().store(3);  // a worker's own line, apart from the parent's
  EXPECT_EQ(parent.spinner().load(), 3u);
  EXPECT_EQ(parent.queued().load(), 5u);
  for (std::size_t slot = 0; slot < 3; ++slot) EXPECT_LE(parent.sent(slot).load(), 1u);
}

TEST(Doorbells, ACountIsSeenAcrossProcesses) {
  Doorbells parent(1);
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    Doorbells worker(parent.fd(), 0);
    // Waits for the parent's ring, a generous upper bound at most.
    auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (worker.sent(0).load(std::memory_order_acquire) == 0) {
      if (std::chrono::steady_clock::now() > give_up) ::_exit(2);
    }
    ::_exit(worker.sent(0).load() == 7 ? 0 : 1);
  }
  parent.sent(0).fetch_add(7, std::memory_order_release);
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
