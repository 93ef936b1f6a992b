// Fact 3: a QFuture holds one continuation. A second then() replaces the first;
// the replaced continuation never runs and its own future is cancelled and
// finished on the spot, in the thread that called the second then().
// onCanceled() and onFailed() take the same single slot.
#include <QPromise>

#include "qtfacts.hpp"

using namespace qtfacts;

int main() {
  std::printf("main thread %s\n", tid().c_str());
  QPromise<int> promise;
  promise.start();
  QFuture<int> f = promise.future();

  std::atomic<int> first{0}, second{0};
  QFuture<int> c1 = f.then([&](int v) {
    ++first;
    return v;
  });
  std::printf("c1 after 1st then : %s\n", state(c1).c_str());
  std::string c1CanceledIn;
  c1.onCanceled([&] {
    c1CanceledIn = tid();
    return -1;
  });

  QFuture<int> c2 = f.then([&](int v) {
    ++second;
    return v;
  });
  std::printf("c1 after 2nd then : %s  (its onCanceled ran in %s)\n", state(c1).c_str(),
              c1CanceledIn.empty() ? "-" : c1CanceledIn.c_str());
  const bool c1DeadAtOnce = c1.isFinished() && c1.isCanceled() && c1CanceledIn == tid();

  // Complete the parent from another thread.
  std::thread producer([&] {
    promise.addResult(7);
    promise.finish();
  });
  producer.join();
  c2.waitForFinished();
  std::printf("after finish      : first ran %d time(s), second ran %d time(s), c2 result=%d\n",
              first.load(), second.load(), c2.result());

  // onCanceled() (and onFailed()) use the same slot: attached after a then(),
  // it displaces the then().
  QPromise<int> other;
  other.start();
  std::atomic<int> thenRan{0};
  other.future().then([&](int) { ++thenRan; });
  other.future().onCanceled([] { return -1; });
  other.addResult(1);
  other.finish();
  std::printf("then() then onCanceled() on a future that succeeds: then() ran %d time(s)\n",
              thenRan.load());

  verdict(first == 0 && second == 1,
          "a second then() replaces the first: only the second continuation runs");
  verdict(c1DeadAtOnce,
          "the replaced continuation's future is cancelled+finished at once, in the thread calling "
          "the second then()");
  verdict(thenRan == 0, "onCanceled() attached after then() displaces the then() as well");
  return 0;
}
