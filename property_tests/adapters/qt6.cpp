// The qt6 adapter: Qt 6's QThreadPool with QtConcurrent::run and QFuture, and
// QPromise for futures made without an executor.
//
// Every operation is Qt's own, mapped one to one; nothing is added. What the
// standalone programs in adapters/qt6/ establish about Qt 6.4 (FACTS.md), and how
// each fact shows in the clause table:
// - QFuture has no timed wait (fact 6): result-timeout, wait-timeout are not
//   declared; the suite bounds its waits itself by polling isFinished().
// - cancel() returns nothing (fact 7): cancel-result is not declared.
// - A queued task reports isRunning() (fact 1): FUT-STATE-1 is judged and
//   fails. cancel() of a queued task leaves it unfinished until a worker
//   dequeues it (fact 2).
// - A second then() replaces the first (fact 3): add_done_callback is then(),
//   and FUT-CB-1/2 are judged as such.
// - A task's exception comes back wrapped in QUnhandledException (fact 8).
// - waitForFinished() on a queued task runs it in the caller (fact 5, 11).
// - result() of a cancelled future reads an empty store (fact 15): results()
//   is read instead, which Qt guards; an empty list of a cancelled future is
//   Qt's way of saying "cancelled".
// - setMaxThreadCount() accepts 0 and negatives (fact 9); QThreadPool has no
//   shutdown: nothing refuses a submit, and waitForDone() is the drain.
// - QPromise: setException() after finish() erases the value (fact 4).
// - whenAll / whenAny (fact 13) are wait(ALL_COMPLETED / FIRST_COMPLETED),
//   untimed.
#include <QtConcurrent/QtConcurrentMap>
#include <QtConcurrent/QtConcurrentRun>
#include <QtCore/QFuture>
#include <QtCore/QPromise>
#include <QtCore/QThreadPool>
#include <QtCore/QUnhandledException>
#include <QtCore/QtGlobal>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "harness/adapter.hpp"
#include "peer_common.hpp"

namespace cf::conformance {
namespace {

using QtF = QFuture<qint64>;

Outcome outcome_of_exception(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const QUnhandledException& e) {
    // What the reader gets: Qt's wrapper (its what() is "std::exception").
    return Outcome::error(Outcome::Kind::kOther, std::string("QUnhandledException: ") + e.what());
  } catch (...) {
    return peer::outcome_of(std::current_exception());
  }
}

// The outcome of a finished QFuture, as its reader sees it: what result()
// returns or throws, except where result() reads an empty store (a cancelled
// future without a value, fact 15), which is Qt's "cancelled".
Outcome finished_outcome(QtF f) {
  try {
    // results() rethrows a stored exception first, and returns nothing for a
    // cancelled future; only then is resultCount() about a result store.
    auto values = f.results();
    if (!values.isEmpty()) return Outcome::of_value(values.front());
    if (f.resultCount() > 0) return Outcome::of_value(f.result());  // cancelled after it finished
    if (f.isCanceled()) return Outcome::error(Outcome::Kind::kCancelled, "QFuture::isCanceled()");
    return Outcome::error(Outcome::Kind::kOther, "finished without a result");
  } catch (...) {
    return outcome_of_exception(std::current_exception());
  }
}

CallbackEvent event_of(QtF f) {
  CallbackEvent event;
  event.thread_token = this_thread_token();
  event.done = f.isFinished();
  event.cancelled = f.isCanceled();
  event.result = f.isFinished() ? finished_outcome(f) : Outcome::error(Outcome::Kind::kTimeout);
  return event;
}

class QtHandle final : public Future {
 public:
  explicit QtHandle(QtF f) : f_(std::move(f)) {}
  // A future of a QPromise the adapter made (raw futures).
  explicit QtHandle(std::shared_ptr<QPromise<qint64>> promise)
      : f_(promise->future()), promise_(std::move(promise)) {}

  bool cancel() override {
    f_.cancel();  // void: what it did shows only later (fact 7)
    return true;
  }
  bool cancelled() override { return f_.isCanceled(); }
  bool running() override { return f_.isRunning(); }
  bool done() override { return f_.isFinished(); }
  Outcome result(Timeout timeout) override {
    if (!timeout.is_none()) {
      // Only a poll reaches here (no timed wait is declared): answer it.
      if (!f_.isFinished()) return Outcome::error(Outcome::Kind::kTimeout, "not finished");
      return finished_outcome(f_);
    }
    try {
      f_.waitForFinished();  // rethrows a stored exception
    } catch (...) {
      return outcome_of_exception(std::current_exception());
    }
    return finished_outcome(f_);
  }
  Outcome exception(Timeout timeout) override {
    auto r = result(timeout);
    return r.is(Outcome::Kind::kValue) ? Outcome{} : r;
  }
  void add_done_callback(std::function<void(const CallbackEvent&)> callback) override {
    std::lock_guard lock(mutex_);
    continuations_.push_back(
        f_.then(QtFuture::Launch::Sync, [callback](QtF f) { callback(event_of(f)); }));
  }

  Outcome set_running_or_notify_cancel() override {
    if (!promise_) return peer::unsupported("producer API on a task's future");
    if (promise_->isCanceled()) return Outcome::of_value(0);
    promise_->start();
    return Outcome::of_value(1);
  }
  Outcome set_result(std::int64_t value) override {
    if (!promise_) return peer::unsupported("producer API on a task's future");
    promise_->start();
    promise_->addResult(value);
    promise_->finish();
    return Outcome{};
  }
  Outcome set_exception(const std::string& message) override {
    if (!promise_) return peer::unsupported("producer API on a task's future");
    promise_->start();
    promise_->setException(std::make_exception_ptr(ProbeError(message)));
    promise_->finish();
    return Outcome{};
  }

  const QtF& handle() const { return f_; }

 private:
  QtF f_;
  std::shared_ptr<QPromise<qint64>> promise_;
  std::mutex mutex_;
  std::vector<QFuture<void>> continuations_;
};

const QtF& unwrap(const FuturePtr& f) {
  auto* q = dynamic_cast<QtHandle*>(f.get());
  if (!q) peer::raise_unsupported("futures not made by this executor");
  return q->handle();
}

class QtMapRun final : public MapRun {
 public:
  QtMapRun(QtF f, std::size_t n) : f_(std::move(f)), n_(n) {}
  std::optional<Outcome> next() override {
    if (next_ >= n_ || ended_) return std::nullopt;
    try {
      qint64 value = f_.resultAt(static_cast<int>(next_));  // waits for result i
      ++next_;
      return Outcome::of_value(value);
    } catch (...) {
      ended_ = true;
      return outcome_of_exception(std::current_exception());
    }
  }
  // Qt has no iterator to close: abandoning a mapped future is cancelling
  // it, and nothing is read after that.
  void close() override {
    ended_ = true;
    f_.cancel();
  }

 private:
  QtF f_;
  std::size_t n_;
  std::size_t next_ = 0;
  bool ended_ = false;
};

class QtExecutor final : public peer::PeerExecutor {
 public:
  QtExecutor(Lab& lab, std::optional<int> workers) : lab_(lab) {
    if (workers) pool_.setMaxThreadCount(*workers);
  }
  ~QtExecutor() override = default;  // ~QThreadPool waits for every task [SHUT-DTOR-1]

  FuturePtr submit(const Probe& probe) override {
    return std::make_shared<QtHandle>(QtConcurrent::run(&pool_, [&lab = lab_, probe]() -> qint64 {
      return run_probe(lab, probe, this_thread_token());
    }));
  }
  std::unique_ptr<MapRun> map(const std::vector<Probe>& probes, const MapSpec&) override {
    QList<Probe> input(probes.begin(), probes.end());
    auto f = QtConcurrent::mapped(&pool_, input, [&lab = lab_](const Probe& probe) -> qint64 {
      return run_probe(lab, probe, this_thread_token());
    });
    return std::make_unique<QtMapRun>(f, probes.size());
  }
  void shutdown(bool, bool) override { pool_.waitForDone(); }
  int max_workers() override { return pool_.maxThreadCount(); }

 private:
  Lab& lab_;
  QThreadPool pool_;
};

class Qt6 final : public peer::PeerImplementation {
 public:
  std::string name() const override { return "qt6"; }
  std::string about() const override {
    return std::string("Qt ") + qVersion() +
           " QThreadPool with QtConcurrent::run / mapped, QFuture, QPromise";
  }
  Caps caps() const override {
    return Cap::kCancel | Cap::kStateQueries | Cap::kResultBlocking | Cap::kDone |
           Cap::kDoneCallbacks | Cap::kRawFuture | Cap::kWait | Cap::kMap | Cap::kMaxWorkers |
           Cap::kWorkerCount | Cap::kDefaultWorkers | Cap::kDrainingDestructor;
  }
  std::unique_ptr<Executor> make_executor(Lab& lab, const ExecutorSpec& spec) override {
    return std::make_unique<QtExecutor>(lab, spec.max_workers);
  }
  FuturePtr make_future() override {
    return std::make_shared<QtHandle>(std::make_shared<QPromise<qint64>>());
  }
  WaitSplit wait(const std::vector<FuturePtr>& futures, ReturnWhen when, Timeout) override {
    if (when == ReturnWhen::kFirstException) peer::raise_unsupported("wait(FIRST_EXCEPTION)");
    QList<QtF> input;
    for (const auto& f : futures) input.append(unwrap(f));
    if (when == ReturnWhen::kAllCompleted) {
      QtFuture::whenAll(input.begin(), input.end()).waitForFinished();
    } else {
      QtFuture::whenAny(input.begin(), input.end()).waitForFinished();
    }
    WaitSplit split;
    std::vector<const Future*> seen;
    for (std::size_t i = 0; i < futures.size(); ++i) {
      if (std::find(seen.begin(), seen.end(), futures[i].get()) != seen.end()) continue;
      seen.push_back(futures[i].get());
      (input[static_cast<int>(i)].isFinished() ? split.done : split.not_done).push_back(i);
    }
    return split;
  }
};

}  // namespace
}  // namespace cf::conformance

CF_CONFORMANCE_ADAPTER(cf::conformance::Qt6)
