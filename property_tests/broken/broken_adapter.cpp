// Deliberately broken implementations, for the self-checks of the properties:
// the reference-thread adapter behind a wrapper that plants one bug, chosen at
// run time by CF_BROKEN=<variant>. Each variant is a bug a real executor could
// have; run_broken.cmake runs the property that should catch it and passes
// only if that property fails with a counterexample, or, for a bug only a
// sanitizer sees, only if the sanitizer reports it. impl/ is untouched.
//
//   cancel-running      cancel() of a running future returns true          [FUT-CANCEL-2]
//   cancel-racy         cancel() checks "pending" and then acts, unlocked:
//                       right sequentially, wrong under a race              [FUT-CANCEL-1/2]
//   as-completed-twice  as_completed yields its first future again at the end [ASC-ALL-1]
//   map-out-of-order    map yields its first two results swapped           [MAP-ORDER-1]
//   shutdown-cancels    shutdown() cancels queued tasks without being asked [SHUT-CANCEL-2]
//   callbacks-reversed  done-callbacks run in the reverse order of adding  [FUT-CB-2]
//   timeout-early       result/exception(timeout) do not wait: a timed read of a
//                       pending future times out at once               [FUT-RESULT-4]
//   wait-all-early      wait(ALL_COMPLETED) returns at the first completion [WAIT-ALL-1]
//   done-unlocked       done() reads a copy of the state without the lock that
//                       guards it: answers right, yet a data race that only
//                       ThreadSanitizer sees (tsan builds only)           [EXT-HB-1]
#include <chrono>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "adapters/reference_thread.hpp"

namespace cf::conformance {
namespace {

enum class Bug {
  kCancelRunning,
  kCancelRacy,
  kAsCompletedTwice,
  kMapOutOfOrder,
  kShutdownCancels,
  kCallbacksReversed,
  kTimeoutEarly,
  kWaitAllEarly,
#ifdef CF_BROKEN_DATA_RACE
  kDoneUnlocked,
#endif
};

Bug bug_from_environment() {
  static const std::unordered_map<std::string, Bug> names = {
      {"cancel-running", Bug::kCancelRunning},       {"cancel-racy", Bug::kCancelRacy},
      {"as-completed-twice", Bug::kAsCompletedTwice}, {"map-out-of-order", Bug::kMapOutOfOrder},
      {"shutdown-cancels", Bug::kShutdownCancels},   {"callbacks-reversed", Bug::kCallbacksReversed},
      {"timeout-early", Bug::kTimeoutEarly},         {"wait-all-early", Bug::kWaitAllEarly},
#ifdef CF_BROKEN_DATA_RACE
      {"done-unlocked", Bug::kDoneUnlocked},
#endif
  };
  const char* name = std::getenv("CF_BROKEN");
  auto it = names.find(name ? name : "");
  if (it == names.end()) {
    throw std::invalid_argument("CF_BROKEN must name a planted bug (see broken_adapter.cpp), not \"" +
                                std::string(name ? name : "") + "\"");
  }
  return it->second;
}

// A read that only halved its wait would be caught only when the halved wait
// did not oversleep the whole timeout, and on a loaded machine it often does;
// a read that does not wait at all is early however loaded the machine is.
Timeout not_waited(Timeout t) {
  if (t.is_none() || t.length() <= Clock::duration::zero()) return t;
  return Timeout(Clock::duration::zero());
}

class BrokenFuture final : public Future {
 public:
  BrokenFuture(FuturePtr inner, Bug bug) : inner_(std::move(inner)), bug_(bug) {
#ifdef CF_BROKEN_DATA_RACE
    if (bug_ == Bug::kDoneUnlocked) {
      // The copy is written under its lock, on the thread that completes the
      // future...
      inner_->add_done_callback([copy = copy_](const CallbackEvent&) {
        std::lock_guard lock(copy->mutex);
        copy->done = true;
      });
    }
#endif
  }

  bool cancel() override {
    if (bug_ == Bug::kCancelRunning && inner_->running()) return true;
    if (bug_ == Bug::kCancelRacy) {
      bool pending = !inner_->running() && !inner_->done();
      // The window between the check and the act, widened so a race meets it.
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      return inner_->cancel() || pending;
    }
    return inner_->cancel();
  }
  bool cancelled() override { return inner_->cancelled(); }
  bool running() override { return inner_->running(); }
  bool done() override {
#ifdef CF_BROKEN_DATA_RACE
    // ...and read here without it: nothing orders this read after that write.
    if (bug_ == Bug::kDoneUnlocked && copy_->done) return true;
#endif
    return inner_->done();
  }
  Outcome result(Timeout t) override {
    return inner_->result(bug_ == Bug::kTimeoutEarly ? not_waited(t) : t);
  }
  Outcome exception(Timeout t) override {
    return inner_->exception(bug_ == Bug::kTimeoutEarly ? not_waited(t) : t);
  }
  void add_done_callback(std::function<void(const CallbackEvent&)> callback) override {
    if (bug_ != Bug::kCallbacksReversed) return inner_->add_done_callback(std::move(callback));
    // Callbacks added before completion are kept here and run, newest
    // first, by one callback registered on the real future.
    std::unique_lock lock(reversed_->mutex);
    if (reversed_->fired) {
      lock.unlock();
      return inner_->add_done_callback(std::move(callback));
    }
    reversed_->pending.push_back(std::move(callback));
    if (reversed_->pending.size() > 1) return;
    lock.unlock();
    inner_->add_done_callback([shared = reversed_](const CallbackEvent& event) {
      std::vector<std::function<void(const CallbackEvent&)>> run;
      {
        std::lock_guard l(shared->mutex);
        shared->fired = true;
        run.swap(shared->pending);
      }
      for (auto it = run.rbegin(); it != run.rend(); ++it) (*it)(event);
    });
  }
  Outcome set_running_or_notify_cancel() override { return inner_->set_running_or_notify_cancel(); }
  Outcome set_result(std::int64_t value) override { return inner_->set_result(value); }
  Outcome set_exception(const std::string& message) override {
    return inner_->set_exception(message);
  }

  const FuturePtr& inner() const { return inner_; }

 private:
  struct Reversed {
    std::mutex mutex;
    bool fired = false;
    std::vector<std::function<void(const CallbackEvent&)>> pending;
  };
#ifdef CF_BROKEN_DATA_RACE
  struct StateCopy {
    std::mutex mutex;
    bool done = false;  // guarded by mutex, but done() does not take it
  };
  std::shared_ptr<StateCopy> copy_ = std::make_shared<StateCopy>();
#endif
  FuturePtr inner_;
  Bug bug_;
  std::shared_ptr<Reversed> reversed_ = std::make_shared<Reversed>();
};

FuturePtr wrap(FuturePtr f, Bug bug) { return std::make_shared<BrokenFuture>(std::move(f), bug); }

std::vector<FuturePtr> unwrap(const std::vector<FuturePtr>& fs) {
  std::vector<FuturePtr> out;
  for (const auto& f : fs) out.push_back(dynamic_cast<BrokenFuture&>(*f).inner());
  return out;
}

class SwappedMap final : public MapRun {
 public:
  explicit SwappedMap(std::unique_ptr<MapRun> inner) : inner_(std::move(inner)) {}
  std::optional<Outcome> next() override {
    if (calls_++ == 0) {
      held_ = inner_->next();
      auto second = held_ ? inner_->next() : std::nullopt;
      if (second) return second;
      return std::exchange(held_, std::nullopt);
    }
    if (held_) return std::exchange(held_, std::nullopt);
    return inner_->next();
  }
  void close() override { inner_->close(); }

 private:
  std::unique_ptr<MapRun> inner_;
  std::optional<Outcome> held_;
  int calls_ = 0;
};

class TwiceAsCompleted final : public AsCompletedRun {
 public:
  explicit TwiceAsCompleted(std::unique_ptr<AsCompletedRun> inner) : inner_(std::move(inner)) {}
  std::optional<std::size_t> next() override {
    auto i = inner_->next();
    if (i && !first_) first_ = i;
    if (!i && first_) return std::exchange(first_, std::nullopt);  // once more
    return i;
  }

 private:
  std::unique_ptr<AsCompletedRun> inner_;
  std::optional<std::size_t> first_;
};

class BrokenExecutor final : public Executor {
 public:
  BrokenExecutor(std::unique_ptr<Executor> inner, Bug bug) : inner_(std::move(inner)), bug_(bug) {}
  FuturePtr submit(const Probe& probe) override { return wrap(inner_->submit(probe), bug_); }
  std::unique_ptr<MapRun> map(const std::vector<Probe>& probes, const MapSpec& spec) override {
    auto run = inner_->map(probes, spec);
    if (bug_ == Bug::kMapOutOfOrder) return std::make_unique<SwappedMap>(std::move(run));
    return run;
  }
  std::unique_ptr<MapRun> map_endless(std::function<Probe(std::int64_t)> make,
                                      const MapSpec& spec) override {
    auto run = inner_->map_endless(std::move(make), spec);
    if (bug_ == Bug::kMapOutOfOrder) return std::make_unique<SwappedMap>(std::move(run));
    return run;
  }
  void shutdown(bool wait, bool cancel_futures) override {
    inner_->shutdown(wait, cancel_futures || bug_ == Bug::kShutdownCancels);
  }
  std::size_t thread_count() override { return inner_->thread_count(); }
  int max_workers() override { return inner_->max_workers(); }

 private:
  std::unique_ptr<Executor> inner_;
  Bug bug_;
};

class Broken final : public Implementation {
 public:
  Broken() : bug_(bug_from_environment()) {}
  std::string name() const override { return "broken-" + std::string(std::getenv("CF_BROKEN")); }
  Caps caps() const override { return inner_.caps(); }
  std::unique_ptr<Executor> make_executor(Lab& lab, const ExecutorSpec& spec) override {
    return std::make_unique<BrokenExecutor>(inner_.make_executor(lab, spec), bug_);
  }
  FuturePtr make_future() override { return wrap(inner_.make_future(), bug_); }
  WaitSplit wait(const std::vector<FuturePtr>& futures, ReturnWhen when, Timeout timeout) override {
    if (bug_ == Bug::kWaitAllEarly && when == ReturnWhen::kAllCompleted) {
      when = ReturnWhen::kFirstCompleted;
    }
    return inner_.wait(unwrap(futures), when, timeout);
  }
  std::unique_ptr<AsCompletedRun> as_completed(const std::vector<FuturePtr>& futures,
                                               Timeout timeout) override {
    auto run = inner_.as_completed(unwrap(futures), timeout);
    if (bug_ == Bug::kAsCompletedTwice) return std::make_unique<TwiceAsCompleted>(std::move(run));
    return run;
  }
  std::int64_t thread_token() override { return inner_.thread_token(); }
  std::string thread_name_of(std::int64_t token) override { return inner_.thread_name_of(token); }
  std::vector<std::string> take_logged() override { return inner_.take_logged(); }

 private:
  ReferenceThread inner_;
  Bug bug_;
};

}  // namespace
}  // namespace cf::conformance

CF_CONFORMANCE_ADAPTER(cf::conformance::Broken)
