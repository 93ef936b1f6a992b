// protocol.hpp — the line protocol between the C++ client and driver.py: how
// a Probe, a Timeout and an Outcome travel as JSON, and the byte-level
// helpers both the driver pipe and the Lab socket use.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "harness/adapter.hpp"

namespace cf::conformance::cpython {

using json = nlohmann::json;

// Raises an adapter error (Outcome kind kOther) with `message`.
[[noreturn]] void fail(std::string message);

// Reads '\n'-terminated lines from a file descriptor.
class LineReader {
 public:
  explicit LineReader(int fd) : fd_(fd) {}
  // The next line without its '\n'; nullopt at end of file or on an error.
  std::optional<std::string> next();

 private:
  int fd_;
  std::string buffer_;
};

Outcome parse_outcome(const json& j);
json probe_json(const Probe& probe);
json timeout_json(const Timeout& timeout);

}  // namespace cf::conformance::cpython
