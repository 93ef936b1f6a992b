#include "pool.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

#include "cf/process_pool.hpp"
#include "cf/thread_pool.hpp"

namespace cf::stress {

int task_value(int v) { return v; }

int task_busy(int ms) {
  // Work, not synchronisation: the task stands for a call that takes a while.
  auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (std::chrono::steady_clock::now() < until) std::this_thread::yield();
  return ms;
}

int task_crash(int v) {
  if (cf::ThreadPoolExecutor::current_thread_name().empty()) ::raise(SIGKILL);  // a process worker
  throw std::logic_error("task_crash on a thread pool: " + std::to_string(v));
}

int task_value_or_crash(int v) { return v < 0 ? task_crash(v) : v; }

namespace {
std::string gate_path(int parent, int id) {
  return "/tmp/cf-stress-gate-" + std::to_string(parent) + "-" + std::to_string(id);
}
}  // namespace

// Blocks until the parent writes to (or closes) FIFO `id`: the process
// backend's gate. The parent holds the FIFO open from hold() to release(), so
// this read returns exactly when release() runs, never on a timer.
int task_gate(int id) {
  // O_NONBLOCK: a blocking open waits for a writer, and if release() closed
  // the parent's end between this open's path lookup and its wait, none
  // would ever come. Opened this way, the blocking read below returns the
  // parent's byte, or end-of-file once no writer is left (before this open
  // or after it).
  int fd = ::open(gate_path(static_cast<int>(::getppid()), id).c_str(),
                  O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return -1;  // released (and removed) before the call started
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  char byte = 0;
  while (::read(fd, &byte, 1) < 0 && errno == EINTR) {
  }
  ::close(fd);
  return 0;
}

CF_REGISTER_TASK(task_value);
CF_REGISTER_TASK(task_busy);
CF_REGISTER_TASK(task_crash);
CF_REGISTER_TASK(task_value_or_crash);
CF_REGISTER_TASK(task_gate);

namespace {

// A one-shot gate a thread-pool task can block on.
struct Gate {
  std::mutex mutex;
  std::condition_variable cv;
  bool open = false;
  void wait() {
    std::unique_lock lock(mutex);
    // Bounded, so a scenario that forgot to open it fails instead of hanging.
    cv.wait_for(lock, kGenerous, [this] { return open; });
  }
  void release() {
    {
      std::lock_guard lock(mutex);
      open = true;
    }
    cv.notify_all();
  }
};

class ThreadPool final : public Pool {
 public:
  explicit ThreadPool(const PoolOptions& options)
      : break_gate_(std::make_shared<Gate>()), pool_(make_options(options, break_gate_)) {}
  ~ThreadPool() override {
    release();  // before pool_ joins its workers
    break_gate_->release();
  }

  Future<int> submit(int (*task)(int), int arg) override { return pool_.submit(task, arg); }
  MapResult<int> map(int (*task)(int), std::vector<int> inputs) override {
    return cf::map(pool_, task, std::move(inputs));
  }
  Future<int> hold() override {
    auto gate = std::make_shared<Gate>();
    {
      std::lock_guard lock(mutex_);
      gates_.push_back(gate);
    }
    return pool_.submit([gate] {
      gate->wait();
      return 0;
    });
  }
  void release() override {
    std::vector<std::shared_ptr<Gate>> gates;
    {
      std::lock_guard lock(mutex_);
      gates.swap(gates_);
    }
    for (auto& g : gates) g->release();
  }
  void shutdown(bool wait, bool cancel_futures) override { pool_.shutdown(wait, cancel_futures); }
  void break_pool() override { break_gate_->release(); }
  std::vector<int> worker_pids() const override { return {}; }

 private:
  static ThreadPoolExecutor::Options make_options(const PoolOptions& options,
                                                  const std::shared_ptr<Gate>& gate) {
    ThreadPoolExecutor::Options o;
    o.max_workers = options.workers;
    o.thread_name_prefix = "stress";
    if (options.breakable) {
      o.initializer = [gate] {
        gate->wait();
        throw std::runtime_error("initializer broken on purpose");
      };
    }
    return o;
  }
  std::mutex mutex_;
  std::vector<std::shared_ptr<Gate>> gates_;  // held calls not yet released
  std::shared_ptr<Gate> break_gate_;
  ThreadPoolExecutor pool_;
};

class ProcessPool final : public Pool {
 public:
  explicit ProcessPool(const PoolOptions& options)
      : pool_(ProcessPoolExecutor::Options{options.workers, {}, options.max_tasks_per_child}) {}

  Future<int> submit(int (*task)(int), int arg) override { return pool_.submit(task, arg); }
  MapResult<int> map(int (*task)(int), std::vector<int> inputs) override {
    return pool_.map(task, std::move(inputs));
  }
  ~ProcessPool() override { release(); }

  Future<int> hold() override {
    static std::atomic<int> next_id{0};
    int id = next_id++;
    std::string path = gate_path(static_cast<int>(::getpid()), id);
    ::unlink(path.c_str());
    if (::mkfifo(path.c_str(), 0600) != 0) throw std::runtime_error("mkfifo " + path + " failed");
    // O_RDWR: opening does not wait for the reader, and the FIFO has a writer
    // until release(), so the worker's read blocks until then.
    int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (fd < 0) throw std::runtime_error("open " + path + " failed");
    {
      std::lock_guard lock(mutex_);
      gates_.emplace_back(fd, path);
    }
    return pool_.submit(task_gate, id);
  }
  void release() override {
    std::vector<std::pair<int, std::string>> gates;
    {
      std::lock_guard lock(mutex_);
      gates.swap(gates_);
    }
    for (auto& [fd, path] : gates) {
      ::unlink(path.c_str());
      char byte = 1;
      [[maybe_unused]] auto n = ::write(fd, &byte, 1);
      ::close(fd);
    }
  }
  void shutdown(bool wait, bool cancel_futures) override { pool_.shutdown(wait, cancel_futures); }
  void break_pool() override {
    auto pids = pool_.worker_pids();
    if (pids.empty()) {
      pool_.kill_workers();
    } else {
      ::kill(pids.front(), SIGKILL);
    }
  }
  std::vector<int> worker_pids() const override { return pool_.worker_pids(); }

 private:
  std::mutex mutex_;
  std::vector<std::pair<int, std::string>> gates_;  // FIFO fd and path per held call
  ProcessPoolExecutor pool_;
};

}  // namespace

std::unique_ptr<Pool> Pool::make(Backend backend, PoolOptions options) {
  if (backend == Backend::kThread) return std::make_unique<ThreadPool>(options);
  return std::make_unique<ProcessPool>(options);
}

}  // namespace cf::stress
