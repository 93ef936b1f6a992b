// Fact 15: result() of a cancelled future neither throws nor returns a default:
// it reads result slot 0 of an empty result store, which crashes (SIGSEGV).
// Only a future cancelled after it finished still has its value. results()
// (plural) is the safe query: an empty list for a cancelled future.
// waitForFinished() on a cancelled future returns normally.
// Each scene runs in a child process; the parent creates no threads.
#include <QPromise>

#include "qtfacts.hpp"

using namespace qtfacts;

static std::string readResult(const QFuture<int>& f) {
  std::fflush(stdout);
  try {
    return "result() returned " + std::to_string(f.result());
  } catch (const std::exception& e) {
    return std::string("result() threw ") + e.what();
  }
}

int main() {
  const std::string queued = inChild([] {
    QThreadPool pool;
    pool.setMaxThreadCount(1);
    Blocker blocker(pool);
    QFuture<int> f = QtConcurrent::run(&pool, [] { return 1; });
    f.cancel();
    blocker.letGo();
    must(pool.waitForDone(kGenerousMs), "pool drain");
    return readResult(f);
  });
  const std::string running = inChild([] {
    QThreadPool pool;
    Gate started, go;
    QFuture<int> f = QtConcurrent::run(&pool, [&] {
      started.open();
      go.pass("release");
      return 2;
    });
    started.pass("start");
    f.cancel();
    go.open();
    f.waitForFinished();
    return readResult(f);
  });
  const std::string finished = inChild([] {
    QThreadPool pool;
    QFuture<int> f = QtConcurrent::run(&pool, [] { return 3; });
    f.waitForFinished();
    f.cancel();
    return readResult(f);
  });
  const std::string promise = inChild([] {
    QPromise<int> p;
    p.start();
    p.future().cancel();
    p.finish();
    return readResult(p.future());
  });
  const std::string defaulted = inChild([] { return readResult(QFuture<int>()); });
  const std::string plural = inChild([] {
    QPromise<int> p;
    p.start();
    p.future().cancel();
    p.finish();
    QFuture<void> v = QtConcurrent::run([] {});
    v.cancel();
    v.waitForFinished();
    return "results().size()=" + std::to_string(p.future().results().size()) +
           ", QFuture<void>::waitForFinished() returned";
  });

  std::printf("cancelled while queued           -> %s\n", queued.c_str());
  std::printf("cancelled while running          -> %s\n", running.c_str());
  std::printf("cancelled after finishing (3)    -> %s\n", finished.c_str());
  std::printf("QPromise future cancelled        -> %s\n", promise.c_str());
  std::printf("default-constructed QFuture<int> -> %s\n", defaulted.c_str());
  std::printf("cancelled: results() / void wait -> %s\n", plural.c_str());

  verdict(
      queued == "died: SIGSEGV" && running == "died: SIGSEGV" && promise == "died: SIGSEGV" &&
          defaulted == "died: SIGSEGV",
      "result() of a cancelled future (no value) neither throws nor returns a default: it crashes");
  verdict(finished == "result() returned 3", "a future cancelled after finishing keeps its value");
  verdict(plural == "results().size()=0, QFuture<void>::waitForFinished() returned",
          "results() returns an empty list and waitForFinished() returns normally on a cancelled "
          "future");
  return 0;
}
