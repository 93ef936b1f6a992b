// The boost-thread adapter: Boost.Thread's basic_thread_pool executor with
// boost::future (BOOST_THREAD_VERSION 5: executors, continuations).
//
// What Boost.Thread has: a fixed number of threads, result with a timeout,
// continuations (then, used as done-callbacks with launch::sync: run by the
// completing thread, or at once if already done), wait_for_any and
// wait_for_all (untimed), close() refusing later submissions, join() draining
// the queue. What it lacks: cancel, running()/cancelled(), a timed wait on
// many futures, wait(FIRST_EXCEPTION), as_completed, map, raw futures with
// set_running_or_notify_cancel, cancel_futures. Its
// destructor interrupts the workers, dropping queued work whose futures may
// never become ready (SHUT-DTOR-1; research/cpp_executors.md).
#define BOOST_THREAD_VERSION 5
#define BOOST_THREAD_PROVIDES_EXECUTORS
#include <algorithm>
#include <boost/thread/executors/basic_thread_pool.hpp>
#include <boost/thread/future.hpp>
#include <boost/version.hpp>
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

// boost::shared_future waits take boost::chrono: the timeout as written,
// carried over to the boost::chrono duration of the same representation and
// period, so Boost's own deadline arithmetic is what is judged.
struct BoostWaiter {
  static bool ready_within(const BoostShared& f, const Timeout& timeout) {
    return std::visit(
        [&](auto length) {
          if constexpr (!peer::expressible<decltype(length)>) {
            if (timeout.is_none()) {
              f.wait();
              return true;
            }
            return f.wait_for(boost::chrono::nanoseconds(
                       std::chrono::duration_cast<std::chrono::nanoseconds>(timeout.length())
                           .count())) == boost::future_status::ready;
          } else {
            using D = decltype(length);
            using Period = typename D::period;
            boost::chrono::duration<typename D::rep, boost::ratio<Period::num, Period::den>>
                as_boost(length.count());
            return f.wait_for(as_boost) == boost::future_status::ready;
          }
        },
        timeout.raw());
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
    auto continuation =
        f_.then(boost::launch::sync, [callback](BoostShared f) { callback(event_of(f)); });
    std::lock_guard lock(mutex_);
    continuations_.push_back(std::move(continuation));
  }

 private:
  std::mutex mutex_;
  std::vector<boost::future<void>> continuations_;
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
    return std::string("Boost ") + BOOST_LIB_VERSION +
           " executors::basic_thread_pool with boost::future";
  }
  Caps caps() const override {
    return Cap::kResultTimeout | Cap::kResultBlocking | Cap::kDone | Cap::kDoneCallbacks |
           Cap::kWait | Cap::kMaxWorkers | Cap::kShutdownNoWait | Cap::kDrainingDestructor;
  }
  std::unique_ptr<Executor> make_executor(Lab& lab, const ExecutorSpec& spec) override {
    peer::refuse_negative(spec, "boost::executors::basic_thread_pool(unsigned)");
    unsigned threads = spec.max_workers ? static_cast<unsigned>(*spec.max_workers)
                                        : boost::thread::hardware_concurrency();
    return std::make_unique<BoostExecutor>(lab, threads);
  }

  // Boost.Thread waits on many futures with wait_for_all / wait_for_any, both
  // untimed: wait is declared without its timed form (the suite bounds it
  // itself), and there is no as_completed.
  WaitSplit wait(const std::vector<FuturePtr>& futures, ReturnWhen when, Timeout) override {
    if (when == ReturnWhen::kFirstException) peer::raise_unsupported("wait(FIRST_EXCEPTION)");
    auto indices = distinct(futures);
    std::vector<BoostShared> fs;
    for (auto i : indices) fs.push_back(unwrap(futures[i]));
    if (!fs.empty()) {
      if (when == ReturnWhen::kAllCompleted) {
        boost::wait_for_all(fs.begin(), fs.end());
      } else {
        boost::wait_for_any(fs.begin(), fs.end());
      }
    }
    WaitSplit split;
    for (std::size_t k = 0; k < fs.size(); ++k) {
      (fs[k].is_ready() ? split.done : split.not_done).push_back(indices[k]);
    }
    return split;
  }
};

}  // namespace
}  // namespace cf::conformance

CF_CONFORMANCE_ADAPTER(cf::conformance::BoostThread)
