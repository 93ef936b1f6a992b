// The call queue every worker of a process pool takes from (call_queue.hpp):
// frames come out whole, once each and in order, small ones inline and large
// ones through a memfd; a full socket is reported, never blocked on; closing
// the queue ends it for its readers; a take that must not block tells an
// empty queue from a closed one.
#include "call_queue.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace cf::detail {
namespace {

std::string call_frame(std::uint64_t id, std::size_t arg_size = 4) {
  return encode_call_frame(id, "task", {std::string(arg_size, static_cast<char>('a' + id % 26))});
}

std::uint64_t take_id(int fd) {
  auto frame = take_call(fd);
  if (!frame) return 0;
  return parse_call_frame(*frame).id;
}

TEST(CallQueue, FramesComeOutWholeAndInOrder) {
  CallQueue queue;
  std::vector<std::string> frames = {call_frame(1), call_frame(2), call_frame(3)};
  ASSERT_EQ(queue.put(frames), 3u);
  for (std::uint64_t id = 1; id <= 3; ++id) {
    auto frame = take_call(queue.worker_fd());
    ASSERT_TRUE(frame);
    CallFrame call = parse_call_frame(*frame);
    EXPECT_EQ(call.id, id);
    EXPECT_EQ(call.task, "task");
    ASSERT_EQ(call.args.size(), 1u);
    EXPECT_EQ(call.args[0], std::string(4, static_cast<char>('a' + id)));
  }
}

TEST(CallQueue, LargeFrameTravelsInAMemfd) {
  CallQueue queue;
  std::vector<std::string> frames = {call_frame(1), call_frame(2, 3 << 20), call_frame(3)};
  ASSERT_EQ(queue.put(frames), 3u);
  EXPECT_EQ(take_id(queue.worker_fd()), 1u);
  auto big = take_call(queue.worker_fd());
  ASSERT_TRUE(big);
  CallFrame call = parse_call_frame(*big);
  EXPECT_EQ(call.id, 2u);
  EXPECT_EQ(call.args.at(0), std::string(3 << 20, 'c'));
  EXPECT_EQ(take_id(queue.worker_fd()), 3u);
}

TEST(CallQueue, FullSocketIsReportedNotBlockedOn) {
  CallQueue queue;
  // Frames just under the inline limit, until the socket takes no more.
  std::vector<std::string> frames;
  for (std::uint64_t id = 1; id <= 1000; ++id) frames.push_back(call_frame(id, 30 * 1024));
  std::size_t sent = queue.put(frames);
  ASSERT_LT(sent, frames.size());
  ASSERT_GT(sent, 0u);
  EXPECT_EQ(take_id(queue.worker_fd()), 1u);
  // Room again: the next frame in order goes in.
  std::vector<std::string> next(frames.begin() + static_cast<std::ptrdiff_t>(sent),
                                frames.begin() + static_cast<std::ptrdiff_t>(sent) + 1);
  EXPECT_EQ(queue.put(next), 1u);
  for (std::uint64_t id = 2; id <= sent + 1; ++id) EXPECT_EQ(take_id(queue.worker_fd()), id);
}

TEST(CallQueue, EachFrameGoesToExactlyOneReader) {
  CallQueue queue;
  constexpr std::uint64_t kFrames = 2000;
  std::vector<std::uint64_t> seen[2];
  int reader_fd = queue.worker_fd();
  std::vector<std::thread> readers;
  for (auto& out : seen) {
    readers.emplace_back([&out, reader_fd] {
      while (std::uint64_t id = take_id(reader_fd)) out.push_back(id);
    });
  }
  for (std::uint64_t id = 1; id <= kFrames;) {
    std::vector<std::string> batch;
    for (std::uint64_t k = id; k < id + 50 && k <= kFrames; ++k) batch.push_back(call_frame(k));
    std::size_t sent = queue.put(batch);
    id += sent;
    if (sent == 0) std::this_thread::yield();  // full: the readers make room
  }
  // Readers see the end of the queue once they have taken everything. Only
  // the parent's end is closed: the readers still use theirs.
  ::shutdown(queue.parent_fd(), SHUT_WR);
  for (auto& r : readers) r.join();
  std::multiset<std::uint64_t> all(seen[0].begin(), seen[0].end());
  all.insert(seen[1].begin(), seen[1].end());
  ASSERT_EQ(all.size(), kFrames);
  std::uint64_t want = 1;
  for (auto id : all) EXPECT_EQ(id, want++);
  for (auto& ids : seen) EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
}

TEST(CallQueue, ClosedQueueEndsForItsReader) {
  CallQueue queue;
  std::vector<std::string> frames = {call_frame(7)};
  ASSERT_EQ(queue.put(frames), 1u);
  int reader = ::dup(queue.worker_fd());  // a worker's inherited copy
  queue.close();
  EXPECT_EQ(take_id(reader), 7u);  // what was put before the close is still taken
  EXPECT_FALSE(take_call(reader));
  ::close(reader);
}

TEST(CallQueue, ATakeThatMustNotBlockTellsEmptyFromClosed) {
  CallQueue queue;
  int reader = ::dup(queue.worker_fd());  // a worker's inherited copy
  Frame frame{};
  EXPECT_EQ(try_take_call(reader, frame), Take::kEmpty);
  std::vector<std::string> frames = {call_frame(3), call_frame(4, 64 * 1024)};
  ASSERT_EQ(queue.put(frames), 2u);
  ASSERT_EQ(try_take_call(reader, frame), Take::kCall);
  EXPECT_EQ(parse_call_frame(frame).id, 3u);
  ASSERT_EQ(try_take_call(reader, frame), Take::kCall);  // the one in a memfd
  EXPECT_EQ(parse_call_frame(frame).id, 4u);
  EXPECT_EQ(try_take_call(reader, frame), Take::kEmpty);
  queue.close();
  EXPECT_EQ(try_take_call(reader, frame), Take::kClosed);
  ::close(reader);
}

TEST(CallQueue, ANonCallMessageIsAFrameError) {
  CallQueue queue;
  std::vector<std::string> frames = {encode_frame(FrameType::kResult, ""), "not a frame"};
  ASSERT_EQ(queue.put(frames), 2u);
  EXPECT_THROW(take_call(queue.worker_fd()), FrameError);
  EXPECT_THROW(take_call(queue.worker_fd()), FrameError);
}

}  // namespace
}  // namespace cf::detail
