#include <rapidcheck.h>

#include <cstdio>
#include <string>
#include <utility>

#include "check.hpp"
#include "record.hpp"
#include "suite.hpp"

namespace cf::conformance {

namespace {

bool running_a_property() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  if (!info) return false;
  std::string suite = info->test_suite_name();
  return suite.size() > 11 && suite.compare(suite.size() - 11, 11, "_RapidCheck") == 0;
}

}  // namespace

Conformance::Conformance() : property_(running_a_property()) {
  if (property_) run::set_test_thread(true, true);
}

Conformance::~Conformance() {
  // A property that threw skipped TearDown (RapidCheck does not call it):
  // open its gates and drain here, so RapidCheck can go on shrinking.
  drain();
  if (property_) run::set_test_thread(true, false);
}

Executor& Conformance::make_executor(std::optional<int> workers) {
  ExecutorSpec spec;
  spec.max_workers = workers;
  return make_executor(spec);
}

Executor& Conformance::make_executor(const ExecutorSpec& spec) {
  executors_.push_back(impl().make_executor(lab, spec));
  return *executors_.back();
}

void Conformance::drain() noexcept {
  lab.open_all();
  if (executors_.empty()) return;
  // Every gate is open, so every task can finish: shutdown(wait=true) must
  // return [SHUT-WAIT-1]. A hang here is charged there.
  check::Step step("SHUT-WAIT-1", "shutdown(wait=true) of the test's executors, every gate open",
                   __FILE__, __LINE__);
  for (auto& executor : executors_) {
    try {
      executor->shutdown(true, false);
    } catch (...) {
      // Refusing a second shutdown is SHUT-IDEM-1's business, judged by its
      // own tests; here the executor only has to be gone.
    }
  }
  executors_.clear();
}

void Conformance::SetUp() {
  if (!property_) return;
  static int cases = 0;
  ++cases;
  const bool half_spent = run::budget_left() <= std::chrono::nanoseconds(run::budget()) / 2;
  if (!has_tagged_failure(run::snapshot())) {
    // A slow column (a round trip to another process per call, a loaded
    // machine) must not run into the watchdog, whose hang would be charged to
    // whatever step is in progress: past half its budget, a property that
    // has not failed generates no more cases, and says how many it ran.
    if (!half_spent) return;
    static bool stopped = false;
    if (!stopped) {
      stopped = true;
      std::printf("[properties] no new cases after half the test's budget: %d cases ran\n",
                  cases - 1);
    }
    throw ::rc::detail::CaseResult(::rc::detail::CaseResult::Type::Success, "budget");
  }
  if (!half_spent) return;
  static bool told = false;
  if (!told) {
    told = true;
    std::printf(
        "[properties] shrinking stopped at half the test's budget; the counterexample below "
        "is the smallest found so far\n");
  }
  throw ::rc::detail::CaseResult(::rc::detail::CaseResult::Type::Success, "shrinking stopped");
}

void Conformance::TearDown() {
  drain();
  std::string message;
  if (property_ && run::take_deferred_failure(&message)) {
    throw ::rc::detail::CaseResult(::rc::detail::CaseResult::Type::Failure, message);
  }
}

}  // namespace cf::conformance
