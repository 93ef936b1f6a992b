// The std-async adapter: std::async(std::launch::async) with std::future.
//
// There is no executor object: every call gets a thread of its own
// (libstdc++), so worker counts, thread counts and FIFO order are missing.
// std::future offers result with a timeout and nothing else of
// concurrent.futures: no cancel, no state queries beyond readiness, no
// callbacks, no wait/as_completed/map. "Shutdown" has no library counterpart:
// shutdown(wait=true) waits on every future handed out (what destroying them
// does, [futures.async]), and nothing refuses a later submit (EXEC-SUBMIT-4
// fails: std::async has no closed state).
#include <future>
#include <mutex>
#include <vector>

#include "harness/adapter.hpp"
#include "peer_common.hpp"

namespace cf::conformance {
namespace {

class AsyncExecutor final : public peer::PeerExecutor {
 public:
  explicit AsyncExecutor(Lab& lab) : lab_(lab) {}
  ~AsyncExecutor() override { shutdown(true, false); }

  FuturePtr submit(const Probe& probe) override {
    auto f = std::async(std::launch::async, [&lab = lab_, probe] {
               return run_probe(lab, probe, this_thread_token());
             }).share();
    std::lock_guard lock(mutex_);
    launched_.push_back(f);
    return std::make_shared<peer::StdFuture<std::int64_t>>(f);
  }

  void shutdown(bool wait, bool) override {
    if (!wait) return;
    std::vector<std::shared_future<std::int64_t>> all;
    {
      std::lock_guard lock(mutex_);
      all = launched_;
    }
    for (auto& f : all) f.wait();
  }

  int max_workers() override { return 0; }

 private:
  Lab& lab_;
  std::mutex mutex_;
  std::vector<std::shared_future<std::int64_t>> launched_;
};

class StdAsync final : public peer::PeerImplementation {
 public:
  std::string name() const override { return "std-async"; }
  std::string about() const override {
    return "std::async(std::launch::async) with std::future, libstdc++ " +
           std::to_string(_GLIBCXX_RELEASE);
  }
  Caps caps() const override {
    // Destroying the last std::async future joins its thread: the executor's
    // destructor drains.
    return Cap::kResultTimeout | Cap::kResultBlocking | Cap::kDone | Cap::kDrainingDestructor;
  }
  std::unique_ptr<Executor> make_executor(Lab& lab, const ExecutorSpec&) override {
    return std::make_unique<AsyncExecutor>(lab);
  }
};

}  // namespace
}  // namespace cf::conformance

CF_CONFORMANCE_ADAPTER(cf::conformance::StdAsync)
