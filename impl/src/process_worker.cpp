#include "cf/detail/process_worker.hpp"

#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "call_queue.hpp"
#include "cf/codec.hpp"
#include "cf/detail/error_text.hpp"
#include "cf/detail/frame.hpp"
#include "cf/detail/posix_io.hpp"
#include "cf/errors.hpp"

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
std::optional<std::uint64_t> start(int fd, int& exit_code) {
  FrameDecoder decoder;
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

int worker_main(int fd, int call_fd) {
  g_socket = fd;
  // Not inherited by anything a task spawns.
  set_cloexec(fd);
  set_cloexec(call_fd);
  int exit_code = 0;
  auto max_tasks = start(fd, exit_code);
  if (!max_tasks) return exit_code;

  for (std::uint64_t done = 1;; ++done) {
    CallFrame call;
    try {
      // Taken from the queue all workers share: whichever worker is free
      // takes the next call.
      auto frame = take_call(call_fd);
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
