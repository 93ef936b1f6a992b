#include "cf/thread_pool.hpp"

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "cf/detail/error_text.hpp"
#include "cf/detail/pending_cancels.hpp"
#include "cf/detail/posix_io.hpp"
#include "cf/detail/schedule_point.hpp"
#include "cf/detail/spin_wait.hpp"
#include "cf/detail/sync.hpp"
#include "cf/log.hpp"

namespace cf {
namespace {

thread_local std::string t_worker_name;

// Locks `m`, trying it for a moment before sleeping on it. The pool's lock
// is held for a few instructions at a time, by the submitter and by workers
// taking calls, so one that finds it taken nearly always gets it within a few
// polls, without the futex wait and wake-up that a sleeping locker and its
// unlocker pay (cf_bench throughput/reference-thread: about 10% fewer
// nanoseconds per call on two cores). Under the explorer every lock is
// already a scheduling point, and a spin would only add steps.
template <class M>
std::unique_lock<M> lock_spinning_first(M& m) {
  if constexpr (!detail::sync::kSpinModel) {
    constexpr int kTries = 100;
    for (int i = 0; i < kTries; ++i) {
      if (m.try_lock()) return std::unique_lock<M>(m, std::adopt_lock);
      detail::cpu_relax();
    }
  }
  return std::unique_lock<M>(m);
}

std::string default_prefix() {
  static std::atomic<int> counter{0};  // process-wide, as CPython's class counter
  return "ThreadPoolExecutor-" + std::to_string(counter++);
}

}  // namespace

struct ThreadPoolExecutor::Impl {
  int max_workers = 0;
  std::string prefix;
  std::function<void()> initializer;

  detail::sync::Mutex mutex;
  detail::sync::CondVar work_ready;
  std::deque<detail::QueuedCall> queue;
  // queue.size(), written under the mutex, for a worker to spin on unlocked;
  // every decision is taken again under the mutex, so relaxed is enough. On
  // a cache line of its own, as is awake_seen, which the spinner writes on
  // every poll: beside the counters a submit reads under the mutex, either
  // made a submit wait for the line (cf_bench throughput/reference-thread,
  // perf annotate of enqueue).
  alignas(64) detail::sync::Atomic<std::size_t> queued{0};
  // Held by the one idle worker that spins; the others park at once, so idle
  // workers never take more than one core between them.
  detail::sync::Atomic<bool> spinning{false};
  // Workers awake with no call: just started, spinning, just woken, or back
  // from a call. Each looks at the queue under the mutex before it parks, so
  // an item pushed while one is awake is taken without waking a parked worker.
  // Changed under the mutex, except the count after a call (as `idle`).
  // Once the pool is shut down or broken nobody reads it.
  detail::sync::Atomic<std::size_t> awake{0};
  // When an awake worker was last seen running: one that has not been seen
  // within kAwakeWindow may be descheduled, and a submit wakes a parked
  // worker rather than count on it. Only ever adds wake-ups: an awake worker
  // takes the call in any case (under the explorer's virtual clock, which
  // stands still, a submit always counts on it).
  alignas(64) detail::sync::Atomic<detail::sync::Clock::rep> awake_seen{0};

  static detail::sync::Clock::rep now() {
    return detail::sync::Clock::now().time_since_epoch().count();
  }
  void seen_awake() { awake_seen.store(now(), std::memory_order_relaxed); }
  // Whether an awake worker will take the call just queued without a
  // wake-up: it was running a moment ago.
  bool awake_will_take() const {
    return now() - awake_seen.load(std::memory_order_relaxed) <
           std::chrono::duration_cast<detail::sync::Clock::duration>(detail::kAwakeWindow).count();
  }
  std::vector<detail::sync::Thread> threads;
  // Workers free to take a queued item: waiting, just started, or whose call
  // has returned. Counted before the call's future is completed, so a caller
  // that submits again as soon as result() returns finds this worker idle
  // instead of starting a new thread [TPE-REUSE-1]. Changed under the mutex,
  // except the count after a call, which needs no lock (an atomic increment
  // before set_result is seen by a submit that follows result()).
  detail::sync::Atomic<std::size_t> idle{0};
  bool shut_down = false;
  bool broken = false;

  detail::sync::Mutex join_mutex;  // serialises concurrent shutdown(wait=true) calls
  detail::PendingCancels<detail::sync::Mutex, detail::sync::CondVar> cancels;

  // Counts the worker idle once per item, however run() ended.
  class Hooks final : public detail::RunHooks {
   public:
    explicit Hooks(Impl& impl) : impl_(impl) {}
    void before_publish() override {
      if (published_) return;
      published_ = true;
      ++impl_.idle;
    }

   private:
    Impl& impl_;
    bool published_ = false;
  };

  void worker(std::size_t index) {
    t_worker_name = prefix + "_" + std::to_string(index);
    pthread_setname_np(pthread_self(), t_worker_name.substr(0, 15).c_str());
    if (initializer) {
      try {
        initializer();
      } catch (...) {
        log(LogLevel::kCritical,
            msg::kInitializerFailed + detail::describe(std::current_exception()));
        break_pool();
        return;
      }
    }
    for (;;) {
      // Nothing queued: one idle worker spins on the count, unlocked, so a
      // call submitted within microseconds starts without a futex wake-up,
      // and the submitter does not meet it on the lock while the queue is
      // empty (cf_bench latency/ and throughput/reference-thread).
      if (queued.load(std::memory_order_relaxed) == 0 && !spinning.exchange(true)) {
        detail::spin_until([this] {
          seen_awake();
          return queued.load(std::memory_order_relaxed) != 0;
        });
        spinning = false;
      }
      auto lock = lock_spinning_first(mutex);
      if (queue.empty() && !shut_down && !broken) {
        --awake;  // parked: a submit must wake it
        work_ready.wait(lock, [this] { return !queue.empty() || shut_down || broken; });
        ++awake;
        seen_awake();
      }
      if (queue.empty()) break;  // shut down (or broken) and drained
      auto item = std::move(queue.front());
      queue.pop_front();
      queued.store(queue.size(), std::memory_order_relaxed);
      --idle;
      --awake;
      lock.unlock();
      CF_SCHEDULE_POINT("worker-took-item");
      Hooks hooks(*this);
      item->run(hooks);
      hooks.before_publish();  // a cancelled item was skipped without publishing
      // Back, its callbacks run: it looks at the queue next.
      ++awake;
      seen_awake();
      item.reset();  // the callable and its arguments die here, unlocked
    }
  }

  // The initializer failed: every queued call fails with BrokenThreadPool
  // and later submits throw it [TPE-INIT-2] [TPE-INIT-3]. Calls other
  // workers already took still run.
  void break_pool() {
    std::deque<detail::QueuedCall> orphans;
    {
      std::lock_guard lock(mutex);
      broken = true;
      --idle;
      --awake;
      orphans.swap(queue);
      queued = 0;
    }
    work_ready.notify_all();
    for (auto& item : orphans) {
      try {
        item->state().set_exception(std::make_exception_ptr(BrokenThreadPool()));
      } catch (const InvalidStateError&) {
        // Already cancelled by its owner: nothing to report.
      }
    }
  }
};

ThreadPoolExecutor::ThreadPoolExecutor(Options options) : impl_(std::make_shared<Impl>()) {
  int workers = options.max_workers.value_or(default_max_workers());
  if (workers <= 0) throw std::invalid_argument(msg::kMaxWorkers);  // [TPE-WORKERS-1]
  impl_->max_workers = workers;
  impl_->prefix =
      options.thread_name_prefix.empty() ? default_prefix() : std::move(options.thread_name_prefix);
  impl_->initializer = std::move(options.initializer);
}

ThreadPoolExecutor::~ThreadPoolExecutor() { shutdown(true, false); }

void ThreadPoolExecutor::enqueue(detail::QueuedCall item) {
  bool wake = true;
  {
    auto lock = lock_spinning_first(impl_->mutex);
    if (impl_->shut_down) throw ShutdownError();
    if (impl_->broken) throw BrokenThreadPool();
    impl_->queue.push_back(std::move(item));
    impl_->queued.store(impl_->queue.size(), std::memory_order_relaxed);
    // Start a thread only when the idle ones cannot take every queued item
    // [TPE-LAZY-1] [TPE-REUSE-1], and never past max_workers [TPE-MAX-1].
    if (impl_->queue.size() > impl_->idle &&
        impl_->threads.size() < static_cast<std::size_t>(impl_->max_workers)) {
      try {
        impl_->threads.emplace_back(&Impl::worker, impl_.get(), impl_->threads.size());
      } catch (...) {
        impl_->queue.pop_back();  // not accepted: the caller gets the error, nothing is lost
        impl_->queued.store(impl_->queue.size(), std::memory_order_relaxed);
        throw;
      }
      ++impl_->idle;
      ++impl_->awake;
      impl_->seen_awake();
    }
    wake = impl_->queue.size() > impl_->awake.load(std::memory_order_relaxed);
  }
  // An awake worker that is running takes the call: wake nobody. One not seen
  // running lately may be descheduled (a loaded machine): then a parked
  // worker gets the call, so a stalled spinner never stalls it.
  if (!wake && !impl_->awake_will_take()) wake = true;
  if (wake) impl_->work_ready.notify_one();
}

void ThreadPoolExecutor::shutdown(bool wait, bool cancel_futures) {
  std::deque<detail::QueuedCall> not_started;
  {
    std::lock_guard lock(impl_->mutex);
    impl_->shut_down = true;
    if (cancel_futures) {
      not_started.swap(impl_->queue);  // [SHUT-CANCEL-1]
      impl_->queued = 0;
      impl_->cancels.begin_locked(not_started);
    }
  }
  impl_->work_ready.notify_all();
  impl_->cancels.cancel(impl_->mutex, not_started, [](auto& item) { item->state().cancel(); });
  if (!wait) return;  // [SHUT-NOWAIT-1]

  {
    std::lock_guard join_lock(impl_->join_mutex);
    // No thread is added after shut_down is set, so the vector is stable.
    for (auto& thread : impl_->threads) {
      if (thread.get_id() == detail::sync::this_thread_id()) {
        throw std::logic_error(
            "ThreadPoolExecutor::shutdown(wait=true) called from its own worker");
      }
    }
    for (auto& thread : impl_->threads) {
      if (thread.joinable()) thread.join();  // [SHUT-WAIT-1]
    }
  }
  // What a concurrent shutdown(cancel_futures=true) took from the queue is
  // done once it has cancelled it [SHUT-WAIT-1].
  std::unique_lock lock(impl_->mutex);
  impl_->cancels.wait(lock);
}

bool ThreadPoolExecutor::is_broken() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->broken;
}

int ThreadPoolExecutor::max_workers() const { return impl_->max_workers; }

std::size_t ThreadPoolExecutor::thread_count() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->threads.size();
}

std::string_view ThreadPoolExecutor::current_thread_name() { return t_worker_name; }

int ThreadPoolExecutor::default_max_workers() {
  return std::min(32, detail::process_cpu_count() + 4);
}

}  // namespace cf
