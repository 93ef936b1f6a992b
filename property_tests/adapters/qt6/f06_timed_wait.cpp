// Fact 6: QFuture in Qt 6.4 has no timed wait (waitForFinished() takes no
// argument; nor do result() or QFutureSynchronizer). Without an event loop a
// bounded wait is built from a continuation that releases a semaphore:
// then(QFuture<T>) runs on success and failure, onCanceled() on the
// continuation covers cancellation. It uses the future's single continuation
// slot (fact 3), and unlike waitForFinished() it never steals a queued task.
#include <QDeadlineTimer>
#include <QFutureSynchronizer>
#include <memory>
#include <stdexcept>

#include "qtfacts.hpp"

using namespace qtfacts;

template <typename F>
concept HasWaitInt = requires(F f) {
  f.waitForFinished(100);
};
template <typename F>
concept HasWaitDeadline = requires(F f) {
  f.waitForFinished(QDeadlineTimer(100));
};
template <typename F>
concept HasResultInt = requires(F f) {
  f.result(100);
};
template <typename S>
concept HasSyncWaitInt = requires(S s) {
  s.waitForFinished(100);
};

// Released once when `f` is finished, whatever the outcome.
static std::shared_ptr<QSemaphore> doneSignal(QFuture<int> f) {
  auto done = std::make_shared<QSemaphore>();
  f.then([done](QFuture<int>) { done->release(); }).onCanceled([done] { done->release(); });
  return done;
}

int main() {
  std::printf("QFuture<int>::waitForFinished(int)            exists: %d\n",
              HasWaitInt<QFuture<int>>);
  std::printf("QFuture<int>::waitForFinished(QDeadlineTimer) exists: %d\n",
              HasWaitDeadline<QFuture<int>>);
  std::printf("QFuture<int>::result(int)                     exists: %d\n",
              HasResultInt<QFuture<int>>);
  std::printf("QFutureSynchronizer::waitForFinished(int)     exists: %d\n",
              HasSyncWaitInt<QFutureSynchronizer<int>>);
  const bool noTimedWait = !HasWaitInt<QFuture<int>> && !HasWaitDeadline<QFuture<int>> &&
                           !HasResultInt<QFuture<int>> && !HasSyncWaitInt<QFutureSynchronizer<int>>;

  QThreadPool pool;
  pool.setMaxThreadCount(1);

  // Success, with a timeout while the task is held.
  Gate go;
  QFuture<int> held = QtConcurrent::run(&pool, [&] {
    go.pass("task release");
    return 1;
  });
  auto heldDone = doneSignal(held);
  const bool timedOut = !heldDone->tryAcquire(1, kNegativeWindowMs);
  std::printf("held task : timed wait timed out=%d, task then %s\n", timedOut, state(held).c_str());
  go.open();
  const bool thenDone = heldDone->tryAcquire(1, kGenerousMs);
  std::printf("released  : timed wait succeeded=%d, result=%d\n", thenDone, held.result());

  // Failure.
  QFuture<int> failing = QtConcurrent::run(&pool, []() -> int { throw std::runtime_error("x"); });
  const bool failDone = doneSignal(failing)->tryAcquire(1, kGenerousMs);

  // Cancellation while queued: no steal, so the timed wait times out until the
  // worker is free, then succeeds.
  Blocker blocker(pool);
  QFuture<int> queued = QtConcurrent::run(&pool, [] { return 3; });
  queued.cancel();
  auto queuedDone = doneSignal(queued);
  const bool queuedTimedOut = !queuedDone->tryAcquire(1, kNegativeWindowMs);
  blocker.letGo();
  const bool cancelDone = queuedDone->tryAcquire(1, kGenerousMs);
  std::printf(
      "failed    : signalled=%d; cancelled-queued: timed out while worker busy=%d, signalled "
      "after=%d\n",
      failDone, queuedTimedOut, cancelDone);
  must(pool.waitForDone(kGenerousMs), "pool drain");

  verdict(
      noTimedWait,
      "Qt 6.4 has no timed wait on a QFuture (no waitForFinished/result overload with a timeout)");
  verdict(timedOut && thenDone && failDone && cancelDone && queuedTimedOut,
          "then(QFuture)+onCanceled releasing a QSemaphore gives an event-loop-free timed wait for "
          "success, failure and cancel");
  return 0;
}
