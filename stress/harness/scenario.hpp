// scenario.hpp — what a stress scenario is (jcstress style), for any executor.
//
// A scenario is a few actors released together on separate threads, an
// arbiter that reads what happened, and an outcome table: every outcome the
// arbiter can name is ACCEPTABLE, INTERESTING (allowed, but worth counting)
// or FORBIDDEN, with one sentence saying why. A forbidden outcome names the
// one clause of spec/SPEC.md whose rule it breaks: that is the clause it is
// charged to in the conformance report. An outcome the table does not name
// is forbidden too (the catch-all), but no clause is charged: the record is
// inconclusive and says what was seen. A liveness scenario is the same shape
// in termination mode: "woken" acceptable, "stuck" forbidden, the blocked
// call bounded by kGenerous.
//
// Scenarios talk to the implementation under test only through the
// conformance adapter (property_tests/harness/adapter.hpp), as guarded by the
// suite: tasks are Probes, gates and logs live in the trial's Lab. So every
// column of the suite, in the tree or out of it (CF_ADAPTER_DIRS), runs every
// scenario its declared capabilities allow: a scenario needs the capabilities
// it lists and those of every clause its table names, and is n/a elsewhere.
// The few scenarios about cf's process-only API are compiled into the
// reference-process column only (stress/native/).
//
// The harness (runner.cpp) makes one Trial per run, then per iteration calls
// setup(), releases every actor(i) at once through a start barrier on threads
// reused across iterations, waits for them all, and calls arbiter(), then
// teardown(). Trials never sleep to synchronise: actors block on futures,
// gates or hand-overs, and every blocking call is bounded.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "adapter.hpp"
#include "guard.hpp"
#include "lab.hpp"

namespace cf::stress {

using conformance::Cap;
using conformance::Caps;
using conformance::Executor;
using conformance::FuturePtr;
using conformance::Probe;

enum class Verdict { kAcceptable, kInteresting, kForbidden };
const char* verdict_name(Verdict verdict);

// How long a blocked call may take before the outcome is "stuck": far past
// any real wake-up latency, even under ThreadSanitizer on a loaded machine.
inline constexpr std::chrono::seconds kGenerous{20};

struct Outcome {
  std::string id;
  Verdict verdict;
  std::string meaning;
  const char* clause = nullptr;  // a forbidden outcome: the clause whose rule it breaks
};

// The rows of a scenario's outcome table, written as jcstress writes its
// @Outcome annotations: the outcome, the clause a forbidden one breaks, what
// it means. Each scenario keeps its table in one place, formatted by hand.
inline Outcome acceptable(std::string id, std::string meaning) {
  return {std::move(id), Verdict::kAcceptable, std::move(meaning)};
}
inline Outcome interesting(std::string id, std::string meaning) {
  return {std::move(id), Verdict::kInteresting, std::move(meaning)};
}
inline Outcome forbidden(std::string id, const char* clause, std::string meaning) {
  return {std::move(id), Verdict::kForbidden, std::move(meaning), clause};
}

// What a trial is made with: the implementation under test, through the
// suite's guard; the Lab its probes use (made before any executor, so worker
// processes inherit it); the run's seed.
class Stage {
 public:
  explicit Stage(std::uint64_t seed) : seed_(seed) {}
  conformance::Implementation& impl() { return impl_; }
  conformance::Lab& lab() { return lab_; }
  std::uint64_t seed() const { return seed_; }
  bool has(Cap cap) const { return (impl_.caps() & static_cast<Caps>(cap)) != 0; }
  // The most workers a scenario asks for (the warm-up starts that many).
  static constexpr int kMostWorkers = 4;
  // A guarded executor with `workers` workers (nullopt: the default); more
  // than kMostWorkers is a scenario's bug (std::logic_error).
  std::unique_ptr<Executor> executor(std::optional<int> workers);
  std::unique_ptr<Executor> executor(const conformance::ExecutorSpec& spec);

 private:
  conformance::GuardedImplementation impl_{conformance::implementation()};
  conformance::Lab lab_;
  std::uint64_t seed_;
};

// One scenario on one implementation, reused across iterations.
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
  std::string source;       // the real bug it is named after, if any ("CPython gh-92001")
  int actors = 2;
  Caps needs = 0;  // beyond those of the clauses its table names
  std::vector<Outcome> outcomes;
  std::function<std::unique_ptr<Trial>(Stage&)> make;

  // Where it is defined ("stress/scenarios/x.cpp"), as registered.
  const std::string& file() const;
  // The clauses its forbidden outcomes name, in table order.
  std::vector<std::string> clauses() const;
  // What it needs: `needs` and every named clause's needs (SPEC.md).
  Caps all_needs() const;
};

// Registration at static-initialisation time, one call per scenario file.
bool register_scenario(Scenario scenario, const char* file);
// Every registered scenario, sorted by name.
const std::vector<Scenario>& all_scenarios();

// Outcome ids for liveness.
inline constexpr const char* kWoken = "woken";
inline constexpr const char* kStuck = "stuck";

// Builds a Caps from a list: needs(Cap::kCancel, Cap::kWait).
template <class... C>
constexpr Caps needs(C... caps) {
  return (Caps{0} | ... | static_cast<Caps>(caps));
}

}  // namespace cf::stress

#define CF_STRESS_CONCAT2(a, b) a##b
#define CF_STRESS_CONCAT(a, b) CF_STRESS_CONCAT2(a, b)
#define CF_STRESS_SCENARIO(...)                                                           \
  [[maybe_unused]] static const bool CF_STRESS_CONCAT(cf_stress_scenario_, __COUNTER__) = \
      ::cf::stress::register_scenario(__VA_ARGS__, __FILE__)
