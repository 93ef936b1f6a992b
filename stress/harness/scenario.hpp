// scenario.hpp — what a stress scenario is (jcstress style).
//
// A scenario is a few actors released together on separate threads, an
// arbiter that reads what happened, and an outcome table: every outcome the
// arbiter can name is ACCEPTABLE, INTERESTING (allowed, but worth counting)
// or FORBIDDEN, with one sentence saying why. An outcome the table does not
// name is forbidden too (the catch-all). A liveness scenario is the same
// shape in termination mode: its outcomes are "woken" (acceptable) and
// "stuck" (forbidden), the blocked call bounded by kGenerous.
//
// The harness (runner.cpp) makes one Trial per scenario and backend, then per
// iteration calls setup(), releases every actor(i) at once through a start
// barrier on threads reused across iterations, waits for them all, and calls
// arbiter(). Trials never sleep to synchronise: actors block on futures,
// latches or the pool's own completion, and every blocking call is bounded.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace cf::stress {

enum class Backend { kThread, kProcess };
enum class Verdict { kAcceptable, kInteresting, kForbidden };

const char* backend_name(Backend backend);
const char* verdict_name(Verdict verdict);

// How long a blocked call may take before the outcome is "stuck": far past
// any real wake-up latency, even under ThreadSanitizer on a loaded machine.
inline constexpr std::chrono::seconds kGenerous{20};

struct Outcome {
  std::string id;
  Verdict verdict;
  std::string meaning;
};

// What a trial is made with.
struct Context {
  Backend backend;
  std::uint64_t seed;
};

// One scenario on one backend, reused across iterations.
class Trial {
 public:
  virtual ~Trial() = default;
  // Fresh state for the next iteration (runs before the actors are released).
  virtual void setup() {}
  // Actor `index` of this iteration; all actors start together.
  virtual void actor(int index) = 0;
  // Runs after every actor returned; names the outcome (an Outcome::id).
  virtual std::string arbiter() = 0;
  // After the arbiter: release what the iteration still holds.
  virtual void teardown() {}

 protected:
  std::mt19937_64 rng_{0};
  friend class Runner;
};

struct Scenario {
  std::string name;         // "<primitive>.<property>"
  std::string description;  // one line
  int actors = 2;
  std::vector<Backend> backends;
  std::vector<Outcome> outcomes;
  std::function<std::unique_ptr<Trial>(const Context&)> make;
};

// Registration at static-initialisation time, one call per scenario file.
bool register_scenario(Scenario scenario);
// Every registered scenario, sorted by name.
const std::vector<Scenario>& all_scenarios();

// Outcome ids for liveness and for actors that threw.
inline constexpr const char* kWoken = "woken";
inline constexpr const char* kStuck = "stuck";

}  // namespace cf::stress

#define CF_STRESS_CONCAT2(a, b) a##b
#define CF_STRESS_CONCAT(a, b) CF_STRESS_CONCAT2(a, b)
#define CF_STRESS_SCENARIO(...)                                                           \
  [[maybe_unused]] static const bool CF_STRESS_CONCAT(cf_stress_scenario_, __COUNTER__) = \
      ::cf::stress::register_scenario(__VA_ARGS__)
