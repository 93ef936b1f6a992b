// The parent side of ProcessPoolExecutor: submission and the manager thread.
//
// A call waits in `pending` (PENDING, cancellable) until there is room in the
// window, then moves to RUNNING and into the call queue that every worker
// takes from (call_queue.hpp). At most window() calls are in flight (in the
// queue or running): one per live worker and max_workers + 1 ahead of them,
// as CPython's call queue; those already count as started [EXEC-RUNNING-1]. A
// submit that finds room puts its call in the queue itself, so a call does not
// wait for the manager thread to wake up; the others wait for the manager. A
// call submitted when nothing else is in flight goes instead to the worker
// that sent the last result, on that worker's own socket: it is likely still
// looking for work, and the other idle workers sleep on (send_direct_locked).
// Workers look for work at the pool's doorbells (doorbells.hpp), words in
// shared memory that every send to the queue or to one worker moves; a
// worker's hand-off word there also keeps it from holding a call sent to it
// alone and a queued one at once.
//
// A submit that leaves more calls than workers to take them starts the
// workers they need before it returns, as CPython's submit does
// [PPE-WORKERS-2]. The manager thread (CPython's _ExecutorManagerThread)
// replaces retired workers, and is the only thread that reads from and reaps
// workers and completes futures. Its loop
// is CPython's: add calls to the queue, wait for a result, a broken worker or
// a wake-up, process the results; a broken pool leaves the loop at one place,
// terminate_broken(). EOF on a worker's socket that the worker did not
// announce with its last result means it died, and the pool breaks
// [PPE-BROKEN-1].
//
// Long on purpose (about 640 lines): the submission path and the manager's
// steps share one mutex and the invariants it guards (pending, in_flight,
// the window, workers, accepting), and are checked best side by side; the
// POSIX plumbing lives in posix_io.cpp, the call queue in call_queue.cpp,
// the frames in frame.cpp.
#include "cf/process_pool.hpp"

#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "call_queue.hpp"
#include "cf/detail/error_text.hpp"
#include "cf/detail/frame.hpp"
#include "cf/detail/pending_cancels.hpp"
#include "cf/detail/posix_io.hpp"
#include "cf/detail/process_worker.hpp"
#include "cf/log.hpp"
#include "doorbells.hpp"
#include "manager_thread.hpp"

extern char** environ;

// Defined only by the object that CF_PROCESS_WORKER_ENTRY pulls in
// (process_entry.cpp); weak here, so its absence is a null address.
extern "C" __attribute__((weak)) const char cf_process_worker_entry_present;

namespace cf {
namespace {

using detail::ProcessCall;
using CallPtr = std::shared_ptr<ProcessCall>;

struct Worker {
  pid_t pid = -1;
  detail::UniqueFd fd;  // its own socket: config out, results in
  detail::FrameDecoder decoder;
  bool exiting = false;  // announced its exit with its last result
  int slot = -1;         // its doorbell (doorbells.hpp), or -1: no calls sent to it alone
};

struct InFlight {
  std::uint64_t id;
  CallPtr call;
};

// A worker's reply, matched to its call and taken out of the window.
struct Reply {
  CallPtr call;
  detail::ResultFrame frame;
};

// A worker that died without announcing its exit, and its wait status.
struct Death {
  pid_t pid;
  int status;
};
// How long a worker whose socket closed unannounced may take to end before it
// is killed for its status; it is ending, so this is an upper bound.
constexpr int kDeathGraceMs = 2000;
// A call frame up to this size may go straight to a worker's own socket,
// which then holds nothing else: the frame fits in the socket's buffer, so
// the send does not wait on the worker (a short send is still finished, and
// only means the worker is reading it).
constexpr std::size_t kDirectFrame = 4096;

}  // namespace

struct ProcessPoolExecutor::Impl {
  int max_workers = 0;
  int max_tasks = 0;  // 0: unlimited
  std::string initializer;
  std::string initializer_args;

  mutable std::mutex mutex;
  std::deque<CallPtr> pending;  // not started: still cancellable
  detail::PendingCancels<std::mutex, std::condition_variable> cancels;  // taken from `pending`
  std::vector<InFlight> in_flight;  // RUNNING: in the queue, or in a worker
  std::vector<std::string> outbox;  // frames of in-flight calls the queue had no room for
  std::uint64_t next_id = 1;
  detail::CallQueue queue;
  // Only in a pool without a task limit, the one that sends calls to one
  // worker alone (send_direct_locked); null if they could not be made.
  std::unique_ptr<detail::Doorbells> bells;
  std::vector<std::unique_ptr<Worker>> workers;
  // The worker that sent the last result, while it takes more calls.
  Worker* recent = nullptr;
  std::size_t accepting = 0;  // workers that have not announced their exit
  std::size_t spawned = 0;
  bool shut_down = false;
  bool broken = false;
  // The manager sleeps in poll() (and whether someone has woken it since):
  // a submit writes the eventfd only then, else the manager sees the call
  // on its next turn.
  bool manager_waiting = false;
  bool woken = false;
  std::optional<Death> death;       // the worker whose death broke the pool [PPE-BROKEN-3]
  std::vector<std::string> to_log;  // for the log handler, once the lock is released
  detail::ManagerThread manager;
  detail::UniqueFd wake_fd;

  // Calls in flight at most: one per worker that takes calls, and
  // max_workers + 1 ahead of them in the queue, as CPython's call queue
  // (EXTRA_QUEUED_CALLS = 1). None while no worker would take them: a call
  // stays cancellable until there is a worker to run it.
  std::size_t window() const {
    return accepting == 0 ? 0 : accepting + static_cast<std::size_t>(max_workers) + 1;
  }

  void wake() const {
    std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_fd.get(), &one, sizeof one);
  }

  // Whether a submit that needs the manager must wake it.
  bool must_wake_locked() {
    if (!manager_waiting || woken) return false;
    woken = true;
    return true;
  }

  // --- Submission (any thread, under the mutex) -----------------------------

  // Moves `call` to RUNNING and adds its frame to `frames`; false if it was
  // cancelled, so it never runs [EXEC-CANCEL-1].
  bool start_locked(const CallPtr& call, std::vector<std::string>& frames) {
    if (!call->set_running()) return false;
    std::uint64_t id = next_id++;
    frames.push_back(detail::encode_call_frame(id, call->task, call->args));
    call->args = {};  // the frame has them now
    in_flight.push_back({id, call});
    return true;
  }

  // Puts the outbox and then `frames` in the queue, keeping what does not fit.
  // Throws std::system_error if the queue failed.
  void send_locked(std::vector<std::string>& frames) {
    std::size_t sent = 0;
    if (outbox.empty()) {
      sent = queue.put(frames);
      outbox.assign(std::make_move_iterator(frames.begin() + static_cast<std::ptrdiff_t>(sent)),
                    std::make_move_iterator(frames.end()));
    } else {
      outbox.insert(outbox.end(), std::make_move_iterator(frames.begin()),
                    std::make_move_iterator(frames.end()));
      sent = queue.put(outbox);
      outbox.erase(outbox.begin(), outbox.begin() + static_cast<std::ptrdiff_t>(sent));
    }
    frames.clear();
    // Rung once the calls are in the queue, for the workers looking at it.
    if (bells && sent != 0) bells->queued().fetch_add(sent, std::memory_order_release);
  }

  // Sends the frame of the one call in flight straight to the worker that
  // sent the last result, on its own socket: that worker looks for work for a
  // while after a result, so a caller that submits as soon as it has its
  // result reaches a worker that is awake, and the others sleep on. Nothing
  // else is in flight, so no call is older and the worker is idle. Only if the
  // worker's hand-off word turns from kFree to kRouted (doorbells.hpp): a
  // worker reading the queue at this moment could take a call queued after
  // this one and hold it behind this one. Only with doorbells, so not with a
  // task limit: the worker could reach it on a queued call and exit with this
  // one unread. False if the call must go to the queue.
  bool send_direct_locked(std::vector<std::string>& frames) {
    if (!bells || frames.size() != 1 || in_flight.size() != 1 || !outbox.empty() ||
        frames[0].size() > kDirectFrame) {
      return false;
    }
    auto it = std::find_if(workers.begin(), workers.end(),
                           [&](const auto& w) { return w.get() == recent; });
    if (it == workers.end() || (*it)->exiting || (*it)->slot < 0) return false;
    Worker& w = **it;
    const std::string& frame = frames[0];
    // Routed before the send, so the worker reads its socket as soon as the
    // call lands there; it keeps reading while the word says kRouted.
    auto& word = bells->direct(static_cast<std::size_t>(w.slot));
    std::uint64_t free = detail::Doorbells::kFree;
    if (!word.compare_exchange_strong(free, detail::Doorbells::kRouted,
                                      std::memory_order_acq_rel)) {
      return false;  // the worker is reading the queue: it may take this call there
    }
    ssize_t n;
    while ((n = ::send(w.fd.get(), frame.data(), frame.size(), MSG_DONTWAIT | MSG_NOSIGNAL)) < 0 &&
           errno == EINTR) {
    }
    if (n < 0) {
      // The queue takes it (a worker gone shows as EOF to the manager).
      word.store(detail::Doorbells::kFree, std::memory_order_release);
      return false;
    }
    // The socket holds nothing else, so a short send only means the worker
    // is reading; if it died meanwhile, its death breaks the pool.
    detail::write_all(w.fd.get(), std::string_view(frame).substr(static_cast<std::size_t>(n)));
    frames.clear();
    return true;
  }

  // More calls than workers that will take them (counting `more_calls` about
  // to be queued), and room for another worker [PPE-WORKERS-1]. A retiring
  // worker counts until it is reaped, as Python joins it before adjusting the
  // process count.
  bool needs_worker_locked(std::size_t more_calls = 0) const {
    return workers.size() < static_cast<std::size_t>(max_workers) &&
           in_flight.size() + pending.size() + more_calls > accepting;
  }

  // The submit path. True if the manager must act (queue the call, spawn a
  // worker, or send what the queue had no room for).
  bool submit_locked(CallPtr call) {
    bool direct =
        pending.empty() && outbox.empty() && in_flight.size() < window() && !call->encode_error;
    if (!direct) {
      pending.push_back(std::move(call));
      return true;
    }
    std::vector<std::string> frames;
    if (start_locked(call, frames)) {
      try {
        if (!send_direct_locked(frames)) send_locked(frames);
      } catch (const std::system_error&) {
        outbox.insert(outbox.end(), std::make_move_iterator(frames.begin()),
                      std::make_move_iterator(frames.end()));
        return true;  // the manager retries, and breaks the pool if it fails again
      }
    }
    return !outbox.empty() || needs_worker_locked();
  }

  // --- Manager thread ------------------------------------------------------

  void run() {
    std::unique_lock lock(mutex);
    std::vector<Reply> replies;
    std::string cause;
    for (;;) {
      cause = add_calls_to_queue(lock);
      if (!cause.empty()) break;
      if (shut_down && pending.empty() && in_flight.empty()) {
        join_executor_internals();  // [SHUT-WAIT-1]
        return;
      }
      cause = wait_result_broken_or_wakeup(lock, replies);
      if (!cause.empty()) break;
      cause = process_results(lock, replies);
      if (!cause.empty()) break;
    }
    terminate_broken(lock, cause, replies);
  }

  // Starts the workers the calls need, then moves pending calls into the
  // window and sends them. Returns why the pool broke, or "".
  std::string add_calls_to_queue(std::unique_lock<std::mutex>& lock) {
    try {
      while (needs_worker_locked()) spawn_locked();
    } catch (const std::exception& e) {
      return std::string("could not start a worker process: ") + e.what();
    }
    std::vector<std::string> frames;
    std::vector<CallPtr> unencodable;
    while (!pending.empty()) {
      if (pending.front()->cancelled()) {  // never runs [EXEC-CANCEL-1]
        pending.pop_front();
        continue;
      }
      if (pending.front()->encode_error) {
        // Python: a task that cannot be pickled fails alone, the pool lives.
        unencodable.push_back(std::move(pending.front()));
        pending.pop_front();
        continue;
      }
      if (in_flight.size() >= window()) break;
      CallPtr call = std::move(pending.front());
      pending.pop_front();
      start_locked(call, frames);
    }
    std::string cause;
    try {
      send_locked(frames);
    } catch (const std::exception& e) {
      cause = std::string("could not send a call to the workers: ") + e.what();
    }
    if (!unencodable.empty()) {
      lock.unlock();
      for (auto& call : unencodable) call->fail(call->encode_error);
      lock.lock();
    }
    return cause;
  }

  void spawn_locked() {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
      detail::throw_errno("socketpair");
    }
    detail::UniqueFd ours(sv[0]);
    detail::UniqueFd theirs(sv[1]);
    std::string fd_arg = std::to_string(sv[1]);
    std::string queue_arg = std::to_string(queue.worker_fd());
    std::string parent_arg = std::to_string(::getpid());
    // In a pool without a task limit no worker retires, so at most
    // max_workers are ever spawned and each keeps its doorbell.
    int slot = bells && spawned < bells->slots() ? static_cast<int>(spawned) : -1;
    std::string bells_arg = std::to_string(slot >= 0 ? bells->fd() : -1);
    std::string slot_arg = std::to_string(slot);
    std::vector<char*> argv = {const_cast<char*>("cf-process-worker"),
                               const_cast<char*>(detail::kWorkerFlag),
                               fd_arg.data(),
                               queue_arg.data(),
                               parent_arg.data(),
                               bells_arg.data(),
                               slot_arg.data(),
                               nullptr};
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    // dup2 onto itself clears FD_CLOEXEC in the child only (glibc >= 2.29):
    // no other thread's spawn can inherit these sockets.
    posix_spawn_file_actions_adddup2(&actions, sv[1], sv[1]);
    posix_spawn_file_actions_adddup2(&actions, queue.worker_fd(), queue.worker_fd());
    if (slot >= 0) posix_spawn_file_actions_adddup2(&actions, bells->fd(), bells->fd());
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
    if (rc != 0) throw std::system_error(rc, std::generic_category(), "posix_spawn");
    auto worker = std::make_unique<Worker>();
    worker->pid = pid;
    worker->fd = std::move(ours);
    worker->slot = slot;
    ++spawned;
    ++accepting;
    detail::BodyWriter config;
    config.bytes(initializer).bytes(initializer_args).u64(static_cast<std::uint64_t>(max_tasks));
    // A worker that is already gone shows as EOF on its socket, below.
    detail::write_all(worker->fd.get(),
                      detail::encode_frame(detail::FrameType::kConfig, config.take()));
    workers.push_back(std::move(worker));
  }

  // Sleeps until a worker sends something or dies, the queue has room for the
  // outbox, or a submit/shutdown wakes us; then reads what the workers sent
  // into `replies`, taking each call out of the window. Returns why the pool
  // broke, or "".
  std::string wait_result_broken_or_wakeup(std::unique_lock<std::mutex>& lock,
                                           std::vector<Reply>& replies) {
    std::vector<pollfd> fds;
    fds.push_back({wake_fd.get(), POLLIN, 0});
    for (auto& w : workers) fds.push_back({w->fd.get(), POLLIN, 0});
    // A submit may start workers while we sleep; they go at the end of
    // `workers`, and the first `polled` keep their places (only this thread
    // removes workers). The new ones are polled on the next turn, which the
    // submit wakes us for.
    const std::size_t polled = workers.size();
    if (!outbox.empty()) fds.push_back({queue.parent_fd(), POLLOUT, 0});
    manager_waiting = true;
    lock.unlock();
    while (::poll(fds.data(), fds.size(), -1) < 0 && errno == EINTR) {
    }
    if (fds[0].revents) {
      std::uint64_t n;
      [[maybe_unused]] auto r = ::read(wake_fd.get(), &n, sizeof n);
    }
    lock.lock();
    manager_waiting = false;
    woken = false;

    std::vector<std::size_t> gone;
    for (std::size_t i = 0; i < polled; ++i) {
      if (!fds[i + 1].revents) continue;
      Worker& w = *workers[i];
      char buf[65536];
      long n = detail::read_some(w.fd.get(), buf, sizeof buf);
      if (n < 0 && errno == EAGAIN) continue;
      if (n <= 0) {
        // Death: expected only after the worker announced its exit with its
        // last result [PPE-MAXTASKS-1].
        if (!w.exiting || w.decoder.buffered() != 0) {
          // Reaped here, for its status: no longer ours to signal.
          death = Death{w.pid, detail::reap_ending(w.pid, kDeathGraceMs)};
          if (recent == &w) recent = nullptr;
          workers.erase(workers.begin() + static_cast<std::ptrdiff_t>(i));
          return msg::kBrokenProcessPool;
        }
        gone.push_back(i);
        continue;
      }
      try {
        w.decoder.feed(buf, static_cast<std::size_t>(n));
        while (auto frame = w.decoder.next()) {
          if (frame->type == detail::FrameType::kInitFailed) {
            // Logged outside the lock; the worker's death follows [PPE-INIT-2].
            auto report = detail::parse_init_failed_frame(*frame);
            to_log.push_back(std::string(msg::kInitializerFailed) +
                             detail::describe({report.error_type, report.error_message}));
            continue;
          }
          replies.push_back(take_reply(w, *frame));
        }
      } catch (const std::exception& e) {
        return std::string(msg::kMalformedFrame) + e.what();  // [PPE-FRAME-1]
      }
    }
    for (auto it = gone.rbegin(); it != gone.rend(); ++it) {
      auto& w = workers[*it];
      if (recent == w.get()) recent = nullptr;
      w->fd.reset();
      detail::reap(w->pid);
      workers.erase(workers.begin() + static_cast<std::ptrdiff_t>(*it));
    }
    return "";
  }

  // Parses a result frame (untrusted) from worker `w` and takes its call out
  // of the window, before its future completes: a caller that submits as soon
  // as result() returns finds the room (and the idle worker) free.
  Reply take_reply(Worker& w, const detail::Frame& frame) {
    detail::ResultFrame reply = detail::parse_result_frame(frame);
    if (w.exiting) throw detail::FrameError("a result after the worker's last");
    auto it = std::find_if(in_flight.begin(), in_flight.end(),
                           [&](const InFlight& f) { return f.id == reply.id; });
    if (it == in_flight.end()) throw detail::FrameError("result for a call that is not running");
    CallPtr call = std::move(it->call);
    *it = std::move(in_flight.back());
    in_flight.pop_back();
    if (reply.exiting) {
      w.exiting = true;
      --accepting;
    }
    recent = w.exiting ? nullptr : &w;
    return {std::move(call), std::move(reply)};
  }

  // Completes the futures of `replies` (outside the lock: callbacks run
  // here). Returns why the pool broke, or "".
  std::string process_results(std::unique_lock<std::mutex>& lock, std::vector<Reply>& replies) {
    if (replies.empty() && to_log.empty()) return "";
    auto logs = std::exchange(to_log, {});
    lock.unlock();
    for (auto& message : logs) cf::log(LogLevel::kCritical, message);
    std::string cause;
    for (auto& r : replies) {
      if (!r.frame.ok) {
        detail::RemoteException remote{std::move(r.frame.error_type),
                                       std::move(r.frame.error_message)};
        r.call->fail(detail::rebuild_exception(remote));  // [PPE-REMOTE-1]
        continue;
      }
      try {
        r.call->succeed(r.frame.results);
      } catch (const std::exception& e) {
        cause = std::string(msg::kMalformedFrame) + "result does not decode: " + e.what();
        r.call->fail(std::make_exception_ptr(BrokenProcessPool(cause)));
      }
    }
    replies.clear();
    lock.lock();
    return cause;
  }

  // The one exit of a broken pool [PPE-BROKEN-1]: every unfinished call fails
  // with BrokenProcessPool(cause), later submits throw [PPE-BROKEN-2], every
  // worker is killed and reaped.
  void terminate_broken(std::unique_lock<std::mutex>& lock, const std::string& cause,
                        std::vector<Reply>& replies) {
    broken = true;
    std::vector<CallPtr> victims(pending.begin(), pending.end());
    pending.clear();
    for (auto& f : in_flight) victims.push_back(std::move(f.call));
    in_flight.clear();
    outbox.clear();
    for (auto& r : replies) victims.push_back(std::move(r.call));
    replies.clear();
    for (auto& w : workers) ::kill(w->pid, SIGKILL);  // unreaped, so the pid is still ours
    join_executor_internals();
    auto logs = std::exchange(to_log, {});
    lock.unlock();
    for (auto& message : logs) cf::log(LogLevel::kCritical, message);  // before the futures fail
    for (auto& v : victims) v->fail(broken_error(cause));
  }

  // A BrokenProcessPool of its own for each future [PPE-BROKEN-4], naming the
  // worker whose death broke the pool, if one did [PPE-BROKEN-3].
  std::exception_ptr broken_error(const std::string& what) const {
    if (!death) return std::make_exception_ptr(BrokenProcessPool(what));
    std::optional<int> exit_code, term_signal;
    std::string how;
    if (WIFSIGNALED(death->status)) {
      term_signal = WTERMSIG(death->status);
      how = "by signal " + std::to_string(*term_signal);
    } else {
      exit_code = WEXITSTATUS(death->status);
      how = "with exit code " + std::to_string(*exit_code);
    }
    auto cause = std::make_exception_ptr(
        Error("the worker process " + std::to_string(death->pid) + " terminated abruptly " + how));
    return std::make_exception_ptr(
        BrokenProcessPool(what, std::move(cause), death->pid, exit_code, term_signal));
  }

  // Closes the queue (idle workers read its end and exit [SHUT-WAIT-1]) and
  // every socket, and reaps every worker, dead or exiting.
  void join_executor_internals() {
    queue.close();
    for (auto& w : workers) w->fd.reset();
    for (auto& w : workers) detail::reap(w->pid);
    workers.clear();
    recent = nullptr;
    accepting = 0;
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
  impl_->wake_fd.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!impl_->wake_fd) detail::throw_errno("eventfd");
  if (impl_->max_tasks == 0) {
    try {
      impl_->bells = std::make_unique<detail::Doorbells>(static_cast<std::size_t>(workers));
    } catch (const std::exception&) {
      // Without doorbells every call goes through the queue: slower, not wrong.
    }
  }
}

ProcessPoolExecutor::~ProcessPoolExecutor() {
  if (impl_->manager.is_current()) {
    // Destroyed from one of its own done-callbacks (see ManagerThread::detach).
    shutdown(false, false);
    impl_->manager.detach();
    return;
  }
  shutdown(true, false);
}

void ProcessPoolExecutor::enqueue(std::shared_ptr<detail::ProcessCall> call) {
  bool wake = false;
  {
    std::lock_guard lock(impl_->mutex);
    if (impl_->shut_down) throw ShutdownError();
    if (impl_->broken) throw BrokenProcessPool(msg::kBrokenProcessPoolSubmit);  // [PPE-BROKEN-2]
    impl_->manager.start([impl = impl_] { impl->run(); });
    // The workers the calls need, this one included, are there when submit
    // returns [PPE-WORKERS-2], started before the call is queued, so it can
    // go to them at once; the manager must then watch their sockets. If
    // starting one fails, the manager tries again and breaks the pool.
    std::size_t spawned = impl_->spawned;
    try {
      while (impl_->needs_worker_locked(1)) impl_->spawn_locked();
    } catch (const std::exception&) {
    }
    bool act = impl_->submit_locked(std::move(call)) || impl_->spawned != spawned;
    wake = act && impl_->must_wake_locked();
  }
  if (wake) impl_->wake();
}

void ProcessPoolExecutor::shutdown(bool wait, bool cancel_futures) {
  std::deque<std::shared_ptr<detail::ProcessCall>> not_started;
  {
    std::lock_guard lock(impl_->mutex);
    impl_->shut_down = true;
    // Only calls not yet in flight: those are RUNNING [SHUT-CANCEL-1].
    if (cancel_futures) {
      not_started.swap(impl_->pending);
      impl_->cancels.begin_locked(not_started);
    }
  }
  impl_->cancels.cancel(impl_->mutex, not_started, [](auto& call) { call->cancel(); });
  impl_->wake();
  if (!wait) return;
  impl_->manager.join("cf::ProcessPoolExecutor");
  std::unique_lock lock(impl_->mutex);
  impl_->cancels.wait(lock);  // what a concurrent cancelling shutdown took [SHUT-WAIT-1]
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

bool ProcessPoolExecutor::is_broken() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->broken;
}

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

int ProcessPoolExecutor::default_max_workers() { return detail::process_cpu_count(); }

}  // namespace cf
