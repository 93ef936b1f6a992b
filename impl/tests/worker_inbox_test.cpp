// A process worker's two inboxes (process_worker.cpp): while the parent holds
// the worker's hand-off word (doorbells.hpp) for a call sent to it alone, the
// worker leaves the queue to the other workers; it takes that call, then reads
// the queue again. A worker that took a queued call meanwhile would hold it
// behind the other one, however long that runs, with another worker idle.
//
// The test plays the parent and a second worker; the worker under test is a
// fork running worker_main. The calls name no registered task, so each comes
// back as an error reply carrying its id, which is all the test reads.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "call_queue.hpp"
#include "cf/detail/frame.hpp"
#include "cf/detail/posix_io.hpp"
#include "cf/detail/process_worker.hpp"
#include "doorbells.hpp"

namespace cf::detail {
namespace {

constexpr int kGenerousMs = 30'000;  // an upper bound on a wait that must end

std::string call(std::uint64_t id) { return encode_call_frame(id, "not-registered", {"x"}); }

// Whether `fd` has something to read within kGenerousMs.
bool readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, kGenerousMs) == 1;
}

// The id of the worker's next reply on `fd`, or nullopt if none comes.
std::optional<std::uint64_t> next_reply(int fd, FrameDecoder& decoder) {
  for (;;) {
    if (auto frame = decoder.next()) return parse_result_frame(*frame).id;
    if (!readable(fd)) return std::nullopt;
    char buf[4096];
    long n = read_some(fd, buf, sizeof buf);
    if (n <= 0) return std::nullopt;
    decoder.feed(buf, static_cast<std::size_t>(n));
  }
}

// The id of the next call in the queue, taken as another worker would, or
// nullopt if none comes.
std::optional<std::uint64_t> take_as_another_worker(int queue_fd) {
  if (!readable(queue_fd)) return std::nullopt;
  Frame frame;
  if (try_take_call(queue_fd, frame) != Take::kCall) return std::nullopt;
  return parse_call_frame(frame).id;
}

TEST(WorkerInbox, AWorkerLeavesTheQueueWhileACallIsRoutedToIt) {
  Doorbells bells(1);
  CallQueue queue;
  int sv[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  UniqueFd ours(sv[0]);
  UniqueFd theirs(sv[1]);

  // The parent has routed a call to the worker and not sent it yet; a call is
  // queued after it. Both before the worker's first look.
  std::uint64_t free = Doorbells::kFree;
  ASSERT_TRUE(bells.direct(0).compare_exchange_strong(free, Doorbells::kRouted));
  std::vector<std::string> queued = {call(2)};
  ASSERT_EQ(queue.put(queued), 1u);
  bells.queued().fetch_add(1, std::memory_order_release);

  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ours.reset();
    ::_exit(worker_main(theirs.get(), queue.worker_fd(), bells.fd(), 0));
  }
  theirs.reset();
  BodyWriter config;
  config.bytes("").bytes("").u64(0);  // no initializer, no task limit
  ASSERT_TRUE(write_all(ours.get(), encode_frame(FrameType::kConfig, config.take())));

  // The queued call is still there for another worker.
  EXPECT_EQ(take_as_another_worker(queue.worker_fd()), std::optional<std::uint64_t>(2))
      << "the worker took a queued call while a call was on its way to it alone";

  // The routed call lands and is run; the worker hands the word back (it may
  // hold it again for a moment, reading the queue: kTaking).
  FrameDecoder replies;
  ASSERT_TRUE(write_all(ours.get(), call(1)));
  EXPECT_EQ(next_reply(ours.get(), replies), std::optional<std::uint64_t>(1));
  EXPECT_NE(bells.direct(0).load(), Doorbells::kRouted);

  // With the word free, the worker reads the queue again.
  queued = {call(3)};
  ASSERT_EQ(queue.put(queued), 1u);
  bells.queued().fetch_add(1, std::memory_order_release);
  EXPECT_EQ(next_reply(ours.get(), replies), std::optional<std::uint64_t>(3));

  queue.close();
  ours.reset();
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "worker status " << status;
}

}  // namespace
}  // namespace cf::detail
