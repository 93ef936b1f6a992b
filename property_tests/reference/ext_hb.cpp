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

// The rule that says the way `how` observes a completion that happened.
const char* observer_rule(Observe how) {
  switch (how) {
    case Observe::kWait:
      return "WAIT-ALL-1";
    case Observe::kAsCompleted:
      return "ASC-ALL-1";
    default:
      return "EXEC-SUBMIT-1";  // the task finishes, and result/exception/done see it
  }
}

// Observes the completion of `f` the way `how` says; false if it was not
// observed within kLong.
bool observe(const cf::Future<void>& f, Observe how) {
  switch (how) {
    case Observe::kResult:
      try {
        f.result(kLong);
      } catch (const TaskFailure&) {
      } catch (const cf::TimeoutError&) {
        return false;
      }
      return true;
    case Observe::kException:
      try {
        (void)f.exception(kLong);
      } catch (const cf::TimeoutError&) {
        return false;
      }
      return true;
    case Observe::kDone: {
      // Polling done() is a legitimate observer too; bounded, and yielding
      // so the worker gets the core on a 2-core machine.
      auto deadline = cf::Clock::now() + kLong;
      while (!f.done() && cf::Clock::now() < deadline) std::this_thread::yield();
      return f.done();
    }
    case Observe::kWait:
      return cf::wait({f}, cf::ALL_COMPLETED, kLong).done.size() == 1;
    case Observe::kAsCompleted: {
      auto run = cf::as_completed({f}, kLong);
      return run.next().has_value();
    }
    case Observe::kCount:
      break;
  }
  return false;
}

TEST_F(Conformance, EXT_HB_TaskWritesVisibleToEveryObserver) {
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
    CF_PRECONDITION(observer_rule(how), observe(f, how))
        << "round " << round << ": observer " << static_cast<int>(how)
        << " never saw the completion";
    CF_ASSERT("EXT-HB-1", matches(*payload, round))
        << "round " << round << ", observer " << static_cast<int>(how);
  }
}

TEST_F(Conformance, EXT_HB_AsCompletedStepSeesThatTasksWrites) {
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
    {
      CF_STEP("ASC-ALL-1");
      for (const cf::AnyFuture& f : cf::as_completed(futures, kLong)) {
        int k = 0;
        while (k < kTasks && !(f == futures[k])) ++k;
        CF_ASSERT("ASC-ALL-1", k < kTasks)
            << "round " << round << ": a future that was not an input";
        CF_CHECK("EXT-HB-1", matches(slots[k], round * kTasks + k))
            << "round " << round << ", task " << k;
        ++yielded;
      }
    }
    CF_CHECK_EQ("ASC-ALL-1", yielded, kTasks) << "round " << round;
  }
}

TEST_F(Conformance, EXT_HB_FirstCompletedWaitSeesDoneTasksWrites) {
  constexpr int kTasks = 4;
  cf::ThreadPoolExecutor pool(kTasks);
  for (int round = 0; round < kRounds / 10; ++round) {
    std::vector<Payload> slots(kTasks);
    std::vector<cf::Future<void>> futures;
    for (int k = 0; k < kTasks; ++k) {
      futures.push_back(
          pool.submit([slot = &slots[k], seed = round * kTasks + k] { fill(*slot, seed); }));
    }
    auto split =
        ext::during("WAIT-FIRST-1", [&] { return cf::wait(futures, cf::FIRST_COMPLETED, kLong); });
    CF_ASSERT("WAIT-FIRST-1", !split.done.empty()) << "round " << round;
    for (int k = 0; k < kTasks; ++k) {
      if (split.done.count(futures[k]) == 1) {
        CF_CHECK("EXT-HB-1", matches(slots[k], round * kTasks + k))
            << "round " << round << ", task " << k;
      }
    }
    // The rest are read only after they too are observed done.
    ext::during("WAIT-ALL-1", [&] { return cf::wait(futures, cf::ALL_COMPLETED, kLong); });
    for (int k = 0; k < kTasks; ++k) {
      CF_ASSERT("WAIT-ALL-1", futures[k].done()) << "round " << round << ", task " << k;
      CF_CHECK("EXT-HB-1", matches(slots[k], round * kTasks + k))
          << "round " << round << ", task " << k;
    }
  }
}

// A callback added while another thread completes the future runs either in
// the completing thread [FUT-CB-1] or, if it lost the race, at once in the
// adding thread [FUT-CB-3]; in both cases it must see what the producer wrote
// before set_result.
TEST_F(Conformance, EXT_HB_CallbackSeesProducerWritesWhicheverThreadRunsIt) {
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
    std::thread::id ran_in;
    both.count_down();
    both.wait_for(kLong);
    f.add_done_callback([&](const cf::Future<int>& g) {
      ++calls;
      ran_in = std::this_thread::get_id();
      saw_writes = matches(payload, g.result(0s));
    });
    {
      CF_STEP("FUT-CB-1");  // set_result runs the callbacks added before it, then returns
      producer.join();      // orders the callback's writes (if it ran there) before the reads below
    }
    // Which rule applies depends on who won the race: the thread that ran it
    // says (a callback that never ran is charged to the first path).
    const char* path = ran_in == std::this_thread::get_id() ? "FUT-CB-3" : "FUT-CB-1";
    CF_ASSERT_EQ(path, calls, 1) << "round " << round;
    CF_ASSERT("EXT-HB-1", saw_writes) << "round " << round;
  }
}

}  // namespace
}  // namespace cf::conformance
