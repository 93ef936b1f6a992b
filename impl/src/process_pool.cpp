// The parent side of ProcessPoolExecutor: the manager thread.
//
// The manager (CPython's _ExecutorManagerThread) is the only thread that
// spawns, writes to, reads from and reaps workers. Each worker runs one call
// at a time; a call is sent only to an idle worker, right after its future
// moved to RUNNING, so queued calls stay cancellable. The manager polls an
// eventfd (woken by submit/shutdown) and every worker's socket; EOF on a
// socket we did not close, from a worker that did not announce its exit,
// means the worker died, and the pool breaks [PPE-BROKEN-1].
#include "cf/process_pool.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <system_error>
#include <thread>

#include "cf/detail/frame.hpp"
#include "cf/detail/process_worker.hpp"
#include "cf/log.hpp"

extern char** environ;

// Defined only by the object that CF_PROCESS_WORKER_ENTRY pulls in
// (process_entry.cpp); weak here, so its absence is a null address.
extern "C" __attribute__((weak)) const char cf_process_worker_entry_present;

namespace cf {
namespace {

int process_cpu_count() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
  return std::max(1u, std::thread::hardware_concurrency());
}

[[noreturn]] void throw_errno(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

// Writes all of `data`; false if the worker is gone.
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

struct Worker {
  pid_t pid = -1;
  int fd = -1;
  detail::FrameDecoder decoder;
  std::shared_ptr<detail::ProcessCall> call;  // in flight, or null when idle
  std::uint64_t call_id = 0;
  int sent = 0;          // calls sent over its life
  bool exiting = false;  // announced its exit, or was told to (EOF from us)
};

struct Completion {
  std::shared_ptr<detail::ProcessCall> call;
  bool ok = false;
  std::vector<std::string> results;
  std::exception_ptr error;
};

}  // namespace

struct ProcessPoolExecutor::Impl : std::enable_shared_from_this<Impl> {
  int max_workers = 0;
  int max_tasks = 0;  // 0: unlimited
  std::string initializer;
  std::string initializer_args;

  mutable std::mutex mutex;
  std::deque<std::shared_ptr<detail::ProcessCall>> pending;
  std::vector<std::unique_ptr<Worker>> workers;
  std::size_t spawned = 0;
  std::uint64_t next_id = 1;
  bool shut_down = false;
  bool broken = false;
  bool manager_started = false;
  std::thread manager;
  std::thread::id manager_id;
  int wake_fd = -1;
  std::mutex join_mutex;

  ~Impl() {
    if (wake_fd >= 0) ::close(wake_fd);
  }

  void wake() {
    std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_fd, &one, sizeof one);
  }

  // --- Manager thread ------------------------------------------------------

  void spawn_locked() {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) throw_errno("socketpair");
    std::string fd_arg = std::to_string(sv[1]);
    std::string parent_arg = std::to_string(::getpid());
    std::vector<char*> argv = {const_cast<char*>("cf-process-worker"),
                               const_cast<char*>(detail::kWorkerFlag), fd_arg.data(),
                               parent_arg.data(), nullptr};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    // dup2 onto itself clears FD_CLOEXEC in the child only (glibc >= 2.29):
    // no other thread's spawn can inherit this socket.
    posix_spawn_file_actions_adddup2(&actions, sv[1], sv[1]);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    for (int s : {SIGPIPE, SIGTERM, SIGINT, SIGCHLD}) sigaddset(&defaults, s);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t pid = -1;
    int rc = ::posix_spawn(&pid, "/proc/self/exe", &actions, &attr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    ::close(sv[1]);
    if (rc != 0) {
      ::close(sv[0]);
      throw std::system_error(rc, std::generic_category(), "posix_spawn");
    }
    auto worker = std::make_unique<Worker>();
    worker->pid = pid;
    worker->fd = sv[0];
    ++spawned;
    detail::BodyWriter config;
    config.bytes(initializer).bytes(initializer_args).u64(static_cast<std::uint64_t>(max_tasks));
    write_all(worker->fd, detail::encode_frame(detail::FrameType::kConfig, config.take()));
    workers.push_back(std::move(worker));
  }

  bool idle(const Worker& w) const {
    return !w.call && !w.exiting && (max_tasks == 0 || w.sent < max_tasks);
  }

  // Sends queued calls to idle workers, spawning workers while more calls
  // wait than idle workers can take [PPE-WORKERS-1]. Returns calls that
  // could not be encoded (to fail outside the lock). Sets `dead` to a
  // worker whose socket refused the call.
  void dispatch_locked(std::vector<Completion>& done, bool& dead) {
    for (;;) {
      // Drop cancelled calls at the head; they never run [EXEC-CANCEL-1].
      while (!pending.empty() && pending.front()->cancelled()) pending.pop_front();
      if (pending.empty()) return;
      auto& head = pending.front();
      if (head->encode_error) {
        // Python: a task that cannot be pickled fails alone, the pool lives.
        done.push_back({head, false, {}, head->encode_error});
        pending.pop_front();
        continue;
      }
      Worker* target = nullptr;
      for (auto& w : workers) {
        if (idle(*w)) {
          target = w.get();
          break;
        }
      }
      if (!target) {
        // A retiring worker counts until it is reaped, as Python joins it
        // before adjusting the process count: never more than max_workers
        // processes [PPE-WORKERS-1].
        if (workers.size() < static_cast<std::size_t>(max_workers)) {
          spawn_locked();
          continue;
        }
        return;  // every worker busy: the head waits, still cancellable
      }
      auto call = std::move(pending.front());
      pending.pop_front();
      if (!call->set_running()) continue;  // cancelled just now
      std::uint64_t id = next_id++;
      detail::BodyWriter body;
      body.u64(id).bytes(call->task).u64(call->args.size());
      for (auto& a : call->args) body.bytes(a);
      target->call = std::move(call);
      target->call_id = id;
      ++target->sent;
      if (!write_all(target->fd, detail::encode_frame(detail::FrameType::kCall, body.take()))) {
        dead = true;
        return;
      }
    }
  }

  // Marks the pool broken and takes every unfinished call [PPE-BROKEN-1].
  std::vector<std::shared_ptr<detail::ProcessCall>> break_locked() {
    broken = true;
    std::vector<std::shared_ptr<detail::ProcessCall>> victims(pending.begin(), pending.end());
    pending.clear();
    for (auto& w : workers) {
      if (w->call) victims.push_back(std::move(w->call));
      ::kill(w->pid, SIGKILL);  // unreaped, so the pid is still ours
    }
    return victims;
  }

  // Closes and reaps every worker (they are dead, dying or told to exit).
  void reap_all_locked() {
    for (auto& w : workers) ::close(w->fd);
    for (auto& w : workers) {
      while (::waitpid(w->pid, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
    workers.clear();
  }

  void fail_all(const std::vector<std::shared_ptr<detail::ProcessCall>>& victims,
                const std::string& reason) {
    auto error = std::make_exception_ptr(BrokenProcessPool(reason));
    for (auto& v : victims) v->fail(error);
  }

  void run() {
    std::unique_lock lock(mutex);
    std::string broken_reason;
    for (;;) {
      std::vector<Completion> done;
      bool dead = false;
      if (!broken) {
        try {
          dispatch_locked(done, dead);
        } catch (const std::exception& e) {
          broken_reason = std::string("could not start a worker process: ") + e.what();
          dead = true;
        }
      }
      if (dead || !broken_reason.empty()) {
        if (broken_reason.empty()) broken_reason = msg::kBrokenProcessPool;
        auto victims = break_locked();
        reap_all_locked();
        lock.unlock();
        for (auto& c : done) c.call->fail(c.error);
        fail_all(victims, broken_reason);
        return;
      }
      bool busy = std::any_of(workers.begin(), workers.end(), [](auto& w) { return w->call; });
      if (shut_down && pending.empty() && !busy && done.empty()) {
        reap_all_locked();  // closing our ends: workers read EOF and exit [SHUT-WAIT-1]
        return;
      }
      if (!done.empty()) {
        lock.unlock();
        for (auto& c : done) c.call->fail(c.error);
        lock.lock();
        continue;
      }

      std::vector<pollfd> fds;
      fds.push_back({wake_fd, POLLIN, 0});
      for (auto& w : workers) fds.push_back({w->fd, POLLIN, 0});
      lock.unlock();
      while (::poll(fds.data(), fds.size(), -1) < 0 && errno == EINTR) {
      }
      if (fds[0].revents) {
        std::uint64_t n;
        [[maybe_unused]] auto r = ::read(wake_fd, &n, sizeof n);
      }
      lock.lock();

      std::vector<Completion> completions;
      std::vector<std::size_t> gone;
      for (std::size_t i = 0; i < workers.size() && broken_reason.empty(); ++i) {
        if (!fds[i + 1].revents) continue;
        Worker& w = *workers[i];
        char buf[65536];
        ssize_t n = ::read(w.fd, buf, sizeof buf);
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (n <= 0) {
          // Death: expected only after the worker announced its exit with
          // its last result [PPE-MAXTASKS-1].
          if (w.exiting && !w.call) {
            gone.push_back(i);
          } else {
            broken_reason = msg::kBrokenProcessPool;
          }
          continue;
        }
        try {
          w.decoder.feed(buf, static_cast<std::size_t>(n));
          while (auto frame = w.decoder.next()) read_result(w, *frame, completions);
        } catch (const std::exception& e) {
          broken_reason = std::string(msg::kMalformedFrame) + e.what();  // [PPE-FRAME-1]
        }
      }
      if (!broken_reason.empty()) {
        auto victims = break_locked();
        for (auto& c : completions) victims.push_back(c.call);
        reap_all_locked();
        lock.unlock();
        fail_all(victims, broken_reason);
        return;
      }
      for (auto it = gone.rbegin(); it != gone.rend(); ++it) {
        auto& w = workers[*it];
        ::close(w->fd);
        while (::waitpid(w->pid, nullptr, 0) < 0 && errno == EINTR) {
        }
        workers.erase(workers.begin() + static_cast<std::ptrdiff_t>(*it));
      }
      if (completions.empty()) continue;
      // The workers are idle again before the futures complete, so a caller
      // who submits as soon as result() returns reuses one.
      lock.unlock();
      std::string decode_error;
      for (auto& c : completions) {
        if (!c.ok) {
          c.call->fail(c.error);
          continue;
        }
        try {
          c.call->succeed(c.results);
        } catch (const std::exception& e) {
          decode_error = std::string(msg::kMalformedFrame) + "result does not decode: " + e.what();
          c.call->fail(std::make_exception_ptr(BrokenProcessPool(decode_error)));
        }
      }
      lock.lock();
      if (!decode_error.empty()) broken_reason = decode_error;
      if (!broken_reason.empty()) {
        auto victims = break_locked();
        reap_all_locked();
        lock.unlock();
        fail_all(victims, broken_reason);
        return;
      }
    }
  }

  // Parses a result frame (untrusted) for worker `w`.
  void read_result(Worker& w, const detail::Frame& frame, std::vector<Completion>& out) {
    detail::ResultFrame reply = detail::parse_result_frame(frame);
    if (!w.call || reply.id != w.call_id) throw detail::FrameError("result for a call it was not given");
    Completion c;
    c.call = std::move(w.call);
    c.ok = reply.ok;
    if (c.ok) {
      c.results = std::move(reply.results);
    } else {
      detail::RemoteException remote;
      remote.type = std::move(reply.error_type);
      remote.message = std::move(reply.error_message);
      c.error = detail::rebuild_exception(remote);  // [PPE-REMOTE-1]
    }
    if (reply.exiting) w.exiting = true;
    out.push_back(std::move(c));
  }
};

ProcessPoolExecutor::ProcessPoolExecutor(Options options) : impl_(std::make_shared<Impl>()) {
  int workers = options.max_workers.value_or(default_max_workers());
  if (workers <= 0) throw std::invalid_argument(msg::kMaxWorkers);
  if (options.max_tasks_per_child && *options.max_tasks_per_child <= 0) {
    throw std::invalid_argument(msg::kMaxTasksPerChild);
  }
  if (&cf_process_worker_entry_present == nullptr) throw std::logic_error(msg::kNoWorkerEntry);
  impl_->max_workers = workers;
  impl_->max_tasks = options.max_tasks_per_child.value_or(0);
  impl_->initializer = options.initializer.task();
  impl_->initializer_args = options.initializer.args();
  impl_->wake_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (impl_->wake_fd < 0) throw_errno("eventfd");
}

ProcessPoolExecutor::~ProcessPoolExecutor() {
  if (impl_->manager_started && std::this_thread::get_id() == impl_->manager_id) {
    // Destroyed from one of its own done-callbacks: the manager cannot join
    // itself; it finishes the work and exits on its own.
    shutdown(false, false);
    std::lock_guard lock(impl_->join_mutex);
    if (impl_->manager.joinable()) impl_->manager.detach();
    return;
  }
  shutdown(true, false);
}

void ProcessPoolExecutor::enqueue(std::shared_ptr<detail::ProcessCall> call) {
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->shut_down) throw ShutdownError();
    if (impl_->broken) throw BrokenProcessPool(msg::kBrokenProcessPoolSubmit);  // [PPE-BROKEN-2]
    impl_->pending.push_back(std::move(call));
    if (!impl_->manager_started) {
      try {
        impl_->manager = std::thread([impl = impl_] { impl->run(); });
      } catch (...) {
        impl_->pending.pop_back();
        throw;
      }
      impl_->manager_id = impl_->manager.get_id();
      impl_->manager_started = true;
    }
  }
  impl_->wake();
}

void ProcessPoolExecutor::shutdown(bool wait, bool cancel_futures) {
  std::deque<std::shared_ptr<detail::ProcessCall>> not_started;
  {
    std::lock_guard lock(impl_->mutex);
    impl_->shut_down = true;
    // Only calls not yet sent: a sent call is RUNNING [SHUT-CANCEL-1].
    if (cancel_futures) not_started.swap(impl_->pending);
  }
  for (auto& call : not_started) call->cancel();
  not_started.clear();
  impl_->wake();
  if (!wait) return;
  std::lock_guard join_lock(impl_->join_mutex);
  if (impl_->manager_started && std::this_thread::get_id() == impl_->manager_id) {
    throw std::logic_error(
        "ProcessPoolExecutor::shutdown(wait=true) called from one of its own done-callbacks");
  }
  if (impl_->manager.joinable()) impl_->manager.join();
}

void ProcessPoolExecutor::force_shutdown(int signal) {
  shutdown(false, true);
  std::lock_guard lock(impl_->mutex);
  // Unreaped workers only: the manager reaps under this lock, so a pid here
  // is never a recycled one [PPE-KILL-1].
  for (auto& w : impl_->workers) ::kill(w->pid, signal);
}

void ProcessPoolExecutor::terminate_workers() { force_shutdown(SIGTERM); }
void ProcessPoolExecutor::kill_workers() { force_shutdown(SIGKILL); }

int ProcessPoolExecutor::max_workers() const { return impl_->max_workers; }

std::vector<int> ProcessPoolExecutor::worker_pids() const {
  std::lock_guard lock(impl_->mutex);
  std::vector<int> pids;
  for (auto& w : impl_->workers) pids.push_back(w->pid);
  return pids;
}

std::size_t ProcessPoolExecutor::spawned_count() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->spawned;
}

int ProcessPoolExecutor::default_max_workers() { return process_cpu_count(); }

}  // namespace cf
