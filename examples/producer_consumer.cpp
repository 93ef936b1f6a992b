// cf_example_producer_consumer — seed 004 ("Multi-threading", Prod and Cons using Queue).
//
// Mirrors the seed's producer–consumer: queue.Queue(maxsize=10) and a
// threading.Event shared by a producer and a consumer submitted to
// ThreadPoolExecutor(max_workers=2); the main thread sleeps 0.1 s, logs
// "Main: about to set event" and sets the event; the producer stops, the
// consumer drains the queue and stops, and leaving the `with` block (here the
// executor's destructor) waits for both.
//
// Two deliberate differences, both to keep a C++ run short and never hung:
// - The producer waits a random 0-1 ms per message (the "network wait" its
//   docstring assumes). Without it a C++ producer makes tens of thousands of
//   messages in 0.1 s; with it a run logs about a hundred, like the seed.
// - The consumer's get() waits at most 10 ms and then re-checks the loop
//   condition, as queue.get(timeout=0.01) + `except queue.Empty` would. The
//   seed's blocking get() can wait forever: if the event is set while the
//   consumer is already blocked on an empty queue, no message ever comes.
// One race of the seed is kept: a message the producer makes after the
// consumer's last look at the event can be put into the queue after the
// consumer has left, and is never stored ("Producer made message" after
// "Consumer received event. Exiting."). A sentinel put by the producer after
// its loop, ending the consumer, would close it.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <queue>
#include <random>
#include <thread>

#include "cf/cf.hpp"
#include "python_style.hpp"

namespace {

using namespace std::chrono_literals;
using examples::log_info;

// queue.Queue(maxsize): put() blocks while full, get() while empty.
class BoundedQueue {
 public:
  explicit BoundedQueue(std::size_t maxsize) : maxsize_(maxsize) {}

  void put(int item) {
    std::unique_lock<std::mutex> lock(mu_);
    not_full_.wait(lock, [&] { return items_.size() < maxsize_; });
    items_.push(item);
    not_empty_.notify_one();
  }

  // get(timeout=): the oldest item, or nullopt (queue.Empty) after `timeout`.
  std::optional<int> get(std::chrono::milliseconds timeout) {
    std::unique_lock<std::mutex> lock(mu_);
    if (!not_empty_.wait_for(lock, timeout, [&] { return !items_.empty(); })) return std::nullopt;
    int item = items_.front();
    items_.pop();
    not_full_.notify_one();
    return item;
  }

  bool empty() const {
    std::lock_guard<std::mutex> lock(mu_);
    return items_.empty();
  }
  std::size_t qsize() const {
    std::lock_guard<std::mutex> lock(mu_);
    return items_.size();
  }

 private:
  const std::size_t maxsize_;
  mutable std::mutex mu_;
  std::condition_variable not_full_;
  std::condition_variable not_empty_;
  std::queue<int> items_;
};

// threading.Event, reduced to what the seed uses.
class Event {
 public:
  void set() { flag_.store(true, std::memory_order_release); }
  bool is_set() const { return flag_.load(std::memory_order_acquire); }

 private:
  std::atomic<bool> flag_{false};
};

void producer(BoundedQueue& queue, Event& event) {
  std::mt19937 rng(std::random_device{}());
  std::uniform_int_distribution<int> randint(1, 11);  // random.randint(1, 11), inclusive
  std::uniform_int_distribution<int> network_us(0, 1000);
  while (!event.is_set()) {
    std::this_thread::sleep_for(std::chrono::microseconds(network_us(rng)));
    int message = randint(rng);
    log_info("Producer made message: %d", message);
    queue.put(message);
  }
  log_info("Producer received event. Exiting.");
}

void consumer(BoundedQueue& queue, Event& event) {
  while (!event.is_set() || !queue.empty()) {
    std::optional<int> message = queue.get(10ms);
    if (!message) continue;  // queue.Empty: look at the event again
    log_info("Consumer storing message: %d (size=%zu)", *message, queue.qsize());
  }
  log_info("Consumer received event. Exiting.");
}

}  // namespace

int main() {
  BoundedQueue pipeline(10);
  Event event;
  {
    cf::ThreadPoolExecutor executor(2);
    executor.submit(producer, std::ref(pipeline), std::ref(event));
    executor.submit(consumer, std::ref(pipeline), std::ref(event));

    std::this_thread::sleep_for(100ms);
    log_info("Main: about to set event");
    event.set();
  }  // shutdown(wait=true), as leaving the seed's `with` block
  return 0;
}
