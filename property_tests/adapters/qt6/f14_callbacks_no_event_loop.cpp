// Fact 14: where and when completion callbacks run without an event loop.
//  - then() without a context runs in the thread that completes the task (the
//    pool worker), before waitForFinished() returns;
//  - then() on an already finished future runs at once, inside then(), in the
//    caller's thread;
//  - QFutureWatcher::finished and then(context, ...) are delivered as posted
//    events: nothing happens until the watcher's/context's thread processes
//    events (then(context) goes direct if that thread is the completing one).
#include <QCoreApplication>
#include <QFutureWatcher>

#include "qtfacts.hpp"

using namespace qtfacts;

int main(int argc, char** argv) {
  QCoreApplication app(argc, argv);  // an event queue exists, but no loop runs
  const std::string mainThread = tid();
  QThreadPool pool;
  pool.setMaxThreadCount(1);

  // then() on a pending future.
  Gate go;
  std::string taskThread, thenThread;
  QFuture<void> pending = QtConcurrent::run(&pool, [&] {
    go.pass("task release");
    taskThread = tid();
  });
  QFuture<void> cont = pending.then([&] { thenThread = tid(); });
  go.open();
  cont.waitForFinished();
  std::printf("pending: task in %s, then() in %s (main %s)\n", taskThread.c_str(),
              thenThread.c_str(), mainThread.c_str());

  // then() on a finished future.
  bool ranInsideThen = false;
  std::string doneThenThread;
  pending.then([&] {
    doneThenThread = tid();
    ranInsideThen = true;
  });
  const bool immediately = ranInsideThen;  // read before anything else could run it
  std::printf("finished: then() ran before then() returned=%d, in %s\n", immediately,
              doneThenThread.c_str());

  // QFutureWatcher and then(context, ...), the task completing on the worker.
  bool watcherFired = false, contextThenRan = false;
  QFutureWatcher<void> watcher;
  QObject::connect(&watcher, &QFutureWatcher<void>::finished, [&] { watcherFired = true; });
  // The task is held until both are attached (attached to an already finished
  // future, then(context) runs at once in main, like then() above), and it is
  // already running on the worker when main waits, so waitForFinished() cannot
  // steal it.
  Gate watchedStarted, watchedGo;
  QFuture<void> watched = QtConcurrent::run(&pool, [&] {
    watchedStarted.open();
    watchedGo.pass("watched task release");
  });
  watcher.setFuture(watched);
  QFuture<void> viaContext = watched.then(&app, [&] { contextThenRan = true; });
  watchedStarted.pass("watched task start");
  watchedGo.open();
  watched.waitForFinished();
  must(pool.waitForDone(kGenerousMs), "pool drain");
  const bool silentWithoutLoop = !watcherFired && !contextThenRan;
  std::printf(
      "watcher/context: after the task finished, no event processing: watcher=%d context-then=%d\n",
      watcherFired, contextThenRan);
  QCoreApplication::processEvents();
  std::printf(
      "                 after processEvents():                     watcher=%d context-then=%d\n",
      watcherFired, contextThenRan);

  // then(context, ...) when the context's own thread completes the future
  // (here main steals the queued task): invokeMethod goes direct.
  bool stolenContextThenRan = false;
  Blocker blocker(pool);
  QFuture<void> stolen = QtConcurrent::run(&pool, [] {});
  stolen.then(&app, [&] { stolenContextThenRan = true; });
  stolen.waitForFinished();
  std::printf("context thread completes it (stolen): context-then ran without events=%d\n",
              stolenContextThenRan);
  blocker.letGoAndWait();

  verdict(thenThread == taskThread && thenThread != mainThread,
          "then() without context runs in the thread that completes the future (the worker)");
  verdict(immediately && doneThenThread == mainThread,
          "then() on a finished future runs immediately, inside then(), in the caller's thread");
  verdict(silentWithoutLoop && watcherFired && contextThenRan,
          "QFutureWatcher signals and then(context, ...) need event processing in the receiver's "
          "thread");
  verdict(stolenContextThenRan,
          "...except then(context, ...) runs directly when the completing thread is the context's "
          "thread");
  return 0;
}
