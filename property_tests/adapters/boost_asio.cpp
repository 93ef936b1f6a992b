// The boost-asio adapter: boost::asio::thread_pool, post() and
// std::packaged_task / std::future (Boost 1.74: no parallel_group, so no
// wait-any).
//
// What Asio has: a fixed number of threads (honoured, not validated: 0 is
// accepted), FIFO dispatch, join() that waits for queued work. What it lacks:
// cancel, state queries, callbacks on a std::future, wait/as_completed/map, a
// shutdown that returns at once but still runs queued work (stop() drops it),
// cancel_futures, a closed state refusing later posts (a post after join()
// is queued and never runs). Its destructor calls stop() then join(): queued
// work is abandoned and its futures get broken_promise (SHUT-DTOR-1).
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/version.hpp>
#include <future>
#include <memory>
#include <mutex>

#include "harness/adapter.hpp"
#include "peer_common.hpp"

namespace cf::conformance {
namespace {

class AsioExecutor final : public peer::PeerExecutor {
 public:
  AsioExecutor(Lab& lab, std::size_t threads)
      : lab_(lab), threads_(static_cast<int>(threads)), pool_(threads) {}

  FuturePtr submit(const Probe& probe) override {
    auto task = std::make_shared<std::packaged_task<std::int64_t()>>(
        [&lab = lab_, probe] { return run_probe(lab, probe, this_thread_token()); });
    auto f = task->get_future().share();
    boost::asio::post(pool_, [task] { (*task)(); });
    return std::make_shared<peer::StdFuture<std::int64_t>>(f);
  }

  void shutdown(bool wait, bool) override {
    if (!wait) return;  // Asio has no non-blocking shutdown that keeps the queue
    // thread_pool::join() is not safe to call from two threads at once; the
    // spec's shutdown is, so calls are serialised here rather than crash.
    std::lock_guard lock(join_mutex_);
    pool_.join();
  }

  int max_workers() override { return threads_; }

 private:
  Lab& lab_;
  int threads_;
  std::mutex join_mutex_;
  boost::asio::thread_pool pool_;
};

class BoostAsio final : public peer::PeerImplementation {
 public:
  std::string name() const override { return "boost-asio"; }
  std::string about() const override {
    return std::string("Boost ") + BOOST_LIB_VERSION + " asio::thread_pool with std::packaged_task";
  }
  Caps caps() const override {
    return Cap::kResultTimeout | Cap::kResultBlocking | Cap::kDone | Cap::kMaxWorkers |
           Cap::kDrainingDestructor;
  }
  std::unique_ptr<Executor> make_executor(Lab& lab, const ExecutorSpec& spec) override {
    peer::refuse_negative(spec, "boost::asio::thread_pool(std::size_t)");
    // Asio's own default: twice the hardware concurrency.
    std::size_t threads = spec.max_workers ? static_cast<std::size_t>(*spec.max_workers)
                                           : 2 * std::thread::hardware_concurrency();
    return std::make_unique<AsioExecutor>(lab, threads);
  }
};

}  // namespace
}  // namespace cf::conformance

CF_CONFORMANCE_ADAPTER(cf::conformance::BoostAsio)
