#include "cf/detail/process_worker.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "call_queue.hpp"
#include "cf/codec.hpp"
#include "cf/detail/error_text.hpp"
#include "cf/detail/frame.hpp"
#include "cf/detail/posix_io.hpp"
#include "cf/detail/spin_wait.hpp"
#include "cf/errors.hpp"
#include "doorbells.hpp"

namespace cf::detail {
namespace {

int g_socket = -1;

// The next frame on the worker's own socket, or nullopt at EOF. Throws
// FrameError on garbage.
std::optional<Frame> read_frame(int fd, FrameDecoder& decoder) {
  for (;;) {
    if (auto frame = decoder.next()) return frame;
    char buf[4096];
    long n = read_some(fd, buf, sizeof buf);
    if (n <= 0) return std::nullopt;
    decoder.feed(buf, static_cast<std::size_t>(n));
  }
}

// Reads the config and runs the initializer. The task limit, or nullopt if the
// worker must exit with `exit_code`.
std::optional<std::uint64_t> start(int fd, FrameDecoder& decoder, int& exit_code) {
  try {
    auto config = read_frame(fd, decoder);
    exit_code = 0;
    if (!config) return std::nullopt;
    exit_code = 2;
    if (config->type != FrameType::kConfig) return std::nullopt;
    BodyReader in(config->body);
    std::string initializer = in.bytes();
    std::string initializer_args = in.bytes();
    std::uint64_t max_tasks = in.u64();
    in.finish();
    if (!initializer.empty()) {
      // Python logs the failure at CRITICAL and the worker exits; the parent
      // sees the death and breaks the pool [PPE-INIT-1]. The failure goes to
      // the parent, which logs it through its log handler; to stderr only if
      // the parent cannot hear it [PPE-INIT-2].
      try {
        run_initializer(initializer, initializer_args);
      } catch (...) {
        auto error = std::current_exception();
        auto remote = describe_exception(error);
        InitFailedFrame report{std::move(remote.type), std::move(remote.message)};
        if (!write_all(fd, encode_frame(FrameType::kInitFailed, encode_init_failed_body(report)))) {
          std::fprintf(stderr, "%s%s\n", msg::kInitializerFailed, describe(error).c_str());
        }
        exit_code = 1;
        return std::nullopt;
      }
    }
    return max_tasks;
  } catch (const std::exception&) {
    exit_code = 2;
    return std::nullopt;
  }
}

// Where a worker's calls come from: the queue every worker shares, and its
// own socket, on which the parent sends a call straight to this worker when
// no other call is in flight (process_pool.cpp). A call on the own socket is
// older than any call in the queue, so it is always taken first
// [TPE-FIFO-1], and the worker's hand-off word (doorbells.hpp) keeps it from
// taking a queued call while one is on its way there: holding both, it would
// keep the queued one from an idle worker for as long as the other runs.
//
// After a call the worker keeps looking for the next one for a while before
// it sleeps, so the next call of a caller that submits as soon as it has its
// result needs no wake-up. It looks at the pool's doorbells (doorbells.hpp),
// not at the sockets: they say whether a call is on its way to it or was put
// in the queue since it last looked. Only the worker that sent the last result
// keeps looking (the parent sends the next call to that one); one that sees
// another take over goes to sleep, so idle workers take at most one core
// between them. Without doorbells (a pool with a task limit, which sends no
// call to one worker) every worker looks at the queue itself.
// Asleep, it waits in epoll: the queue with EPOLLEXCLUSIVE, so one sleeping
// worker is woken per queued call, not all of them.
class Inbox {
 public:
  // `bells`: the pool's doorbells and this worker's slot in them, or null.
  // Throws std::system_error if epoll cannot be set up.
  Inbox(int own_fd, int queue_fd, FrameDecoder& own, Doorbells* bells, std::size_t slot)
      : own_fd_(own_fd),
        queue_fd_(queue_fd),
        own_(own),
        direct_(bells ? &bells->direct(slot) : nullptr),
        queued_(bells ? &bells->queued() : nullptr),
        spinner_(bells ? &bells->spinner() : nullptr),
        me_(slot + 1),
        epoll_(::epoll_create1(EPOLL_CLOEXEC)) {
    if (!epoll_) throw_errno("epoll_create1");
    epoll_event queue_event{};
    queue_event.events = EPOLLIN | EPOLLEXCLUSIVE;
    queue_event.data.fd = queue_fd;
    epoll_event own_event{};
    own_event.events = EPOLLIN;
    own_event.data.fd = own_fd;
    int added = ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, queue_fd, &queue_event);
    if (added != 0 && errno == EINVAL) {  // before Linux 4.5: every sleeper wakes
      queue_event.events = EPOLLIN;
      added = ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, queue_fd, &queue_event);
    }
    if (added != 0 || ::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, own_fd, &own_event) != 0) {
      throw_errno("epoll_ctl");
    }
  }

  // The next call, or nullopt once the pool closed the queue or this
  // worker's socket. `spin`: keep looking for a while before sleeping.
  // Throws FrameError on garbage from either.
  std::optional<Frame> next(bool spin) {
    std::optional<Frame> call;
    bool closed = false;
    auto look = [&](Look own, Look queue) {
      call = take_now(own, queue, closed);
      return call || closed;
    };
    // The queue first: the doorbell says only that calls were put since the
    // last look, not how many are left after the last one this worker took.
    if (look(Look::kIfRung, Look::kAlways)) return call;
    if (spin) {
      if (spinner_) spinner_->store(me_, std::memory_order_relaxed);
      bool handed_on = false;
      bool found = spin_yielding_until([&] {
        if (look(Look::kIfRung, Look::kIfRung)) return true;
        handed_on = spinner_ && spinner_->load(std::memory_order_relaxed) != me_;
        return handed_on;
      });
      if (found && !handed_on) return call;
    }
    for (;;) {
      epoll_event events[2];
      int n = ::epoll_wait(epoll_.get(), events, 2, -1);
      if (n < 0 && errno != EINTR) throw_errno("epoll_wait");
      // Both sockets: epoll woke us for one, maybe for its end.
      if (look(Look::kAlways, Look::kAlways)) return call;
    }
  }

 private:
  // Whether to read a socket, or only if its doorbell rang.
  enum class Look { kIfRung, kAlways };

  // A call taken without blocking, own socket first; `closed` at the end.
  std::optional<Frame> take_now(Look own, Look queue, bool& closed) {
    if (own == Look::kAlways || direct_waiting()) {
      if (auto direct = take_own(closed)) return direct;
      if (closed) return std::nullopt;
    }
    // queue_moved() also notes the counter before the look.
    if (!queue_moved() && queue == Look::kIfRung) return std::nullopt;
    // A call on its way to the own socket: it goes first, and the queue is
    // read again after it (next() always reads it first).
    if (!hold_word(Doorbells::kTaking)) return std::nullopt;
    Frame queued;
    const Take took = try_take_call(queue_fd_, queued);  // a throw ends the worker
    free_word();
    switch (took) {
      case Take::kClosed:
        closed = true;
        return std::nullopt;
      case Take::kEmpty:
        return std::nullopt;
      case Take::kCall:
        break;
    }
    return queued;
  }

  // Whether the parent is sending this worker a call alone. Only with
  // doorbells: without them the parent sends none.
  bool direct_waiting() const {
    return direct_ && direct_->load(std::memory_order_acquire) == Doorbells::kRouted;
  }

  // Turns the hand-off word from kFree to `state`; false if the parent holds
  // it (kRouted). Always true without doorbells.
  bool hold_word(std::uint64_t state) {
    std::uint64_t free = Doorbells::kFree;
    return !direct_ || direct_->compare_exchange_strong(free, state, std::memory_order_acq_rel);
  }
  void free_word() {
    if (direct_) direct_->store(Doorbells::kFree, std::memory_order_release);
  }

  // Whether calls were put in the queue since the last look (without
  // doorbells: always worth a look).
  bool queue_moved() {
    if (!queued_) return true;
    std::uint64_t now = queued_->load(std::memory_order_acquire);
    if (now == queued_seen_) return false;
    queued_seen_ = now;  // before the look, so a call put after it moves it again
    return true;
  }

  std::optional<Frame> take_own(bool& closed) {
    for (;;) {
      if (auto frame = own_.next()) {
        if (frame->type != FrameType::kCall)
          throw FrameError("unexpected frame on the worker socket");
        free_word();  // the parent may route the next call here once this one's result is in
        return frame;
      }
      char buf[4096];
      ssize_t n = ::recv(own_fd_, buf, sizeof buf, MSG_DONTWAIT);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return std::nullopt;
      if (n <= 0) {
        closed = true;  // the parent closed it: the pool is gone
        return std::nullopt;
      }
      own_.feed(buf, static_cast<std::size_t>(n));
    }
  }

  int own_fd_;
  int queue_fd_;
  FrameDecoder& own_;
  Doorbells::Counter* direct_;  // this worker's hand-off word
  const Doorbells::Counter* queued_;
  Doorbells::Counter* spinner_;
  std::uint64_t me_;               // this worker's value in spinner_
  std::uint64_t queued_seen_ = 0;  // the queue's counter at the last look
  UniqueFd epoll_;
};

}  // namespace

ResultFrame run_call(const CallFrame& call) {
  ResultFrame reply;
  reply.id = call.id;
  std::vector<std::string> results;
  try {
    const TaskEntry* entry = find_task(call.task);
    if (!entry) throw std::invalid_argument("task is not registered in the worker: " + call.task);
    results.reserve(call.args.size());
    for (auto& a : call.args) results.push_back(entry->invoke(entry->fn, a));
    reply.ok = true;
    reply.results = std::move(results);
  } catch (...) {
    // The call's own failure [PPE-REMOTE-1].
    auto remote = describe_exception(std::current_exception());
    reply.error_type = std::move(remote.type);
    reply.error_message = std::move(remote.message);
  }
  return reply;
}

void run_initializer(const std::string& name, const std::string& args) {
  const TaskEntry* entry = find_task(name);
  if (!entry) throw std::invalid_argument("initializer is not registered: " + name);
  entry->invoke(entry->fn, args);
}

std::string encode_reply_frame(const ResultFrame& reply) {
  std::string body = encode_result_body(reply);
  if (body.size() > kMaxFrameBody) {
    ResultFrame too_big{reply.id, reply.exiting,       false,
                        {},       "std::length_error", "result is larger than the frame limit"};
    body = encode_result_body(too_big);
  }
  return encode_frame(FrameType::kResult, body);
}

int worker_socket_fd() { return g_socket; }

int worker_main(int fd, int call_fd, int bells_fd, int slot) {
  g_socket = fd;
  // Not inherited by anything a task spawns.
  set_cloexec(fd);
  set_cloexec(call_fd);
  int exit_code = 0;
  FrameDecoder own;  // frames from the parent on the worker's own socket
  auto max_tasks = start(fd, own, exit_code);
  if (!max_tasks) return exit_code;

  std::optional<Doorbells> bells;
  std::optional<Inbox> inbox;
  try {
    if (bells_fd >= 0 && slot >= 0) {
      set_cloexec(bells_fd);
      bells.emplace(bells_fd, static_cast<std::size_t>(slot));
      ::close(bells_fd);  // the mapping stays
    }
    inbox.emplace(fd, call_fd, own, bells ? &*bells : nullptr, static_cast<std::size_t>(slot));
  } catch (const std::exception&) {
    return 2;
  }
  for (std::uint64_t done = 1;; ++done) {
    CallFrame call;
    try {
      // From the queue all workers share (whichever worker is free takes the
      // next call), or sent to this worker alone.
      auto frame = inbox->next(/*spin=*/done > 1);
      if (!frame) return 0;  // the pool closed the queue: shut down [SHUT-WAIT-1]
      call = parse_call_frame(*frame);
    } catch (const std::exception&) {
      return 2;
    }
    ResultFrame reply = run_call(call);
    // After its last call a worker takes no more from the queue, and says so
    // with the result [PPE-MAXTASKS-1].
    reply.exiting = *max_tasks != 0 && done >= *max_tasks;
    if (!write_all(fd, encode_reply_frame(reply))) return 0;
    if (reply.exiting) return 0;
  }
}

}  // namespace cf::detail
