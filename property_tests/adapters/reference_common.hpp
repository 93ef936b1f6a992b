// reference_common.hpp — what the reference adapters (thread and process)
// share: cf::Future<int64_t> seen as an adapter Future, the mapping of cf's
// errors to Outcomes, and wait/as_completed over cf futures.
#pragma once

#include <algorithm>
#include <exception>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "cf/cf.hpp"
#include "harness/adapter.hpp"
#include "harness/input_positions.hpp"

namespace cf::conformance {
namespace reference {

// The Outcome an exception thrown by cf stands for.
inline Outcome outcome_of(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const CancelledError& e) {
    return Outcome::error(Outcome::Kind::kCancelled, e.what());
  } catch (const TimeoutError& e) {
    return Outcome::error(Outcome::Kind::kTimeout, e.what());
  } catch (const BrokenExecutor& e) {
    return Outcome::error(Outcome::Kind::kBroken, e.what());
  } catch (const InvalidStateError& e) {
    return Outcome::error(Outcome::Kind::kInvalidState, e.what());
  } catch (const ShutdownError& e) {
    return Outcome::error(Outcome::Kind::kShutdown, e.what());
  } catch (const std::invalid_argument& e) {
    return Outcome::error(Outcome::Kind::kInvalidArgument, e.what());
  } catch (const ProbeError& e) {
    return Outcome::error(Outcome::Kind::kTaskError, e.what());
  } catch (const std::exception& e) {
    return Outcome::error(Outcome::Kind::kOther, e.what());
  } catch (...) {
    return Outcome::error(Outcome::Kind::kOther, "unknown exception");
  }
}

// Runs `fn`; a cf error it throws becomes Raised.
template <class Fn>
auto guard(Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const Raised&) {
    throw;
  } catch (...) {
    throw Raised{outcome_of(std::current_exception())};
  }
}

// Runs `fn` and reports what it returned or raised.
template <class Fn>
Outcome capture(Fn&& fn) {
  try {
    if constexpr (std::is_void_v<decltype(fn())>) {
      fn();
      return Outcome{};
    } else {
      return Outcome::of_value(static_cast<std::int64_t>(fn()));
    }
  } catch (...) {
    return outcome_of(std::current_exception());
  }
}

class RefFuture final : public Future {
 public:
  explicit RefFuture(cf::Future<std::int64_t> f) : f_(std::move(f)) {}

  bool cancel() override { return f_.cancel(); }
  bool cancelled() override { return f_.cancelled(); }
  bool running() override { return f_.running(); }
  bool done() override { return f_.done(); }
  Outcome result(Timeout timeout) override {
    return capture([&] { return f_.result(timeout); });
  }
  Outcome exception(Timeout timeout) override {
    try {
      auto error = f_.exception(timeout);
      return error ? outcome_of(error) : Outcome{};
    } catch (...) {
      return outcome_of(std::current_exception());
    }
  }
  void add_done_callback(std::function<void(const CallbackEvent&)> callback) override {
    f_.add_done_callback([callback = std::move(callback)](const cf::Future<std::int64_t>& f) {
      CallbackEvent event;
      event.thread_token = this_thread_token();
      event.done = f.done();
      event.cancelled = f.cancelled();
      event.result = capture([&] { return f.result(std::chrono::seconds(0)); });
      callback(event);
    });
  }
  Outcome set_running_or_notify_cancel() override {
    return capture([&] { return f_.set_running_or_notify_cancel() ? 1 : 0; });
  }
  Outcome set_result(std::int64_t value) override {
    return capture([&] { f_.set_result(value); });
  }
  Outcome set_exception(const std::string& message) override {
    return capture([&] { f_.set_exception(std::make_exception_ptr(ProbeError(message))); });
  }

  AnyFuture any() const { return f_; }

 private:
  cf::Future<std::int64_t> f_;
};

inline FuturePtr wrap(cf::Future<std::int64_t> f) {
  return std::make_shared<RefFuture>(std::move(f));
}

inline AnyFuture unwrap(const FuturePtr& f) { return dynamic_cast<RefFuture&>(*f).any(); }

template <class R>
class RefMapRun final : public MapRun {
 public:
  explicit RefMapRun(R results) : results_(std::move(results)) {}
  std::optional<Outcome> next() override {
    try {
      auto v = results_.next();
      if (!v) return std::nullopt;
      return Outcome::of_value(*v);
    } catch (...) {
      return outcome_of(std::current_exception());
    }
  }
  void close() override { results_.close(); }

 private:
  R results_;
};

template <class R>
std::unique_ptr<MapRun> wrap_map(R results) {
  return std::make_unique<RefMapRun<R>>(std::move(results));
}

// What wait and as_completed answer with, for InputPositions: the future's
// shared state (two handles of one future share it).
inline const void* state_of(const AnyFuture& f) { return &f.state(); }

class RefAsCompleted final : public AsCompletedRun {
 public:
  RefAsCompleted(AsCompleted run, InputPositions<const void*> index)
      : run_(std::move(run)), index_(std::move(index)) {}
  std::optional<std::size_t> next() override {
    auto f = guard([&] { return run_.next(); });
    if (!f) return std::nullopt;
    return index_.of(state_of(*f));
  }

 private:
  AsCompleted run_;
  InputPositions<const void*> index_;
};

}  // namespace reference

// Worker token -> thread name, remembered as tasks run.
class ReferenceNames {
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

// The parts of an adapter that only depend on cf::Future.
class ReferenceImplementation : public Implementation {
 public:
  ReferenceImplementation() {
    set_log_handler([this](LogLevel, std::string_view message) {
      std::lock_guard lock(log_mutex_);
      logged_.emplace_back(message);
    });
  }

  FuturePtr make_future() override { return reference::wrap(cf::Future<std::int64_t>()); }

  WaitSplit wait(const std::vector<FuturePtr>& futures, ReturnWhen when, Timeout timeout) override {
    const auto any = unwrap_all(futures);
    cf::ReturnWhen mode = when == ReturnWhen::kFirstCompleted   ? cf::FIRST_COMPLETED
                          : when == ReturnWhen::kFirstException ? cf::FIRST_EXCEPTION
                                                                : cf::ALL_COMPLETED;
    auto split = reference::guard([&] { return cf::wait(any, mode, timeout); });
    return positions(any).split(split.done, split.not_done, reference::state_of);
  }

  std::unique_ptr<AsCompletedRun> as_completed(const std::vector<FuturePtr>& futures,
                                               Timeout timeout) override {
    const auto any = unwrap_all(futures);
    return std::make_unique<reference::RefAsCompleted>(cf::as_completed(any, timeout),
                                                       positions(any));
  }

  std::int64_t thread_token() override { return this_thread_token(); }
  std::string thread_name_of(std::int64_t token) override { return names_.lookup(token); }
  std::vector<std::string> take_logged() override {
    std::lock_guard lock(log_mutex_);
    return std::exchange(logged_, {});
  }

 protected:
  ReferenceNames& names() { return names_; }

 private:
  static std::vector<AnyFuture> unwrap_all(const std::vector<FuturePtr>& futures) {
    std::vector<AnyFuture> any;
    for (const auto& f : futures) any.push_back(reference::unwrap(f));
    return any;
  }
  static InputPositions<const void*> positions(const std::vector<AnyFuture>& any) {
    std::vector<const void*> keys;
    for (const auto& f : any) keys.push_back(reference::state_of(f));
    return InputPositions<const void*>(keys);
  }

  ReferenceNames names_;
  std::mutex log_mutex_;
  std::vector<std::string> logged_;
};

}  // namespace cf::conformance
