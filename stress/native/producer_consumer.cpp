// producer_consumer.bounded — seed 004's pipeline: a producer and a consumer
// task on a two-worker pool through a queue of capacity 2.
//
// Actor 0 submits the producer (puts 0..15, then a sentinel); actor 1
// submits the consumer (takes until the sentinel). Both results are awaited
// with kGenerous; the queue's waits are bounded by it too.
//
// Outcomes: the table at the end of this file, in jcstress's form (the verdict,
// the clause a forbidden outcome breaks, what it means); `--list` prints it.
//
// A row of the reference-thread column only: a seed program on cf's thread
// pool, about the program's own locking, so its table names no clause.
#include <condition_variable>
#include <deque>
#include <mutex>
#include <set>

#include "cf/thread_pool.hpp"
#include "scenario.hpp"

namespace cf::stress {
namespace {

constexpr int kItems = 16;
constexpr int kSentinel = -1;

class BoundedQueue {
 public:
  explicit BoundedQueue(std::size_t capacity) : capacity_(capacity) {}
  bool put(int v) {
    std::unique_lock lock(mutex_);
    if (!not_full_.wait_for(lock, kGenerous, [&] { return items_.size() < capacity_; }))
      return false;
    items_.push_back(v);
    not_empty_.notify_one();
    return true;
  }
  std::optional<int> get() {
    std::unique_lock lock(mutex_);
    if (!not_empty_.wait_for(lock, kGenerous, [&] { return !items_.empty(); })) return std::nullopt;
    int v = items_.front();
    items_.pop_front();
    not_full_.notify_one();
    return v;
  }

 private:
  std::size_t capacity_;
  std::mutex mutex_;
  std::condition_variable not_full_, not_empty_;
  std::deque<int> items_;
};

class ProducerConsumer final : public Trial {
 public:
  ProducerConsumer() : pool_(2) {}
  void setup() override {
    queue_.emplace(2);
    got_.clear();
    produced_ok_ = consumed_ok_ = false;
  }
  void actor(int i) override {
    if (i == 0) {
      produced_ok_ = pool_
                         .submit([this] {
                           for (int v = 0; v < kItems; ++v) {
                             if (!queue_->put(v)) return false;
                           }
                           return queue_->put(kSentinel);
                         })
                         .result(kGenerous);
    } else {
      consumed_ok_ = pool_
                         .submit([this] {
                           for (;;) {
                             auto v = queue_->get();
                             if (!v) return false;
                             if (*v == kSentinel) return true;
                             got_.push_back(*v);
                           }
                         })
                         .result(kGenerous);
    }
  }
  std::string arbiter() override {
    if (!produced_ok_ || !consumed_ok_) return "stuck";
    std::set<int> distinct(got_.begin(), got_.end());
    if (distinct.size() != got_.size()) return "duplicated";
    if (static_cast<int>(got_.size()) != kItems) return "lost";
    for (int v = 0; v < kItems; ++v) {
      if (got_[v] != v) return "reordered";
    }
    return "all in order";
  }

 private:
  ThreadPoolExecutor pool_;
  std::optional<BoundedQueue> queue_;
  std::vector<int> got_;
  bool produced_ok_ = false;
  bool consumed_ok_ = false;
};

CF_STRESS_SCENARIO(Scenario{
    "producer_consumer.bounded",
    "producer and consumer tasks through a bounded queue: nothing lost or duplicated",
    "",
    2,
    0,
    // clang-format off
    {acceptable( "all in order",          "every item arrived once, in order"),
     forbidden(  "lost",         nullptr, "an item never arrived"),
     forbidden(  "duplicated",   nullptr, "an item arrived twice"),
     forbidden(  "reordered",    nullptr, "items arrived out of order from a FIFO queue"),
     forbidden(  "stuck",        nullptr, "producer or consumer never finished")},
    // clang-format on
    [](Stage&) { return std::make_unique<ProducerConsumer>(); }});

}  // namespace
}  // namespace cf::stress
