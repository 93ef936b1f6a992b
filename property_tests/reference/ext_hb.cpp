// EXT-HB-1: completion happens-before observation.
//
// Tasks write plain (non-atomic, unlocked) memory and the test reads it after
// observing the completion in each of the ways the clause lists. The values
// must match, and under ThreadSanitizer the reads must not race with the
// writes: the future's own synchronisation is the only thing ordering them.
#include <array>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "cf/cf.hpp"
#include "ext_support.hpp"
#include "harness/suite.hpp"

namespace cf::conformance {
namespace {

// Enough rounds for TSan to see many interleavings, few enough to stay fast.
constexpr int kRounds = 100;

struct TaskFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Plain memory: no atomics, no locks, heap parts included.
struct Payload {
  std::array<int, 64> numbers{};
  std::string text;
  std::vector<int> list;
};

void fill(Payload& p, int seed) {
  for (int i = 0; i < static_cast<int>(p.numbers.size()); ++i) p.numbers[i] = seed * 1000 + i;
  p.text = "payload-" + std::to_string(seed) + std::string(100, 'z');
  p.list.assign(50, seed);
}

bool matches(const Payload& p, int seed) {
  for (int i = 0; i < static_cast<int>(p.numbers.size()); ++i) {
    if (p.numbers[i] != seed * 1000 + i) return false;
  }
  return p.text == "payload-" + std::to_string(seed) + std::string(100, 'z') &&
         p.list == std::vector<int>(50, seed);
}

// How the reader learns of the completion; one round per way, in turn.
enum class Observe { kResult, kException, kDone, kWait, kAsCompleted, kCount };

void observe(const cf::Future<void>& f, Observe how) {
  switch (how) {
    case Observe::kResult:
      try {
        f.result(kLong);
      } catch (const TaskFailure&) {
      }
      return;
    case Observe::kException:
      (void)f.exception(kLong);
      return;
    case Observe::kDone: {
      // Polling done() is a legitimate observer too; bounded, and yielding
      // so the worker gets the core on a 2-core machine.
      auto deadline = cf::Clock::now() + kLong;
      while (!f.done() && cf::Clock::now() < deadline) std::this_thread::yield();
      ASSERT_TRUE(f.done());
      return;
    }
    case Observe::kWait: {
      auto split = cf::wait({f}, cf::ALL_COMPLETED, kLong);
      ASSERT_EQ(split.done.size(), 1u);
      return;
    }
    case Observe::kAsCompleted: {
      auto run = cf::as_completed({f}, kLong);
      ASSERT_TRUE(run.next().has_value());
      return;
    }
    case Observe::kCount:
      break;
  }
  FAIL() << "unknown observer";
}

TEST_F(Conformance, EXT_HB_TaskWritesVisibleToEveryObserver) {
  CF_CLAUSES("EXT-HB-1");
  cf::ThreadPoolExecutor pool(2);
  constexpr int kWays = static_cast<int>(Observe::kCount);
  for (int round = 0; round < kRounds; ++round) {
    auto payload = std::make_unique<Payload>();
    // Odd rounds fail after writing: set_exception publishes too.
    auto f = pool.submit([p = payload.get(), round] {
      fill(*p, round);
      if (round % 2 == 1) throw TaskFailure("after writing");
    });
    auto how = static_cast<Observe>(round % kWays);
    observe(f, how);
    if (HasFatalFailure()) return;
    ASSERT_TRUE(matches(*payload, round))
        << "round " << round << ", observer " << static_cast<int>(how);
  }
}

TEST_F(Conformance, EXT_HB_AsCompletedStepSeesThatTasksWrites) {
  CF_CLAUSES("EXT-HB-1", "ASC-ALL-1");
  constexpr int kTasks = 8;
  cf::ThreadPoolExecutor pool(3);
  for (int round = 0; round < kRounds / 10; ++round) {
    std::vector<Payload> slots(kTasks);
    std::vector<cf::Future<void>> futures;
    for (int k = 0; k < kTasks; ++k) {
      futures.push_back(
          pool.submit([slot = &slots[k], seed = round * kTasks + k] { fill(*slot, seed); }));
    }
    // Only the yielded future's writes are promised; read nothing else.
    int yielded = 0;
    for (const cf::AnyFuture& f : cf::as_completed(futures, kLong)) {
      int k = 0;
      while (k < kTasks && !(f == futures[k])) ++k;
      ASSERT_LT(k, kTasks);
      EXPECT_TRUE(matches(slots[k], round * kTasks + k)) << "round " << round << ", task " << k;
      ++yielded;
    }
    EXPECT_EQ(yielded, kTasks);
  }
}

TEST_F(Conformance, EXT_HB_FirstCompletedWaitSeesDoneTasksWrites) {
  CF_CLAUSES("EXT-HB-1", "WAIT-FIRST-1");
  constexpr int kTasks = 4;
  cf::ThreadPoolExecutor pool(kTasks);
  for (int round = 0; round < kRounds / 10; ++round) {
    std::vector<Payload> slots(kTasks);
    std::vector<cf::Future<void>> futures;
    for (int k = 0; k < kTasks; ++k) {
      futures.push_back(
          pool.submit([slot = &slots[k], seed = round * kTasks + k] { fill(*slot, seed); }));
    }
    auto split = cf::wait(futures, cf::FIRST_COMPLETED, kLong);
    ASSERT_FALSE(split.done.empty());
    for (int k = 0; k < kTasks; ++k) {
      if (split.done.count(futures[k]) == 1) {
        EXPECT_TRUE(matches(slots[k], round * kTasks + k)) << "round " << round << ", task " << k;
      }
    }
    // The rest are read only after they too are observed done.
    cf::wait(futures, cf::ALL_COMPLETED, kLong);
    for (int k = 0; k < kTasks; ++k) {
      ASSERT_TRUE(futures[k].done());
      EXPECT_TRUE(matches(slots[k], round * kTasks + k));
    }
  }
}

// A callback added while another thread completes the future runs either in
// the completing thread or, if it lost the race, at once in the adding thread;
// in both cases it must see what the producer wrote before set_result.
TEST_F(Conformance, EXT_HB_CallbackSeesProducerWritesWhicheverThreadRunsIt) {
  CF_CLAUSES("EXT-HB-1", "FUT-CB-1", "FUT-CB-3");
  for (int round = 0; round < kRounds; ++round) {
    Payload payload;
    cf::Future<int> f;
    ext::Countdown both(2);
    std::thread producer([&] {
      both.count_down();
      both.wait_for(kLong);  // start together with the adder, to race it
      fill(payload, round);
      f.set_result(round);
    });
    int calls = 0;
    bool saw_writes = false;
    both.count_down();
    both.wait_for(kLong);
    f.add_done_callback([&](const cf::Future<int>& g) {
      ++calls;
      saw_writes = matches(payload, g.result(0s));
    });
    producer.join();  // orders the callback's writes (if it ran there) before the reads below
    ASSERT_EQ(calls, 1) << "round " << round;
    ASSERT_TRUE(saw_writes) << "round " << round;
  }
}

}  // namespace
}  // namespace cf::conformance
