// The minimal implementation (see minimal.hpp): futures, a pool, wait,
// as_completed and map, from scratch.
//
// Long on purpose: a whole executor from scratch (state machine, pool, wait,
// as_completed, map, adapter), kept in one file so it is plainly independent of
// impl/.
#include "minimal.hpp"

#include <pthread.h>
#include <sched.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

namespace cf::conformance::minimal {
namespace {

using Kind = Outcome::Kind;
using SteadyClock = std::chrono::steady_clock;

constexpr const char* kBrokenMessage =
    "A thread initializer failed, the thread pool is not usable anymore";
constexpr const char* kShutdownMessage = "cannot schedule new futures after shutdown";

Planted g_planted = Planted::kNone;
Planted planted() { return g_planted; }

// --- deadlines ----------------------------------------------------------------

// A deadline fixed when a call starts: none, or a point on the steady clock.
struct Deadline {
  bool none = true;
  SteadyClock::time_point at{};

  // Waits on `cv` until `ready` holds or the deadline passes; ready() after.
  template <class Ready>
  bool wait(std::condition_variable& cv, std::unique_lock<std::mutex>& lock, Ready ready) const {
    if (none) {
      cv.wait(lock, ready);
      return true;
    }
    return cv.wait_until(lock, at, ready);
  }
  bool passed() const { return !none && SteadyClock::now() >= at; }
};

// The deadline of a call given `timeout`, from the length as the test wrote
// it. Throws std::invalid_argument for NaN.
Deadline deadline_of(const Timeout& timeout) {
  long double seconds = 0;
  if (!timeout.has_raw()) {
    if (timeout.is_none()) return {};
    seconds = std::chrono::duration<long double>(timeout.length()).count();
  } else {
    seconds = std::visit(
        [](auto length) -> long double {
          if constexpr (std::is_same_v<decltype(length), std::monostate>) {
            return 0;
          } else {
            return std::chrono::duration<long double>(length).count();
          }
        },
        timeout.raw());
  }
  if (std::isnan(seconds)) throw std::invalid_argument("timeout is NaN");
  const auto now = SteadyClock::now();
  if (seconds <= 0) return {false, now};
  // What is left of the clock's range: a longer wait has no deadline.
  const long double room =
      std::chrono::duration<long double>(SteadyClock::time_point::max() - now).count() / 2;
  if (!(seconds < room)) return {};
  return {false, now + std::chrono::duration_cast<SteadyClock::duration>(
                           std::chrono::duration<long double>(seconds))};
}

// --- the log ------------------------------------------------------------------

class Log {
 public:
  void write(std::string line) {
    std::lock_guard lock(mutex_);
    lines_.push_back(std::move(line));
  }
  std::vector<std::string> take() {
    std::lock_guard lock(mutex_);
    return std::exchange(lines_, {});
  }

 private:
  std::mutex mutex_;
  std::vector<std::string> lines_;
};

// --- the future -----------------------------------------------------------------

class MinimalFuture final : public Future {
 public:
  explicit MinimalFuture(Log& log) : log_(log) {}

  bool cancel() override {
    {
      std::unique_lock lock(mutex_);
      if (phase_ == Phase::kCancelled) return true;  // [FUT-CANCEL-4]
      if (phase_ != Phase::kPending) return false;   // [FUT-CANCEL-2, FUT-CANCEL-3]
    }
    return complete(Phase::kCancelled, {}) || cancelled();
  }
  bool cancelled() override { return phase() == Phase::kCancelled; }
  bool running() override { return phase() == Phase::kRunning; }
  bool done() override { return is_done(phase()); }

  Outcome result(Timeout timeout) override { return read(timeout, false); }
  Outcome exception(Timeout timeout) override { return read(timeout, true); }

  void add_done_callback(std::function<void(const CallbackEvent&)> callback) override {
    {
      std::lock_guard lock(mutex_);
      if (!is_done(phase_)) {
        callbacks_.push_back(std::move(callback));
        return;
      }
    }
    invoke(callback);  // already done: now, in the caller [FUT-CB-3]
  }

  Outcome set_running_or_notify_cancel() override {
    std::lock_guard lock(mutex_);
    switch (phase_) {
      case Phase::kPending:
        phase_ = Phase::kRunning;
        return Outcome::of_value(1);
      case Phase::kCancelled:
        return Outcome::of_value(0);  // every time [FUT-SET-1, EXT-NOTIFY-1]
      default:
        return Outcome::error(Kind::kInvalidState, "future already running or finished");
    }
  }
  Outcome set_result(std::int64_t value) override {
    if (!finish(Outcome::of_value(value))) {
      return Outcome::error(Kind::kInvalidState, "future already done");  // [FUT-SET-3]
    }
    return {};
  }
  Outcome set_exception(const std::string& message) override {
    if (!finish(Outcome::error(Kind::kTaskError, message))) {
      return Outcome::error(Kind::kInvalidState, "future already done");  // [FUT-SET-4]
    }
    return {};
  }

  // Calls `watcher` once this future is done, unless it already is: false then.
  bool watch(std::function<void()> watcher) {
    std::lock_guard lock(mutex_);
    if (is_done(phase_)) return false;
    watchers_.push_back(std::move(watcher));
    return true;
  }
  // The outcome once done, waiting until `deadline`: kTimeout if not done by then.
  Outcome await(const Deadline& deadline) {
    std::unique_lock lock(mutex_);
    if (!deadline.wait(changed_, lock, [&] { return is_done(phase_); })) {
      return Outcome::error(Kind::kTimeout, "future not done by its deadline");
    }
    return phase_ == Phase::kCancelled ? Outcome::error(Kind::kCancelled, "cancelled") : outcome_;
  }
  bool failed() {
    std::lock_guard lock(mutex_);
    return phase_ == Phase::kFinished && outcome_.is(Kind::kTaskError);
  }
  // The executor's side: finishes with `outcome` (a value, the task's error,
  // or the pool's own error); false if already done.
  bool finish(Outcome outcome) { return complete(Phase::kFinished, std::move(outcome)); }

 private:
  enum class Phase { kPending, kRunning, kCancelled, kFinished };
  static bool is_done(Phase p) { return p == Phase::kCancelled || p == Phase::kFinished; }
  Phase phase() {
    std::lock_guard lock(mutex_);
    return phase_;
  }

  // The one transition to done: false if already done. The watchers (wait,
  // as_completed) are told under the lock, so a completion is in every
  // watcher before any reader can see it and act: a future completed after
  // another one's reader returned is later in every as_completed run
  // [ASC-ORDER-1]. Callbacks run after, outside the lock [FUT-CB-5].
  bool complete(Phase to, Outcome outcome) {
    std::vector<std::function<void(const CallbackEvent&)>> callbacks;
    {
      std::lock_guard lock(mutex_);
      if (is_done(phase_)) return false;
      if (to == Phase::kCancelled && phase_ != Phase::kPending) return false;
      phase_ = to;
      outcome_ = std::move(outcome);
      for (auto& w : watchers_) w();  // each takes only its waiter's lock
      watchers_.clear();
      callbacks.swap(callbacks_);
    }
    changed_.notify_all();
    for (auto& c : callbacks) invoke(c);  // in the completing thread, in order [FUT-CB-1, FUT-CB-2]
    return true;
  }

  Outcome read(const Timeout& timeout, bool exception) {
    Deadline deadline;
    try {
      deadline = deadline_of(timeout);
    } catch (const std::invalid_argument& e) {
      return Outcome::error(Kind::kInvalidArgument, e.what());
    }
    Outcome o = await(deadline);
    if (exception && o.is(Kind::kValue)) return {};
    return o;
  }

  // A throwing callback is logged and ignored [FUT-CB-4].
  void invoke(const std::function<void(const CallbackEvent&)>& callback) {
    CallbackEvent event;
    event.thread_token = this_thread_token();
    event.done = done();
    event.cancelled = cancelled();
    event.result = await(Deadline{false, SteadyClock::now()});
    try {
      callback(event);
    } catch (const std::exception& e) {
      log_.write(std::string("exception calling callback for future: ") + e.what());
    } catch (...) {
      log_.write("exception calling callback for future: unknown exception");
    }
  }

  Log& log_;
  std::mutex mutex_;
  std::condition_variable changed_;
  Phase phase_ = Phase::kPending;
  Outcome outcome_;
  std::vector<std::function<void()>> watchers_;
  std::vector<std::function<void(const CallbackEvent&)>> callbacks_;
};
using MinimalFuturePtr = std::shared_ptr<MinimalFuture>;

MinimalFuture& own(const FuturePtr& f) { return dynamic_cast<MinimalFuture&>(*f); }

// --- the pool -------------------------------------------------------------------

// Worker token -> thread name, remembered as workers start.
class Names {
 public:
  void remember(std::int64_t token, std::string name) {
    std::lock_guard lock(mutex_);
    names_[token] = std::move(name);
  }
  std::string lookup(std::int64_t token) {
    std::lock_guard lock(mutex_);
    auto it = names_.find(token);
    return it == names_.end() ? std::string() : it->second;
  }

 private:
  std::mutex mutex_;
  std::unordered_map<std::int64_t, std::string> names_;
};

int default_workers() {
  cpu_set_t set;
  CPU_ZERO(&set);
  int cpus = 1;
  if (sched_getaffinity(0, sizeof set, &set) == 0) cpus = std::max(1, CPU_COUNT(&set));
  return std::min(32, cpus + 4);  // [TPE-WORKERS-2]
}

std::atomic<int> g_pools{0};  // the process-wide counter of default prefixes [TPE-NAME-1]

class Pool {
 public:
  Pool(Lab& lab, const ExecutorSpec& spec, Names& names, Log& log)
      : lab_(lab), names_(names), log_(log), initializer_(spec.initializer) {
    if (spec.max_workers && *spec.max_workers <= 0) {
      throw Raised(Outcome::error(Kind::kInvalidArgument, "max_workers must be greater than 0"));
    }
    max_workers_ = spec.max_workers.value_or(default_workers());
    prefix_ = spec.thread_name_prefix.empty() ? "ThreadPoolExecutor-" + std::to_string(g_pools++)
                                              : spec.thread_name_prefix;
  }

  // Drains, then joins every worker [SHUT-DTOR-1].
  ~Pool() {
    shutdown(true, false);
    for (auto& t : threads_) t.join();
  }

  MinimalFuturePtr submit(const Probe& probe) {
    auto future = std::make_shared<MinimalFuture>(log_);
    {
      std::lock_guard lock(mutex_);
      if (broken_) throw Raised(Outcome::error(Kind::kBroken, kBrokenMessage));  // [TPE-INIT-3]
      if (shutdown_)
        throw Raised(Outcome::error(Kind::kShutdown, kShutdownMessage));  // [EXEC-SUBMIT-4]
      queue_.push_back({future, probe});  // never refused for lack of a worker [EXEC-QUEUE-1]
      // A new thread only when the idle ones cannot take every queued call
      // [TPE-LAZY-1, TPE-REUSE-1], and never more than max_workers [TPE-MAX-1].
      const int limit = max_workers_ + (planted() == Planted::kExtraWorker ? 1 : 0);
      const auto idle = static_cast<std::size_t>(live_ - busy_);
      if (queue_.size() > idle && static_cast<int>(threads_.size()) < limit) {
        const int index = static_cast<int>(threads_.size());
        ++live_;
        threads_.emplace_back([this, index] { work(index); });
      }
    }
    work_ready_.notify_one();
    return future;
  }

  void shutdown(bool wait, bool cancel_futures) {
    std::vector<MinimalFuturePtr> unstarted;
    std::unique_lock lock(mutex_);
    shutdown_ = true;
    if (cancel_futures) {  // exactly the calls no worker has taken [SHUT-CANCEL-1]
      for (auto& item : queue_) unstarted.push_back(item.future);
      queue_.clear();
    }
    // Cancelled outside the lock (a done-callback may call the pool), and
    // counted until they all are: a waiting shutdown in another thread
    // returns only once every future is done [SHUT-WAIT-1].
    const bool cancelling = !unstarted.empty();
    if (cancelling) ++cancelling_;
    lock.unlock();
    work_ready_.notify_all();
    if (cancelling) {
      t_cancelling = this;
      for (auto& f : unstarted) f->cancel();
      t_cancelling = nullptr;
    }
    lock.lock();
    if (cancelling && --cancelling_ == 0) all_exited_.notify_all();
    // A done-callback of this thread's own cancelling does not wait for it.
    const int own = t_cancelling == this ? 1 : 0;
    if (wait) all_exited_.wait(lock, [&] { return live_ == 0 && cancelling_ <= own; });
  }

  std::size_t started() {
    std::lock_guard lock(mutex_);
    return threads_.size();
  }
  int max_workers() const { return max_workers_; }

 private:
  struct Item {
    MinimalFuturePtr future;
    Probe probe;
  };

  void work(int index) {
    const auto token = this_thread_token();
    const std::string name = prefix_ + "_" + std::to_string(index);
    names_.remember(token, name);
    pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
    if (initializer_ && !initialize(token)) return;
    std::unique_lock lock(mutex_);
    for (;;) {
      work_ready_.wait(lock, [&] { return !queue_.empty() || shutdown_; });
      if (queue_.empty()) break;  // shut down and drained [SHUT-NOWAIT-1]
      Item item;
      if (planted() == Planted::kLifoQueue) {
        item = std::move(queue_.back());
        queue_.pop_back();
      } else {
        item = std::move(queue_.front());  // FIFO [TPE-FIFO-1]
        queue_.pop_front();
      }
      ++busy_;
      lock.unlock();
      run(item, token);
      lock.lock();
    }
    --live_;
    lock.unlock();
    all_exited_.notify_all();
  }

  // Runs a taken call, unless it was cancelled while queued [EXEC-CANCEL-1].
  void run(Item& item, std::int64_t token) {
    const bool start = item.future->set_running_or_notify_cancel().value == 1;
    Outcome outcome;
    if (start) {
      try {
        outcome = Outcome::of_value(run_probe(lab_, item.probe, token));
      } catch (const ProbeError& e) {
        outcome = Outcome::error(Kind::kTaskError, e.what());  // [EXEC-SUBMIT-2]
      } catch (const std::exception& e) {
        outcome = Outcome::error(Kind::kOther, e.what());
      }
    }
    // Idle before the future completes: a submit made once its reader has
    // returned finds this worker idle and starts no thread [TPE-REUSE-1].
    {
      std::lock_guard lock(mutex_);
      --busy_;
    }
    if (start) item.future->finish(std::move(outcome));
  }

  // The initializer, first in each worker; if it fails the pool breaks: every
  // queued call fails with BrokenThreadPool and this worker exits [TPE-INIT-2].
  bool initialize(std::int64_t token) {
    try {
      run_probe(lab_, *initializer_, token);
      return true;
    } catch (const std::exception& e) {
      log_.write(std::string("Exception in initializer: ") + e.what());
    }
    std::deque<Item> queued;
    {
      std::lock_guard lock(mutex_);
      broken_ = true;
      queued.swap(queue_);
      --live_;
    }
    all_exited_.notify_all();
    for (auto& item : queued) item.future->finish(Outcome::error(Kind::kBroken, kBrokenMessage));
    return false;
  }

  Lab& lab_;
  Names& names_;
  Log& log_;
  std::optional<Probe> initializer_;
  int max_workers_ = 0;
  std::string prefix_;

  std::mutex mutex_;
  std::condition_variable work_ready_;
  std::condition_variable all_exited_;
  std::deque<Item> queue_;
  std::vector<std::thread> threads_;  // every worker started, joined by ~Pool
  int live_ = 0;                      // workers not yet exited
  int busy_ = 0;                      // workers running a call
  int cancelling_ = 0;                // shutdowns still cancelling what they took
  static inline thread_local const Pool* t_cancelling = nullptr;
  bool shutdown_ = false;
  bool broken_ = false;
};

// --- wait and as_completed --------------------------------------------------------

// What a wait or an as_completed learns from the futures' watchers.
struct Waiter {
  std::mutex mutex;
  std::condition_variable changed;
  std::uint64_t completions = 0;
  std::deque<std::size_t> completed;  // input indices, in completion order
};

// The distinct futures of `futures`, each under its first index [WAIT-DUP-1, ASC-DUP-1].
std::vector<std::pair<std::size_t, MinimalFuture*>> distinct(
    const std::vector<FuturePtr>& futures) {
  std::vector<std::pair<std::size_t, MinimalFuture*>> out;
  for (std::size_t i = 0; i < futures.size(); ++i) {
    MinimalFuture* f = &own(futures[i]);
    if (std::none_of(out.begin(), out.end(), [&](const auto& seen) { return seen.second == f; })) {
      out.emplace_back(i, f);
    }
  }
  return out;
}

Deadline deadline_or_raise(const Timeout& timeout) {
  try {
    return deadline_of(timeout);
  } catch (const std::invalid_argument& e) {
    throw Raised(Outcome::error(Kind::kInvalidArgument, e.what()));
  }
}

// Each rule of return_when in one place; the loop re-reads the futures after
// every completion until one holds or the deadline passes.
WaitSplit wait_for(const std::vector<FuturePtr>& futures, ReturnWhen when, const Timeout& timeout) {
  const Deadline deadline = deadline_or_raise(timeout);  // from the call [WAIT-TIMEOUT-1]
  const auto items = distinct(futures);
  auto waiter = std::make_shared<Waiter>();
  for (const auto& item : items) {
    item.second->watch([waiter] {
      {
        std::lock_guard lock(waiter->mutex);
        ++waiter->completions;
      }
      waiter->changed.notify_all();
    });
  }
  std::unique_lock lock(waiter->mutex);
  for (;;) {
    const auto seen = waiter->completions;
    lock.unlock();
    WaitSplit split;
    bool failed = false;
    for (const auto& [index, f] : items) {
      if (f->done()) {  // finished or cancelled alike [WAIT-CANCEL-1]
        split.done.push_back(index);
        failed = failed || f->failed();
      } else {
        split.not_done.push_back(index);
      }
    }
    const bool met = split.not_done.empty()  // [WAIT-ALL-1]
                     ||
                     (when == ReturnWhen::kFirstCompleted && !split.done.empty())  // [WAIT-FIRST-1]
                     || (when == ReturnWhen::kFirstException && failed);           // [WAIT-FEXC-1]
    if (met || deadline.passed()) return split;
    lock.lock();
    deadline.wait(waiter->changed, lock, [&] { return waiter->completions != seen; });
  }
}

class MinimalAsCompleted final : public AsCompletedRun {
 public:
  MinimalAsCompleted(const std::vector<FuturePtr>& futures, const Timeout& timeout)
      : deadline_(deadline_or_raise(timeout)), waiter_(std::make_shared<Waiter>()) {
    const auto items = distinct(futures);
    total_ = items.size();
    for (const auto& [index, f] : items) {
      bool watching = f->watch([waiter = waiter_, index = index] {
        {
          std::lock_guard lock(waiter->mutex);
          waiter->completed.push_back(index);
        }
        waiter->changed.notify_all();
      });
      if (!watching) done_at_call_.push_back(index);  // yielded first [ASC-DONE-1]
    }
  }

  std::optional<std::size_t> next() override {
    if (yielded_ == total_) return std::nullopt;  // each once, then the end [ASC-ALL-1]
    if (!done_at_call_.empty()) {                 // even past the deadline [ASC-TIMEOUT-2]
      ++yielded_;
      return take(done_at_call_);
    }
    std::unique_lock lock(waiter_->mutex);
    if (!deadline_.wait(waiter_->changed, lock, [&] { return !waiter_->completed.empty(); })) {
      throw Raised(Outcome::error(Kind::kTimeout, std::to_string(total_ - yielded_) + " (of " +
                                                      std::to_string(total_) +
                                                      ") futures unfinished"));  // [ASC-TIMEOUT-1]
    }
    ++yielded_;
    return take(waiter_->completed);  // completion order [ASC-ORDER-1]
  }

 private:
  static std::size_t take(std::deque<std::size_t>& from) {
    auto index = from.front();
    from.pop_front();
    return index;
  }

  Deadline deadline_;
  std::shared_ptr<Waiter> waiter_;
  std::deque<std::size_t> done_at_call_;
  std::size_t total_ = 0;
  std::size_t yielded_ = 0;
};

// --- map --------------------------------------------------------------------------

class MinimalMap final : public MapRun {
 public:
  using Input = std::function<std::optional<Probe>()>;  // nullopt: no more input

  MinimalMap(std::shared_ptr<Pool> pool, Input input, const MapSpec& spec)
      : pool_(std::move(pool)), input_(std::move(input)), buffer_(spec.buffersize) {
    if (buffer_ && *buffer_ < 1) {  // before any input is read [MAP-BUF-2]
      throw Raised(Outcome::error(Kind::kInvalidArgument, "buffersize must be None or > 0"));
    }
    deadline_ = deadline_or_raise(spec.timeout);  // from the call [MAP-TIMEOUT-1]
    // Everything now [MAP-EAGER-1], or the first B calls [MAP-BUF-1]; a submit
    // refused here is map()'s own error [MAP-SHUTDOWN-1].
    top_up(buffer_ ? *buffer_ : SIZE_MAX, true);
  }
  ~MinimalMap() override { close(); }

  std::optional<Outcome> next() override {
    if (ended_) return std::nullopt;
    if (pending_.empty()) {
      ended_ = true;
      return std::exchange(refused_, std::nullopt);
    }
    stepped_ = true;
    auto f = pending_.front();
    Outcome outcome = f->await(deadline_);  // in input order [MAP-ORDER-1]
    pending_.pop_front();
    // Each result taken lets one more call in [MAP-BUF-1], once it is taken:
    // never B + 1 in flight while the step waits [MAP-BUF-4].
    if (outcome.is(Kind::kValue)) {
      if (buffer_) top_up(1, false);
      return outcome;
    }
    if (outcome.is(Kind::kTimeout)) f->cancel();  // [MAP-TIMEOUT-2]
    close();  // an error ends the map and cancels the rest [MAP-EXC-2]
    return outcome;
  }

  // Closed once stepped, the map cancels its queued calls (running ones
  // finish) [MAP-ABANDON-1]; never stepped, it cancels nothing and every call
  // it submitted runs [MAP-ABANDON-2].
  void close() override {
    ended_ = true;
    if (stepped_) {
      for (auto& f : pending_) f->cancel();
    }
    pending_.clear();
  }

 private:
  void top_up(std::size_t count, bool at_call) {
    for (std::size_t i = 0; i < count && !input_done_; ++i) {
      auto probe = input_();  // lazily, one call at a time [MAP-BUF-3]
      if (!probe) {
        input_done_ = true;
        break;
      }
      try {
        pending_.push_back(std::static_pointer_cast<MinimalFuture>(pool_->submit(*probe)));
      } catch (const Raised& raised) {
        if (at_call) throw;
        refused_ = raised.outcome;  // raised where that call's result would be
        input_done_ = true;
      }
    }
  }

  std::shared_ptr<Pool> pool_;
  Input input_;
  std::optional<std::size_t> buffer_;
  Deadline deadline_;
  std::deque<MinimalFuturePtr> pending_;
  std::optional<Outcome> refused_;
  bool input_done_ = false;
  bool ended_ = false;
  bool stepped_ = false;
};

// --- the adapter ----------------------------------------------------------------

class MinimalExecutor final : public Executor {
 public:
  MinimalExecutor(Lab& lab, const ExecutorSpec& spec, Names& names, Log& log)
      : pool_(std::make_shared<Pool>(lab, spec, names, log)) {}
  // Destroying the executor is shutdown(wait=true) [SHUT-DTOR-1]; a map
  // result that outlives it only keeps the (drained) pool's memory.
  ~MinimalExecutor() override { pool_->shutdown(true, false); }

  FuturePtr submit(const Probe& probe) override { return pool_->submit(probe); }
  std::unique_ptr<MapRun> map(const std::vector<Probe>& probes, const MapSpec& spec) override {
    auto next = std::make_shared<std::size_t>(0);
    return std::make_unique<MinimalMap>(
        pool_,
        [probes, next]() -> std::optional<Probe> {
          if (*next == probes.size()) return std::nullopt;
          return probes[(*next)++];
        },
        spec);
  }
  std::unique_ptr<MapRun> map_endless(std::function<Probe(std::int64_t)> make,
                                      const MapSpec& spec) override {
    auto next = std::make_shared<std::int64_t>(0);
    return std::make_unique<MinimalMap>(
        pool_, [make = std::move(make), next]() -> std::optional<Probe> { return make((*next)++); },
        spec);
  }
  void shutdown(bool wait, bool cancel_futures) override { pool_->shutdown(wait, cancel_futures); }
  std::size_t thread_count() override { return pool_->started(); }
  int max_workers() override { return pool_->max_workers(); }

 private:
  std::shared_ptr<Pool> pool_;
};

class Minimal final : public Implementation {
 public:
  explicit Minimal(std::string column) : column_(std::move(column)) {}

  std::string name() const override { return column_; }
  std::string about() const override {
    return "a from-scratch executor and future (property_tests/broken/minimal.cpp), "
           "cfspec " CF_VERSION;
  }
  Caps caps() const override {
    return all_caps() & ~(Cap::kCrash | Cap::kMixedTypes | Cap::kVoidFutures);
  }
  std::unique_ptr<Executor> make_executor(Lab& lab, const ExecutorSpec& spec) override {
    return std::make_unique<MinimalExecutor>(lab, spec, names_, log_);
  }
  FuturePtr make_future() override { return std::make_shared<MinimalFuture>(log_); }
  WaitSplit wait(const std::vector<FuturePtr>& futures, ReturnWhen when, Timeout timeout) override {
    return wait_for(futures, when, timeout);
  }
  std::unique_ptr<AsCompletedRun> as_completed(const std::vector<FuturePtr>& futures,
                                               Timeout timeout) override {
    return std::make_unique<MinimalAsCompleted>(futures, timeout);
  }
  std::int64_t thread_token() override { return this_thread_token(); }
  std::string thread_name_of(std::int64_t token) override { return names_.lookup(token); }
  std::vector<std::string> take_logged() override { return log_.take(); }

 private:
  std::string column_;
  Names names_;
  Log log_;
};

constexpr std::pair<const char*, Planted> kPlantedNames[] = {
    {"correct-minimal", Planted::kNone},
    {"minimal-lifo", Planted::kLifoQueue},
    {"minimal-extra-worker", Planted::kExtraWorker},
};

}  // namespace

std::optional<Planted> planted_from_name(const std::string& name) {
  for (const auto& [known, bug] : kPlantedNames) {
    if (name == known) return bug;
  }
  return std::nullopt;
}

std::vector<std::string> planted_names() {
  std::vector<std::string> out;
  for (const auto& [name, bug] : kPlantedNames) out.emplace_back(name);
  return out;
}

std::unique_ptr<Implementation> make_minimal(Planted bug, std::string column) {
  g_planted = bug;
  return std::make_unique<Minimal>(std::move(column));
}

}  // namespace cf::conformance::minimal
