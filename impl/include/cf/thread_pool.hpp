// cf/thread_pool.hpp — Python's ThreadPoolExecutor.
//
// Runs submitted calls on up to max_workers threads, started lazily
// [TPE-LAZY-1], reusing idle ones first [TPE-REUSE-1], never more than
// max_workers [TPE-MAX-1]. Calls start in submission order [TPE-FIFO-1] from
// one FIFO queue; no thread per task. An idle worker spins for at most
// detail::kSpinBudget (tens of microseconds) before it parks, and a submit
// wakes a parked worker only when no idle worker was seen running within
// detail::kAwakeWindow (microseconds), so a call submitted soon after the
// last one starts without a wake-up.
//
// Thread-safety: every method may be called from any thread, concurrently.
// Blocking: submit() never blocks on running work; shutdown(wait=true) and
// the destructor block until queued work is done [SHUT-WAIT-1] [SHUT-DTOR-1].
// Requires: shutdown(wait=true) and the destructor are not called from one of
// this pool's own tasks (a worker cannot join itself; that throws
// std::logic_error).
// Guarantees: every submitted call runs exactly once, or its future is
// cancelled, or (broken pool) fails with BrokenThreadPool; nothing is lost.
// Non-guarantees: a running call is never interrupted; shutdown does not stop
// it [SHUT-CANCEL-1].
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "cf/detail/work_item.hpp"
#include "cf/executor.hpp"
#include "cf/future.hpp"

namespace cf {

class ThreadPoolExecutor {
 public:
  struct Options {
    // None: min(32, cores + 4) [TPE-WORKERS-2]; <= 0 throws [TPE-WORKERS-1].
    std::optional<int> max_workers;
    // Threads are named "{prefix}_{i}"; empty: "ThreadPoolExecutor-{N}" [TPE-NAME-1].
    std::string thread_name_prefix;
    // Runs once at the start of each worker thread [TPE-INIT-1]; if it
    // throws, the pool is broken [TPE-INIT-2] [TPE-INIT-3].
    std::function<void()> initializer;
  };

  ThreadPoolExecutor() : ThreadPoolExecutor(Options{}) {}
  explicit ThreadPoolExecutor(int max_workers) : ThreadPoolExecutor(Options{max_workers, {}, {}}) {}
  // Throws std::invalid_argument("max_workers must be greater than 0").
  explicit ThreadPoolExecutor(Options options);
  // shutdown(wait=true) [SHUT-DTOR-1].
  ~ThreadPoolExecutor();
  ThreadPoolExecutor(const ThreadPoolExecutor&) = delete;
  ThreadPoolExecutor& operator=(const ThreadPoolExecutor&) = delete;

  // Schedules f(args...) and returns its future [EXEC-SUBMIT-1]. f and args
  // are decay-copied and destroyed right after the call. Throws ShutdownError
  // after shutdown [EXEC-SUBMIT-4] and BrokenThreadPool once broken [TPE-INIT-3].
  template <class F, class... Args>
  requires std::invocable<std::decay_t<F>, std::decay_t<Args>...>
  auto submit(F&& f, Args&&... args) {
    using R = std::remove_cvref_t<std::invoke_result_t<std::decay_t<F>, std::decay_t<Args>...>>;
    auto [future, call] =
        detail::make_task<R>(detail::bind_call(std::forward<F>(f), std::forward<Args>(args)...));
    enqueue(std::move(call));
    return future;
  }

  // Python's map(fn, *iterables, timeout=, chunksize=, buffersize=); see
  // cf/executor.hpp. chunksize is validated and ignored, as CPython ignores
  // it for threads [MAP-CHUNK-1].
  template <class F, std::ranges::input_range Inputs>
  auto map(F fn, Inputs&& inputs, MapOptions options = {}) {
    return cf::map(*this, std::move(fn), std::forward<Inputs>(inputs), std::move(options));
  }
  // Two or more ranges, read in step [MAP-ZIP-1]; a cf::MapOptions may follow.
  template <class F, std::ranges::input_range R1, std::ranges::input_range R2, class... Rest>
  auto map(F fn, R1&& first, R2&& second, Rest&&... rest) {
    return cf::map(*this, std::move(fn), std::forward<R1>(first), std::forward<R2>(second),
                   std::forward<Rest>(rest)...);
  }

  // Stops accepting work. cancel_futures cancels every call not yet started
  // [SHUT-CANCEL-1] (and nothing otherwise [SHUT-CANCEL-2]); wait blocks
  // until every other call has finished and the threads have exited
  // [SHUT-WAIT-1], else returns at once and the calls still run
  // [SHUT-NOWAIT-1]. Idempotent [SHUT-IDEM-1].
  void shutdown(bool wait = true, bool cancel_futures = false);

  // True once a worker's initializer has thrown: queued calls failed with
  // BrokenThreadPool and submit throws it [TPE-INIT-2] [EXT-BROKEN-1].
  bool is_broken() const;

  int max_workers() const;
  // Worker threads started so far (introspection for tests) [TPE-MAX-1].
  std::size_t thread_count() const;

  // The full name of the calling pool worker thread, "" elsewhere. The OS
  // name (pthread) is the same, truncated to 15 bytes.
  static std::string_view current_thread_name();
  // min(32, cores + 4) [TPE-WORKERS-2].
  static int default_max_workers();

 private:
  void enqueue(detail::QueuedCall call);
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

static_assert(Executor<ThreadPoolExecutor>);

}  // namespace cf
