// Fact 9: QThreadPool::setMaxThreadCount(0) or a negative value is accepted and
// reported back unchanged by maxThreadCount(), but the pool still runs tasks,
// one at a time: internally the limit is qMax(requested, 1).
#include <QRunnable>
#include <vector>

#include "qtfacts.hpp"

using namespace qtfacts;

// A runnable that the test owns (autoDelete off), so tryTake() can prove
// whether it is still queued.
class Task : public QRunnable {
 public:
  Task(Gate* started, Gate* release) : started_(started), release_(release) {
    setAutoDelete(false);
  }
  void run() override {
    ran = true;
    if (started_) started_->open();
    if (release_) release_->pass("task release");
  }
  std::atomic<bool> ran{false};

 private:
  Gate *started_, *release_;
};

// Returns "reported=<n> ran=<0|1> second-queued=<0|1> active-while-held=<n>".
static std::string probe(int requested) {
  QThreadPool pool;
  pool.setMaxThreadCount(requested);
  Gate started, release;
  Task first(&started, &release), second(nullptr, nullptr);
  pool.start(&first);
  started.pass("first task start");  // it runs: at least one thread exists
  pool.start(&second);
  const int active = pool.activeThreadCount();
  const bool secondQueued = pool.tryTake(&second);  // true: it had not started
  pool.start(&second);
  release.open();
  must(pool.waitForDone(kGenerousMs), "pool drain");
  return "reported=" + std::to_string(pool.maxThreadCount()) +
         " ran=" + std::to_string(first.ran && second.ran) +
         " second-queued=" + std::to_string(secondQueued) +
         " active-while-held=" + std::to_string(active);
}

int main() {
  std::printf("QThread::idealThreadCount()=%d, fresh pool maxThreadCount()=%d\n",
              QThread::idealThreadCount(), QThreadPool().maxThreadCount());
  bool ok = true;
  for (int requested : {1, 0, -1, -100}) {
    const std::string got = probe(requested);
    std::printf("setMaxThreadCount(%4d): %s\n", requested, got.c_str());
    ok = ok && got == "reported=" + std::to_string(requested) +
                          " ran=1 second-queued=1 active-while-held=1";
  }
  verdict(ok,
          "0 and negative limits are accepted as is (maxThreadCount() returns them) and behave as "
          "1: tasks run, one at a time");
  return 0;
}
