// check.hpp — verdicts: every check names the one clause it judges.
//
// A test is a scene and a set of checks. The scene is built by steps that are
// *preconditions*; the checks are *verdicts*. The report's clause table is
// made of verdicts only:
//
//   CF_CHECK(clause, condition) << "what was seen";     a verdict on `clause`
//   CF_CHECK_EQ(clause, actual, expected)               ... comparing two values
//   CF_CHECK_OUTCOME(clause, outcome, kind)             ... an Outcome's kind
//   CF_CHECK_VALUE(clause, outcome, value)              ... a kValue outcome
//   CF_CHECK_RAISES(clause, operation, kind)            ... an operation raising
//   CF_ASSERT*(clause, ...)                             as above, and ends the test on failure
//   CF_PRECONDITION(relies_on, condition) << "why";     a scene step; ends the test on failure
//   CF_STEP(clause);                                     the rest of the scope judges `clause`
//
// Verdicts. A check records pass or fail for its clause, with its message,
// where it is, and what was observed. A check whose clause needs a capability
// the implementation does not declare (the clause's **Needs.** line in
// SPEC.md) is no verdict: it records "n/a" for that clause and fails nothing.
// So is a check whose condition reads what cancel() returned, where the
// implementation's cancel() reports nothing (Cap::kCancelResult).
// In a RapidCheck property a failed check ends the case (RapidCheck then
// shrinks); in an example test it is non-fatal, like EXPECT_*. A fatal one
// (CF_ASSERT*, CF_PRECONDITION) ends the test by throwing check::Abandon from
// the test's own thread, so it works in helpers at any depth; on another
// thread it is recorded and the thread goes on.
//
// Preconditions. A failed precondition makes the test `inconclusive` for the
// clauses it would have judged, and ends it. When the step relies on a rule
// of the spec (a submitted task runs [EXEC-SUBMIT-1], submit queues work it
// cannot start yet [EXEC-QUEUE-1]), name that clause: the failure is a `fail`
// of *that* clause, never of the clause under test. Pass nullptr when the step
// relies on no rule (the harness's own plumbing).
//
// Hangs and crashes. While a check's condition is being evaluated (and inside
// CF_STEP), the clause is *in progress* on that thread. A test that hangs
// (the watchdog) or dies is charged to the clauses in progress at that moment,
// and keeps every check recorded before it; with nothing in progress it is
// inconclusive.
//
// Thread-safety: checks may run on any thread. A check that fails on a thread
// other than the property's own does not throw; the case fails when it ends.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "adapter.hpp"

namespace cf::conformance {

// The capabilities a clause needs to be judged (SPEC.md **Needs.**); 0 for
// an unknown clause.
Caps clause_needs(const std::string& clause);
// True when the implementation declares everything `clause` needs and the
// clause's CPython profile (SPEC.md **Profile.**) includes the version the
// implementation is judged by (Implementation::follows(), else the baseline).
bool clause_judged_here(const std::string& clause);
// Empty when `clause` is in the implementation's profile; else the reason.
std::string clause_outside_profile(const std::string& clause);
bool clause_known(const std::string& clause);

namespace check {

// What a check evaluated to: whether it held, and (when it did not) what was
// observed and a short key naming the observation, so the report can group
// checks that failed for the same reason ("task-error expected, got
// other-error").
struct Result {
  bool held = true;
  std::string observed;
  std::string key;
};

// One check site. Evaluates the condition with its clause in progress, and
// records the verdict.
class Site {
 public:
  Site(const char* clause, const char* text, const char* file, int line, bool precondition = false)
      : clause_(clause ? clause : ""),
        text_(text),
        file_(file),
        line_(line),
        precondition_(precondition) {}
  // Evaluates `condition` and records the verdict (or n/a); true when the
  // check held or is no verdict here.
  bool holds(const std::function<Result()>& condition);
  bool holds_bool(const std::function<bool()>& condition) {
    return holds([&] { return Result{condition(), {}, {}}; });
  }

  const std::string& clause() const { return clause_; }

 private:
  friend class Failure;
  std::string clause_;
  const char* text_;
  const char* file_;
  int line_;
  bool precondition_;
  Result result_;
};

// The message streamed after a failed check: CF_CHECK(...) << "more".
class Because {
 public:
  template <class T>
  Because& operator<<(const T& value) {
    out_ << value;
    return *this;
  }
  std::string str() const { return out_.str(); }

 private:
  std::ostringstream out_;
};

// Thrown by a fatal failure on the test's thread: the test ends there.
struct Abandon : std::exception {
  const char* what() const noexcept override {
    return "the test ended at a failed precondition or assertion (recorded above)";
  }
};

// Reports a failed check once its message is complete.
class Failure {
 public:
  Failure(Site& site, bool fatal) : site_(site), fatal_(fatal) {}
  // The assignment is where the report happens (after the message is built).
  void operator=(const Because& because);

 private:
  Site& site_;
  bool fatal_;
};

// Comparison helpers: the Result of `actual == expected`, printed with gtest.
template <class A, class E>
Result equal(const A& actual, const E& expected) {
  if (actual == expected) return {};
  return {false,
          "got " + ::testing::PrintToString(actual) + ", expected " +
              ::testing::PrintToString(expected),
          {}};
}
Result outcome_is(const Outcome& actual, Outcome::Kind expected);
Result value_is(const Outcome& actual, std::int64_t expected);
// The Result of running `op`, which should raise `expected`.
Result raises(const std::function<void()>& op, Outcome::Kind expected);
// The Result of running `op`, which should throw an E (cf's own API).
template <class E>
Result throws(const std::function<void()>& op, const char* type_name) {
  try {
    op();
  } catch (const E&) {
    return {};
  } catch (const std::exception& e) {
    return {false, std::string("threw another exception: ") + e.what() + ", expected " + type_name,
            std::string(type_name) + " expected, another exception thrown"};
  } catch (...) {
    return {false, std::string("threw a non-std exception, expected ") + type_name,
            std::string(type_name) + " expected, another exception thrown"};
  }
  return {false, std::string("returned, expected it to throw ") + type_name,
          std::string("returned where ") + type_name + " was expected"};
}
// The Result of running `op`, which should not throw.
Result returns(const std::function<void()>& op);

// RAII: `clause` is in progress on this thread (for hang and crash charging).
class Step {
 public:
  Step(const char* clause, const char* what, const char* file, int line);
  ~Step();
  Step(const Step&) = delete;
  Step& operator=(const Step&) = delete;

 private:
  int slot_;
};

// A blocking call made by the harness on the test's behalf (the adapter
// guard): names it for a hang report when no check is in progress.
class Activity {
 public:
  explicit Activity(const char* what);
  ~Activity();
  Activity(const Activity&) = delete;
  Activity& operator=(const Activity&) = delete;

 private:
  int slot_;
};

// True while a check's condition is being evaluated on this thread.
bool inside_check();
// The guard calls this when a check's condition calls Future::cancel(): the
// check then judges what cancel() returned, which only an implementation
// declaring Cap::kCancelResult reports; elsewhere the check is n/a.
void note_cancel_result_read();

// A Raised escaping an adapter operation outside any check: the guard notes
// it, so that if it ends the test the failure is charged as a failed
// precondition relying on `relies_on` (or on nothing).
void note_escape(const char* operation, const Outcome& outcome, const char* relies_on);

}  // namespace check

// --- the state of the running test, for the runner (main.cpp) --------------

struct CheckCount {
  std::int64_t pass = 0;
  std::int64_t fail = 0;
  std::int64_t na = 0;
  std::string na_reason;
};

struct Finding {
  std::string clause;  // the clause charged; empty: none (inconclusive only)
  std::string kind;    // check, precondition, hang, crash, escape
  std::string message;
  std::string where;        // file:line
  std::string observation;  // grouping key
  std::string replay = {};  // a command that runs it again (stress, sanitizer), if any
};

struct TestState {
  std::vector<std::pair<std::string, CheckCount>> counts;  // in first-seen order
  std::vector<Finding> findings;
  std::string inconclusive;  // the reason, when the test could not judge
};

namespace run {
// Called by the runner: reset at test start, snapshot for the record.
void reset();
TestState snapshot();
// The clauses in progress on any thread, and what the harness was doing.
std::vector<std::string> in_progress_clauses();
std::string in_progress_text();
// Adds a finding (a hang, a crash, an untagged failure).
void add_finding(Finding finding);
// Adds verdicts on `clause` judged outside a check site (a stress run's
// iterations, a sanitizer's silence): held and failed counts.
void tally(const std::string& clause, std::int64_t held, std::int64_t failed);
void set_inconclusive(const std::string& reason);
// The escape noted last (see check::note_escape), consumed.
std::optional<Finding> take_escape();
// This thread runs the test body (fatal failures throw here); and it is a
// RapidCheck property's (every failure throws here).
void set_test_thread(bool is, bool property);
// A check failed on a thread other than the property's since the case began.
bool take_deferred_failure(std::string* message);
// True while a tagged check is reporting its failure (the runner ignores it).
bool reporting_tagged();
// The running test's watchdog budget (set by the runner) and how much of it
// is left.
void set_budget(std::chrono::seconds budget);
std::chrono::seconds budget();
std::chrono::nanoseconds budget_left();
}  // namespace run

}  // namespace cf::conformance

// --- the macros -------------------------------------------------------------

#define CF_CHECK_SITE_(clause, text, precondition) \
  ::cf::conformance::check::Site cf_site__ { clause, text, __FILE__, __LINE__, precondition }

// if (site; site.holds(...)) ; else Failure(site) = Because() << ...
#define CF_VERDICT_(clause, text, precondition, fatal, ...)                                 \
  switch (0)                                                                                \
  case 0:                                                                                   \
  default:                                                                                  \
    if (CF_CHECK_SITE_(clause, text, precondition);                                         \
        cf_site__.holds([&]() -> ::cf::conformance::check::Result { return __VA_ARGS__; })) \
      ;                                                                                     \
    else                                                                                    \
      ::cf::conformance::check::Failure(cf_site__, fatal) = ::cf::conformance::check::Because()

#define CF_BOOL_(...)                      \
  ::cf::conformance::check::Result {       \
    static_cast<bool>(__VA_ARGS__), {}, {} \
  }

#define CF_CHECK(clause, ...) CF_VERDICT_(clause, #__VA_ARGS__, false, false, CF_BOOL_(__VA_ARGS__))
#define CF_ASSERT(clause, ...) CF_VERDICT_(clause, #__VA_ARGS__, false, true, CF_BOOL_(__VA_ARGS__))
#define CF_CHECK_EQ(clause, actual, expected)                 \
  CF_VERDICT_(clause, #actual " == " #expected, false, false, \
              ::cf::conformance::check::equal((actual), (expected)))
#define CF_ASSERT_EQ(clause, actual, expected)               \
  CF_VERDICT_(clause, #actual " == " #expected, false, true, \
              ::cf::conformance::check::equal((actual), (expected)))
#define CF_CHECK_OUTCOME(clause, outcome, kind)            \
  CF_VERDICT_(clause, #outcome " is " #kind, false, false, \
              ::cf::conformance::check::outcome_is((outcome), (kind)))
#define CF_ASSERT_OUTCOME(clause, outcome, kind)          \
  CF_VERDICT_(clause, #outcome " is " #kind, false, true, \
              ::cf::conformance::check::outcome_is((outcome), (kind)))
#define CF_CHECK_VALUE(clause, outcome, value)                    \
  CF_VERDICT_(clause, #outcome " is value " #value, false, false, \
              ::cf::conformance::check::value_is((outcome), (value)))
#define CF_ASSERT_VALUE(clause, outcome, value)                  \
  CF_VERDICT_(clause, #outcome " is value " #value, false, true, \
              ::cf::conformance::check::value_is((outcome), (value)))
#define CF_CHECK_RAISES(clause, operation, kind)                 \
  CF_VERDICT_(clause, #operation " raises " #kind, false, false, \
              ::cf::conformance::check::raises([&] { (void)(operation); }, (kind)))
#define CF_ASSERT_RAISES(clause, operation, kind)               \
  CF_VERDICT_(clause, #operation " raises " #kind, false, true, \
              ::cf::conformance::check::raises([&] { (void)(operation); }, (kind)))

// For cf's own API: `statement` throws an ExceptionType / throws nothing.
#define CF_CHECK_THROWS(clause, statement, ExceptionType)                 \
  CF_VERDICT_(clause, #statement " throws " #ExceptionType, false, false, \
              ::cf::conformance::check::throws<ExceptionType>([&] { statement; }, #ExceptionType))
#define CF_ASSERT_THROWS(clause, statement, ExceptionType)               \
  CF_VERDICT_(clause, #statement " throws " #ExceptionType, false, true, \
              ::cf::conformance::check::throws<ExceptionType>([&] { statement; }, #ExceptionType))
#define CF_CHECK_NO_THROW(clause, statement)                      \
  CF_VERDICT_(clause, #statement " throws nothing", false, false, \
              ::cf::conformance::check::returns([&] { statement; }))

// A scene step. `relies_on`: the clause whose rule the step needs, or nullptr.
#define CF_PRECONDITION(relies_on, ...) \
  CF_VERDICT_(relies_on, #__VA_ARGS__, true, true, CF_BOOL_(__VA_ARGS__))

#define CF_STEP_CAT2_(a, b) a##b
#define CF_STEP_CAT_(a, b) CF_STEP_CAT2_(a, b)
// The rest of the enclosing scope judges `clause`: a hang or crash in it is
// charged there.
#define CF_STEP(clause)                                                                      \
  ::cf::conformance::check::Step CF_STEP_CAT_(cf_step__, __LINE__)(clause, "step", __FILE__, \
                                                                   __LINE__)
