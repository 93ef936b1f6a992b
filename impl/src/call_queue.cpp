#include "call_queue.hpp"

#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace cf::detail {
namespace {

// Frames up to this size (header included) travel inline, one message each;
// larger ones in a memfd. Well under the socket's send buffer, so a window of
// calls fits without blocking on a default-configured machine.
constexpr std::size_t kInlineFrame = 32 * 1024;
// Frames per sendmmsg: one system call for a batch of small calls.
constexpr std::size_t kBatch = 64;
// Asked of the kernel for the parent's end (capped by net.core.wmem_max).
constexpr int kSendBuffer = 1 << 20;

// Reads the whole of a memfd the parent filled: a frame of at most
// kFrameHeader + kMaxFrameBody bytes.
std::string read_memfd(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw FrameError("call memfd cannot be read");
  auto size = static_cast<std::size_t>(st.st_size);
  if (st.st_size < 0 || size > kFrameHeader + kMaxFrameBody) {
    throw FrameError("call memfd exceeds the size limit");
  }
  std::string bytes(size, '\0');
  std::size_t done = 0;
  while (done < size) {
    ssize_t n = ::pread(fd, bytes.data() + done, size - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw FrameError("call memfd is shorter than its size");
    done += static_cast<std::size_t>(n);
  }
  return bytes;
}

}  // namespace

CallQueue::CallQueue() {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) throw_errno("socketpair");
  parent_end_.reset(sv[0]);
  worker_end_.reset(sv[1]);
  int size = kSendBuffer;
  // Best effort: a smaller buffer only makes put() report "full" sooner.
  ::setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
}

std::size_t CallQueue::put(std::span<const std::string> frames) {
  std::size_t sent = 0;
  while (sent < frames.size()) {
    if (frames[sent].size() > kInlineFrame) {
      if (!put_in_memfd(frames[sent])) break;
      ++sent;
      continue;
    }
    mmsghdr messages[kBatch];
    iovec parts[kBatch];
    unsigned n = 0;
    for (; n < kBatch && sent + n < frames.size() && frames[sent + n].size() <= kInlineFrame; ++n) {
      const std::string& frame = frames[sent + n];
      parts[n] = {const_cast<char*>(frame.data()), frame.size()};
      messages[n] = {};
      messages[n].msg_hdr.msg_iov = &parts[n];
      messages[n].msg_hdr.msg_iovlen = 1;
    }
    int done = ::sendmmsg(parent_end_.get(), messages, n, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (done < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;  // full: the rest waits
      throw_errno("sendmmsg to the call queue");
    }
    sent += static_cast<std::size_t>(done);
    // A short count: the socket filled (its error, if any, comes back next time).
    if (static_cast<unsigned>(done) < n) break;
  }
  return sent;
}

bool CallQueue::put_in_memfd(const std::string& frame) {
  UniqueFd memfd(::memfd_create("cf-call", MFD_CLOEXEC));
  if (!memfd) throw_errno("memfd_create");
  if (!write_all(memfd.get(), frame)) throw_errno("write to a call memfd");
  std::string marker = encode_frame(FrameType::kCallInFd, "");
  iovec part{marker.data(), marker.size()};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr message{};
  message.msg_iov = &part;
  message.msg_iovlen = 1;
  message.msg_control = control;
  message.msg_controllen = sizeof control;
  cmsghdr* header = CMSG_FIRSTHDR(&message);
  header->cmsg_level = SOL_SOCKET;
  header->cmsg_type = SCM_RIGHTS;
  header->cmsg_len = CMSG_LEN(sizeof(int));
  int fd = memfd.get();
  std::memcpy(CMSG_DATA(header), &fd, sizeof fd);
  for (;;) {
    // The message holds its own reference to the memfd; ours closes on return.
    if (::sendmsg(parent_end_.get(), &message, MSG_DONTWAIT | MSG_NOSIGNAL) >= 0) return true;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return false;
    throw_errno("sendmsg to the call queue");
  }
}

void CallQueue::close() {
  parent_end_.reset();
  worker_end_.reset();
}

namespace {

// One message from the queue into `frame`: recvmsg with `flags`.
Take receive_call(int fd, int flags, Frame& frame) {
  static thread_local std::string buffer(kInlineFrame, '\0');
  for (;;) {
    iovec part{buffer.data(), buffer.size()};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr message{};
    message.msg_iov = &part;
    message.msg_iovlen = 1;
    message.msg_control = control;
    message.msg_controllen = sizeof control;
    ssize_t n = ::recvmsg(fd, &message, MSG_CMSG_CLOEXEC | flags);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return Take::kEmpty;
    if (n < 0) throw FrameError(std::string("call queue: ") + std::strerror(errno));
    // The parent never sends an empty message, so 0 is the end of the queue.
    if (n == 0) return Take::kClosed;
    UniqueFd attached;
    for (cmsghdr* h = CMSG_FIRSTHDR(&message); h; h = CMSG_NXTHDR(&message, h)) {
      if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS &&
          h->cmsg_len == CMSG_LEN(sizeof(int))) {
        int received = -1;
        std::memcpy(&received, CMSG_DATA(h), sizeof received);
        attached.reset(received);
      }
    }
    if (message.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) throw FrameError("call message truncated");
    frame = decode_whole_frame(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
    if (frame.type == FrameType::kCallInFd) {
      if (!attached || !frame.body.empty()) throw FrameError("call memfd missing");
      frame = decode_whole_frame(read_memfd(attached.get()));
    } else if (attached) {
      throw FrameError("unexpected descriptor with a call");
    }
    if (frame.type != FrameType::kCall) throw FrameError("unexpected frame type in the call queue");
    return Take::kCall;
  }
}

}  // namespace

std::optional<Frame> take_call(int fd) {
  Frame frame;
  if (receive_call(fd, 0, frame) == Take::kClosed) return std::nullopt;
  return frame;
}

Take try_take_call(int fd, Frame& frame) { return receive_call(fd, MSG_DONTWAIT, frame); }

}  // namespace cf::detail
