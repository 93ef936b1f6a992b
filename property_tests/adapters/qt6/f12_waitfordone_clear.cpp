// Fact 12: QThreadPool::waitForDone(), destruction and clear().
//  - waitForDone(ms) with a task held returns false and cancels nothing;
//    waitForDone() drains: every queued task runs before it returns;
//  - ~QThreadPool() is waitForDone(): queued tasks run, nothing is dropped;
//  - clear() deletes the queued runnables; their futures stay
//    "started, running, not finished" forever: continuations never run and
//    waitForFinished() never returns (shown in a child process).
#include <thread>

#include "qtfacts.hpp"

using namespace qtfacts;

int main() {
  // clear(): futures of removed tasks. Forked (first, while this process has
  // no other threads) because waiting on them hangs.
  const std::string cleared = inChild(
      [] {
        QThreadPool pool;
        pool.setMaxThreadCount(1);
        Blocker blocker(pool);
        std::atomic<bool> bodyRan{false}, continuationRan{false};
        QFuture<int> removed = QtConcurrent::run(&pool, [&] {
          bodyRan = true;
          return 1;
        });
        removed.then([&](int) { continuationRan = true; });
        pool.clear();
        blocker.letGo();
        must(pool.waitForDone(kGenerousMs), "pool drain");
        std::string out = "after clear()+drain: " + state(removed) +
                          " body ran=" + std::to_string(bodyRan) +
                          " continuation ran=" + std::to_string(continuationRan);
        std::printf("  (child) %s; now calling waitForFinished()\n", out.c_str());
        std::fflush(stdout);
        removed.waitForFinished();
        return out + "; waitForFinished() returned";
      },
      2);

  // waitForDone: timeout, then drain.
  std::atomic<int> ran{0};
  bool timedOut = false, drained = false;
  {
    QThreadPool pool;
    pool.setMaxThreadCount(1);
    Blocker blocker(pool);
    for (int i = 0; i < 3; ++i) (void)QtConcurrent::run(&pool, [&] { ++ran; });
    timedOut = !pool.waitForDone(kNegativeWindowMs);
    const int ranAfterTimeout = ran;
    blocker.letGo();
    drained = pool.waitForDone(kGenerousMs);
    std::printf(
        "waitForDone(%d ms) while held -> %s, tasks run %d; waitForDone() after release -> %d, "
        "tasks run %d\n",
        kNegativeWindowMs, timedOut ? "false" : "true", ranAfterTimeout, drained, ran.load());
    timedOut = timedOut && ranAfterTimeout == 0;
  }

  // Destructor drains.
  std::atomic<int> ranByDtor{0};
  QFuture<void> last;
  {
    QThreadPool pool;
    pool.setMaxThreadCount(1);
    Blocker blocker(pool);
    for (int i = 0; i < 3; ++i) last = QtConcurrent::run(&pool, [&] { ++ranByDtor; });
    blocker.letGo();  // the destructor below waits for all of it
  }
  std::printf("~QThreadPool() with 3 queued -> tasks run %d, last future %s\n", ranByDtor.load(),
              state(last).c_str());

  std::printf("clear() with 1 queued -> %s\n", cleared.c_str());

  verdict(timedOut && drained && ran == 3,
          "waitForDone(ms) times out harmlessly; waitForDone() runs every queued task");
  verdict(ranByDtor == 3 && last.isFinished(),
          "~QThreadPool() waits for and runs every queued task");
  verdict(cleared == "died: SIGALRM",
          "clear() drops queued tasks but never finishes their futures: waitForFinished() blocks "
          "forever");
  return 0;
}
