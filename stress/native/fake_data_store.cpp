// fake_data_store.{unlocked,locked} — seed 004's FakeDataStore on a
// two-worker pool: each of two actors submits update() and waits for it.
//
// update() copies the value, yields (the seed's sleep, shortened) and writes
// the copy + 1 back. `value` is an atomic read and written separately, so the
// lost update is a logic race, not a C++ data race (TSan-clean).
//
// Outcomes: the two tables at the end of this file, unlocked and locked, in
// jcstress's form (the verdict, what it means); `--list` prints them.
//
// A row of the reference-thread column only: a seed program on cf's thread
// pool, about the program's own locking, so its table names no clause.
#include <atomic>
#include <mutex>
#include <thread>

#include "cf/thread_pool.hpp"
#include "scenario.hpp"

namespace cf::stress {
namespace {

class FakeDataStore {
 public:
  void update(bool locked) {
    std::unique_lock<std::mutex> guard(lock_, std::defer_lock);
    if (locked) guard.lock();
    int local_copy = value_.load(std::memory_order_relaxed);
    local_copy += 1;
    std::this_thread::yield();
    value_.store(local_copy, std::memory_order_relaxed);
  }
  int value() const { return value_.load(); }
  void reset() { value_ = 0; }

 private:
  std::atomic<int> value_{0};
  std::mutex lock_;
};

class FakeDataStoreTrial final : public Trial {
 public:
  explicit FakeDataStoreTrial(bool locked) : locked_(locked), pool_(2) {}
  void setup() override { store_.reset(); }
  void actor(int) override {
    pool_.submit([this] { store_.update(locked_); }).result(kGenerous);
  }
  std::string arbiter() override {
    int v = store_.value();
    return v == 2 ? "2" : v == 1 ? "1 (lost)" : std::to_string(v);
  }

 private:
  bool locked_;
  FakeDataStore store_;
  ThreadPoolExecutor pool_;
};

CF_STRESS_SCENARIO(Scenario{
    "fake_data_store.unlocked",
    "seed 004's FakeDataStore.update without a lock: lost updates are possible",
    "",
    2,
    0,
    // clang-format off
    {acceptable(  "2",        "the updates did not overlap"),
     interesting( "1 (lost)", "both read 0: one increment lost, as the seed shows without a lock")},
    // clang-format on
    [](Stage&) { return std::make_unique<FakeDataStoreTrial>(false); }});

CF_STRESS_SCENARIO(Scenario{
    "fake_data_store.locked",
    "seed 004's FakeDataStore.update with its lock: no update is lost",
    "",
    2,
    0,
    // clang-format off
    {acceptable( "2",        "the lock serialised the updates"),
     forbidden(  "1 (lost)", nullptr, "an update was lost despite the lock")},
    // clang-format on
    [](Stage&) { return std::make_unique<FakeDataStoreTrial>(true); }});

}  // namespace
}  // namespace cf::stress
