// Fact 11: waiting lets more tasks run at once than maxThreadCount.
//  A: with maxThreadCount 1 and the worker busy, a caller's waitForFinished()
//     runs a queued task in the caller: two task bodies run at the same time,
//     and activeThreadCount() still says 1 (the stolen task is not counted).
//  B: a task that waits on a queued task runs it nested on the same worker
//     thread: one worker, two futures "running" at once.
#include <algorithm>

#include "qtfacts.hpp"

using namespace qtfacts;

int main() {
  const std::string mainThread = tid();
  QThreadPool pool;
  pool.setMaxThreadCount(1);

  // A: concurrency 2 on a one-thread pool.
  std::atomic<int> inside{0}, peak{0};
  int activeSeenByStolen = -1;
  std::string stolenThread;
  Gate firstIn, secondDone;
  QFuture<void> first = QtConcurrent::run(&pool, [&] {
    peak = std::max(peak.load(), ++inside);
    firstIn.open();
    secondDone.pass("second task done");  // still inside while the second runs
    --inside;
  });
  firstIn.pass("first task start");
  QFuture<void> second = QtConcurrent::run(&pool, [&] {
    peak = std::max(peak.load(), ++inside);
    activeSeenByStolen = pool.activeThreadCount();
    stolenThread = tid();
    --inside;
  });
  second.waitForFinished();
  secondDone.open();
  first.waitForFinished();
  std::printf(
      "A: peak concurrent task bodies=%d with maxThreadCount=%d; activeThreadCount seen by "
      "the stolen task=%d; it ran in %s (main %s)\n",
      peak.load(), pool.maxThreadCount(), activeSeenByStolen, stolenThread.c_str(),
      mainThread.c_str());

  // B: nested run on the only worker.
  std::string outerThread, innerThread, outerStateDuringInner;
  QFuture<void> outer;
  Gate outerStarted, innerQueued;
  QFuture<void> inner;
  outer = QtConcurrent::run(&pool, [&] {
    outerThread = tid();
    outerStarted.open();
    innerQueued.pass("inner queued");
    inner.waitForFinished();  // the only worker waits on a queued task
  });
  outerStarted.pass("outer start");
  inner = QtConcurrent::run(&pool, [&] {
    innerThread = tid();
    outerStateDuringInner = state(outer);
  });
  innerQueued.open();
  outer.waitForFinished();
  std::printf("B: outer ran in %s, inner ran in %s; outer during inner: %s\n", outerThread.c_str(),
              innerThread.c_str(), outerStateDuringInner.c_str());

  verdict(peak == 2 && activeSeenByStolen == 1 && stolenThread == mainThread,
          "a waiting caller makes 2 task bodies run at once on a 1-thread pool; "
          "activeThreadCount() stays 1");
  verdict(
      innerThread == outerThread && outerStateDuringInner.find("running=1") != std::string::npos,
      "a task waiting on a queued task runs it nested on the same worker thread");
  return 0;
}
