// racy_pool.cpp — a small executor with a race planted in it, for the
// self-checks of the stress harness and of the sanitizer columns.
//
// The executor: cf::ThreadPoolExecutor's threads are its workers, but each
// call's future is this file's (a cf::Future made directly), and each worker
// starts the call through this file's start path, so a planted race sits in
// the executor's own code, as it would in a library's. Without a plant
// (CF_BROKEN unset or "none") it is correct: the conformance suite and the
// properties pass on it. CF_BROKEN=<variant> plants one race:
//
//   start-after-check  a worker asks cancelled(), and then, in a second
//                      critical section, marks the future running and
//                      ignores the answer: a cancel that lands between the
//                      two is lost: the future ends cancelled and the call
//                      runs                                       [EXEC-CANCEL-1]
//   cancel-no-lock     cancel() reads the state, then acts on what it read:
//                      a worker that starts the call in between makes
//                      cancel() say true for a call that runs     [EXEC-CANCEL-1]
//   done-unlocked      done() reads a copy of the state that the completing
//                      thread writes under a lock, without taking it: every
//                      answer right, and a data race that only
//                      ThreadSanitizer sees                          [EXT-SAN-1]
//
// None is widened by a sleep: the stress scenarios, with schedule noise, and
// the TSan build must find them as they would find them in a library.
// Registered by property_tests/broken/CMakeLists.txt as the column
// "racy-pool" (programs only, no tests of its own: its tests are the
// self-checks there).
#include <cstdlib>
#include <memory>
#include <mutex>
#include <ranges>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <utility>

#include "adapters/reference_common.hpp"
#include "cf/cf.hpp"

namespace cf::conformance {
namespace {

enum class Plant { kNone, kStartAfterCheck, kCancelNoLock, kDoneUnlocked };

Plant plant_from_environment() {
  static const std::unordered_map<std::string, Plant> names = {
      {"", Plant::kNone},
      {"none", Plant::kNone},
      {"start-after-check", Plant::kStartAfterCheck},
      {"cancel-no-lock", Plant::kCancelNoLock},
      {"done-unlocked", Plant::kDoneUnlocked}};
  const char* name = std::getenv("CF_BROKEN");
  auto it = names.find(name ? name : "");
  if (it == names.end()) {
    throw std::invalid_argument(
        "CF_BROKEN must be none, start-after-check, cancel-no-lock or done-unlocked, not \"" +
        std::string(name) + "\"");
  }
  return it->second;
}

using Call = cf::Future<std::int64_t>;

// What done-unlocked reads: written under `mutex` by the completing thread.
struct StateCopy {
  std::mutex mutex;
  bool done = false;  // guarded by mutex; the planted done() does not take it
};

class RacyFuture final : public Future {
 public:
  RacyFuture(Call call, Plant plant) : call_(call), ref_(reference::wrap(call)), plant_(plant) {
    if (plant_ == Plant::kDoneUnlocked) {
      call_.add_done_callback([copy = copy_](const Call&) {
        std::lock_guard lock(copy->mutex);
        copy->done = true;
      });
    }
  }

  bool cancel() override {
    if (plant_ == Plant::kCancelNoLock) {
      // Check, then act on what was read: the worker may start in between.
      if (call_.running() || call_.done()) return call_.cancelled();
      call_.cancel();
      return true;
    }
    return call_.cancel();
  }
  bool cancelled() override { return call_.cancelled(); }
  bool running() override { return call_.running(); }
  bool done() override {
    if (plant_ == Plant::kDoneUnlocked) return copy_->done || call_.done();  // the unlocked read
    return call_.done();
  }
  Outcome result(Timeout t) override { return ref_->result(t); }
  Outcome exception(Timeout t) override { return ref_->exception(t); }
  void add_done_callback(std::function<void(const CallbackEvent&)> cb) override {
    ref_->add_done_callback(std::move(cb));
  }
  Outcome set_running_or_notify_cancel() override { return ref_->set_running_or_notify_cancel(); }
  Outcome set_result(std::int64_t v) override { return ref_->set_result(v); }
  Outcome set_exception(const std::string& m) override { return ref_->set_exception(m); }

  const FuturePtr& reference_future() const { return ref_; }

 private:
  Call call_;
  FuturePtr ref_;
  Plant plant_;
  std::shared_ptr<StateCopy> copy_ = std::make_shared<StateCopy>();
};

std::vector<FuturePtr> unwrap(const std::vector<FuturePtr>& fs) {
  std::vector<FuturePtr> out;
  for (const auto& f : fs) out.push_back(dynamic_cast<RacyFuture&>(*f).reference_future());
  return out;
}

// Starts one call on a worker: the executor's start path.
void start(Call call, Lab& lab, const Probe& probe, Plant plant) {
  if (plant == Plant::kStartAfterCheck) {
    if (call.cancelled()) return;
    call.set_running_or_notify_cancel();  // a second critical section; the answer is ignored
  } else if (!call.set_running_or_notify_cancel()) {
    return;  // cancelled while queued: never runs [EXEC-CANCEL-1]
  }
  try {
    auto value = run_probe(lab, probe, this_thread_token());
    call.set_result(value);
  } catch (const InvalidStateError&) {
    // start-after-check: the future was cancelled; the call ran anyway.
  } catch (...) {
    try {
      call.set_exception(std::current_exception());
    } catch (const InvalidStateError&) {
    }
  }
}

class RacyExecutor final : public Executor {
 public:
  RacyExecutor(Lab& lab, ThreadPoolExecutor::Options options, ReferenceNames& names, Plant plant)
      : lab_(lab), pool_(std::move(options)), names_(names), plant_(plant) {}

 private:
  auto runner() {
    return [this](const Probe& probe) {
      names_.remember(this_thread_token(), std::string(ThreadPoolExecutor::current_thread_name()));
      return run_probe(lab_, probe, this_thread_token());
    };
  }

 public:
  FuturePtr submit(const Probe& probe) override {
    return reference::guard([&]() -> FuturePtr {
      Call call;
      auto worker = pool_.submit([this, call, probe] {
        names_.remember(this_thread_token(),
                        std::string(ThreadPoolExecutor::current_thread_name()));
        start(call, lab_, probe, plant_);
      });
      // The pool's own ending of the work item reaches the call: cancelled by
      // shutdown(cancel_futures=true), or failed because the pool broke.
      worker.add_done_callback([call](const cf::Future<void>& w) mutable {
        if (call.done()) return;
        if (w.cancelled()) {
          call.cancel();
          return;
        }
        if (auto error = w.exception(std::chrono::seconds(0))) {
          try {
            call.set_exception(error);
          } catch (const InvalidStateError&) {
          }
        }
      });
      return std::make_shared<RacyFuture>(call, plant_);
    });
  }

  std::unique_ptr<MapRun> map(const std::vector<Probe>& probes, const MapSpec& spec) override {
    return reference::guard([&] {
      std::vector<Probe> inputs = probes;
      return reference::wrap_map(
          pool_.map(runner(), std::move(inputs), MapOptions{spec.timeout, spec.buffersize}));
    });
  }
  std::unique_ptr<MapRun> map_endless(std::function<Probe(std::int64_t)> make,
                                      const MapSpec& spec) override {
    return reference::guard([&] {
      auto inputs = std::views::iota(std::int64_t{0}) | std::views::transform(make);
      return reference::wrap_map(
          pool_.map(runner(), std::move(inputs), MapOptions{spec.timeout, spec.buffersize}));
    });
  }
  void shutdown(bool wait, bool cancel_futures) override { pool_.shutdown(wait, cancel_futures); }
  std::size_t thread_count() override { return pool_.thread_count(); }
  int max_workers() override { return pool_.max_workers(); }

 private:
  Lab& lab_;
  ThreadPoolExecutor pool_;
  ReferenceNames& names_;
  Plant plant_;
};

class RacyPool final : public ReferenceImplementation {
 public:
  RacyPool() : plant_(plant_from_environment()) {}
  std::string name() const override {
    const char* variant = std::getenv("CF_BROKEN");
    return std::string("racy-pool") +
           (variant && *variant ? std::string("-") + variant : std::string());
  }
  std::string about() const override {
    return "cf's thread pool's workers behind a start path and futures of its own, with one race "
           "planted "
           "(property_tests/broken/racy_pool.cpp)";
  }
  Caps caps() const override { return all_caps() & ~static_cast<Caps>(Cap::kCrash); }

  std::unique_ptr<Executor> make_executor(Lab& lab, const ExecutorSpec& spec) override {
    ThreadPoolExecutor::Options options;
    options.max_workers = spec.max_workers;
    options.thread_name_prefix = spec.thread_name_prefix;
    if (spec.initializer) {
      options.initializer = [&lab, probe = *spec.initializer] {
        run_probe(lab, probe, this_thread_token());
      };
    }
    return reference::guard(
        [&] { return std::make_unique<RacyExecutor>(lab, std::move(options), names(), plant_); });
  }
  FuturePtr make_future() override { return std::make_shared<RacyFuture>(Call(), plant_); }
  WaitSplit wait(const std::vector<FuturePtr>& futures, ReturnWhen when, Timeout timeout) override {
    return ReferenceImplementation::wait(unwrap(futures), when, timeout);
  }
  std::unique_ptr<AsCompletedRun> as_completed(const std::vector<FuturePtr>& futures,
                                               Timeout timeout) override {
    return ReferenceImplementation::as_completed(unwrap(futures), timeout);
  }

 private:
  Plant plant_;
};

}  // namespace
}  // namespace cf::conformance

CF_CONFORMANCE_ADAPTER(cf::conformance::RacyPool)
