#include "record.hpp"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>

#include "sanitizer.hpp"

namespace cf::conformance {
namespace {

std::string json(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::filesystem::path record_path(const std::string& test) {
  const char* dir = std::getenv("CF_REPORT_DIR");
  if (!dir || !*dir) return {};
  auto path = std::filesystem::path(dir) / implementation().name();
  std::filesystem::create_directories(path);
  return path / (test + ".json");
}

bool charges_clause(const Finding& f) {
  return !f.clause.empty() && (f.kind == "check" || f.kind == "hang" || f.kind == "crash" ||
                               f.kind == "stress" || f.kind == "sanitizer");
}

bool is_property(const std::string& test) { return test.find("_RapidCheck.") != std::string::npos; }

// What the build's sanitizer covers, computed once (it reads every loaded library).
const std::string& sanitizer_note() {
  static const std::string note = sanitizer::coverage_note();
  return note;
}

}  // namespace

bool has_tagged_failure(const TestState& state) {
  for (const auto& f : state.findings) {
    if (f.kind == "check" || f.kind == "precondition" || f.kind == "hang" || f.kind == "crash" ||
        f.kind == "stress" || f.kind == "sanitizer") {
      return true;
    }
  }
  return false;
}

std::string final_status(const TestState& state, bool gtest_failed) {
  for (const auto& f : state.findings) {
    if (charges_clause(f)) return "fail";
  }
  if (!state.inconclusive.empty() || has_tagged_failure(state) || gtest_failed)
    return "inconclusive";
  return "pass";
}

void write_record(const std::string& test, const std::string& status, const TestState& state,
                  const std::string& detail) {
  write_record(test, status, state, detail, RecordExtra{});
}

void write_record(const std::string& test, const std::string& status, const TestState& state,
                  const std::string& detail, const RecordExtra& extra) {
  auto path = record_path(test);
  if (path.empty()) return;
  std::ostringstream out;
  out << "{\"implementation\": " << json(implementation().name())
      << ", \"about\": " << json(implementation().about())
      << ", \"follows\": " << json(implementation().follows()) << ", \"test\": " << json(test)
      << ", \"status\": " << json(status) << ", \"caps\": [";
  bool first_cap = true;
  for (int bit = 0; bit < 64; ++bit) {
    auto cap = static_cast<Cap>(Caps{1} << bit);
    if (!(implementation().caps() & static_cast<Caps>(cap)) || cap_name(cap) == "?") continue;
    out << (first_cap ? "" : ", ") << json(cap_name(cap));
    first_cap = false;
  }
  out << "], \"checks\": [";
  bool first = true;
  for (const auto& [clause, n] : state.counts) {
    out << (first ? "" : ", ") << "{\"clause\": " << json(clause) << ", \"pass\": " << n.pass
        << ", \"fail\": " << n.fail << ", \"na\": " << n.na
        << ", \"na_reason\": " << json(n.na_reason) << "}";
    first = false;
  }
  out << "], \"findings\": [";
  first = true;
  for (const auto& f : state.findings) {
    out << (first ? "" : ", ") << "{\"clause\": " << json(f.clause)
        << ", \"kind\": " << json(f.kind) << ", \"message\": " << json(f.message)
        << ", \"where\": " << json(f.where) << ", \"observation\": " << json(f.observation);
    if (!f.replay.empty()) out << ", \"replay\": " << json(f.replay);
    out << "}";
    first = false;
  }
  out << "], \"inconclusive\": " << json(state.inconclusive) << ", \"detail\": " << json(detail);
  std::string evidence =
      extra.evidence.empty() ? (is_property(test) ? "property" : "example") : extra.evidence;
  out << ", \"evidence\": " << json(evidence);
  if (!extra.judges.empty()) {
    out << ", \"judges\": [";
    for (std::size_t i = 0; i < extra.judges.size(); ++i)
      out << (i ? ", " : "") << json(extra.judges[i]);
    out << "]";
  }
  if (!extra.stress_json.empty()) out << ", \"stress\": " << extra.stress_json;
  if (*sanitizer::active() && status != "started") {
    out << ", \"sanitizer\": {\"kind\": " << json(sanitizer::active())
        << ", \"note\": " << json(sanitizer_note()) << "}";
  }
  out << "}\n";
  auto tmp = path;
  tmp += ".tmp";
  std::ofstream(tmp) << out.str();
  std::filesystem::rename(tmp, path);
}

std::string replay_environment(bool with_noise) {
  static const char* const kNames[] = {"CF_BROKEN",        "CF_PYTHON", "CF_TEST_SCALE",
                                       "CF_TEST_BUDGET_S", "RC_PARAMS", "CF_NOISE"};
  std::string words;
  for (const char* name : kNames) {
    if (!with_noise && std::string_view(name) == "CF_NOISE") continue;
    const char* value = std::getenv(name);
    if (!value || !*value) continue;
    std::string quoted = "'";
    for (const char* c = value; *c; ++c)
      quoted += *c == '\'' ? std::string("'\\''") : std::string(1, *c);
    words += std::string(name) + "=" + quoted + "' ";
  }
  return words;
}

}  // namespace cf::conformance
