// Bug corpus, the entries that need cf's own API (a task that calls its own
// pool, a program's exit, exceptions of any type, an executor that counts
// submits): each a test named after its issue that states the property in
// one sentence and judges the clause the bug breaks. Reference-thread column
// only; see property_tests/corpus/README.md for the whole corpus.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <exception>
#include <string>
#include <vector>

#include "cf/cf.hpp"
#include "harness/setups.hpp"
#include "harness/suite.hpp"

extern char** environ;

namespace cf::conformance {
namespace {

template <class F>
std::string thrown_by(F&& call) {
  try {
    call();
  } catch (const std::logic_error& e) {
    return std::string("logic_error: ") + e.what();
  } catch (const cf::ShutdownError&) {
    return "ShutdownError";
  } catch (const std::exception& e) {
    return std::string("other: ") + e.what();
  } catch (int i) {
    return "int " + std::to_string(i);
  } catch (bool b) {
    return b ? "bool true" : "bool false";
  }
  return "returned";
}

// gh-151482: shutdown(wait=true) from inside one of the pool's own calls does
// not self-join: it throws at once, the pool is shut down, and the other
// calls still run.
TEST_F(Conformance, CORPUS_gh151482_ShutdownFromInsideACallDoesNotDeadlock) {
  cf::ThreadPoolExecutor pool(2);
  int gate = lab.new_gate();
  auto other = pool.submit([&lab = lab, gate] {
    lab.pass_gate(gate);
    return 7;
  });
  CF_PRECONDITION("EXEC-SUBMIT-1", lab.await_arrivals(gate, 1, kLong))
      << "the other call never started";
  auto inner = pool.submit([&pool] { return thrown_by([&pool] { pool.shutdown(true); }); });
  // The other call is still held at its gate: a shutdown that waited for it
  // (or for itself) would leave this result pending.
  std::string seen;
  {
    CF_STEP("SHUT-SELF-1");
    try {
      seen = inner.result(kLong);
    } catch (const cf::TimeoutError&) {
      seen = "still blocked";
    }
  }
  CF_CHECK("SHUT-SELF-1", seen.starts_with("logic_error: "))
      << "shutdown(wait=true) from a call: " << seen;
  CF_CHECK_EQ("SHUT-SELF-1", thrown_by([&] { pool.submit([] { return 0; }); }), "ShutdownError")
      << "the pool is shut down after it";
  lab.open(gate);
  CF_CHECK_EQ("SHUT-SELF-1", other.result(kLong), 7) << "the other call still ran";
  pool.shutdown(true);
}

// gh-132063: every stored exception counts, whatever its value: an int 0, a
// false bool or an empty message are rethrown, never taken for "no error".
TEST_F(Conformance, CORPUS_gh132063_AFalsyExceptionIsStillAnException) {
  cf::ThreadPoolExecutor pool(1);
  auto zero = pool.submit([]() -> int { throw 0; });
  auto no = pool.submit([]() -> int { throw false; });
  auto empty = pool.submit([]() -> int { throw std::runtime_error(""); });
  CF_CHECK_EQ("FUT-RESULT-2", thrown_by([&] { zero.result(kLong); }), "int 0");
  CF_CHECK_EQ("FUT-RESULT-2", thrown_by([&] { no.result(kLong); }), "bool false");
  CF_CHECK_EQ("FUT-RESULT-2", thrown_by([&] { empty.result(kLong); }), "other: ");
  CF_CHECK("FUT-EXC-1", zero.exception(kLong) != nullptr)
      << "exception() of a future that raised 0";
  cf::Future<int> raw;
  raw.set_exception(std::make_exception_ptr(0));
  CF_CHECK_EQ("FUT-RESULT-2", thrown_by([&] { raw.result(0); }), "int 0")
      << "set_exception by hand";
}

// An executor that only counts: each submit is a pending future the test completes.
struct CountingExecutor {
  std::vector<cf::Future<int>> submitted;
  template <class F, class... Args>
  cf::Future<int> submit(F&&, Args&&...) {
    submitted.emplace_back();
    return submitted.back();
  }
  void shutdown(bool, bool) {}
};

// gh-131466: a buffered map's step waits for the oldest call before it
// submits the next input; at no moment are more than buffersize calls
// submitted and not yielded.
TEST_F(Conformance, CORPUS_gh131466_AStepSubmitsOnlyAfterTheOldestCallLeft) {
  CountingExecutor ex;
  std::vector<int> xs{0, 1, 2, 3, 4};
  auto results = cf::map(
      ex, [](int x) { return x; }, xs, cf::MapOptions{.timeout = kShort, .buffersize = 2});
  CF_CHECK_EQ("MAP-BUF-1", ex.submitted.size(), 2u) << "submitted before the first step";
  ex.submitted[0].set_result(0);
  CF_CHECK("MAP-ORDER-1", results.next() == std::optional<int>(0));
  CF_CHECK_EQ("MAP-BUF-4", ex.submitted.size(), 3u) << "one more input once the first result left";
  // The second call never finishes: the step times out, having submitted nothing.
  CF_CHECK_EQ("MAP-TIMEOUT-1", thrown_by([&] { results.next(); }),
              "other: timed out waiting for the future");
  CF_CHECK_EQ("MAP-BUF-4", ex.submitted.size(), 3u)
      << "a step submitted while the oldest call was unfinished";
}

// What a program printed and how it ended.
struct Ran {
  std::string out;
  std::string err;
  int status = -1;
  bool finished = false;
};

// Runs `path` with no arguments, collecting its output, for at most `bound`.
Ran run_program(const char* path, std::chrono::seconds bound) {
  Ran ran;
  int out[2], err[2];
  if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) return ran;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  char* argv[] = {const_cast<char*>(path), nullptr};
  pid_t pid = -1;
  int rc = ::posix_spawn(&pid, path, &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(out[1]);
  ::close(err[1]);
  if (rc != 0) {
    ::close(out[0]);
    ::close(err[0]);
    ran.err = "posix_spawn failed";
    return ran;
  }
  auto deadline = std::chrono::steady_clock::now() + bound;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  int open_fds = 2;
  while (open_fds > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    if (::poll(fds, 2, static_cast<int>(left.count())) <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !fds[i].revents) continue;
      char buf[4096];
      ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
        continue;
      }
      (i == 0 ? ran.out : ran.err).append(buf, static_cast<std::size_t>(n));
    }
  }
  if (open_fds > 0) ::kill(pid, SIGKILL);  // still running at the bound: a hang
  for (auto& f : fds) {
    if (f.fd >= 0) ::close(f.fd);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  ran.finished = open_fds == 0;
  ran.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return ran;
}

// gh-109047, gh-148280: work submitted to a pool still alive at program exit,
// before main returns and from an exit handler, runs before the program ends.
TEST_F(Conformance, CORPUS_gh109047_WorkSubmittedDuringProgramExitRuns) {
  Ran ran = run_program(CF_EXIT_PROGRAM, kLong);
  CF_ASSERT("SHUT-EXIT-1", ran.finished)
      << "the program did not end; printed: " << ran.out << ran.err;
  CF_CHECK_EQ("SHUT-EXIT-1", ran.out, "banana\napple\n")
      << "the calls that ran before the program ended";
  CF_CHECK_EQ("SHUT-EXIT-1", ran.err, "");
  CF_CHECK_EQ("SHUT-EXIT-1", ran.status, 0);
}

}  // namespace
}  // namespace cf::conformance
