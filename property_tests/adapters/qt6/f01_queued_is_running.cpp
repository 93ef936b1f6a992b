// Fact 1: a task that is queued (the pool's only thread is busy) already
// reports isRunning() == true, exactly like the task that really runs.
#include "qtfacts.hpp"

using namespace qtfacts;

int main() {
  QThreadPool pool;
  pool.setMaxThreadCount(1);
  Blocker blocker(pool);  // really running, holds the only thread

  std::atomic<bool> bodyStarted{false};
  QFuture<void> queued = QtConcurrent::run(&pool, [&] { bodyStarted = true; });

  std::printf("really running : %s\n", state(blocker.future()).c_str());
  std::printf("queued         : %s  body started=%d activeThreadCount=%d\n", state(queued).c_str(),
              bodyStarted.load(), pool.activeThreadCount());
  const bool claim =
      !bodyStarted && queued.isRunning() && queued.isStarted() && !queued.isFinished();

  blocker.letGo();
  must(pool.waitForDone(kGenerousMs), "pool drain");
  std::printf("after drain    : %s  body started=%d\n", state(queued).c_str(), bodyStarted.load());

  verdict(claim, "a queued, not yet started task reports isStarted()==isRunning()==true");
  return 0;
}
