// The onetbb adapter: a oneTBB task_arena (the worker count) and a
// task_group (the submitted work), with a std::promise per task.
//
// What oneTBB has: a concurrency limit per arena, task_group::wait() draining
// the group, task_group::cancel() skipping every task not yet started (the
// group-wide cancel used for shutdown(cancel_futures=true); a skipped task's
// promise reports CancelledError). What it lacks: futures (run() returns
// void), per-task cancel, state queries, callbacks, wait/as_completed/map, a
// closed state refusing later submissions (EXEC-SUBMIT-4 fails). Destroying a
// task_group that was not waited for cancels what has not started, waits for
// the rest and throws missing_wait (SHUT-DTOR-1 fails: queued work is
// cancelled, not run).
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>
#include <oneapi/tbb/task_group.h>
#include <oneapi/tbb/version.h>

#include <future>
#include <memory>

#include "harness/adapter.hpp"
#include "peer_common.hpp"

namespace cf::conformance {
namespace {

// A submitted probe and its promise. A task the group skips is destroyed
// without running: its promise then reports the library's cancellation.
class Task {
 public:
  Task(Lab& lab, Probe probe) : lab_(lab), probe_(std::move(probe)) {}
  ~Task() {
    if (!ran_) promise_.set_exception(std::make_exception_ptr(peer::PeerCancelled()));
  }
  std::shared_future<std::int64_t> future() { return promise_.get_future().share(); }
  void run() {
    ran_ = true;
    try {
      promise_.set_value(run_probe(lab_, probe_, this_thread_token()));
    } catch (...) {
      promise_.set_exception(std::current_exception());
    }
  }

 private:
  Lab& lab_;
  Probe probe_;
  bool ran_ = false;
  std::promise<std::int64_t> promise_;
};

class TbbExecutor final : public peer::PeerExecutor {
 public:
  TbbExecutor(Lab& lab, int concurrency)
      // No slot reserved for an external thread: every slot is a worker, so a
      // pool of one runs tasks although no thread ever calls wait().
      : lab_(lab),
        concurrency_(concurrency),
        arena_(concurrency, 0),
        group_(std::make_unique<tbb::task_group>()) {}

  ~TbbExecutor() override {
    // ~task_group throws missing_wait when work was never waited for; a
    // unique_ptr cannot let it through (reset() is noexcept), so the group is
    // deleted by hand inside the arena.
    tbb::task_group* group = group_.release();
    try {
      arena_.execute([group] { delete group; });
    } catch (const tbb::missing_wait&) {
      // The library's verdict on a group destroyed while it had work.
    }
  }

  FuturePtr submit(const Probe& probe) override {
    auto task = std::make_shared<Task>(lab_, probe);
    auto f = task->future();
    arena_.execute([&] { group_->run([task] { task->run(); }); });
    return std::make_shared<peer::StdFuture<std::int64_t>>(f);
  }

  void shutdown(bool wait, bool cancel_futures) override {
    if (cancel_futures) group_->cancel();
    if (wait) arena_.execute([&] { group_->wait(); });
  }

  int max_workers() override { return concurrency_; }

 private:
  Lab& lab_;
  int concurrency_;
  tbb::task_arena arena_;
  std::unique_ptr<tbb::task_group> group_;
};

class OneTbb final : public peer::PeerImplementation {
 public:
  // oneTBB's market gives all arenas together cores - 1 workers by default;
  // the global limit is raised so an arena of N gets N workers on a small CI
  // machine (a documented knob, not a change of semantics).
  OneTbb() : limit_(tbb::global_control::max_allowed_parallelism, 256) {}

  std::string name() const override { return "onetbb"; }
  std::string about() const override {
    return std::string("oneTBB ") + TBB_VERSION_STRING +
           " task_arena + task_group with std::promise";
  }
  Caps caps() const override {
    return Cap::kResultTimeout | Cap::kResultBlocking | Cap::kDone | Cap::kMaxWorkers |
           Cap::kShutdownNoWait | Cap::kCancelFutures | Cap::kDrainingDestructor;
  }
  std::unique_ptr<Executor> make_executor(Lab& lab, const ExecutorSpec& spec) override {
    int concurrency = spec.max_workers.value_or(tbb::task_arena::automatic);
    return std::make_unique<TbbExecutor>(lab, concurrency);
  }

 private:
  tbb::global_control limit_;
};

}  // namespace
}  // namespace cf::conformance

CF_CONFORMANCE_ADAPTER(cf::conformance::OneTbb)
