#include "check.hpp"

#include <rapidcheck.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <exception>
#include <map>
#include <mutex>
#include <thread>

namespace cf::conformance {
namespace {

// The clauses' needs, generated from SPEC.md's **Needs.** lines
// (ci/check_clauses.py --emit-needs): {clause, "cap-name, cap-name"}.
struct NeedsRow {
  const char* clause;
  const char* caps;
};
constexpr NeedsRow kNeeds[] = {
#include "clause_needs.inc"
};

const std::map<std::string, Caps>& needs_table() {
  static const std::map<std::string, Caps> table = [] {
    std::map<std::string, Caps> t;
    for (const auto& row : kNeeds) {
      Caps caps = 0;
      std::string names = row.caps;
      std::size_t at = 0;
      while (at < names.size()) {
        auto end = names.find(',', at);
        if (end == std::string::npos) end = names.size();
        auto name = names.substr(at, end - at);
        name.erase(0, name.find_first_not_of(' '));
        name.erase(name.find_last_not_of(' ') + 1);
        if (!name.empty()) {
          auto cap = cap_from_name(name);
          if (!cap) {
            std::fprintf(stderr, "clause_needs: %s names unknown capability '%s'\n", row.clause,
                         name.c_str());
            std::abort();
          }
          caps |= static_cast<Caps>(*cap);
        }
        at = end + 1;
      }
      t[row.clause] = caps;
    }
    return t;
  }();
  return table;
}

// --- in-progress slots: what each thread is doing, for hang charging -------

struct Slot {
  std::atomic<bool> used{false};
  const char* clause = nullptr;  // null: a harness activity with no clause
  const char* what = nullptr;
  const char* file = nullptr;
  int line = 0;
};
constexpr int kSlots = 128;
std::array<Slot, kSlots> g_slots;

int take_slot(const char* clause, const char* what, const char* file, int line) {
  for (int i = 0; i < kSlots; ++i) {
    bool expected = false;
    if (g_slots[i].used.load(std::memory_order_relaxed)) continue;
    // Fill first, publish last, so a reader never sees a half-written slot.
    if (g_slots[i].used.compare_exchange_strong(expected, true, std::memory_order_acquire)) {
      g_slots[i].clause = clause;
      g_slots[i].what = what;
      g_slots[i].file = file;
      g_slots[i].line = line;
      return i;
    }
  }
  return -1;  // too many at once: not tracked
}

void free_slot(int i) {
  if (i < 0) return;
  g_slots[i].clause = nullptr;
  g_slots[i].used.store(false, std::memory_order_release);
}

// --- the running test's state ----------------------------------------------

std::mutex g_mutex;
TestState g_state;
std::optional<Finding> g_escape;
bool g_deferred = false;
std::string g_deferred_message;
constexpr std::size_t kMaxFindingsPerClause = 6;

thread_local int t_check_depth = 0;
thread_local bool t_read_cancel_result = false;
thread_local bool t_test_thread = false;
thread_local bool t_property_thread = false;
thread_local bool t_reporting = false;

CheckCount& count_of(const std::string& clause) {
  for (auto& [c, n] : g_state.counts) {
    if (c == clause) return n;
  }
  g_state.counts.emplace_back(clause, CheckCount{});
  return g_state.counts.back().second;
}

void add_finding_locked(Finding f) {
  // A property runs a failing check many times while shrinking: keep the
  // first few distinct messages of each clause.
  std::size_t same_clause = 0;
  for (const auto& g : g_state.findings) {
    if (g.clause == f.clause && g.kind == f.kind) {
      if (g.message == f.message) return;
      ++same_clause;
    }
  }
  if (same_clause >= kMaxFindingsPerClause) return;
  g_state.findings.push_back(std::move(f));
}

std::string where(const char* file, int line) {
  std::string f = file ? file : "?";
  auto at = f.find("property_tests/");
  if (at != std::string::npos) f = f.substr(at + 15);
  return f + ":" + std::to_string(line);
}

}  // namespace

Caps clause_needs(const std::string& clause) {
  auto it = needs_table().find(clause);
  return it == needs_table().end() ? 0 : it->second;
}

bool clause_known(const std::string& clause) { return needs_table().count(clause) != 0; }

bool clause_judged_here(const std::string& clause) {
  return (clause_needs(clause) & ~implementation().caps()) == 0;
}

namespace check {

bool inside_check() { return t_check_depth > 0; }

void note_cancel_result_read() {
  if (inside_check()) t_read_cancel_result = true;
}

Step::Step(const char* clause, const char* what, const char* file, int line)
    : slot_(take_slot(clause, what, file, line)) {}
Step::~Step() { free_slot(slot_); }

Activity::Activity(const char* what) : slot_(take_slot(nullptr, what, nullptr, 0)) {}
Activity::~Activity() { free_slot(slot_); }

bool Site::holds(const std::function<Result()>& condition) {
  const Caps have = implementation().caps();
  Caps needs = clause_.empty() ? 0 : clause_needs(clause_);
  {
    Step step(clause_.empty() ? nullptr : clause_.c_str(), text_, file_, line_);
    const bool outer = t_check_depth == 0;
    if (outer) t_read_cancel_result = false;
    ++t_check_depth;
    try {
      result_ = condition();
    } catch (const Raised& raised) {
      result_ = {false, "raised " + to_string(raised.outcome),
                 "raised " + to_string(raised.outcome.kind)};
    } catch (...) {
      --t_check_depth;
      throw;
    }
    --t_check_depth;
    if (t_read_cancel_result) needs |= static_cast<Caps>(Cap::kCancelResult);
    if (outer) t_read_cancel_result = false;
  }
  const bool judged = (needs & ~have) == 0;
  if (precondition_) return result_.held;
  std::lock_guard lock(g_mutex);
  auto& n = count_of(clause_);
  if (!judged) {
    ++n.na;
    n.na_reason = "missing capability " + missing_caps(have, needs);
    return true;
  }
  if (result_.held) {
    ++n.pass;
    return true;
  }
  ++n.fail;
  return false;
}

void Failure::operator=(const Because& because) {
  const Site& s = site_;
  const bool precondition = s.precondition_;
  // A precondition charges its clause only where that clause can be judged.
  std::string clause = s.clause_;
  if (precondition && !clause.empty() &&
      (clause_needs(clause) & ~implementation().caps()) != 0) {
    clause.clear();
  }
  std::string observed = s.result_.observed;
  std::string extra = because.str();
  std::string message;
  if (!s.clause_.empty()) message += "[" + s.clause_ + "] ";
  if (precondition) message += "precondition failed: ";
  message += where(s.file_, s.line_) + ": " + s.text_;
  if (!observed.empty()) message += " — " + observed;
  if (!extra.empty()) message += " — " + extra;
  Finding f{clause, precondition ? "precondition" : "check", message, where(s.file_, s.line_),
            s.result_.key.empty() ? std::string(s.text_) : s.result_.key};
  {
    std::lock_guard lock(g_mutex);
    add_finding_locked(f);
    if (precondition && g_state.inconclusive.empty()) g_state.inconclusive = message;
  }
  if (t_property_thread) throw ::rc::detail::CaseResult(::rc::detail::CaseResult::Type::Failure, message);
  if (!t_test_thread) {
    // A property learns of it when the case ends (Conformance::TearDown).
    std::lock_guard lock(g_mutex);
    if (!g_deferred) g_deferred_message = message;
    g_deferred = true;
  }
  const bool fatal = fatal_ || precondition;
  t_reporting = true;
  ::testing::internal::AssertHelper(fatal ? ::testing::TestPartResult::kFatalFailure
                                          : ::testing::TestPartResult::kNonFatalFailure,
                                    s.file_, s.line_, message.c_str()) = ::testing::Message();
  t_reporting = false;
  if (fatal && t_test_thread) throw Abandon{};
}

Result outcome_is(const Outcome& actual, Outcome::Kind expected) {
  if (actual.is(expected)) return {};
  return {false, "got " + to_string(actual) + ", expected " + to_string(expected),
          to_string(expected) + " expected, got " + to_string(actual.kind)};
}

Result value_is(const Outcome& actual, std::int64_t expected) {
  if (!actual.is(Outcome::Kind::kValue)) return outcome_is(actual, Outcome::Kind::kValue);
  if (actual.value == expected) return {};
  return {false, "got " + to_string(actual) + ", expected value(" + std::to_string(expected) + ")",
          "a different value"};
}

Result raises(const std::function<void()>& op, Outcome::Kind expected) {
  try {
    op();
  } catch (const Raised& raised) {
    if (raised.outcome.is(expected)) return {};
    return {false, "raised " + to_string(raised.outcome) + ", expected " + to_string(expected),
            to_string(expected) + " expected, raised " + to_string(raised.outcome.kind)};
  }
  return {false, "returned, expected it to raise " + to_string(expected),
          "returned where " + to_string(expected) + " was expected"};
}

Result returns(const std::function<void()>& op) {
  try {
    op();
  } catch (const std::exception& e) {
    return {false, std::string("threw: ") + e.what(), "threw where nothing was expected"};
  } catch (...) {
    return {false, "threw a non-std exception", "threw where nothing was expected"};
  }
  return {};
}

void note_escape(const char* operation, const Outcome& outcome, const char* relies_on) {
  if (inside_check()) return;
  std::string clause = relies_on ? relies_on : "";
  if (!clause.empty() && (clause_needs(clause) & ~implementation().caps()) != 0) clause.clear();
  std::string message = (clause.empty() ? std::string() : "[" + clause + "] ") +
                        "precondition failed: " + operation + " raised " + to_string(outcome);
  std::lock_guard lock(g_mutex);
  g_escape = Finding{clause, "precondition", message, operation,
                     std::string(operation) + " raised " + to_string(outcome.kind)};
}

}  // namespace check

namespace run {

void reset() {
  std::lock_guard lock(g_mutex);
  g_state = {};
  g_escape.reset();
  g_deferred = false;
  g_deferred_message.clear();
}

TestState snapshot() {
  std::lock_guard lock(g_mutex);
  return g_state;
}

std::vector<std::string> in_progress_clauses() {
  std::vector<std::string> out;
  for (auto& slot : g_slots) {
    if (!slot.used.load(std::memory_order_acquire)) continue;
    const char* c = slot.clause;
    if (c && *c && std::find(out.begin(), out.end(), c) == out.end()) out.emplace_back(c);
  }
  return out;
}

std::string in_progress_text() {
  std::string out;
  for (auto& slot : g_slots) {
    if (!slot.used.load(std::memory_order_acquire)) continue;
    if (!out.empty()) out += "; ";
    if (slot.clause && *slot.clause) out += std::string("[") + slot.clause + "] ";
    out += slot.what ? slot.what : "?";
    if (slot.file) out += " at " + where(slot.file, slot.line);
  }
  return out;
}

void add_finding(Finding finding) {
  // A hang or death in a step of a clause that cannot be judged here says
  // nothing about that clause: the test is inconclusive instead.
  if (!finding.clause.empty() && !clause_judged_here(finding.clause)) {
    set_inconclusive(finding.message + " (in a step of " + finding.clause +
                     ", which needs capabilities not declared)");
    return;
  }
  std::lock_guard lock(g_mutex);
  add_finding_locked(std::move(finding));
}

void set_inconclusive(const std::string& reason) {
  std::lock_guard lock(g_mutex);
  if (g_state.inconclusive.empty()) g_state.inconclusive = reason;
}

std::optional<Finding> take_escape() {
  std::lock_guard lock(g_mutex);
  auto e = std::move(g_escape);
  g_escape.reset();
  return e;
}

void set_test_thread(bool is, bool property) {
  t_test_thread = is;
  t_property_thread = is && property;
}

bool take_deferred_failure(std::string* message) {
  std::lock_guard lock(g_mutex);
  bool was = g_deferred;
  if (was && message) *message = g_deferred_message;
  g_deferred = false;
  return was;
}

bool reporting_tagged() { return t_reporting; }

namespace {
std::atomic<std::chrono::steady_clock::rep> g_deadline{0};
std::atomic<std::int64_t> g_budget_s{0};
}

void set_budget(std::chrono::seconds budget) {
  g_budget_s = budget.count();
  g_deadline = (std::chrono::steady_clock::now() + budget).time_since_epoch().count();
}

std::chrono::seconds budget() { return std::chrono::seconds(g_budget_s.load()); }

std::chrono::nanoseconds budget_left() {
  auto deadline = std::chrono::steady_clock::time_point(std::chrono::steady_clock::duration(g_deadline.load()));
  return deadline - std::chrono::steady_clock::now();
}

}  // namespace run
}  // namespace cf::conformance
