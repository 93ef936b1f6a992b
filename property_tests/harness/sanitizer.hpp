// sanitizer.hpp — sanitizer reports as findings of the test that caused them.
//
// In a build with ThreadSanitizer or AddressSanitizer (+ UBSan, LSan), a
// report means that operations used as the spec allows met a data race or a
// memory error [EXT-SAN-1]. The runners (main.cpp, the stress runner) catch
// every report the process and its worker processes write, and charge it to
// EXT-SAN-1 in the record of the test that was running, with the report's
// first frames; a report whose frames are all the suite's own code is the
// suite's bug, and makes the test inconclusive instead.
//
// How: with CF_REPORT_DIR set, install() sends reports to files in
// $CF_REPORT_DIR/.sanitizer/ (for this process, and, through the sanitizer's
// options in the environment, for the workers it starts); take_reports()
// reads what is new and echoes it to stderr, where it would have gone. A
// report that ends the process (halt_on_error) first calls the death hook.
//
// A library the build did not compile is not instrumented: a race wholly
// inside it is invisible. uninstrumented_libraries() names the loaded ones,
// so a record can say so instead of passing silently.
//
// Thread-safety: install() from main before any thread starts; the rest from
// any thread, one at a time (the runner's).
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace cf::conformance::sanitizer {

// "thread", "address" or "" (no sanitizer): what this program was built with.
const char* active();

struct Report {
  std::string title;                // "ThreadSanitizer: data race"
  std::string summary;              // the report's SUMMARY line
  std::vector<std::string> frames;  // the first frames of each stack, shortened
  std::string where;                // the first frame outside the suite's harness
  bool in_suite = false;            // every frame is the suite's own code
  std::string text;                 // the whole report
};

// Starts catching reports (a no-op without a sanitizer or CF_REPORT_DIR).
// `on_death` runs when a report is about to end the process.
void install(std::function<void()> on_death);
bool installed();
// Reports written since the last call, by this process and its workers.
std::vector<Report> take_reports();
// Shared libraries loaded now that this sanitizer does not instrument, other
// than the C and C++ runtimes (whose synchronisation it intercepts).
std::vector<std::string> uninstrumented_libraries();
// One line for a record: what this build instruments and what it cannot see.
std::string coverage_note();

// Takes the new reports and adds them to the running test's state: each a
// finding of kind "sanitizer" charged to EXT-SAN-1 (or, all in the suite's
// own code, making the test inconclusive), with `replay` to run it again;
// with none, one held verdict of EXT-SAN-1. Returns how many there were. A
// no-op (0) unless installed.
int charge(const std::string& replay);

}  // namespace cf::conformance::sanitizer
