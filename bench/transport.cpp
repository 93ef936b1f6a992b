// cf_transport_bench: the round trip of an 8-byte message between two
// processes over the transports a process pool could use, to judge whether
// a shared-memory channel would beat the process pool's sockets.
//
//   transport/socketpair  AF_UNIX SOCK_SEQPACKET, as the pool's call queue
//   transport/eventfd     a pair of eventfds
//   transport/shm-futex   a word in shared memory per direction, futex wake-ups
//
// In each row a forked child blocks until a message comes, then echoes it
// (the pool's idle worker); the parent sends, then waits for the echo: with
// the argument sleep:0 it spins, with sched_yield between looks (the pool's
// waiter spins so), with sleep:1 it blocks in the transport's own call. Every echo is
// checked against what was sent; a row that sees a wrong one is an error.
// The counter child_sleeps_per_trip says how often the child went to sleep:
// part of a fast transport's lead is that its child is still awake when the
// next message comes.
#include <benchmark/benchmark.h>
#include <linux/futex.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdint>
#include <fstream>
#include <functional>
#include <new>
#include <string>

#include "shapes.hpp"

namespace cf::bench {
namespace {

// The child's side: `serve` runs until the parent hangs up; the child never
// returns into the benchmark library.
pid_t start_child(const std::function<void()>& serve) {
  pid_t pid = ::fork();
  if (pid == 0) {
    serve();
    ::_exit(0);
  }
  return pid;
}

// How many times the child has gone to sleep: its voluntary context
// switches, from /proc.
double child_sleeps(pid_t pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  const std::string key = "voluntary_ctxt_switches:";
  while (std::getline(status, line)) {
    if (line.rfind(key, 0) == 0) return std::stod(line.substr(key.size()));
  }
  return -1;
}

void stop_child(pid_t pid) {
  ::kill(pid, SIGKILL);
  ::waitpid(pid, nullptr, 0);
}

// Sends `i` with `send`, then calls `reply(got, sleep)` until it yields the
// echo (with `sleep` it may block for it); times each round trip and checks
// the echo.
template <class Send, class Reply>
void round_trips(benchmark::State& state, pid_t child, Send send, Reply reply) {
  const bool sleep = state.range(0) != 0;
  RoundTrips trips;
  std::string error;
  std::uint64_t i = 0;
  for (auto _ : state) {
    ++i;
    auto start = std::chrono::steady_clock::now();
    send(i);
    std::uint64_t got = 0;
    while (!reply(got, sleep)) sched_yield();
    trips.add(std::chrono::steady_clock::now() - start);
    if (got != i && error.empty())
      error = wrong_value(static_cast<long long>(got), static_cast<long long>(i));
  }
  // Whether the child slept between calls: a transport whose round trip is
  // shorter than the child's way back to sleep rarely pays a wake-up.
  state.counters["child_sleeps_per_trip"] =
      child_sleeps(child) / static_cast<double>(state.iterations());
  stop_child(child);
  report(state, error);
  trips.report(state);
  state.SetItemsProcessed(state.iterations());
}

void socketpair_row(benchmark::State& state) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv) != 0) {
    state.SkipWithError("socketpair failed");
    return;
  }
  pid_t child = start_child([&] {
    std::uint64_t v;
    while (::recv(sv[1], &v, sizeof v, 0) == sizeof v) ::send(sv[1], &v, sizeof v, MSG_NOSIGNAL);
  });
  round_trips(
      state, child, [&](std::uint64_t v) { ::send(sv[0], &v, sizeof v, MSG_NOSIGNAL); },
      [&](std::uint64_t& got, bool sleep) {
        return ::recv(sv[0], &got, sizeof got, sleep ? 0 : MSG_DONTWAIT) == sizeof got;
      });
  ::close(sv[0]);
  ::close(sv[1]);
}

void eventfd_row(benchmark::State& state) {
  int to_child = ::eventfd(0, 0);
  int to_parent = ::eventfd(0, EFD_NONBLOCK);
  pid_t child = start_child([&] {
    std::uint64_t v;
    while (::read(to_child, &v, sizeof v) == sizeof v) ::write(to_parent, &v, sizeof v);
  });
  round_trips(
      state, child, [&](std::uint64_t v) { ::write(to_child, &v, sizeof v); },
      [&](std::uint64_t& got, bool sleep) {
        if (sleep) {
          pollfd ready{to_parent, POLLIN, 0};
          ::poll(&ready, 1, -1);
        }
        return ::read(to_parent, &got, sizeof got) == sizeof got;
      });
  ::close(to_child);
  ::close(to_parent);
}

// One word per direction, each on its own cache line; 0 is "nothing yet".
struct Words {
  alignas(64) std::atomic<std::uint32_t> call{0};
  alignas(64) std::atomic<std::uint32_t> reply{0};
};

long futex(std::atomic<std::uint32_t>& word, int op, std::uint32_t value) {
  return ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), op, value, nullptr, nullptr,
                   0);
}

void shm_futex_row(benchmark::State& state) {
  void* memory =
      ::mmap(nullptr, sizeof(Words), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (memory == MAP_FAILED) {
    state.SkipWithError("mmap failed");
    return;
  }
  auto* words = new (memory) Words;
  pid_t child = start_child([&] {
    std::uint32_t seen = 0;
    for (;;) {
      std::uint32_t v = words->call.load(std::memory_order_acquire);
      if (v == seen) {
        futex(words->call, FUTEX_WAIT, v);  // sleeps unless a call came since the load
        continue;
      }
      seen = v;
      words->reply.store(v, std::memory_order_release);
      futex(words->reply, FUTEX_WAKE, 1);  // the parent may sleep on it
    }
  });
  round_trips(
      state, child,
      [&](std::uint64_t v) {
        words->call.store(static_cast<std::uint32_t>(v), std::memory_order_release);
        futex(words->call, FUTEX_WAKE, 1);
      },
      [&, last = std::uint32_t{0}](std::uint64_t& got, bool sleep) mutable {
        std::uint32_t v = words->reply.load(std::memory_order_acquire);
        if (v == last && sleep) futex(words->reply, FUTEX_WAIT, v);
        if (v == last) return false;  // no echo yet
        last = v;
        got = v;
        return true;
      });
  ::munmap(memory, sizeof(Words));
}

}  // namespace
}  // namespace cf::bench

BENCHMARK(cf::bench::socketpair_row)
    ->Name("transport/socketpair")
    ->ArgName("sleep")
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();
BENCHMARK(cf::bench::eventfd_row)
    ->Name("transport/eventfd")
    ->ArgName("sleep")
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();
BENCHMARK(cf::bench::shm_futex_row)
    ->Name("transport/shm-futex")
    ->ArgName("sleep")
    ->Arg(0)
    ->Arg(1)
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();
BENCHMARK_MAIN();
