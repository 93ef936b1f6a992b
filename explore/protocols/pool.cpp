// The thread pool's protocols: workers going idle and being notified, idle
// reuse, shutdown against submit and running work, the destructor's drain,
// a failing initializer, explored. The pool's workers are tasks of the
// scheduler like the actors.
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "cf/detail/sync.hpp"
#include "cf/future.hpp"
#include "cf/thread_pool.hpp"
#include "protocol.hpp"

namespace cf::explore {
namespace {

namespace sync = detail::sync;

// Two workers, both started and back to idle (one may still spin), made
// without exploring how: the protocols race what happens next.
void warm_up(ThreadPoolExecutor& pool) {
  setup([&] {
    auto x = pool.submit([] { return 0; });
    auto y = pool.submit([] { return 0; });
    x.result();
    y.result();
  });
}

// A client submits, to a pool whose two workers have gone idle, a call that
// waits for the next one's result, then that next call. Both must start, so
// the waiting one is released: an idle worker is woken for each [TPE-MAX-1].
void idle_notify() {
  ThreadPoolExecutor pool(2);
  warm_up(pool);
  Future<int> gate;
  auto waiter = pool.submit([gate] { return gate.result() + 1; });
  auto opener = pool.submit([gate] {
    gate.set_result(1);
    return 0;
  });
  check(waiter.result() == 2 && opener.result() == 0, "EXEC-SUBMIT-1",
        "a call did not return its value");
  check(pool.thread_count() == 2, "TPE-MAX-1",
        "the pool started " + std::to_string(pool.thread_count()) + " threads, not 2");
}

CF_EXPLORE_PROTOCOL(
    "pool.idle_notify", "TPE-MAX-1 TPE-REUSE-1 EXEC-SUBMIT-1",
    "a client submits two calls, the first waiting for the second, while the two idle workers "
    "spin, park and wake: each call is taken by a woken worker, none waits for a busy one "
    "[TPE-MAX-1] [TPE-REUSE-1] [EXEC-SUBMIT-1]",
    3, Bounds{2, 1, 20000}, idle_notify);

// A client submits, waits, submits again; a canceller cancels the second
// call. The one worker serves both: a caller who submits as soon as
// result() returns finds it idle [TPE-REUSE-1].
void idle_reuse() {
  ThreadPoolExecutor pool(2);
  std::optional<Future<int>> second;
  Future<int> handed;  // passes the second future to the canceller
  bool second_cancelled = false;
  run_actors({
      [&] {
        pool.submit([] { return 1; }).result();
        second = pool.submit([] { return 2; });
        handed.set_result(0);
        try {
          second->result();
        } catch (const CancelledError&) {
          second_cancelled = true;
        }
      },
      [&] {
        handed.result();
        second->cancel();
      },
  });
  check(pool.thread_count() == 1, "TPE-REUSE-1",
        "sequential submit-then-wait started " + std::to_string(pool.thread_count()) + " threads");
  check(second_cancelled == second->cancelled(), "FUT-RESULT-3",
        "result() disagrees with cancelled()");
}

CF_EXPLORE_PROTOCOL(
    "pool.idle_reuse", "TPE-REUSE-1 TPE-LAZY-1 FUT-RESULT-3",
    "submit, result(), submit again while a canceller races the second call: one worker "
    "serves both, counted idle before its result is published [TPE-REUSE-1] [TPE-LAZY-1]",
    3, Bounds{2, 1, 20000}, idle_reuse);

// shutdown(wait=true, cancel_futures=true) by the main thread while a
// client submits two calls, to a pool whose two workers are idle.
void shutdown_vs_submit() {
  ThreadPoolExecutor pool(2);
  warm_up(pool);
  std::vector<Future<int>> accepted;
  int ran = 0, refused = 0;
  bool shutdown_started = false, refused_before_shutdown = false;
  sync::Thread client([&] {
    for (int i = 0; i < 2; ++i) {
      try {
        accepted.push_back(pool.submit([&ran] { return ++ran; }));
      } catch (const ShutdownError&) {
        ++refused;
        refused_before_shutdown = refused_before_shutdown || !shutdown_started;
      }
    }
  });
  shutdown_started = true;
  pool.shutdown(true, true);
  client.join();
  check(!refused_before_shutdown, "EXEC-SUBMIT-4", "a submit was refused before shutdown began");
  int cancelled = 0;
  for (auto& f : accepted) {
    check(f.done(), "SHUT-WAIT-1", "an accepted call is not done after shutdown(wait=true)");
    cancelled += f.cancelled();
  }
  check(ran + cancelled == static_cast<int>(accepted.size()), "SHUT-CANCEL-1",
        "of " + std::to_string(accepted.size()) + " accepted calls " + std::to_string(ran) +
            " ran and " + std::to_string(cancelled) + " were cancelled");
}

CF_EXPLORE_PROTOCOL(
    "pool.shutdown_vs_submit", "SHUT-CANCEL-1 SHUT-WAIT-1 EXEC-SUBMIT-4",
    "shutdown(wait=true, cancel_futures=true) against a client's submits, with two idle "
    "workers to wake and calls starting meanwhile: every accepted call runs or is cancelled, "
    "a refused submit came after shutdown began, shutdown returns [SHUT-CANCEL-1] "
    "[SHUT-WAIT-1] [EXEC-SUBMIT-4]",
    4, Bounds{2, 1, 20000}, shutdown_vs_submit);

// shutdown(wait=false, cancel_futures=true) while a call runs and one is
// queued; the queued call's done-callback asks the pool for its threads.
// Everything ends once the running call is released.
void shutdown_nowait() {
  auto pool = std::make_shared<ThreadPoolExecutor>(1);
  Future<int> gate, started;
  auto running = pool->submit([gate, started] {
    started.set_result(0);
    return gate.result();
  });
  started.result();  // running, so shutdown cannot cancel it
  auto queued = pool->submit([] { return 2; });
  queued.add_done_callback([pool](const Future<int>&) { (void)pool->thread_count(); });
  run_actors({
      [&] { pool->shutdown(false, true); },
      [&] { gate.set_result(1); },
  });
  at_quiescence([pool, running, queued] {
    check(running.result() == 1, "SHUT-NOWAIT-1",
          "the running call did not finish after shutdown(wait=false)");
    check(queued.done(), "SHUT-CANCEL-1", "the queued call is neither cancelled nor run");
    check(queued.cancelled() || queued.result() == 2, "SHUT-CANCEL-1",
          "the queued call has no outcome");
  });
}

CF_EXPLORE_PROTOCOL(
    "pool.shutdown_nowait", "SHUT-NOWAIT-1 SHUT-CANCEL-1 FUT-CB-5",
    "shutdown(wait=false, cancel_futures=true) returns while a call runs; the queued call is "
    "cancelled (its callback may call into the pool) or ran, and every worker ends "
    "[SHUT-NOWAIT-1] [SHUT-CANCEL-1] [FUT-CB-5]",
    3, Bounds{2, 1, 20000}, shutdown_nowait);

// Two clients submit to a two-worker pool that is destroyed at once: the
// destructor drains the queue [SHUT-DTOR-1].
void destructor_drain() {
  std::vector<Future<int>> futures(3);
  {
    ThreadPoolExecutor pool(2);
    for (int i = 0; i < 3; ++i) futures[i] = pool.submit([i] { return i + 1; });
  }
  for (int i = 0; i < 3; ++i) {
    check(futures[i].done() && !futures[i].cancelled(), "SHUT-DTOR-1",
          "call " + std::to_string(i) + " was not run by the time the destructor returned");
    check(futures[i].result() == i + 1, "SHUT-CANCEL-2", "a call ran without its value");
  }
}

CF_EXPLORE_PROTOCOL(
    "pool.destructor_drain", "SHUT-DTOR-1 SHUT-WAIT-1 SHUT-CANCEL-2",
    "three calls submitted to a two-worker pool destroyed right after, its workers starting "
    "and taking calls meanwhile: the destructor waits until every queued call ran, none is "
    "cancelled [SHUT-DTOR-1] [SHUT-WAIT-1] [SHUT-CANCEL-2]",
    3, Bounds{2, 1, 20000}, destructor_drain);

// Every worker's initializer throws while two clients submit.
void broken_initializer() {
  std::vector<Future<int>> accepted;
  int refused = 0;
  {
    ThreadPoolExecutor::Options options;
    options.max_workers = 2;
    options.initializer = [] { throw std::runtime_error("initializer failed"); };
    ThreadPoolExecutor pool(options);
    auto submit = [&] {
      try {
        accepted.push_back(pool.submit([] { return 1; }));
      } catch (const BrokenThreadPool&) {
        ++refused;
      }
    };
    run_actors({submit, submit});
  }
  for (auto& f : accepted) {
    check(f.done(), "TPE-INIT-2", "a call accepted before the pool broke never completed");
    bool broken = false;
    try {
      f.result();
    } catch (const BrokenThreadPool&) {
      broken = true;
    }
    check(broken, "TPE-INIT-2",
          "a call of a pool whose initializer failed did not fail with BrokenThreadPool");
  }
  check(accepted.size() + refused == 2, "TPE-INIT-3", "a submit neither was accepted nor threw");
}

CF_EXPLORE_PROTOCOL(
    "pool.broken_initializer", "TPE-INIT-2 TPE-INIT-3",
    "the initializer throws in each worker while two clients submit: every accepted call fails "
    "with BrokenThreadPool, later submits throw it, the pool shuts down [TPE-INIT-2] [TPE-INIT-3]",
    4, Bounds{2, 1, 20000}, broken_initializer);

}  // namespace
}  // namespace cf::explore
