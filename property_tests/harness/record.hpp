// record.hpp — the record a test leaves for the report.
//
// One JSON file per test, $CF_REPORT_DIR/<implementation>/<test>.json:
//
//   {"implementation": "boost-thread", "about": "...", "test": "Conformance.X",
//    "status": "pass" | "fail" | "inconclusive" | "n/a" | "started",
//    "caps": ["cancel", "wait", ...],          // what the implementation declares
//    "checks": [{"clause": "FUT-RESULT-2", "pass": 3, "fail": 1, "na": 0,
//                "na_reason": ""}],
//    "findings": [{"clause": "FUT-RESULT-2", "kind": "check", "message": "...",
//                  "where": "conformance/future_result.cpp:88",
//                  "observation": "task-error expected, got other-error"}],
//    "inconclusive": "why the test could not judge, or empty",
//    "detail": "the test's failure output, or the n/a reason",
//    "evidence": "example" | "property" | "stress",  // what kind of test it is
//    "judges": ["FUT-CANCEL-1", ...],           // the clauses it would judge (stress)
//    "stress": {...},                           // a stress run's figures (stress/)
//    "sanitizer": {"kind": "thread", "note": "...not instrumented: libtbb.so..."}}
//
// A finding's kind: check (a failed verdict), precondition (a scene step that
// failed; its clause, if any, is the rule the step relied on), hang, crash,
// stress (a forbidden outcome of a stress scenario, charged to the clause its
// outcome table names), sanitizer (a sanitizer report [EXT-SAN-1]). A finding
// may carry "replay": a command that runs it again.
// "started" is what a test that died without a word leaves.
#pragma once

#include <string>
#include <vector>

#include "check.hpp"

namespace cf::conformance {

// Writes the record of `test` (atomically: a reader never sees half of one).
// Nothing happens without CF_REPORT_DIR.
void write_record(const std::string& test, const std::string& status, const TestState& state,
                  const std::string& detail);

// What a record may add to the above.
struct RecordExtra {
  std::string evidence;  // "example", "property" or "stress"; empty: from the test's name
  std::vector<std::string> judges;  // the clauses the test would judge
  std::string stress_json;          // a JSON object: the stress run's figures
};
void write_record(const std::string& test, const std::string& status, const TestState& state,
                  const std::string& detail, const RecordExtra& extra);

// fail: a check, hang or crash charged to a clause; inconclusive: a failed
// precondition, or a failure nothing names; else pass.
std::string final_status(const TestState& state, bool gtest_failed);
bool has_tagged_failure(const TestState& state);

// The environment a replay line must repeat: the variables that choose what
// runs (CF_BROKEN's variant, CF_PYTHON's interpreter, the case count and
// budget, RapidCheck's seed, and CF_NOISE unless the line sets noise
// itself), as `NAME='value' ` words to put before the program.
std::string replay_environment(bool with_noise = true);

}  // namespace cf::conformance
