// The boost-thread adapter: Boost.Thread's basic_thread_pool executor with
// boost::future (BOOST_THREAD_VERSION 5: executors, continuations).
//
// What Boost.Thread has: a fixed number of threads, result with a timeout,
// continuations (then, used as done-callbacks with launch::sync: run by the
// completing thread, or at once if already done), wait_for_any and
// wait_for_all (untimed: a timeout is one more future in the set, made ready
// by a timer), close() refusing later submissions, join() draining the queue.
// What it lacks: cancel, running()/cancelled(), wait(FIRST_EXCEPTION), map,
// raw futures with set_running_or_notify_cancel, cancel_futures. Its
// destructor interrupts the workers, dropping queued work whose futures may
// never become ready (SHUT-DTOR-1; research/cpp_executors.md).
#define BOOST_THREAD_VERSION 5
#define BOOST_THREAD_PROVIDES_EXECUTORS
#include <boost/thread/executors/basic_thread_pool.hpp>
#include <boost/thread/future.hpp>
#include <boost/version.hpp>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_set>

#include "harness/adapter.hpp"
#include "peer_common.hpp"

namespace cf::conformance {
namespace {

using BoostShared = boost::shared_future<std::int64_t>;

// boost::shared_future waits take boost::chrono; the deadline is cf's
// steady clock, so each wait is for the time left (re-checked on return).
struct BoostWaiter {
  static bool ready_by(const BoostShared& f, const Deadline& deadline) {
    if (deadline.is_never()) {
      f.wait();
      return true;
    }
    while (!f.is_ready()) {
      auto left = deadline.remaining();
      if (left <= Clock::duration::zero()) return f.is_ready();
      f.wait_for(boost::chrono::nanoseconds(
          std::chrono::duration_cast<std::chrono::nanoseconds>(left).count()));
    }
    return true;
  }
};

CallbackEvent event_of(BoostShared& f) {
  CallbackEvent event;
  event.thread_token = this_thread_token();
  event.done = f.is_ready();
  event.cancelled = false;
  try {
    event.result = Outcome::of_value(f.get());
  } catch (...) {
    event.result = peer::outcome_of(std::current_exception());
  }
  return event;
}

class BoostFuture final : public peer::ReadOnlyFuture<BoostShared, BoostWaiter> {
 public:
  using ReadOnlyFuture::ReadOnlyFuture;
  void add_done_callback(std::function<void(const CallbackEvent&)> callback) override {
    auto continuation = f_.then(boost::launch::sync, [callback](BoostShared f) {
      callback(event_of(f));
    });
    std::lock_guard lock(mutex_);
    continuations_.push_back(std::move(continuation));
  }

 private:
  std::mutex mutex_;
  std::vector<boost::future<void>> continuations_;
};

// A future made ready at a deadline: the timeout of an untimed wait_for_any.
class Timer {
 public:
  explicit Timer(Deadline deadline)
      : future_(promise_.get_future().share()), thread_([this, deadline] {
          std::unique_lock lock(mutex_);
          cv_.wait_until(lock, deadline.when(), [this] { return stop_; });
          promise_.set_value(0);
        }) {}
  ~Timer() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  const BoostShared& future() const { return future_; }

 private:
  boost::promise<std::int64_t> promise_;
  BoostShared future_;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

BoostShared& unwrap(const FuturePtr& f) {
  auto* b = dynamic_cast<BoostFuture*>(f.get());
  if (!b) peer::raise_unsupported("futures not made by this executor");
  return b->handle();
}

// Indices of the distinct futures in `futures` (first occurrence).
std::vector<std::size_t> distinct(const std::vector<FuturePtr>& futures) {
  std::unordered_set<const Future*> seen;
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < futures.size(); ++i) {
    if (seen.insert(futures[i].get()).second) out.push_back(i);
  }
  return out;
}

// Blocks until one of `fs` is ready or `deadline`, with wait_for_any.
void wait_any(std::vector<BoostShared> fs, const Deadline& deadline) {
  if (fs.empty()) return;
  if (deadline.is_never()) {
    boost::wait_for_any(fs.begin(), fs.end());
    return;
  }
  if (deadline.passed()) return;
  Timer timer(deadline);
  fs.push_back(timer.future());
  boost::wait_for_any(fs.begin(), fs.end());
}

class BoostAsCompleted final : public AsCompletedRun {
 public:
  BoostAsCompleted(const std::vector<FuturePtr>& futures, Deadline deadline)
      : deadline_(deadline) {
    auto indices = distinct(futures);
    total_ = indices.size();
    for (auto i : indices) {
      auto& f = unwrap(futures[i]);
      if (f.is_ready()) {
        done_first_.push_back(i);
      } else {
        pending_.emplace_back(i, f);
      }
    }
  }
  std::optional<std::size_t> next() override {
    if (!done_first_.empty()) {
      auto i = done_first_.front();
      done_first_.pop_front();
      return i;
    }
    for (;;) {
      if (pending_.empty()) return std::nullopt;
      auto ready = std::find_if(pending_.begin(), pending_.end(),
                                [](auto& p) { return p.second.is_ready(); });
      if (ready != pending_.end()) {
        auto i = ready->first;
        pending_.erase(ready);
        return i;
      }
      if (deadline_.passed()) {
        // The adapter composes as_completed, so it words the error as the spec does.
        throw Raised{Outcome::error(Outcome::Kind::kTimeout,
                                    std::to_string(pending_.size()) + " (of " +
                                        std::to_string(total_) + ") futures unfinished")};
      }
      std::vector<BoostShared> fs;
      for (auto& p : pending_) fs.push_back(p.second);
      wait_any(std::move(fs), deadline_);
    }
  }

 private:
  Deadline deadline_;
  std::size_t total_ = 0;
  std::deque<std::size_t> done_first_;
  std::vector<std::pair<std::size_t, BoostShared>> pending_;
};

class BoostExecutor final : public peer::PeerExecutor {
 public:
  BoostExecutor(Lab& lab, unsigned threads)
      : lab_(lab), threads_(static_cast<int>(threads)), pool_(threads) {}

  FuturePtr submit(const Probe& probe) override {
    try {
      auto f = boost::async(pool_, [&lab = lab_, probe] {
                 return run_probe(lab, probe, this_thread_token());
               }).share();
      return std::make_shared<BoostFuture>(f);
    } catch (const boost::sync_queue_is_closed& e) {
      throw Raised{Outcome::error(Outcome::Kind::kShutdown, e.what())};
    }
  }

  void shutdown(bool wait, bool) override {
    pool_.close();  // refuses later submissions; workers still drain the queue
    if (!wait) return;
    std::lock_guard lock(join_mutex_);
    if (joined_) return;  // boost::thread::join of a joined thread throws
    pool_.join();
    joined_ = true;
  }

  int max_workers() override { return threads_; }

 private:
  Lab& lab_;
  int threads_;
  std::mutex join_mutex_;
  bool joined_ = false;
  boost::executors::basic_thread_pool pool_;
};

class BoostThread final : public peer::PeerImplementation {
 public:
  std::string name() const override { return "boost-thread"; }
  std::string about() const override {
    return std::string("Boost ") + BOOST_LIB_VERSION + " executors::basic_thread_pool with boost::future";
  }
  Caps caps() const override {
    return Cap::kResultTimeout | Cap::kResultBlocking | Cap::kDoneCallbacks | Cap::kWait |
           Cap::kWaitTimeout | Cap::kAsCompleted | Cap::kAsCompletedTimeout | Cap::kMaxWorkers |
           Cap::kShutdownNoWait | Cap::kDrainingDestructor;
  }
  std::unique_ptr<Executor> make_executor(Lab& lab, const ExecutorSpec& spec) override {
    peer::refuse_negative(spec, "boost::executors::basic_thread_pool(unsigned)");
    unsigned threads = spec.max_workers ? static_cast<unsigned>(*spec.max_workers)
                                        : boost::thread::hardware_concurrency();
    return std::make_unique<BoostExecutor>(lab, threads);
  }

  WaitSplit wait(const std::vector<FuturePtr>& futures, ReturnWhen when,
                 Timeout timeout) override {
    if (when == ReturnWhen::kFirstException) peer::raise_unsupported("wait(FIRST_EXCEPTION)");
    auto deadline = timeout.deadline();
    auto indices = distinct(futures);
    std::vector<BoostShared> fs;
    for (auto i : indices) fs.push_back(unwrap(futures[i]));
    if (when == ReturnWhen::kAllCompleted) {
      // wait_for_all is untimed; a deadline wait on each in turn is the same
      // wait, bounded.
      for (auto& f : fs) BoostWaiter::ready_by(f, deadline);
    } else if (std::none_of(fs.begin(), fs.end(), [](auto& f) { return f.is_ready(); })) {
      wait_any(fs, deadline);
    }
    WaitSplit split;
    for (std::size_t k = 0; k < fs.size(); ++k) {
      (fs[k].is_ready() ? split.done : split.not_done).push_back(indices[k]);
    }
    return split;
  }

  std::unique_ptr<AsCompletedRun> as_completed(const std::vector<FuturePtr>& futures,
                                               Timeout timeout) override {
    return std::make_unique<BoostAsCompleted>(futures, timeout.deadline());
  }
};

}  // namespace
}  // namespace cf::conformance

CF_CONFORMANCE_ADAPTER(cf::conformance::BoostThread)
