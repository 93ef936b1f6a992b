// The process pool's manager loop against a worker's death, with the
// transport simulated: a model of impl/src/process_pool.cpp's
// ProcessPoolExecutor::Impl (dispatch_locked, break_locked, the read loop of
// run()) in the same shape and with the same rules, where a worker process
// is a task and its socket a queue of frames with an end-of-file. Spawning,
// posix_spawn, fds and waitpid stay out: what is explored is the order in
// which submits, results, a retirement's EOF and a death's EOF reach the
// manager.
#include <algorithm>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cf/detail/sync.hpp"
#include "cf/future.hpp"
#include "protocol.hpp"

namespace cf::explore {
namespace {

namespace sync = detail::sync;

// What a call does in the worker: return its argument, or end the process.
struct Call {
  Future<int> future;
  int arg = 0;
  bool crashes = false;
};
using CallPtr = std::shared_ptr<Call>;

// One worker process's socket pair, both ends. Guarded by Transport::mutex.
struct Socket {
  std::deque<CallPtr> to_worker;
  bool parent_closed = false;  // the worker reads EOF: exit
  struct Result {
    int value;
    bool exiting;  // the last result before a retirement [PPE-MAXTASKS-1]
  };
  std::deque<Result> to_parent;
  bool worker_closed = false;  // the parent reads EOF
  sync::CondVar worker_readable;
};

// The kernel side: every socket, the eventfd, and poll().
struct Transport {
  sync::Mutex mutex;
  sync::CondVar readable;  // poll() wakes on it
  int wakeups = 0;         // the eventfd's counter
  std::vector<std::unique_ptr<Socket>> sockets;
};

// A worker process: runs calls until told to exit, its max_tasks are done,
// or a call crashes it.
void worker_process(Transport& t, Socket& s, int max_tasks) {
  int done = 0;
  std::unique_lock lock(t.mutex);
  for (;;) {
    s.worker_readable.wait(lock, [&] { return !s.to_worker.empty() || s.parent_closed; });
    if (s.to_worker.empty()) break;  // EOF from the parent
    CallPtr call = std::move(s.to_worker.front());
    s.to_worker.pop_front();
    if (call->crashes) break;  // dies: EOF with the call unanswered
    ++done;
    const bool exiting = max_tasks > 0 && done == max_tasks;
    s.to_parent.push_back({call->arg, exiting});
    t.readable.notify_all();
    if (exiting) break;
  }
  s.worker_closed = true;
  t.readable.notify_all();
}

struct Worker {
  Socket* socket = nullptr;
  sync::Thread process;
  CallPtr call;  // in flight, or null when idle
  int sent = 0;
  bool exiting = false;
};

// ProcessPoolExecutor::Impl, modelled.
class Pool {
 public:
  Pool(int max_workers, int max_tasks) : max_workers_(max_workers), max_tasks_(max_tasks) {}

  // ProcessPoolExecutor::enqueue
  Future<int> submit(int arg, bool crashes = false) {
    auto call = std::make_shared<Call>();
    call->arg = arg;
    call->crashes = crashes;
    {
      std::lock_guard lock(mutex_);
      if (shut_down_) throw ShutdownError();
      if (broken_)
        throw BrokenProcessPool("A child process terminated abruptly");  // [PPE-BROKEN-2]
      pending_.push_back(call);
      if (!manager_started_) {
        manager_ = sync::Thread([this] { run(); });
        manager_started_ = true;
      }
    }
    wake();
    return call->future;
  }

  // ProcessPoolExecutor::shutdown(wait=true)
  void shutdown() {
    {
      std::lock_guard lock(mutex_);
      shut_down_ = true;
    }
    wake();
    if (manager_.joinable()) manager_.join();
  }

  int processes_left() const { return alive_; }

 private:
  void wake() {
    std::lock_guard lock(transport_.mutex);
    ++transport_.wakeups;
    transport_.readable.notify_all();
  }

  void spawn_locked() {
    std::lock_guard lock(transport_.mutex);
    transport_.sockets.push_back(std::make_unique<Socket>());
    auto w = std::make_unique<Worker>();
    w->socket = transport_.sockets.back().get();
    Socket* s = w->socket;
    int max_tasks = max_tasks_;
    w->process = sync::Thread([this, s, max_tasks] {
      worker_process(transport_, *s, max_tasks);
      --alive_;
    });
    ++alive_;
    workers_.push_back(std::move(w));
  }

  bool idle(const Worker& w) const {
    return !w.call && !w.exiting && (max_tasks_ == 0 || w.sent < max_tasks_);
  }

  // Sends queued calls to idle workers, spawning while more calls wait than
  // idle workers can take [PPE-WORKERS-1].
  void dispatch_locked() {
    for (;;) {
      while (!pending_.empty() && pending_.front()->future.cancelled()) pending_.pop_front();
      if (pending_.empty()) return;
      Worker* target = nullptr;
      for (auto& w : workers_) {
        if (idle(*w)) {
          target = w.get();
          break;
        }
      }
      if (!target) {
        if (workers_.size() < static_cast<std::size_t>(max_workers_)) {
          spawn_locked();
          continue;
        }
        return;
      }
      CallPtr call = std::move(pending_.front());
      pending_.pop_front();
      if (!call->future.set_running_or_notify_cancel()) continue;
      target->call = call;
      ++target->sent;
      std::lock_guard lock(transport_.mutex);
      target->socket->to_worker.push_back(std::move(call));
      target->socket->worker_readable.notify_all();
    }
  }

  // Marks the pool broken and takes every unfinished call [PPE-BROKEN-1].
  std::vector<CallPtr> break_locked() {
    broken_ = true;
    std::vector<CallPtr> victims(pending_.begin(), pending_.end());
    pending_.clear();
    for (auto& w : workers_) {
      if (w->call) victims.push_back(std::move(w->call));
    }
    return victims;
  }

  // Closes every socket and joins every process (kill, then waitpid).
  void reap_all_locked() {
    {
      std::lock_guard lock(transport_.mutex);
      for (auto& w : workers_) {
        w->socket->parent_closed = true;
        w->socket->to_worker.clear();  // SIGKILL: a dying worker takes no more calls
        w->socket->worker_readable.notify_all();
      }
    }
    for (auto& w : workers_) w->process.join();
    workers_.clear();
  }

  static void fail_all(const std::vector<CallPtr>& victims) {
    auto error = std::make_exception_ptr(BrokenProcessPool("A child process terminated abruptly"));
    for (auto& v : victims) {
      try {
        v->future.set_exception(error);
      } catch (const InvalidStateError&) {
      }
    }
  }

  // Impl::run(): dispatch, then wait for a wake-up or a worker's frames.
  void run() {
    std::unique_lock lock(mutex_);
    for (;;) {
      if (!broken_) dispatch_locked();
      bool busy = std::any_of(workers_.begin(), workers_.end(), [](auto& w) { return w->call; });
      if (shut_down_ && pending_.empty() && !busy) {
        reap_all_locked();  // closing our ends: workers read EOF and exit [SHUT-WAIT-1]
        return;
      }
      lock.unlock();
      // poll(): the eventfd or any worker's socket.
      struct Read {
        std::vector<Socket::Result> results;
        bool eof = false;
      };
      std::vector<Read> reads;
      {
        std::unique_lock t(transport_.mutex);
        auto ready = [&] {
          if (transport_.wakeups > 0) return true;
          for (auto& s : transport_.sockets) {
            if (!s->to_parent.empty() || (s->worker_closed && !s->parent_closed)) return true;
          }
          return false;
        };
        transport_.readable.wait(t, ready);
        transport_.wakeups = 0;
      }
      lock.lock();
      {
        std::lock_guard t(transport_.mutex);
        for (auto& w : workers_) {
          Read r;
          r.results.assign(w->socket->to_parent.begin(), w->socket->to_parent.end());
          w->socket->to_parent.clear();
          r.eof = w->socket->worker_closed && r.results.empty();
          reads.push_back(std::move(r));
        }
      }
      std::vector<std::pair<CallPtr, int>> completions;
      std::vector<std::size_t> gone;
      bool died = false;
      for (std::size_t i = 0; i < workers_.size() && !died; ++i) {
        Worker& w = *workers_[i];
        for (auto& result : reads[i].results) {  // read_result
          completions.emplace_back(std::move(w.call), result.value);
          if (result.exiting) w.exiting = true;
        }
        if (reads[i].eof) {
          // Death: expected only after the worker announced its exit with
          // its last result [PPE-MAXTASKS-1].
          if (w.exiting && !w.call) {
            gone.push_back(i);
          } else {
            died = true;
          }
        }
      }
      if (died) {
        auto victims = break_locked();
        for (auto& c : completions) victims.push_back(c.first);
        reap_all_locked();
        lock.unlock();
        fail_all(victims);
        return;
      }
      for (auto it = gone.rbegin(); it != gone.rend(); ++it) {
        auto& w = workers_[*it];
        {
          std::lock_guard t(transport_.mutex);
          w->socket->parent_closed = true;
        }
        w->process.join();
        workers_.erase(workers_.begin() + static_cast<std::ptrdiff_t>(*it));
      }
      if (completions.empty()) continue;
      lock.unlock();
      for (auto& [call, value] : completions) call->future.set_result(value);
      lock.lock();
    }
  }

  sync::Mutex mutex_;
  std::deque<CallPtr> pending_;
  std::vector<std::unique_ptr<Worker>> workers_;
  bool shut_down_ = false;
  bool broken_ = false;
  bool manager_started_ = false;
  sync::Thread manager_;
  Transport transport_;
  const int max_workers_;
  const int max_tasks_;
  int alive_ = 0;
};

// One worker process at a time, max_tasks_per_child=1 (each call retires
// its worker), while the client submits three calls; the second crashes
// its worker. The first worker's retirement and the second's death reach
// the manager in any order relative to the submits.
void worker_death() {
  Pool pool(1, 1);
  Future<int> first = pool.submit(1);
  Future<int> crash = pool.submit(2, true);
  std::optional<Future<int>> third;
  try {
    third = pool.submit(3);
  } catch (const BrokenProcessPool&) {
  }
  bool crash_broken = false;
  try {
    crash.result();
  } catch (const BrokenProcessPool&) {
    crash_broken = true;
  }
  check(crash_broken, "PPE-BROKEN-1",
        "the call whose worker died did not fail with BrokenProcessPool");
  bool refused = false;
  try {
    pool.submit(4);
  } catch (const BrokenProcessPool&) {
    refused = true;
  }
  check(refused, "PPE-BROKEN-2", "a submit after the pool broke did not throw BrokenProcessPool");
  pool.shutdown();
  check(pool.processes_left() == 0, "PPE-BROKEN-1", "a worker process was not reaped");
  check(first.done() && !first.cancelled(), "PPE-MAXTASKS-1",
        "the call before the crash never completed");
  check(first.exception() == nullptr && first.result() == 1, "PPE-MAXTASKS-1",
        "a retiring worker's exit was taken for a death: the call it ran failed");
  if (third) {
    check(third->done(), "PPE-BROKEN-1", "a call queued when the worker died never completed");
    bool third_broken = false;
    try {
      third->result();
    } catch (const BrokenProcessPool&) {
      third_broken = true;
    }
    check(third_broken, "PPE-BROKEN-1",
          "a call queued behind the crash did not fail with BrokenProcessPool");
  }
}

CF_EXPLORE_PROTOCOL(
    "process.manager_vs_worker_death", "PPE-BROKEN-1 PPE-BROKEN-2 PPE-MAXTASKS-1",
    "the process pool's manager loop (modelled, transport simulated) with max_tasks_per_child=1 "
    "while a client submits three calls and the second kills its worker: a retirement is not "
    "a death, a death fails every unfinished call with BrokenProcessPool and later submits "
    "throw it, every worker is reaped [PPE-BROKEN-1] [PPE-BROKEN-2] [PPE-MAXTASKS-1]",
    4, Bounds{2, 1, 20000}, worker_death);

}  // namespace
}  // namespace cf::explore
