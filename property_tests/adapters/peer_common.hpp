// peer_common.hpp — what the adapters of third-party C++ executors share.
//
// A peer library offers a subset of concurrent.futures. Its adapter declares
// that subset in caps(); the operations it lacks are never called by the
// suite (the test is "n/a"), so their bodies here only say "not supported".
// The adapter adds no behaviour of its own: a cancel that the library cannot
// do is not emulated, a wait it has no primitive for is not polled.
//
// Outcome mapping of a peer's errors:
//   ProbeError (the task's error)          -> kTaskError
//   std::future_error(broken_promise)      -> kOther "broken promise" (the
//                                             executor dropped the task unrun)
//   PeerCancelled (see below)              -> kCancelled
//   std::invalid_argument                  -> kInvalidArgument
//   anything else                          -> kOther with its message
#pragma once

#include <chrono>
#include <cstdint>
#include <exception>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "harness/adapter.hpp"

namespace cf::conformance::peer {

// Thrown into a promise whose task the library skipped because it cancelled
// the task's group (oneTBB's task_group::cancel): the library's own notion
// of cancellation, reported as CancelledError.
struct PeerCancelled : std::runtime_error {
  PeerCancelled() : std::runtime_error("cancelled by the library before it started") {}
};

inline Outcome unsupported(const std::string& what) {
  return Outcome::error(Outcome::Kind::kOther, "not supported by this implementation: " + what);
}

[[noreturn]] inline void raise_unsupported(const std::string& what) {
  throw Raised{unsupported(what)};
}

inline Outcome outcome_of(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const Raised& r) {
    return r.outcome;
  } catch (const ProbeError& e) {
    return Outcome::error(Outcome::Kind::kTaskError, e.what());
  } catch (const PeerCancelled& e) {
    return Outcome::error(Outcome::Kind::kCancelled, e.what());
  } catch (const std::future_error& e) {
    if (e.code() == std::future_errc::broken_promise) {
      return Outcome::error(Outcome::Kind::kOther,
                            "broken promise: the executor destroyed the task without running it");
    }
    return Outcome::error(Outcome::Kind::kOther, e.what());
  } catch (const std::invalid_argument& e) {
    return Outcome::error(Outcome::Kind::kInvalidArgument, e.what());
  } catch (const std::exception& e) {
    return Outcome::error(Outcome::Kind::kOther, e.what());
  } catch (...) {
    return Outcome::error(Outcome::Kind::kOther, "unknown exception");
  }
}

// Worker counts a peer takes as an unsigned type cannot be negative: passing
// -1 through would ask for ~4 billion threads. Such a request is reported as
// "not expressible" (kOther), never as the kInvalidArgument the spec wants.
inline void refuse_negative(const ExecutorSpec& spec, const char* api) {
  if (spec.max_workers && *spec.max_workers < 0) {
    throw Raised{Outcome::error(Outcome::Kind::kOther,
                                std::string("a negative worker count is not expressible: ") + api +
                                    " takes an unsigned count")};
  }
}

// A future of a peer library, read through a std::shared_future-like handle
// `F` (get(), wait(), and a timed wait provided by `Waiter`). Only the
// consumer operations such a handle has are real: result/exception with or
// without a timeout, and done() (readiness). The rest is unsupported.
//
// `Waiter::ready_within(f, timeout)` hands the library the timeout as the
// test wrote it (Timeout::raw()), so the library's own deadline arithmetic is
// what a huge or negative timeout exercises [FUT-RESULT-7].
template <class F, class Waiter>
class ReadOnlyFuture : public Future {
 public:
  explicit ReadOnlyFuture(F f) : f_(std::move(f)) {}

  bool cancel() override { return false; }
  bool cancelled() override { return false; }
  bool running() override { return false; }
  bool done() override { return Waiter::ready_within(f_, Timeout(std::chrono::seconds(0))); }
  Outcome result(Timeout timeout) override {
    if (!Waiter::ready_within(f_, timeout)) {
      return Outcome::error(Outcome::Kind::kTimeout, "not ready within the timeout");
    }
    try {
      return Outcome::of_value(static_cast<std::int64_t>(f_.get()));
    } catch (...) {
      return outcome_of(std::current_exception());
    }
  }
  Outcome exception(Timeout timeout) override {
    auto r = result(timeout);
    return r.is(Outcome::Kind::kValue) ? Outcome{} : r;
  }
  void add_done_callback(std::function<void(const CallbackEvent&)>) override {}
  Outcome set_running_or_notify_cancel() override { return unsupported("producer API"); }
  Outcome set_result(std::int64_t) override { return unsupported("producer API"); }
  Outcome set_exception(const std::string&) override { return unsupported("producer API"); }

  F& handle() { return f_; }

 protected:
  F f_;
};

// Whether a raw timeout can be handed to a library as its own duration type:
// not "none", and not a period so long that converting it to the clock's
// ticks cannot even compile (std::ratio overflow); those two take cf's
// reading of the timeout instead.
template <class D>
inline constexpr bool expressible = false;
template <class Rep, class Period>
inline constexpr bool expressible<std::chrono::duration<Rep, Period>> = Period::num <= 86400 * 366;

// Timed waits on std::shared_future: wait_for with the duration as written.
struct StdWaiter {
  template <class F>
  static bool ready_within(const F& f, const Timeout& timeout) {
    return std::visit(
        [&](auto length) {
          if constexpr (!expressible<decltype(length)>) {
            if (!timeout.is_none())
              return f.wait_for(timeout.length()) == std::future_status::ready;
            f.wait();
            return true;
          } else {
            return f.wait_for(length) == std::future_status::ready;
          }
        },
        timeout.raw());
  }
};

template <class T>
using StdFuture = ReadOnlyFuture<std::shared_future<T>, StdWaiter>;

// Executor operations a peer without map() lacks.
class PeerExecutor : public Executor {
 public:
  std::unique_ptr<MapRun> map(const std::vector<Probe>&, const MapSpec&) override {
    raise_unsupported("map");
  }
  std::unique_ptr<MapRun> map_endless(std::function<Probe(std::int64_t)>, const MapSpec&) override {
    raise_unsupported("map");
  }
  std::size_t thread_count() override { return 0; }
};

// Implementation operations a peer without wait/as_completed/raw futures lacks.
class PeerImplementation : public Implementation {
 public:
  FuturePtr make_future() override { raise_unsupported("futures made without an executor"); }
  WaitSplit wait(const std::vector<FuturePtr>&, ReturnWhen, Timeout) override {
    raise_unsupported("wait");
  }
  std::unique_ptr<AsCompletedRun> as_completed(const std::vector<FuturePtr>&, Timeout) override {
    raise_unsupported("as_completed");
  }
  std::int64_t thread_token() override { return this_thread_token(); }
  std::string thread_name_of(std::int64_t) override { return {}; }
  std::vector<std::string> take_logged() override { return {}; }
};

}  // namespace cf::conformance::peer
