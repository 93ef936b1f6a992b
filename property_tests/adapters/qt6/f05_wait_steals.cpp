// Fact 5: waiting on a queued task (waitForFinished() or result()) takes it
// off the pool's queue and runs it in the waiting thread ("work stealing"),
// while the pool's only worker is still busy.
#include "qtfacts.hpp"

using namespace qtfacts;

int main() {
  const std::string mainThread = tid();
  QThreadPool pool;
  pool.setMaxThreadCount(1);
  Blocker blocker(pool);

  std::string ranWait, ranResult;
  QFuture<void> q1 = QtConcurrent::run(&pool, [&] { ranWait = tid(); });
  QFuture<int> q2 = QtConcurrent::run(&pool, [&] {
    ranResult = tid();
    return 5;
  });

  q1.waitForFinished();
  const int r = q2.result();
  const bool workerStillHeld = !blocker.future().isFinished();

  std::printf("main %s, pool worker %s (still held: %d)\n", mainThread.c_str(),
              blocker.thread().c_str(), workerStillHeld);
  std::printf("waitForFinished(): task ran in %s\n", ranWait.c_str());
  std::printf("result() = %d    : task ran in %s\n", r, ranResult.c_str());
  blocker.letGoAndWait();

  verdict(ranWait == mainThread && workerStillHeld,
          "waitForFinished() on a queued task runs it in the caller's thread");
  verdict(ranResult == mainThread, "result() on a queued task runs it in the caller's thread too");
  return 0;
}
