#include "cf/detail/process_worker.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "cf/codec.hpp"
#include "cf/detail/frame.hpp"
#include "cf/errors.hpp"

namespace cf::detail {
namespace {

int g_socket = -1;

bool write_all(int fd, const std::string& data) {
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

// The next frame, or nullopt at EOF. Throws FrameError on garbage.
std::optional<Frame> read_frame(int fd, FrameDecoder& decoder) {
  for (;;) {
    if (auto frame = decoder.next()) return frame;
    char buf[65536];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;
    decoder.feed(buf, static_cast<std::size_t>(n));
  }
}

std::string describe(const std::exception_ptr& error) {
  auto remote = describe_exception(error);
  return remote.type + ": " + remote.message;
}

}  // namespace

int worker_socket_fd() { return g_socket; }

int worker_main(int fd) {
  g_socket = fd;
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);  // not inherited by anything a task spawns
  FrameDecoder decoder;
  std::uint64_t max_tasks = 0;
  try {
    auto config = read_frame(fd, decoder);
    if (!config) return 0;
    if (config->type != FrameType::kConfig) return 2;
    BodyReader in(config->body);
    std::string initializer = in.bytes();
    std::string initializer_args = in.bytes();
    max_tasks = in.u64();
    in.finish();
    if (!initializer.empty()) {
      // Python logs the failure at CRITICAL and the worker exits; the parent
      // sees the death and breaks the pool [PPE-INIT-1].
      try {
        const TaskEntry* entry = find_task(initializer);
        if (!entry) throw std::invalid_argument("initializer is not registered: " + initializer);
        entry->invoke(entry->fn, initializer_args);
      } catch (...) {
        std::fprintf(stderr, "%s%s\n", msg::kInitializerFailed,
                     describe(std::current_exception()).c_str());
        return 1;
      }
    }
  } catch (const std::exception&) {
    return 2;
  }

  std::uint64_t done = 0;
  for (;;) {
    std::optional<Frame> frame;
    std::uint64_t id = 0;
    std::string task;
    std::vector<std::string> args;
    try {
      frame = read_frame(fd, decoder);
      if (!frame) return 0;  // the pool closed our socket: shut down [SHUT-WAIT-1]
      if (frame->type != FrameType::kCall) return 2;
      BodyReader in(frame->body);
      id = in.u64();
      task = in.bytes();
      std::size_t n = in.count(8);
      for (std::size_t i = 0; i < n; ++i) args.push_back(in.bytes());
      in.finish();
    } catch (const std::exception&) {
      return 2;
    }

    std::vector<std::string> results;
    std::exception_ptr error;
    try {
      const TaskEntry* entry = find_task(task);
      if (!entry) throw std::invalid_argument("task is not registered in the worker: " + task);
      for (auto& a : args) results.push_back(entry->invoke(entry->fn, a));
    } catch (...) {
      error = std::current_exception();  // the call's own failure [PPE-REMOTE-1]
    }
    ++done;
    bool exiting = max_tasks != 0 && done >= max_tasks;  // [PPE-MAXTASKS-1]
    ResultFrame reply;
    reply.id = id;
    reply.exiting = exiting;
    reply.ok = !error;
    if (error) {
      auto remote = describe_exception(error);
      reply.error_type = std::move(remote.type);
      reply.error_message = std::move(remote.message);
    } else {
      reply.results = std::move(results);
    }
    std::string body = encode_result_body(reply);
    if (body.size() > kMaxFrameBody) {
      ResultFrame too_big{id, exiting, false, {}, "std::length_error",
                          "result is larger than the frame limit"};
      body = encode_result_body(too_big);
    }
    if (!write_all(fd, encode_frame(FrameType::kResult, body))) return 0;
    if (exiting) return 0;
  }
}

}  // namespace cf::detail
