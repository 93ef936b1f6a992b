#include "guard.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <thread>
#include <utility>

#include "check.hpp"
#include "noise.hpp"

namespace cf::conformance {
namespace {

using Kind = Outcome::Kind;

bool has(Cap cap) { return (implementation().caps() & static_cast<Caps>(cap)) != 0; }
// done() can be asked without blocking: what the bridges poll.
bool can_poll() { return has(Cap::kDone) || has(Cap::kStateQueries); }

// Stands in for "no timeout" where only timed waits exist: longer than any
// test's watchdog budget, short enough for every clock's arithmetic.
constexpr auto kBridgeForever = std::chrono::hours(24);

// Polls `done` until it holds or `timeout` passes: the bridge from a bound to
// an implementation without timed waits. Not a synchronisation: the guard
// only learns sooner or later that the bound passed.
template <class Done>
bool done_within(Timeout timeout, Done done) {
  auto deadline = timeout.deadline();
  auto pause = std::chrono::microseconds(50);
  for (;;) {
    if (done()) return true;
    if (deadline.passed()) return false;
    std::this_thread::sleep_for(std::min<Clock::duration>(pause, deadline.remaining()));
    pause = std::min<std::chrono::microseconds>(pause * 2, std::chrono::milliseconds(5));
  }
}

template <class F>
auto forward(const char* what, const char* relies_on, F call) -> decltype(call()) {
  check::Activity activity(what);
  noise::point();
  try {
    auto out = call();
    noise::point();
    return out;
  } catch (const Raised& raised) {
    check::note_escape(what, raised.outcome, relies_on);
    throw;
  }
}

class GuardedFuture final : public Future, public std::enable_shared_from_this<GuardedFuture> {
 public:
  explicit GuardedFuture(FuturePtr inner) : inner_(std::move(inner)) {}
  bool cancel() override {
    check::note_cancel_result_read();
    return forward("Future::cancel", nullptr, [&] { return inner_->cancel(); });
  }
  bool cancelled() override {
    return forward("Future::cancelled", nullptr, [&] { return inner_->cancelled(); });
  }
  bool running() override {
    return forward("Future::running", nullptr, [&] { return inner_->running(); });
  }
  bool done() override {
    return forward("Future::done", nullptr, [&] { return inner_->done(); });
  }
  Outcome result(Timeout timeout) override {
    return read("Future::result", timeout, [&](Timeout t) { return inner_->result(t); });
  }
  Outcome exception(Timeout timeout) override {
    return read("Future::exception", timeout, [&](Timeout t) { return inner_->exception(t); });
  }
  void add_done_callback(std::function<void(const CallbackEvent&)> callback) override {
    check::Activity activity("Future::add_done_callback");
    noise::point();
    inner_->add_done_callback(std::move(callback));
  }
  Outcome set_running_or_notify_cancel() override {
    return forward("Future::set_running_or_notify_cancel", nullptr,
                   [&] { return inner_->set_running_or_notify_cancel(); });
  }
  Outcome set_result(std::int64_t value) override {
    return forward("Future::set_result", nullptr, [&] { return inner_->set_result(value); });
  }
  Outcome set_exception(const std::string& message) override {
    return forward("Future::set_exception", nullptr,
                   [&] { return inner_->set_exception(message); });
  }

  const FuturePtr& inner() const { return inner_; }

 private:
  template <class Read>
  Outcome read(const char* what, Timeout timeout, Read call) {
    return forward(what, nullptr, [&]() -> Outcome {
      if (timeout.is_none()) {
        if (!has(Cap::kResultBlocking) && has(Cap::kResultTimeout))
          return call(Timeout(kBridgeForever));
        return call(timeout);
      }
      if (has(Cap::kResultTimeout) || !has(Cap::kResultBlocking)) return call(timeout);
      // Untimed only. Without a way to poll, the bound is the watchdog's.
      if (!can_poll()) return call(Timeout::none());
      if (!done_within(timeout, [&] { return inner_->done(); })) {
        return Outcome::error(Kind::kTimeout,
                              "not done within the suite's bound (no timed wait to ask)");
      }
      return call(Timeout::none());
    });
  }

  FuturePtr inner_;
};

class GuardedMapRun final : public MapRun {
 public:
  explicit GuardedMapRun(std::unique_ptr<MapRun> inner) : inner_(std::move(inner)) {}
  std::optional<Outcome> next() override {
    return forward("MapRun::next", nullptr, [&] { return inner_->next(); });
  }
  void close() override {
    check::Activity activity("MapRun::close");
    noise::point();
    inner_->close();
  }

 private:
  std::unique_ptr<MapRun> inner_;
};

class GuardedAsCompletedRun final : public AsCompletedRun {
 public:
  explicit GuardedAsCompletedRun(std::unique_ptr<AsCompletedRun> inner)
      : inner_(std::move(inner)) {}
  std::optional<std::size_t> next() override {
    // A TimeoutError here is the call's answer, not an escape: no note.
    check::Activity activity("AsCompletedRun::next");
    noise::point();
    return inner_->next();
  }

 private:
  std::unique_ptr<AsCompletedRun> inner_;
};

MapSpec bridged(MapSpec spec) {
  if (!spec.timeout.is_none() && !has(Cap::kMapTimeout) && has(Cap::kMap)) spec.timeout = Timeout();
  if (spec.timeout.is_none() && !has(Cap::kMap) && has(Cap::kMapTimeout)) {
    spec.timeout = Timeout(kBridgeForever);
  }
  return spec;
}

class GuardedExecutor final : public Executor {
 public:
  explicit GuardedExecutor(std::unique_ptr<Executor> inner) : inner_(std::move(inner)) {}
  ~GuardedExecutor() override {
    check::Activity activity("Executor destructor");
    inner_.reset();
  }

  FuturePtr submit(const Probe& probe) override {
    // Before any shutdown, a submit that raises refused work it had to queue,
    // and one that blocks waits for a free worker: both break EXEC-QUEUE-1,
    // so a hang inside it is charged there (when no check is in progress).
    const bool open = !shut_down_;
    std::optional<check::Step> step;
    if (open && !check::inside_check())
      step.emplace("EXEC-QUEUE-1", "Executor::submit", __FILE__, __LINE__);
    return guard(forward("Executor::submit", open ? "EXEC-QUEUE-1" : nullptr,
                         [&] { return inner_->submit(probe); }));
  }
  std::unique_ptr<MapRun> map(const std::vector<Probe>& probes, const MapSpec& spec) override {
    return std::make_unique<GuardedMapRun>(
        forward("Executor::map", shut_down_ ? nullptr : "EXEC-QUEUE-1",
                [&] { return inner_->map(probes, bridged(spec)); }));
  }
  std::unique_ptr<MapRun> map_endless(std::function<Probe(std::int64_t)> make,
                                      const MapSpec& spec) override {
    return std::make_unique<GuardedMapRun>(
        forward("Executor::map", shut_down_ ? nullptr : "EXEC-QUEUE-1",
                [&] { return inner_->map_endless(std::move(make), bridged(spec)); }));
  }
  void shutdown(bool wait, bool cancel_futures) override {
    shut_down_ = true;
    check::Activity activity(wait ? "Executor::shutdown(wait=true)"
                                  : "Executor::shutdown(wait=false)");
    noise::point();
    try {
      inner_->shutdown(wait, cancel_futures);
    } catch (const Raised& raised) {
      check::note_escape("Executor::shutdown", raised.outcome, "SHUT-IDEM-1");
      throw;
    }
  }
  std::size_t thread_count() override { return inner_->thread_count(); }
  int max_workers() override { return inner_->max_workers(); }

 private:
  std::unique_ptr<Executor> inner_;
  std::atomic<bool> shut_down_{false};
};

bool failed_now(const FuturePtr& f) {
  if (!f->done()) return false;
  auto o = f->exception(Timeout::none());
  return o.is(Kind::kTaskError);
}

}  // namespace

FuturePtr guard(FuturePtr future) {
  if (!future || dynamic_cast<GuardedFuture*>(future.get())) return future;
  return std::make_shared<GuardedFuture>(std::move(future));
}

FuturePtr unguarded(const FuturePtr& future) {
  if (auto* g = dynamic_cast<GuardedFuture*>(future.get())) return g->inner();
  return future;
}

std::unique_ptr<Executor> GuardedImplementation::make_executor(Lab& lab, const ExecutorSpec& spec) {
  return std::make_unique<GuardedExecutor>(forward(
      "Implementation::make_executor", nullptr, [&] { return inner_.make_executor(lab, spec); }));
}

FuturePtr GuardedImplementation::make_future() {
  return guard(
      forward("Implementation::make_future", nullptr, [&] { return inner_.make_future(); }));
}

WaitSplit GuardedImplementation::wait(const std::vector<FuturePtr>& futures, ReturnWhen when,
                                      Timeout timeout) {
  std::vector<FuturePtr> inner;
  inner.reserve(futures.size());
  for (const auto& f : futures) inner.push_back(unguarded(f));
  return forward("wait", nullptr, [&]() -> WaitSplit {
    if (timeout.is_none()) {
      if (!(caps() & static_cast<Caps>(Cap::kWait)) && has(Cap::kWaitTimeout)) {
        return inner_.wait(inner, when, Timeout(kBridgeForever));
      }
      return inner_.wait(inner, when, timeout);
    }
    if (has(Cap::kWaitTimeout) || !has(Cap::kWait)) return inner_.wait(inner, when, timeout);
    if (!can_poll()) return inner_.wait(inner, when, Timeout::none());
    // A bound over an untimed wait: wait only once the condition holds.
    auto met = [&] {
      std::size_t done = 0;
      for (const auto& f : inner) {
        if (f->done()) {
          ++done;
          if (when == ReturnWhen::kFirstCompleted) return true;
          if (when == ReturnWhen::kFirstException && failed_now(f)) return true;
        }
      }
      return done == inner.size();
    };
    if (done_within(timeout, met)) return inner_.wait(inner, when, Timeout::none());
    WaitSplit split;  // the bound passed: the split as the queries see it
    for (std::size_t i = 0; i < inner.size(); ++i) {
      bool seen = false;
      for (std::size_t j = 0; j < i; ++j) seen = seen || inner[j] == inner[i];
      if (seen) continue;
      (inner[i]->done() ? split.done : split.not_done).push_back(i);
    }
    return split;
  });
}

std::unique_ptr<AsCompletedRun> GuardedImplementation::as_completed(
    const std::vector<FuturePtr>& futures, Timeout timeout) {
  std::vector<FuturePtr> inner;
  inner.reserve(futures.size());
  for (const auto& f : futures) inner.push_back(unguarded(f));
  if (!timeout.is_none() && !has(Cap::kAsCompletedTimeout) && has(Cap::kAsCompleted))
    timeout = Timeout();
  if (timeout.is_none() && !has(Cap::kAsCompleted) && has(Cap::kAsCompletedTimeout)) {
    timeout = Timeout(kBridgeForever);
  }
  return std::make_unique<GuardedAsCompletedRun>(
      forward("as_completed", nullptr, [&] { return inner_.as_completed(inner, timeout); }));
}

}  // namespace cf::conformance
