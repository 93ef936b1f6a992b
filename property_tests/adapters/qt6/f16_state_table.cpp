// Fact 16: what isStarted / isRunning / isCanceled / isFinished / isValid say
// in each state. Surprises: queued == running; a failure sets isCanceled()
// (only isValid(), which cancel() clears, tells it apart); cancel() of a
// finished future sets isCanceled() and clears isValid() yet keeps the value;
// a not-yet-started QPromise's future and a continuation waiting on its parent
// both read all-false; result() on a never-started QPromise's future does not
// wait at all; a second QPromise::finish() re-runs the continuation.
#include <QPromise>
#include <stdexcept>

#include "qtfacts.hpp"

using namespace qtfacts;

static std::string row(const QFuture<int>& f) {
  return state(f) + " valid=" + std::to_string(f.isValid());
}

static void print(const char* name, const std::string& r) {
  std::printf("%-34s %s\n", name, r.c_str());
}

int main() {
  // Run first, while this process has no other threads (it forks).
  const std::string unstartedResult = inChild(
      [] {
        QPromise<int> p;  // never start()ed
        std::fflush(stdout);
        return "result() returned " + std::to_string(p.future().result());
      },
      1);
  const std::string startedResult = inChild(
      [] {
        QPromise<int> p;
        p.start();
        return "result() returned " + std::to_string(p.future().result());
      },
      1);

  const std::string finishTwice = inChild([] {
    QPromise<int> p;
    p.start();
    int runs = 0;
    p.future().then([&](int) { ++runs; });
    p.addResult(1);
    p.finish();
    std::printf("  (child) continuation ran %d time(s) after the first finish()\n", runs);
    std::fflush(stdout);
    p.finish();
    return "second finish() returned; continuation ran " + std::to_string(runs) + " time(s)";
  });

  QThreadPool pool;
  pool.setMaxThreadCount(1);
  std::map<std::string, std::string> rows;

  // Running, queued, and both cancelled (before and after they end).
  Gate started, go;
  QFuture<int> running = QtConcurrent::run(&pool, [&] {
    started.open();
    go.pass("release");
    return 1;
  });
  started.pass("start");
  QFuture<int> queued = QtConcurrent::run(&pool, [] { return 2; });
  print("queued (pending)", rows["queued"] = row(queued));
  print("running", rows["running"] = row(running));
  running.cancel();
  queued.cancel();
  print("running, cancel()ed", rows["runningCancelled"] = row(running));
  print("queued, cancel()ed", rows["queuedCancelled"] = row(queued));
  go.open();
  must(pool.waitForDone(kGenerousMs), "pool drain");
  print("running, cancel()ed, then ended", rows["runningCancelledEnded"] = row(running));
  print("queued, cancel()ed, then dequeued", rows["queuedCancelledEnded"] = row(queued));

  QFuture<int> ok = QtConcurrent::run(&pool, [] { return 3; });
  ok.waitForFinished();
  print("finished (value)", rows["ok"] = row(ok));
  ok.cancel();
  print("finished, then cancel()ed", rows["okCancelled"] = row(ok));

  QFuture<int> failed = QtConcurrent::run(&pool, []() -> int { throw std::runtime_error("x"); });
  try {
    failed.waitForFinished();
  } catch (...) {
  }
  print("failed", rows["failed"] = row(failed));

  QPromise<int> unstarted;
  print("QPromise, not started", rows["unstarted"] = row(unstarted.future()));
  QPromise<int> parent;
  parent.start();
  QFuture<int> continuation = parent.future().then([](int v) { return v; });
  print("then() of a pending parent", rows["continuation"] = row(continuation));
  print("QFuture<int>() (default)", rows["default"] = row(QFuture<int>()));
  parent.addResult(1);
  parent.finish();

  std::printf("QPromise::finish() twice with a continuation: %s\n", finishTwice.c_str());
  std::printf("never-started QPromise: %s; started QPromise: %s\n", unstartedResult.c_str(),
              startedResult.c_str());

  verdict(rows["queued"] == rows["running"], "queued and running tasks are indistinguishable");
  verdict(rows["failed"] == "started=1 running=0 canceled=1 finished=1 valid=1" &&
              rows["queuedCancelledEnded"] == "started=1 running=0 canceled=1 finished=1 valid=0",
          "a failed future has isCanceled()==true; only isValid() (cleared by cancel()) tells it "
          "from a cancelled one");
  verdict(rows["okCancelled"].find("canceled=1 finished=1") != std::string::npos,
          "cancel() on a finished future still turns isCanceled() true");
  verdict(rows["runningCancelled"].find("running=1 canceled=1 finished=0") != std::string::npos,
          "a cancelled running task keeps isRunning() true until its body returns");
  verdict(
      rows["unstarted"] == rows["continuation"] &&
          rows["unstarted"].find("started=0 running=0 canceled=0 finished=0") == 0,
      "a never-started QPromise's future and a continuation waiting for its parent read all-false");
  verdict(unstartedResult == "died: SIGSEGV" && startedResult == "died: SIGALRM",
          "result() on a never-started QPromise's future does not wait (reads an empty store); "
          "once started it waits");
  verdict(finishTwice == "died: SIGSEGV",
          "a second QPromise::finish() runs the (already consumed) continuation again: crash");
  return 0;
}
