// fake_data_store.{unlocked,locked} — seed 004's FakeDataStore on a
// two-worker pool: each of two actors submits update() and waits for it.
//
// update() copies the value, yields (the seed's sleep, shortened) and writes
// the copy + 1 back. `value` is an atomic read and written separately, so the
// lost update is a logic race, not a C++ data race (TSan-clean).
//
// unlocked:
//   outcome       verdict      meaning
//   2             ACCEPTABLE   the updates did not overlap
//   1 (lost)      INTERESTING  both read 0: one increment lost, as the seed shows without a lock
// locked (std::lock_guard around the read-modify-write):
//   2             ACCEPTABLE   the lock serialised the updates
//   1 (lost)      FORBIDDEN    an update was lost despite the lock
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
    {{"2", Verdict::kAcceptable, "the updates did not overlap"},
     {"1 (lost)", Verdict::kInteresting,
      "both read 0: one increment lost, as the seed shows without a lock"}},
    [](Stage&) { return std::make_unique<FakeDataStoreTrial>(false); }});

CF_STRESS_SCENARIO(Scenario{
    "fake_data_store.locked",
    "seed 004's FakeDataStore.update with its lock: no update is lost",
    "",
    2,
    0,
    {{"2", Verdict::kAcceptable, "the lock serialised the updates"},
     {"1 (lost)", Verdict::kForbidden, "an update was lost despite the lock"}},
    [](Stage&) { return std::make_unique<FakeDataStoreTrial>(true); }});

}  // namespace
}  // namespace cf::stress
