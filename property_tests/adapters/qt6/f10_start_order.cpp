// Fact 10: start order on a one-thread pool. Equal priorities start FIFO;
// a higher priority (QtConcurrent::task().withPriority()) starts first; and a
// caller waiting on a queued task runs it at once, ahead of older tasks.
#include <QtConcurrent/qtconcurrenttask.h>

#include <vector>

#include "qtfacts.hpp"

using namespace qtfacts;

struct Log {
  std::mutex m;
  std::string order;
  void add(char c) {
    std::lock_guard<std::mutex> lock(m);
    order += c;
  }
};

int main() {
  QThreadPool pool;
  pool.setMaxThreadCount(1);

  // FIFO with equal priorities.
  Log fifo;
  {
    Blocker blocker(pool);
    for (char c : std::string("abcdefgh"))
      (void)QtConcurrent::run(&pool, [&fifo, c] { fifo.add(c); });
    blocker.letGo();
    must(pool.waitForDone(kGenerousMs), "pool drain");
  }
  // Priorities: letter = submission order, digit = priority.
  Log prio;
  {
    Blocker blocker(pool);
    const std::vector<std::pair<char, int>> tasks{{'a', 0}, {'b', 5}, {'c', 0}, {'d', 5}, {'e', 1}};
    for (auto [c, p] : tasks)
      (void)QtConcurrent::task([&prio, c = c] { prio.add(c); })
          .withPriority(p)
          .onThreadPool(pool)
          .spawn();
    blocker.letGo();
    must(pool.waitForDone(kGenerousMs), "pool drain");
  }
  // A waiter jumps the queue.
  Log steal;
  {
    Blocker blocker(pool);
    QFuture<void> a = QtConcurrent::run(&pool, [&] { steal.add('a'); });
    QFuture<void> b = QtConcurrent::run(&pool, [&] { steal.add('b'); });
    QFuture<void> c = QtConcurrent::run(&pool, [&] { steal.add('c'); });
    c.waitForFinished();
    blocker.letGo();
    must(pool.waitForDone(kGenerousMs), "pool drain");
  }
  std::printf("equal priority, submitted abcdefgh          -> started %s\n", fifo.order.c_str());
  std::printf("a0 b5 c0 d5 e1 (letter+priority)            -> started %s\n", prio.order.c_str());
  std::printf("a b c queued, caller waits on c             -> started %s\n", steal.order.c_str());

  verdict(fifo.order == "abcdefgh", "equal-priority tasks start in submission order (FIFO)");
  verdict(prio.order == "bdeac", "higher priority starts first, FIFO within a priority");
  verdict(steal.order == "cab",
          "a waited-on queued task runs before older queued tasks (breaks FIFO)");
  return 0;
}
