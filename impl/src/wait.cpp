#include "cf/wait.hpp"

#include <mutex>
#include <string>

#include "cf/detail/sync.hpp"

namespace cf {
namespace detail {
namespace {

// Collects completions pushed by futures, in the order they happen.
class CompletionQueue final : public Waiter {
 public:
  void on_complete(StateBase* state) override {
    std::lock_guard lock(mutex_);
    completed_.push_back(state);
    arrived_.notify_one();
  }

  // Blocks until a completion is queued or `deadline` passes; takes them all.
  std::deque<StateBase*> take(const Deadline& deadline) {
    std::unique_lock lock(mutex_);
    auto any = [this] { return !completed_.empty(); };
    if (deadline.is_never()) {
      arrived_.wait(lock, any);
    } else {
      arrived_.wait_until(lock, deadline.when(), any);
    }
    return std::exchange(completed_, {});
  }

 private:
  sync::Mutex mutex_;
  sync::CondVar arrived_;
  std::deque<StateBase*> completed_;
};

std::vector<AnyFuture> unique(std::vector<AnyFuture> futures) {
  FutureSet seen;
  std::vector<AnyFuture> out;
  for (auto& f : futures) {
    if (seen.insert(f).second) out.push_back(std::move(f));
  }
  return out;
}

}  // namespace

DoneAndNotDone wait_impl(std::vector<AnyFuture> futures, ReturnWhen when, Deadline deadline) {
  futures = unique(std::move(futures));
  CompletionQueue queue;
  std::size_t done = 0;
  bool failed = false;
  for (auto& f : futures) {
    if (!f.state().add_waiter(&queue)) {
      ++done;
      failed = failed || f.state().failed();
    }
  }
  auto satisfied = [&] {
    if (done == futures.size()) return true;
    switch (when) {
      case ReturnWhen::kFirstCompleted:
        return done > 0;
      case ReturnWhen::kFirstException:
        return failed;
      case ReturnWhen::kAllCompleted:
        return false;
    }
    return false;
  };
  while (!satisfied() && !deadline.passed()) {
    for (StateBase* state : queue.take(deadline)) {
      ++done;
      failed = failed || state->failed();
    }
  }
  for (auto& f : futures) f.state().remove_waiter(&queue);

  // The split is taken after the waiter is gone, so a late completion lands
  // in `done` rather than being lost between the two sets.
  DoneAndNotDone split;
  for (auto& f : futures) (f.done() ? split.done : split.not_done).insert(std::move(f));
  return split;
}

}  // namespace detail

struct AsCompleted::Watch {
  detail::CompletionQueue queue;
  Deadline deadline = Deadline::never();
  std::size_t total = 0;
  std::deque<AnyFuture> ready;  // done, not yet yielded
  std::unordered_map<detail::StateBase*, AnyFuture> pending;
};

AsCompleted::AsCompleted(std::vector<AnyFuture> futures, Deadline deadline)
    : watch_(std::make_unique<Watch>()) {
  futures = detail::unique(std::move(futures));
  watch_->deadline = deadline;
  watch_->total = futures.size();
  for (auto& f : futures) {
    if (f.state().add_waiter(&watch_->queue)) {
      watch_->pending.emplace(&f.state(), f);
    } else {
      watch_->ready.push_back(f);  // already done: yielded first [ASC-DONE-1]
    }
  }
}

AsCompleted::AsCompleted(AsCompleted&&) noexcept = default;
AsCompleted& AsCompleted::operator=(AsCompleted&&) noexcept = default;

AsCompleted::~AsCompleted() {
  if (!watch_) return;
  for (auto& [state, f] : watch_->pending) state->remove_waiter(&watch_->queue);
}

std::size_t AsCompleted::remaining() const { return watch_->ready.size() + watch_->pending.size(); }

std::optional<AnyFuture> AsCompleted::next() {
  auto& w = *watch_;
  while (w.ready.empty()) {
    if (w.pending.empty()) return std::nullopt;
    if (w.deadline.passed()) {
      throw TimeoutError(std::to_string(w.pending.size()) + " (of " + std::to_string(w.total) +
                         ") futures unfinished");
    }
    for (detail::StateBase* state : w.queue.take(w.deadline)) {
      auto it = w.pending.find(state);
      w.ready.push_back(std::move(it->second));  // completion order [ASC-ORDER-1]
      w.pending.erase(it);
    }
  }
  AnyFuture f = std::move(w.ready.front());
  w.ready.pop_front();
  return f;
}

}  // namespace cf
