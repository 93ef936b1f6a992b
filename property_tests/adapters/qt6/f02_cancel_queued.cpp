// Fact 2: cancel() of a queued task. The future is canceled at once but not
// finished; it finishes only when the task is dequeued (by a worker, or by a
// waiter that steals it), and the task body is then skipped. Continuations
// (here onCanceled) run at that moment, in the dequeuing thread, not in cancel().
#include "qtfacts.hpp"

using namespace qtfacts;

struct Scene {
  std::atomic<bool> bodyRan{false};
  std::atomic<bool> onCanceledRan{false};
  std::string onCanceledThread;
};

static QFuture<int> submitCancelled(QThreadPool& pool, Scene& s) {
  QFuture<int> f = QtConcurrent::run(&pool, [&s] {
    s.bodyRan = true;
    return 42;
  });
  f.onCanceled([&s] {
    s.onCanceledThread = tid();
    s.onCanceledRan = true;
    return -1;
  });
  f.cancel();
  return f;
}

int main() {
  std::printf("main thread %s\n", tid().c_str());
  QThreadPool pool;
  pool.setMaxThreadCount(1);

  // A: the pool's worker dequeues the cancelled task.
  Scene a;
  Blocker blockerA(pool);
  QFuture<int> fa = submitCancelled(pool, a);
  std::printf("A after cancel : %s  onCanceled ran=%d\n", state(fa).c_str(),
              a.onCanceledRan.load());
  const bool notFinishedYet = fa.isCanceled() && !fa.isFinished() && !a.onCanceledRan;
  blockerA.letGo();
  must(pool.waitForDone(kGenerousMs), "pool drain");
  std::printf("A after dequeue: %s  body ran=%d onCanceled ran=%d in %s (worker %s)\n",
              state(fa).c_str(), a.bodyRan.load(), a.onCanceledRan.load(),
              a.onCanceledThread.c_str(), blockerA.thread().c_str());
  const bool aFinishedSkipped = fa.isFinished() && fa.isCanceled() && !a.bodyRan &&
                                a.onCanceledRan && a.onCanceledThread == blockerA.thread();

  // B: a waiter dequeues it (waitForFinished steals the runnable).
  Scene b;
  Blocker blockerB(pool);
  QFuture<int> fb = submitCancelled(pool, b);
  fb.waitForFinished();  // returns although the only worker is still blocked
  std::printf("B after wait   : %s  body ran=%d onCanceled ran=%d in %s, blocker still held=%d\n",
              state(fb).c_str(), b.bodyRan.load(), b.onCanceledRan.load(),
              b.onCanceledThread.c_str(), !blockerB.future().isFinished());
  const bool bFinishedSkipped = fb.isFinished() && !b.bodyRan && b.onCanceledThread == tid() &&
                                !blockerB.future().isFinished();
  blockerB.letGoAndWait();

  verdict(notFinishedYet,
          "after cancel() of a queued task: isCanceled()=true, isFinished()=false, no continuation "
          "ran");
  verdict(aFinishedSkipped,
          "when the worker dequeues it: body skipped, isFinished() becomes true, onCanceled runs "
          "in the worker");
  verdict(bFinishedSkipped,
          "waitForFinished() on it dequeues it at once in the caller: body skipped, finished, "
          "onCanceled runs in the caller");
  return 0;
}
