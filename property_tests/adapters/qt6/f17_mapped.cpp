// Fact 17: QtConcurrent::mapped and abandoning or failing a map.
// (a) One failing call makes every result of the map unreadable: resultAt(0)
//     rethrows the failing call's exception (wrapped), though call 0 returned
//     a value before call 2 failed.
// (b) Dropping a mapped QFuture after reading its first result cancels
//     nothing: every call still runs.
// (c) cancel() of a mapped QFuture before any result was read, while its
//     calls wait for the pool's only thread, runs none of them.
// Each scene runs in a child process; the parent creates no threads.
#include <QtConcurrent/QtConcurrentMap>

#include "qtfacts.hpp"

using namespace qtfacts;

int main() {
  const std::string error = inChild([] {
    QThreadPool pool;
    pool.setMaxThreadCount(3);
    Gate failed;
    QList<int> input{0, 1, 2};
    QFuture<int> f = QtConcurrent::mapped(&pool, input, [&failed](int i) -> int {
      if (i == 2) {
        failed.open();
        throw std::runtime_error("call 2 failed");
      }
      return 10 + i;
    });
    failed.pass("call 2 ran");
    must(pool.waitForDone(kGenerousMs), "pool drain");
    try {
      return "resultAt(0) returned " + std::to_string(f.resultAt(0));
    } catch (const QUnhandledException&) {
      return std::string("resultAt(0) threw QUnhandledException");
    } catch (const std::exception& e) {
      return std::string("resultAt(0) threw ") + e.what();
    }
  });
  const std::string dropped = inChild([] {
    QThreadPool pool;
    pool.setMaxThreadCount(1);
    std::atomic<int> ran{0};
    Gate release;
    {
      QList<int> input{0, 1, 2, 3};
      QFuture<int> f = QtConcurrent::mapped(&pool, input, [&](int i) -> int {
        if (i == 1) release.pass("release of call 1");
        ++ran;
        return i;
      });
      f.resultAt(0);  // the first result read; then the future is dropped
    }
    release.open();
    must(pool.waitForDone(kGenerousMs), "pool drain");
    return "calls run: " + std::to_string(ran.load()) + " of 4";
  });
  const std::string cancelled = inChild([] {
    QThreadPool pool;
    pool.setMaxThreadCount(1);
    Blocker blocker(pool);
    std::atomic<int> ran{0};
    QList<int> input{0, 1, 2, 3};
    QFuture<int> f = QtConcurrent::mapped(&pool, input, [&](int i) -> int {
      ++ran;
      return i;
    });
    f.cancel();
    blocker.letGo();
    must(pool.waitForDone(kGenerousMs), "pool drain");
    return "calls run: " + std::to_string(ran.load()) + " of 4";
  });

  std::printf("one of three calls failed: read result 0    -> %s\n", error.c_str());
  std::printf("dropped after its first result            -> %s\n", dropped.c_str());
  std::printf("cancelled before any result, calls queued -> %s\n", cancelled.c_str());

  verdict(error == "resultAt(0) threw QUnhandledException",
          "one failing call makes even the results before it unreadable: resultAt(0) rethrows");
  verdict(dropped == "calls run: 4 of 4",
          "dropping a mapped future after its first result cancels nothing: every call runs");
  verdict(cancelled == "calls run: 0 of 4",
          "cancel() of a mapped future before any result is read runs none of its queued calls");
  return 0;
}
