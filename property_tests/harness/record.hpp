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
//    "detail": "the test's failure output, or the n/a reason"}
//
// A finding's kind: check (a failed verdict), precondition (a scene step that
// failed; its clause, if any, is the rule the step relied on), hang, crash.
// "started" is what a test that died without a word leaves.
#pragma once

#include <string>

#include "check.hpp"

namespace cf::conformance {

// Writes the record of `test` (atomically: a reader never sees half of one).
// Nothing happens without CF_REPORT_DIR.
void write_record(const std::string& test, const std::string& status, const TestState& state,
                  const std::string& detail);

// fail: a check, hang or crash charged to a clause; inconclusive: a failed
// precondition, or a failure nothing names; else pass.
std::string final_status(const TestState& state, bool gtest_failed);
bool has_tagged_failure(const TestState& state);

}  // namespace cf::conformance
