// Shared scaffolding for the Qt 6 fact programs: gates with generous upper-bound
// timeouts (never used as synchronisation), a task that occupies a pool's only
// thread, thread names, a state printer and the verdict line.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <QFuture>
#include <QSemaphore>
#include <QThreadPool>
#include <QtConcurrent/QtConcurrentRun>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>

namespace qtfacts {

// Upper bound for a wait that is expected to succeed almost at once.
// Reaching it means the program is stuck: it aborts instead of hanging.
constexpr int kGenerousMs = 10000;
// Window for a *negative* observation ("this has not happened"): a wait that is
// expected to time out. Long enough that a scheduling hiccup cannot make a
// "would have happened" event look absent.
constexpr int kNegativeWindowMs = 300;

inline void must(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "STUCK: %s did not happen within %d ms\n", what, kGenerousMs);
    std::fflush(stdout);
    std::abort();
  }
}

// A one-shot signal between threads.
class Gate {
 public:
  void open(int n = 1) { sem_.release(n); }
  void pass(const char* what) { must(sem_.tryAcquire(1, kGenerousMs), what); }
  bool passWithin(int ms) { return sem_.tryAcquire(1, ms); }

 private:
  QSemaphore sem_;
};

// Stable short names for threads ("T0" is whoever asks first, normally main).
inline std::string tid() {
  static std::mutex m;
  static std::map<std::thread::id, int> names;
  std::lock_guard<std::mutex> lock(m);
  auto [it, inserted] = names.try_emplace(std::this_thread::get_id(), int(names.size()));
  std::ostringstream out;
  out << 'T' << it->second << '(' << std::this_thread::get_id() << ')';
  return out.str();
}

// Occupies a thread of `pool` until letGo(): with maxThreadCount 1 every task
// submitted after it stays queued.
class Blocker {
 public:
  explicit Blocker(QThreadPool& pool) {
    future_ = QtConcurrent::run(&pool, [this] {
      thread_ = tid();
      started_.open();
      release_.pass("blocker release");
    });
    started_.pass("blocker start");
  }
  void letGo() { release_.open(); }
  void letGoAndWait() {
    letGo();
    future_.waitForFinished();
  }
  const std::string& thread() const { return thread_; }
  QFuture<void> future() const { return future_; }

 private:
  Gate started_, release_;
  QFuture<void> future_;
  std::string thread_;
};

template <typename F>
std::string state(const F& f) {
  std::ostringstream out;
  out << "started=" << f.isStarted() << " running=" << f.isRunning()
      << " canceled=" << f.isCanceled() << " finished=" << f.isFinished();
  return out.str();
}

// Runs `scene` in a forked child, so that a crash or a hang is an observation
// rather than the end of the program. Returns what the scene returned, or how
// the child died ("died: SIGSEGV"; "died: SIGALRM" means it was still blocked
// after `alarmSeconds`). Fork only while the parent has no other threads.
template <typename Scene>
std::string inChild(Scene scene, unsigned alarmSeconds = kGenerousMs / 1000) {
  int fds[2];
  must(pipe(fds) == 0, "pipe");
  std::fflush(stdout);
  const pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    alarm(alarmSeconds);
    const std::string out = scene();
    must(write(fds[1], out.data(), out.size()) == ssize_t(out.size()), "pipe write");
    std::fflush(stdout);
    _exit(0);
  }
  close(fds[1]);
  std::string out;
  char buf[256];
  for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, size_t(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFSIGNALED(status)) return std::string("died: SIG") + sigabbrev_np(WTERMSIG(status));
  return out;
}

inline bool verdict(bool confirmed, const char* claim) {
  std::printf("%s: %s\n", confirmed ? "CONFIRMED" : "REFUTED", claim);
  std::fflush(stdout);
  return confirmed;
}

}  // namespace qtfacts
