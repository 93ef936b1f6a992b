// adapter.hpp — the contract between the conformance suite and one executor
// implementation under test.
//
// The suite never calls an implementation directly. An adapter says how to
// create an executor, run a Probe as a task, and perform each spec operation,
// reporting every outcome as an Outcome (a value, or which error was raised).
// It declares its capabilities; a test that needs a missing capability is
// reported "n/a" for that implementation, never "pass".
//
// Writing an adapter: implement Implementation (and the Executor / Future /
// MapRun / AsCompletedRun it hands out), then register it once with
// CF_CONFORMANCE_ADAPTER(Type). See property_tests/adapters/template_adapter.cpp.
//
// Thread-safety an adapter must provide: Future and Executor methods are
// called from several threads at once (as user code would call them).
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <ratio>
#include <string>
#include <variant>
#include <vector>

#include "cf/timeout.hpp"
#include "lab.hpp"
#include "probe.hpp"

namespace cf::conformance {

// Calls an executor may hand to a worker ahead of time and mark running
// before the worker takes them, per worker. They count as started (SPEC
// "Executors"); CPython's process pool keeps max_workers + 1 of them in its
// call queue (EXEC-RUNNING-1). A test that needs a call known to be still
// queued puts this many padding calls per worker ahead of it.
inline constexpr int kPrefetch = 4;

// A timeout as the suite hands it to an adapter: cf::Timeout's reading of it
// (none, a poll, or a length that fits the steady clock; lengths too large for
// a deadline read as none [FUT-RESULT-7]), plus the length exactly as the test
// wrote it. An adapter whose library takes a duration should pass raw() on,
// so the library's own deadline arithmetic (and its overflow) is what is
// judged, not cf's.
class Timeout : public cf::Timeout {
 public:
  // The representations the suite writes (monostate: none given); any other
  // arrives as duration<long double> seconds.
  using Raw = std::variant<std::monostate, std::chrono::nanoseconds, std::chrono::microseconds,
                           std::chrono::milliseconds, std::chrono::seconds, std::chrono::minutes,
                           std::chrono::hours, std::chrono::duration<double>,
                           std::chrono::duration<long double>,
                           std::chrono::duration<std::int64_t, std::ratio<INT64_MAX>>>;

  Timeout() = default;
  Timeout(const cf::Timeout& t) : cf::Timeout(t) {}  // NOLINT: no raw length known
  template <class Rep, class Period>
  Timeout(std::chrono::duration<Rep, Period> length)  // NOLINT(google-explicit-constructor)
      : cf::Timeout(length), raw_(to_raw(length)) {}

  // The length as written; monostate for "no timeout" (and for a Timeout
  // made from a cf::Timeout). Visit it to hand the library its own type:
  //   std::visit([&](auto d) { ... fut.wait_for(d) ... }, timeout.raw())
  // (handle std::monostate as the untimed call).
  const Raw& raw() const { return raw_; }
  bool has_raw() const { return raw_.index() != 0; }

 private:
  template <class Rep, class Period>
  static Raw to_raw(std::chrono::duration<Rep, Period> length) {
    using D = std::chrono::duration<Rep, Period>;
    if constexpr (std::is_constructible_v<Raw, D> &&
                  (std::is_same_v<D, std::chrono::nanoseconds> ||
                   std::is_same_v<D, std::chrono::microseconds> ||
                   std::is_same_v<D, std::chrono::milliseconds> ||
                   std::is_same_v<D, std::chrono::seconds> ||
                   std::is_same_v<D, std::chrono::minutes> ||
                   std::is_same_v<D, std::chrono::hours> ||
                   std::is_same_v<D, std::chrono::duration<double>> ||
                   std::is_same_v<D, std::chrono::duration<long double>> ||
                   std::is_same_v<D, std::chrono::duration<std::int64_t, std::ratio<INT64_MAX>>>)) {
      return Raw(length);
    } else {
      return Raw(std::chrono::duration<long double>(static_cast<long double>(length.count()) *
                                                    Period::num / Period::den));
    }
  }
  Raw raw_;
};

// What an operation produced: a value, nothing, or the error it raised.
struct Outcome {
  enum class Kind {
    kValue,            // returned `value`
    kNone,             // returned nothing (exception() of a successful future)
    kTaskError,        // the task's own error, carrying `message`
    kCancelled,        // CancelledError
    kTimeout,          // TimeoutError
    kBroken,           // BrokenExecutor (thread or process pool)
    kInvalidState,     // InvalidStateError (or CPython's RuntimeError for set_running...)
    kShutdown,         // submit after shutdown
    kInvalidArgument,  // ValueError / std::invalid_argument
    kOther,            // anything else, described in `message`
  };
  Kind kind = Kind::kNone;
  std::int64_t value = 0;
  std::string message;

  static Outcome of_value(std::int64_t v) { return {Kind::kValue, v, {}}; }
  static Outcome error(Kind k, std::string m = {}) { return {k, 0, std::move(m)}; }
  bool is(Kind k) const { return kind == k; }
};

std::string to_string(Outcome::Kind kind);
std::string to_string(const Outcome& outcome);

// An operation that raised where the caller expected it to return. A
// std::exception, so one that escapes a test is reported with its outcome.
struct Raised : std::exception {
  explicit Raised(Outcome o) : outcome(std::move(o)), text_("raised " + to_string(outcome)) {}
  const char* what() const noexcept override { return text_.c_str(); }

  Outcome outcome;

 private:
  std::string text_;
};

// Capabilities an implementation may lack. Tests state what they need.
enum class Cap : std::uint64_t {
  kCancel = 1ull << 0,               // Future::cancel of a pending task (it takes effect)
  kStateQueries = 1ull << 1,         // cancelled() / running() / done()
  kResultTimeout = 1ull << 2,        // result(timeout) and exception(timeout), timed
  kDoneCallbacks = 1ull << 3,        // add_done_callback
  kRawFuture = 1ull << 4,            // futures made directly, with the producer API
  kWait = 1ull << 5,                 // wait(ALL_COMPLETED / FIRST_COMPLETED), no timeout
  kWaitFirstException = 1ull << 6,   // wait(FIRST_EXCEPTION)
  kAsCompleted = 1ull << 7,          // as_completed, no timeout
  kMap = 1ull << 8,                  // map, no timeout; closing it cancels the rest
  kMapBuffersize = 1ull << 9,        // map(buffersize=)
  kShutdownNoWait = 1ull << 10,      // shutdown(wait=false)
  kCancelFutures = 1ull << 11,       // shutdown(cancel_futures=true)
  kDrainingDestructor = 1ull << 12,  // destroying the executor = shutdown(wait=true)
  kMaxWorkers = 1ull << 13,          // a worker count is honoured (and, per the spec, validated)
  kDefaultWorkers = 1ull << 14,      // an executor can be made without a worker count
  kThreadCount = 1ull << 15,         // how many workers were started
  kThreadNames = 1ull << 16,         // worker thread names with a prefix
  kInitializer = 1ull << 17,         // a per-worker initializer
  kHugeTimeouts = 1ull << 18,        // duration::max() timeouts
  kMixedTypes = 1ull << 19,          // wait/as_completed over futures of different types
  kHappensBefore = 1ull << 20,       // the C++ memory-model guarantee (in-process only)
  kLogHook = 1ull << 21,             // a log sink for throwing callbacks
  kVoidFutures = 1ull << 22,         // futures of calls that return nothing
  kCrash = 1ull << 23,               // the crash() probe (process backends)
  kCancelResult = 1ull << 24,        // cancel() reports whether it succeeded
  kResultBlocking = 1ull << 25,      // result() and exception() without a timeout
  kWaitTimeout = 1ull << 26,         // wait(..., timeout)
  kAsCompletedTimeout = 1ull << 27,  // as_completed(..., timeout)
  kMapTimeout = 1ull << 28,          // map(..., timeout), cancelling the rest at the deadline
  kWorkerCount = 1ull << 29,         // the configured worker count can be read (max_workers())
  kDone = 1ull << 30,                // done() answers without blocking (kStateQueries implies it)
};
using Caps = std::uint64_t;
constexpr Caps operator|(Cap a, Cap b) { return static_cast<Caps>(a) | static_cast<Caps>(b); }
constexpr Caps operator|(Caps a, Cap b) { return a | static_cast<Caps>(b); }
constexpr Caps all_caps() { return ~Caps{0}; }
std::string cap_name(Cap cap);
// The capability named `name` (as cap_name prints it), or nullopt.
std::optional<Cap> cap_from_name(const std::string& name);
// Names of the caps in `needed` missing from `have`, comma-separated.
std::string missing_caps(Caps have, Caps needed);
std::string missing_caps(Caps have, std::initializer_list<Cap> needed);

// What a done-callback saw when it was called.
struct CallbackEvent {
  std::int64_t thread_token = 0;  // Implementation::thread_token() of the calling thread
  bool done = false;
  bool cancelled = false;
  Outcome result;  // result(timeout=0) as seen inside the callback
};

// Timeouts: a Future, wait, as_completed or map receives Timeout::none()
// only when the adapter declares the untimed form (kResultBlocking, kWait,
// kAsCompleted, kMap) and a finite Timeout only when it declares the timed
// form (kResultTimeout, kWaitTimeout, kAsCompletedTimeout, kMapTimeout); the
// suite bridges the other form itself where it needs one only as a bound,
// never where the form itself is judged.
class Future {
 public:
  virtual ~Future() = default;
  // Whether the cancel succeeded (Cap::kCancelResult); a library whose cancel
  // reports nothing returns true and leaves kCancelResult undeclared.
  virtual bool cancel() = 0;
  virtual bool cancelled() = 0;
  virtual bool running() = 0;
  virtual bool done() = 0;
  virtual Outcome result(Timeout timeout) = 0;
  // kNone on success, kTaskError for the task's error, else the raised error.
  virtual Outcome exception(Timeout timeout) = 0;
  virtual void add_done_callback(std::function<void(const CallbackEvent&)> callback) = 0;
  // Producer API (Cap::kRawFuture). Return kValue 1/0 or the raised error.
  virtual Outcome set_running_or_notify_cancel() = 0;
  virtual Outcome set_result(std::int64_t value) = 0;
  virtual Outcome set_exception(const std::string& message) = 0;
};
using FuturePtr = std::shared_ptr<Future>;

struct MapSpec {
  Timeout timeout;
  std::optional<std::size_t> buffersize;
};

// One map() call's results, in order.
class MapRun {
 public:
  virtual ~MapRun() = default;
  // Next result, a raised error (kTaskError, kTimeout, ...), or nullopt at the end.
  virtual std::optional<Outcome> next() = 0;
  // Abandons the rest (Python: closing or dropping the iterator).
  virtual void close() = 0;
};

// One as_completed() call.
class AsCompletedRun {
 public:
  virtual ~AsCompletedRun() = default;
  // Index (into the input) of the next future, nullopt at the end; throws
  // Raised{kTimeout} when the deadline passed.
  virtual std::optional<std::size_t> next() = 0;
};

class Executor {
 public:
  virtual ~Executor() = default;
  // Throws Raised (kShutdown, kBroken, ...) if the submit itself raises.
  virtual FuturePtr submit(const Probe& probe) = 0;
  // Throws Raised if map() itself raises (kInvalidArgument, kShutdown).
  virtual std::unique_ptr<MapRun> map(const std::vector<Probe>& probes, const MapSpec& spec) = 0;
  // Like map, over an endless input: probe i is make(i). Cap::kMapBuffersize.
  virtual std::unique_ptr<MapRun> map_endless(std::function<Probe(std::int64_t)> make,
                                              const MapSpec& spec) = 0;
  virtual void shutdown(bool wait, bool cancel_futures) = 0;
  // Worker threads (or processes) this executor has started so far, counting
  // those that have since exited; read before shutdown (Cap::kThreadCount).
  virtual std::size_t thread_count() { return 0; }
  // The configured worker count, resolved: the default when none was given
  // (Cap::kWorkerCount; Cap::kDefaultWorkers judges the default).
  virtual int max_workers() { return -1; }
};

struct ExecutorSpec {
  std::optional<int> max_workers;
  std::string thread_name_prefix;    // Cap::kThreadNames
  std::optional<Probe> initializer;  // Cap::kInitializer; may fail
};

enum class ReturnWhen { kFirstCompleted, kFirstException, kAllCompleted };

// Indices into the input of wait(); a duplicated future appears once, under
// its first index.
struct WaitSplit {
  std::vector<std::size_t> done;
  std::vector<std::size_t> not_done;
};

class Implementation {
 public:
  virtual ~Implementation() = default;
  virtual std::string name() const = 0;
  // What exactly is judged (library and version), for the report; optional.
  virtual std::string about() const { return {}; }
  // The CPython version ("3.12") whose behaviour this implementation is
  // judged by, for clauses with a **Profile.** line in SPEC.md; empty: the
  // spec's baseline version. Only CPython's own columns differ.
  virtual std::string follows() const { return {}; }
  virtual Caps caps() const = 0;
  // Throws Raised{kInvalidArgument} for a bad spec.
  virtual std::unique_ptr<Executor> make_executor(Lab& lab, const ExecutorSpec& spec) = 0;
  // A pending future made directly (Cap::kRawFuture).
  virtual FuturePtr make_future() = 0;
  virtual WaitSplit wait(const std::vector<FuturePtr>& futures, ReturnWhen when,
                         Timeout timeout) = 0;
  virtual std::unique_ptr<AsCompletedRun> as_completed(const std::vector<FuturePtr>& futures,
                                                       Timeout timeout) = 0;
  // Token naming the calling thread, as CallbackEvent::thread_token.
  virtual std::int64_t thread_token() = 0;
  // Thread names of workers recorded by record_worker tokens (Cap::kThreadNames).
  virtual std::string thread_name_of(std::int64_t worker_token) = 0;
  // Messages logged by the implementation since the last call (Cap::kLogHook).
  virtual std::vector<std::string> take_logged() = 0;
  // Called once, from the watchdog's thread, when a test has hung, before the
  // suite prints the process's stacks and exits; must not block. Optional: an
  // adapter may print what it knows that those stacks do not show.
  virtual void on_hang() {}
};

// The implementation this binary tests; defined by CF_CONFORMANCE_ADAPTER.
Implementation& implementation();

}  // namespace cf::conformance

#define CF_CONFORMANCE_ADAPTER(Type)                                       \
  ::cf::conformance::Implementation& ::cf::conformance::implementation() { \
    static Type instance;                                                  \
    return instance;                                                       \
  }
