// Fact 7: QFuture::cancel() returns void, and isCanceled() turns true whatever
// the task's state: queued, running or already finished. Whether the cancel
// "worked" shows only later: a queued task's body is skipped; a running task's
// body completes but its result is discarded; a finished task keeps its result.
#include <type_traits>

#include "qtfacts.hpp"

using namespace qtfacts;

int main() {
  static_assert(std::is_void_v<decltype(std::declval<QFuture<int>&>().cancel())>);
  std::printf("decltype(QFuture<int>::cancel()) is void\n");

  QThreadPool pool;
  pool.setMaxThreadCount(1);

  // Finished.
  QFuture<int> finished = QtConcurrent::run(&pool, [] { return 1; });
  finished.waitForFinished();
  finished.cancel();

  // Running (held by a gate) and queued behind it.
  Gate started, go;
  std::atomic<bool> runningBodyDone{false}, queuedBodyRan{false};
  QFuture<int> running = QtConcurrent::run(&pool, [&] {
    started.open();
    go.pass("running task release");
    runningBodyDone = true;
    return 2;
  });
  started.pass("running task start");
  QFuture<int> queued = QtConcurrent::run(&pool, [&] {
    queuedBodyRan = true;
    return 3;
  });
  running.cancel();
  queued.cancel();
  std::printf("right after cancel(): finished: %s\n", state(finished).c_str());
  std::printf("                      running : %s\n", state(running).c_str());
  std::printf("                      queued  : %s\n", state(queued).c_str());
  const bool allSayCanceled = finished.isCanceled() && running.isCanceled() && queued.isCanceled();

  go.open();
  must(pool.waitForDone(kGenerousMs), "pool drain");
  std::printf("after drain: finished resultCount=%d (value %d)\n", finished.resultCount(),
              finished.resultCount() ? finished.resultAt(0) : -1);
  std::printf("             running body completed=%d resultCount=%d\n", runningBodyDone.load(),
              running.resultCount());
  std::printf("             queued body ran=%d resultCount=%d\n", queuedBodyRan.load(),
              queued.resultCount());

  verdict(allSayCanceled,
          "cancel() is void and isCanceled() becomes true for queued, running and finished tasks "
          "alike");
  verdict(finished.resultCount() == 1 && runningBodyDone && running.resultCount() == 0 &&
              !queuedBodyRan && queued.resultCount() == 0,
          "outcome only visible afterwards: finished keeps its value, running completes with its "
          "value discarded, queued never runs");
  return 0;
}
