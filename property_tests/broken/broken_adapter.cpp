// Deliberately broken implementations: the reference-thread adapter behind a
// wrapper that plants one deviation, chosen at run time by CF_BROKEN=<variant>
// (the column is named broken-<variant>). Each is a deviation a real executor
// could have; impl/ is untouched. Two self-checks use them:
//
// - recall (run_broken.cmake, ctest label selfcheck): a property must catch
//   its bug with a counterexample (or, for a bug only a sanitizer sees, the
//   sanitizer must report it);
// - precision (ci/precision, variants in precision.txt): the whole suite runs
//   against the variant and the report must charge exactly the clauses whose
//   rules the deviation breaks.
//
//   variant                    what is planted
//   cancel-running             cancel() of a running future returns true (and changes nothing)
//   cancel-racy                cancel() checks "pending", then acts, unlocked: right
//                              sequentially, wrong under a race (recall only: timing)
//   cancel-finished-true       cancel() of a finished future returns true (and changes nothing)
//   as-completed-twice         as_completed yields its first future again at the end
//   as-completed-input-order   as_completed yields in input order, each when it is done
//   map-out-of-order           map yields its first two results swapped
//   shutdown-cancels           shutdown() cancels queued calls without being asked
//   callbacks-reversed         callbacks added before completion run newest first
//   callbacks-other-thread     every callback runs on a thread of its own; the thread
//                              that would have run it waits for it (as a blocking
//                              cross-thread dispatch does)
//   done-callback-dropped      a callback added to a done future is never called
//   cancel-skips-callbacks     a successful cancel() runs no callback added before it
//   timeout-early              timed reads do not wait at all (recall only: every
//                              result(bound) of a pending future then times out too)
//   timeout-truncated          timed reads wait whole seconds only: the length is
//                              truncated, so a sub-second timeout polls
//   huge-timeout-zero          a timeout whose deadline overflows the steady clock
//                              reads as zero (a naive now() + timeout), everywhere
//   wait-all-early             wait(ALL_COMPLETED) without a timeout returns at the first
//                              completion
//   first-completed-waits-all  wait(FIRST_COMPLETED) waits for every future
//   first-exception-on-cancel  wait(FIRST_EXCEPTION) also returns at a cancellation
//   wait-duplicates            wait reports a future passed twice under both indices
//   cancelled-not-done-for-waiters
//                              wait and as_completed never count a cancelled future
//                              as done (CPython's, for futures no worker notifies)
//   submit-after-shutdown      submit and map after shutdown run the calls in the
//                              caller's thread (a caller-runs rejection policy)
//   no-queue                   submit refuses a call when every worker is busy (a
//                              pool without a queue, as POCO's)
//   task-error-other-type      a task's error comes back as another type, message
//                              kept (as Boost.Thread's)
//   exception-of-cancelled-none
//                              exception() of a cancelled future returns "no exception"
//   set-result-silent          set_result() on a future that holds a value is ignored,
//                              not refused (an idempotent setter)
//   set-running-twice          set_running_or_notify_cancel() on a running future returns true
//   notify-cancel-once         a second set_running_or_notify_cancel() on a cancelled
//                              future raises (CPython's second cancelled state)
//   running-after-done         running() stays true once a started future finished
//   cancel-does-not-wake       cancel() wakes no blocked reader: a reader learns of
//                              the cancellation only at its own deadline
//   abandon-unstepped-runs     closing a map before its first step cancels nothing
//                              (CPython's generator)
//   buffersize-zero-is-one     map(buffersize=0) runs as buffersize=1
//   nowait-waits               shutdown(wait=false) waits
//   cancel-futures-ignored     shutdown(cancel_futures=true) cancels nothing
//   zero-workers-default       max_workers=0 means the default count
//   negative-workers-one       a negative max_workers means one worker
//   default-workers-cpus       the default worker count is the CPU count (the
//                              process pool's), not min(32, CPUs + 4)
//   thread-names-dashed        workers are named "{prefix}-{i}"
//   initializer-failure-ignored
//                              a failing initializer is ignored: the pool keeps working
//   done-unlocked              done() reads a copy of the state without the lock
//                              that guards it: answers right, yet a data race only
//                              ThreadSanitizer sees (tsan builds only)
//
// Long on purpose: one wrapper per planted variant (about forty, listed below),
// each a few lines beside the reference it wraps; one file keeps the table and
// the code that plants each row together.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include "adapters/reference_thread.hpp"
#include "broken/variants.hpp"

namespace cf::conformance::broken {
namespace {

using Kind = Outcome::Kind;
using namespace std::chrono_literals;

enum class Bug {
  kCancelRunning,
  kCancelRacy,
  kCancelFinishedTrue,
  kAsCompletedTwice,
  kAsCompletedInputOrder,
  kMapOutOfOrder,
  kShutdownCancels,
  kCallbacksReversed,
  kCallbacksOtherThread,
  kDoneCallbackDropped,
  kCancelSkipsCallbacks,
  kTimeoutEarly,
  kTimeoutTruncated,
  kHugeTimeoutZero,
  kWaitAllEarly,
  kFirstCompletedWaitsAll,
  kFirstExceptionOnCancel,
  kWaitDuplicates,
  kCancelledNotDoneForWaiters,
  kSubmitAfterShutdown,
  kNoQueue,
  kTaskErrorOtherType,
  kExceptionOfCancelledNone,
  kSetResultSilent,
  kSetRunningTwice,
  kNotifyCancelOnce,
  kRunningAfterDone,
  kCancelDoesNotWake,
  kAbandonUnsteppedRuns,
  kBuffersizeZeroIsOne,
  kNoWaitWaits,
  kCancelFuturesIgnored,
  kZeroWorkersDefault,
  kNegativeWorkersOne,
  kDefaultWorkersCpus,
  kThreadNamesDashed,
  kInitializerFailureIgnored,
#ifdef CF_BROKEN_DATA_RACE
  kDoneUnlocked,
#endif
};

constexpr std::pair<const char*, Bug> kBugNames[] = {
    {"cancel-running", Bug::kCancelRunning},
    {"cancel-racy", Bug::kCancelRacy},
    {"cancel-finished-true", Bug::kCancelFinishedTrue},
    {"as-completed-twice", Bug::kAsCompletedTwice},
    {"as-completed-input-order", Bug::kAsCompletedInputOrder},
    {"map-out-of-order", Bug::kMapOutOfOrder},
    {"shutdown-cancels", Bug::kShutdownCancels},
    {"callbacks-reversed", Bug::kCallbacksReversed},
    {"callbacks-other-thread", Bug::kCallbacksOtherThread},
    {"done-callback-dropped", Bug::kDoneCallbackDropped},
    {"cancel-skips-callbacks", Bug::kCancelSkipsCallbacks},
    {"timeout-early", Bug::kTimeoutEarly},
    {"timeout-truncated", Bug::kTimeoutTruncated},
    {"huge-timeout-zero", Bug::kHugeTimeoutZero},
    {"wait-all-early", Bug::kWaitAllEarly},
    {"first-completed-waits-all", Bug::kFirstCompletedWaitsAll},
    {"first-exception-on-cancel", Bug::kFirstExceptionOnCancel},
    {"wait-duplicates", Bug::kWaitDuplicates},
    {"cancelled-not-done-for-waiters", Bug::kCancelledNotDoneForWaiters},
    {"submit-after-shutdown", Bug::kSubmitAfterShutdown},
    {"no-queue", Bug::kNoQueue},
    {"task-error-other-type", Bug::kTaskErrorOtherType},
    {"exception-of-cancelled-none", Bug::kExceptionOfCancelledNone},
    {"set-result-silent", Bug::kSetResultSilent},
    {"set-running-twice", Bug::kSetRunningTwice},
    {"notify-cancel-once", Bug::kNotifyCancelOnce},
    {"running-after-done", Bug::kRunningAfterDone},
    {"cancel-does-not-wake", Bug::kCancelDoesNotWake},
    {"abandon-unstepped-runs", Bug::kAbandonUnsteppedRuns},
    {"buffersize-zero-is-one", Bug::kBuffersizeZeroIsOne},
    {"nowait-waits", Bug::kNoWaitWaits},
    {"cancel-futures-ignored", Bug::kCancelFuturesIgnored},
    {"zero-workers-default", Bug::kZeroWorkersDefault},
    {"negative-workers-one", Bug::kNegativeWorkersOne},
    {"default-workers-cpus", Bug::kDefaultWorkersCpus},
    {"thread-names-dashed", Bug::kThreadNamesDashed},
    {"initializer-failure-ignored", Bug::kInitializerFailureIgnored},
#ifdef CF_BROKEN_DATA_RACE
    {"done-unlocked", Bug::kDoneUnlocked},
#endif
};

// --- timeouts -------------------------------------------------------------------

Timeout poll() { return Timeout(std::chrono::nanoseconds(0)); }

// The length as written, in seconds (cf's reading where none was written).
long double seconds_of(const Timeout& t) {
  if (!t.has_raw()) return std::chrono::duration<long double>(t.length()).count();
  return std::visit(
      [](auto d) -> long double {
        if constexpr (std::is_same_v<decltype(d), std::monostate>) {
          return 0;
        } else {
          return std::chrono::duration<long double>(d).count();
        }
      },
      t.raw());
}

// timeout-early: a read that only halved its wait would be caught only when
// the halved wait did not oversleep the whole timeout, and on a loaded machine
// it often does; a read that does not wait at all is early however loaded the
// machine is.
Timeout not_waited(Timeout t) {
  if (t.is_none() || t.length() <= Clock::duration::zero()) return t;
  return poll();
}

// timeout-truncated: whole seconds only (a duration_cast to seconds).
Timeout truncated(Timeout t) {
  if (t.is_none()) return t;
  return Timeout(std::chrono::duration_cast<std::chrono::seconds>(t.length()));
}

// huge-timeout-zero: now() + timeout in nanoseconds of the steady clock
// wraps around, into the past, for any length beyond what is left of its range.
Timeout overflowed(Timeout t) {
  if (!t.has_raw()) return t;
  const long double seconds = seconds_of(t);
  if (std::isnan(seconds) || seconds <= 0) return t;
  const auto now = Clock::now().time_since_epoch().count();
  const long double room = static_cast<long double>(std::numeric_limits<Clock::rep>::max() - now);
  return seconds * 1e9L >= room ? poll() : t;
}

Deadline deadline_of(const Timeout& t) { return t.deadline(); }
Timeout left_until(const Deadline& d) {
  return d.is_never() ? Timeout::none() : Timeout(d.remaining());
}

// Blocks until `d` passes (forever for never()): a waiter nothing will wake.
void block_until(const Deadline& d) {
  std::mutex m;
  std::condition_variable nobody;
  std::unique_lock lock(m);
  if (d.is_never()) {
    nobody.wait(lock, [] { return false; });
  } else {
    nobody.wait_until(lock, d.when(), [] { return false; });
  }
}

// --- the future --------------------------------------------------------------------

class BrokenFuture final : public Future {
 public:
  // `from_task`: the future of a submitted call (not one made with make_future).
  BrokenFuture(FuturePtr inner, Bug bug, bool from_task)
      : inner_(std::move(inner)), bug_(bug), from_task_(from_task) {
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
    if (bug_ == Bug::kCancelFinishedTrue && inner_->done() && !inner_->cancelled()) return true;
    if (bug_ == Bug::kCancelRacy) {
      bool pending = !inner_->running() && !inner_->done();
      // The window between the check and the act, widened so a race meets it.
      std::this_thread::sleep_for(std::chrono::microseconds(200));
      return inner_->cancel() || pending;
    }
    return inner_->cancel();
  }
  bool cancelled() override { return inner_->cancelled(); }
  bool running() override {
    if (bug_ == Bug::kRunningAfterDone && started() && inner_->done() && !inner_->cancelled()) {
      return true;
    }
    return inner_->running();
  }
  bool done() override {
#ifdef CF_BROKEN_DATA_RACE
    // ...and read here without it: nothing orders this read after that write.
    if (bug_ == Bug::kDoneUnlocked && copy_->done) return true;
#endif
    return inner_->done();
  }
  Outcome result(Timeout t) override { return read(t, false); }
  Outcome exception(Timeout t) override { return read(t, true); }

  void add_done_callback(std::function<void(const CallbackEvent&)> callback) override {
    if (bug_ == Bug::kTaskErrorOtherType && from_task_) {
      callback = [callback = std::move(callback)](const CallbackEvent& event) {
        CallbackEvent seen = event;
        seen.result = other_type(event.result);
        callback(seen);
      };
    }
    switch (bug_) {
      case Bug::kCallbacksReversed:
        return add_reversed(std::move(callback));
      case Bug::kCallbacksOtherThread:
        return inner_->add_done_callback(on_a_thread_of_its_own(std::move(callback)));
      case Bug::kDoneCallbackDropped:
        if (inner_->done()) return;
        break;
      case Bug::kCancelSkipsCallbacks:
        if (!inner_->done()) {
          return inner_->add_done_callback(
              [callback = std::move(callback)](const CallbackEvent& event) {
                if (!event.cancelled) callback(event);
              });
        }
        break;
      default:
        break;
    }
    inner_->add_done_callback(std::move(callback));
  }

  Outcome set_running_or_notify_cancel() override {
    Outcome o = inner_->set_running_or_notify_cancel();
    if (bug_ == Bug::kNotifyCancelOnce && o.is(Kind::kValue) && o.value == 0 && notified_++ > 0) {
      return Outcome::error(Kind::kInvalidState, "Future in unexpected state");
    }
    if (bug_ == Bug::kSetRunningTwice && o.is(Kind::kInvalidState) && inner_->running()) {
      return Outcome::of_value(1);
    }
    if (o.is(Kind::kValue) && o.value == 1) set_running_ = true;
    return o;
  }
  Outcome set_result(std::int64_t value) override {
    Outcome o = inner_->set_result(value);
    // Ignored where a value is already set (an idempotent setter); refused
    // on a cancelled future or one holding an exception.
    if (bug_ == Bug::kSetResultSilent && o.is(Kind::kInvalidState) &&
        inner_->result(poll()).is(Kind::kValue)) {
      return {};
    }
    return o;
  }
  Outcome set_exception(const std::string& message) override {
    return inner_->set_exception(message);
  }

  const FuturePtr& inner() const { return inner_; }

  // task-error-other-type: the task's error as another type, message kept.
  static Outcome other_type(Outcome o) {
    if (o.is(Kind::kTaskError)) o.kind = Kind::kOther;
    return o;
  }

 private:
  // A finished task, or a raw future set running through this wrapper.
  bool started() const { return from_task_ || set_running_; }

  Outcome read(Timeout t, bool exception) {
    if (bug_ == Bug::kTimeoutEarly) t = not_waited(t);
    if (bug_ == Bug::kTimeoutTruncated) t = truncated(t);
    if (bug_ == Bug::kHugeTimeoutZero) t = overflowed(t);
    Outcome o = bug_ == Bug::kCancelDoesNotWake ? read_unwoken(t, exception)
                : exception                     ? inner_->exception(t)
                                                : inner_->result(t);
    if (bug_ == Bug::kTaskErrorOtherType && from_task_) o = other_type(o);
    if (bug_ == Bug::kExceptionOfCancelledNone && exception && o.is(Kind::kCancelled)) return {};
    return o;
  }

  // cancel-does-not-wake: a reader waits for an outcome to be set; a cancel
  // does not tell it, so it learns of it only when its own deadline passes.
  Outcome read_unwoken(Timeout t, bool exception) {
    auto now = [&] { return exception ? inner_->exception(poll()) : inner_->result(poll()); };
    if (inner_->done()) return now();
    std::call_once(set_->registered, [&] {
      inner_->add_done_callback([set = set_](const CallbackEvent& event) {
        if (event.cancelled) return;
        {
          std::lock_guard lock(set->mutex);
          set->done = true;
        }
        set->changed.notify_all();
      });
    });
    const Deadline deadline = deadline_of(t);
    std::unique_lock lock(set_->mutex);
    if (deadline.is_never()) {
      set_->changed.wait(lock, [&] { return set_->done; });
    } else {
      set_->changed.wait_until(lock, deadline.when(), [&] { return set_->done; });
    }
    lock.unlock();
    return now();
  }

  // callbacks-other-thread: the callback runs on a new thread, which the
  // calling thread joins; what it throws is rethrown to the inner future,
  // which logs it.
  static std::function<void(const CallbackEvent&)> on_a_thread_of_its_own(
      std::function<void(const CallbackEvent&)> callback) {
    return [callback = std::move(callback)](const CallbackEvent& event) {
      std::exception_ptr thrown;
      std::thread([&] {
        CallbackEvent seen = event;
        seen.thread_token = this_thread_token();
        try {
          callback(seen);
        } catch (...) {
          thrown = std::current_exception();
        }
      }).join();
      if (thrown) std::rethrow_exception(thrown);
    };
  }

  // callbacks-reversed: callbacks added before completion are kept here and
  // run, newest first, by one callback registered on the real future. One
  // added once the future is done runs at once, in the adding thread, even
  // while the completing thread has yet to run the kept ones, so that only
  // the order is wrong [FUT-CB-3].
  void add_reversed(std::function<void(const CallbackEvent&)> callback) {
    std::unique_lock lock(reversed_->mutex);
    if (reversed_->fired || inner_->done()) {
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
      // Each one's exception logged on its own, as the future does, so that
      // only the order is wrong [FUT-CB-4].
      for (auto it = run.rbegin(); it != run.rend(); ++it) {
        try {
          (*it)(event);
        } catch (const std::exception& e) {
          cf::log(LogLevel::kError,
                  std::string("exception calling callback for future: ") + e.what());
        } catch (...) {
          cf::log(LogLevel::kError, "exception calling callback for future: unknown exception");
        }
      }
    });
  }

  struct Reversed {
    std::mutex mutex;
    bool fired = false;
    std::vector<std::function<void(const CallbackEvent&)>> pending;
  };
  struct OutcomeSet {
    std::once_flag registered;
    std::mutex mutex;
    std::condition_variable changed;
    bool done = false;  // an outcome was set (a cancel does not count)
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
  bool from_task_;
  std::atomic<bool> set_running_{false};
  std::atomic<int> notified_{0};
  std::shared_ptr<Reversed> reversed_ = std::make_shared<Reversed>();
  std::shared_ptr<OutcomeSet> set_ = std::make_shared<OutcomeSet>();
};

FuturePtr wrap(FuturePtr f, Bug bug, bool from_task) {
  return std::make_shared<BrokenFuture>(std::move(f), bug, from_task);
}

FuturePtr unwrap(const FuturePtr& f) { return dynamic_cast<BrokenFuture&>(*f).inner(); }

std::vector<FuturePtr> unwrap(const std::vector<FuturePtr>& fs) {
  std::vector<FuturePtr> out;
  for (const auto& f : fs) out.push_back(unwrap(f));
  return out;
}

// --- map runs ---------------------------------------------------------------------

// map-out-of-order: the first two results swapped.
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

// task-error-other-type: every step's task error as another type.
class OtherTypeMap final : public MapRun {
 public:
  explicit OtherTypeMap(std::unique_ptr<MapRun> inner) : inner_(std::move(inner)) {}
  std::optional<Outcome> next() override {
    auto o = inner_->next();
    if (o) o = BrokenFuture::other_type(*o);
    return o;
  }
  void close() override { inner_->close(); }

 private:
  std::unique_ptr<MapRun> inner_;
};

// abandon-unstepped-runs: a run closed or dropped before its first step is
// parked instead (its calls run on), and dropped once the executor has drained.
struct Parking {
  std::mutex mutex;
  std::vector<std::unique_ptr<MapRun>> runs;
  void park(std::unique_ptr<MapRun> run) {
    std::lock_guard lock(mutex);
    runs.push_back(std::move(run));
  }
  void clear() {
    std::vector<std::unique_ptr<MapRun>> drop;
    {
      std::lock_guard lock(mutex);
      drop.swap(runs);
    }
  }
};

class ParkedMap final : public MapRun {
 public:
  ParkedMap(std::unique_ptr<MapRun> inner, std::shared_ptr<Parking> parking)
      : inner_(std::move(inner)), parking_(std::move(parking)) {}
  ~ParkedMap() override { park(); }
  std::optional<Outcome> next() override {
    stepped_ = true;
    return inner_ ? inner_->next() : std::nullopt;
  }
  void close() override {
    if (!stepped_) return park();
    if (inner_) inner_->close();
  }

 private:
  void park() {
    if (!stepped_ && inner_) parking_->park(std::move(inner_));
  }
  std::unique_ptr<MapRun> inner_;
  std::shared_ptr<Parking> parking_;
  bool stepped_ = false;
};

// submit-after-shutdown: a map over calls run in the caller's thread, at the
// call (or one per step for an endless input); it ends at the first error.
class CallerMap final : public MapRun {
 public:
  CallerMap(Lab& lab, std::function<std::optional<Probe>()> input, bool eager)
      : lab_(lab), input_(std::move(input)) {
    if (eager) {
      while (auto o = step()) done_.push_back(*o);
    }
  }
  std::optional<Outcome> next() override {
    if (!done_.empty()) {
      auto o = done_.front();
      done_.erase(done_.begin());
      return o;
    }
    return step();
  }
  void close() override { ended_ = true; }

 private:
  std::optional<Outcome> step() {
    if (ended_) return std::nullopt;
    auto probe = input_();
    if (!probe) {
      ended_ = true;
      return std::nullopt;
    }
    auto o = run_in_caller(lab_, *probe);
    if (!o.is(Kind::kValue)) ended_ = true;
    return o;
  }

 public:
  static Outcome run_in_caller(Lab& lab, const Probe& probe) {
    try {
      return Outcome::of_value(run_probe(lab, probe, this_thread_token()));
    } catch (const ProbeError& e) {
      return Outcome::error(Kind::kTaskError, e.what());
    }
  }

 private:
  Lab& lab_;
  std::function<std::optional<Probe>()> input_;
  std::vector<Outcome> done_;
  bool ended_ = false;
};

// --- as_completed runs -------------------------------------------------------------

// as-completed-twice: the first future yielded comes again at the end.
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

// The distinct futures of `fs` (inner), each under its first index.
std::vector<std::size_t> first_indices(const std::vector<FuturePtr>& fs) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < fs.size(); ++i) {
    bool seen = false;
    for (auto j : out) seen = seen || fs[j] == fs[i];
    if (!seen) out.push_back(i);
  }
  return out;
}

std::string unfinished_message(std::size_t n, std::size_t m) {
  return std::to_string(n) + " (of " + std::to_string(m) + ") futures unfinished";
}

// as-completed-input-order: each future, in input order, once it is done.
class InputOrderAsCompleted final : public AsCompletedRun {
 public:
  InputOrderAsCompleted(Implementation& inner, std::vector<FuturePtr> fs, Timeout timeout)
      : inner_(inner),
        fs_(std::move(fs)),
        left_(first_indices(fs_)),
        total_(left_.size()),
        deadline_(deadline_of(timeout)) {}

  std::optional<std::size_t> next() override {
    if (left_.empty()) return std::nullopt;
    auto i = left_.front();
    inner_.wait({fs_[i]}, ReturnWhen::kAllCompleted, left_until(deadline_));
    if (!fs_[i]->done()) {
      std::size_t unfinished = 0;
      for (auto j : left_) unfinished += fs_[j]->done() ? 0 : 1;
      throw Raised(Outcome::error(Kind::kTimeout, unfinished_message(unfinished, total_)));
    }
    left_.erase(left_.begin());
    return i;
  }

 private:
  Implementation& inner_;
  std::vector<FuturePtr> fs_;
  std::vector<std::size_t> left_;
  std::size_t total_;
  Deadline deadline_;
};

// cancelled-not-done-for-waiters: the inner run without its cancelled
// futures: they are never yielded, so a run that has one ends only at its
// deadline (never, without one).
class UncancelledAsCompleted final : public AsCompletedRun {
 public:
  UncancelledAsCompleted(std::unique_ptr<AsCompletedRun> inner, std::vector<FuturePtr> fs,
                         Timeout timeout)
      : inner_(std::move(inner)),
        fs_(std::move(fs)),
        total_(first_indices(fs_).size()),
        deadline_(deadline_of(timeout)) {}

  std::optional<std::size_t> next() override {
    for (;;) {
      std::optional<std::size_t> i;
      try {
        i = inner_->next();
      } catch (const Raised& raised) {
        if (!raised.outcome.is(Kind::kTimeout)) throw;
        throw Raised(Outcome::error(Kind::kTimeout, unfinished_message(total_ - yielded_, total_)));
      }
      if (!i) {
        if (yielded_ == total_) return std::nullopt;
        block_until(deadline_);
        throw Raised(Outcome::error(Kind::kTimeout, unfinished_message(total_ - yielded_, total_)));
      }
      if (fs_[*i]->cancelled()) continue;
      ++yielded_;
      return i;
    }
  }

 private:
  std::unique_ptr<AsCompletedRun> inner_;
  std::vector<FuturePtr> fs_;
  std::size_t total_;
  std::size_t yielded_ = 0;
  Deadline deadline_;
};

// --- the executor ------------------------------------------------------------------

class BrokenExecutor final : public Executor {
 public:
  BrokenExecutor(std::unique_ptr<Executor> inner, Implementation& impl, Bug bug, Lab& lab)
      : inner_(std::move(inner)),
        impl_(impl),
        bug_(bug),
        lab_(lab),
        workers_(inner_->max_workers()) {}

  FuturePtr submit(const Probe& probe) override {
    if (bug_ == Bug::kSubmitAfterShutdown && shut_down_) {
      return wrap(run_in_caller(probe), bug_, true);
    }
    if (bug_ == Bug::kNoQueue) return submit_without_queue(probe);
    return wrap(inner_->submit(probe), bug_, true);
  }
  std::unique_ptr<MapRun> map(const std::vector<Probe>& probes, const MapSpec& spec) override {
    if (bug_ == Bug::kSubmitAfterShutdown && shut_down_ && !probes.empty()) {
      auto next = std::make_shared<std::size_t>(0);
      return std::make_unique<CallerMap>(
          lab_,
          [probes, next]() -> std::optional<Probe> {
            if (*next == probes.size()) return std::nullopt;
            return probes[(*next)++];
          },
          true);
    }
    return broken_map(inner_->map(probes, adjusted(spec)));
  }
  std::unique_ptr<MapRun> map_endless(std::function<Probe(std::int64_t)> make,
                                      const MapSpec& spec) override {
    if (bug_ == Bug::kSubmitAfterShutdown && shut_down_) {
      auto next = std::make_shared<std::int64_t>(0);
      return std::make_unique<CallerMap>(
          lab_, [make, next]() -> std::optional<Probe> { return make((*next)++); }, false);
    }
    return broken_map(inner_->map_endless(std::move(make), adjusted(spec)));
  }
  void shutdown(bool wait, bool cancel_futures) override {
    shut_down_ = true;
    if (bug_ == Bug::kShutdownCancels) cancel_futures = true;
    if (bug_ == Bug::kCancelFuturesIgnored) cancel_futures = false;
    if (bug_ == Bug::kNoWaitWaits) wait = true;
    inner_->shutdown(wait, cancel_futures);
    if (wait) parking_->clear();  // every parked run's calls have run
  }
  std::size_t thread_count() override { return inner_->thread_count(); }
  int max_workers() override { return inner_->max_workers(); }

 private:
  FuturePtr run_in_caller(const Probe& probe) {
    auto f = impl_.make_future();
    f->set_running_or_notify_cancel();
    auto o = CallerMap::run_in_caller(lab_, probe);
    if (o.is(Kind::kValue)) {
      f->set_result(o.value);
    } else {
      f->set_exception(o.message);
    }
    return f;
  }

  FuturePtr submit_without_queue(const Probe& probe) {
    std::lock_guard lock(busy_mutex_);
    // A worker is busy while its call's future is not done.
    std::erase_if(busy_, [](const FuturePtr& f) { return f->done(); });
    if (static_cast<int>(busy_.size()) >= workers_) {
      throw Raised(Outcome::error(Kind::kOther, "no idle thread: every worker is busy"));
    }
    auto f = inner_->submit(probe);
    busy_.push_back(f);
    return wrap(std::move(f), bug_, true);
  }

  MapSpec adjusted(MapSpec spec) const {
    if (bug_ == Bug::kBuffersizeZeroIsOne && spec.buffersize == std::size_t{0}) spec.buffersize = 1;
    if (bug_ == Bug::kHugeTimeoutZero) spec.timeout = overflowed(spec.timeout);
    return spec;
  }

  std::unique_ptr<MapRun> broken_map(std::unique_ptr<MapRun> run) {
    switch (bug_) {
      case Bug::kMapOutOfOrder:
        return std::make_unique<SwappedMap>(std::move(run));
      case Bug::kTaskErrorOtherType:
        return std::make_unique<OtherTypeMap>(std::move(run));
      case Bug::kAbandonUnsteppedRuns:
        return std::make_unique<ParkedMap>(std::move(run), parking_);
      default:
        return run;
    }
  }

  // Declared first, destroyed last: parked runs outlive the draining inner executor.
  std::shared_ptr<Parking> parking_ = std::make_shared<Parking>();
  std::unique_ptr<Executor> inner_;
  Implementation& impl_;
  Bug bug_;
  Lab& lab_;
  int workers_;
  std::atomic<bool> shut_down_{false};
  std::mutex busy_mutex_;
  std::vector<FuturePtr> busy_;
};

// --- the implementation ------------------------------------------------------------

int cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) return std::max(1, CPU_COUNT(&set));
  return 1;
}

class Broken final : public Implementation {
 public:
  Broken(Bug bug, std::string column) : bug_(bug), column_(std::move(column)) {}
  std::string name() const override { return column_; }
  std::string about() const override {
    return "cf::ThreadPoolExecutor with one planted deviation "
           "(property_tests/broken/broken_adapter.cpp)";
  }
  Caps caps() const override { return inner_.caps(); }

  std::unique_ptr<Executor> make_executor(Lab& lab, const ExecutorSpec& given) override {
    ExecutorSpec spec = given;
    if (bug_ == Bug::kZeroWorkersDefault && spec.max_workers == 0) spec.max_workers.reset();
    if (bug_ == Bug::kNegativeWorkersOne && spec.max_workers && *spec.max_workers < 0) {
      spec.max_workers = 1;
    }
    if (bug_ == Bug::kDefaultWorkersCpus && !spec.max_workers) spec.max_workers = cpus();
    if (bug_ == Bug::kInitializerFailureIgnored && spec.initializer)
      spec.initializer->fails = false;
    return std::make_unique<BrokenExecutor>(inner_.make_executor(lab, spec), inner_, bug_, lab);
  }
  FuturePtr make_future() override { return wrap(inner_.make_future(), bug_, false); }

  WaitSplit wait(const std::vector<FuturePtr>& futures, ReturnWhen when, Timeout timeout) override {
    if (bug_ == Bug::kHugeTimeoutZero) timeout = overflowed(timeout);
    if (bug_ == Bug::kWaitAllEarly && when == ReturnWhen::kAllCompleted && timeout.is_none()) {
      when = ReturnWhen::kFirstCompleted;
    }
    if (bug_ == Bug::kFirstCompletedWaitsAll && when == ReturnWhen::kFirstCompleted) {
      when = ReturnWhen::kAllCompleted;
    }
    auto fs = unwrap(futures);
    if (bug_ == Bug::kCancelledNotDoneForWaiters) return wait_uncancelled(fs, when, timeout);
    if (bug_ == Bug::kFirstExceptionOnCancel && when == ReturnWhen::kFirstException) {
      return wait_first_exception_or_cancel(fs, timeout);
    }
    auto split = inner_.wait(fs, when, timeout);
    if (bug_ == Bug::kWaitDuplicates) split = with_duplicates(fs, split);
    return split;
  }

  std::unique_ptr<AsCompletedRun> as_completed(const std::vector<FuturePtr>& futures,
                                               Timeout timeout) override {
    if (bug_ == Bug::kHugeTimeoutZero) timeout = overflowed(timeout);
    auto fs = unwrap(futures);
    if (bug_ == Bug::kAsCompletedInputOrder) {
      return std::make_unique<InputOrderAsCompleted>(inner_, std::move(fs), timeout);
    }
    auto run = inner_.as_completed(fs, timeout);
    if (bug_ == Bug::kAsCompletedTwice) return std::make_unique<TwiceAsCompleted>(std::move(run));
    if (bug_ == Bug::kCancelledNotDoneForWaiters) {
      return std::make_unique<UncancelledAsCompleted>(std::move(run), std::move(fs), timeout);
    }
    return run;
  }

  std::int64_t thread_token() override { return inner_.thread_token(); }
  std::string thread_name_of(std::int64_t token) override {
    auto name = inner_.thread_name_of(token);
    if (bug_ == Bug::kThreadNamesDashed) {
      auto underscore = name.rfind('_');
      if (underscore != std::string::npos) name[underscore] = '-';
    }
    return name;
  }
  std::vector<std::string> take_logged() override { return inner_.take_logged(); }

 private:
  // wait() with `counts` deciding which done futures are done for it and
  // `met` the return rule, re-read after each completion (the inner
  // wait(FIRST_COMPLETED)) until it holds or the deadline passes.
  template <class Counts, class Met>
  WaitSplit wait_loop(const std::vector<FuturePtr>& fs, Timeout timeout, Counts counts, Met met) {
    const Deadline deadline = deadline_of(timeout);
    for (;;) {
      WaitSplit split;
      std::vector<FuturePtr> pending;
      bool failed = false;
      bool cancelled = false;
      for (auto i : first_indices(fs)) {
        const auto& f = fs[i];
        if (f->done() && counts(f)) {
          split.done.push_back(i);
          failed = failed || (!f->cancelled() && f->exception(poll()).is(Kind::kTaskError));
        } else {
          split.not_done.push_back(i);
          if (!f->done()) pending.push_back(f);
        }
        cancelled = cancelled || f->cancelled();
      }
      if (met(split, failed, cancelled) || deadline.passed()) return split;
      if (pending.empty()) {
        block_until(deadline);
      } else {
        inner_.wait(pending, ReturnWhen::kFirstCompleted, left_until(deadline));
      }
    }
  }

  WaitSplit wait_uncancelled(const std::vector<FuturePtr>& fs, ReturnWhen when, Timeout timeout) {
    return wait_loop(
        fs, timeout, [](const FuturePtr& f) { return !f->cancelled(); },
        [when](const WaitSplit& split, bool failed, bool) {
          return split.not_done.empty() ||
                 (when == ReturnWhen::kFirstCompleted && !split.done.empty()) ||
                 (when == ReturnWhen::kFirstException && failed);
        });
  }

  WaitSplit wait_first_exception_or_cancel(const std::vector<FuturePtr>& fs, Timeout timeout) {
    return wait_loop(
        fs, timeout, [](const FuturePtr&) { return true; },
        [](const WaitSplit& split, bool failed, bool cancelled) {
          return split.not_done.empty() || failed || cancelled;
        });
  }

  // wait-duplicates: every index of a future, not only its first.
  static WaitSplit with_duplicates(const std::vector<FuturePtr>& fs, const WaitSplit& split) {
    WaitSplit out;
    for (std::size_t i = 0; i < fs.size(); ++i) {
      std::size_t first = 0;
      while (fs[first] != fs[i]) ++first;
      bool done = std::find(split.done.begin(), split.done.end(), first) != split.done.end();
      (done ? out.done : out.not_done).push_back(i);
    }
    return out;
  }

  ReferenceThread inner_;
  Bug bug_;
  std::string column_;
};

}  // namespace

std::unique_ptr<Implementation> make_broken(const std::string& variant) {
  for (const auto& [name, bug] : kBugNames) {
    if (variant == name) return std::make_unique<Broken>(bug, "broken-" + variant);
  }
  return nullptr;
}

std::vector<std::string> broken_variants() {
  std::vector<std::string> out;
  for (const auto& [name, bug] : kBugNames) out.emplace_back(name);
  return out;
}

}  // namespace cf::conformance::broken
