#include "properties/support.hpp"

#include <gtest/gtest.h>
#include <rapidcheck.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <numeric>
#include <ostream>
#include <random>
#include <string>
#include <type_traits>
#include <variant>

namespace cf::conformance::props {
namespace {

long env_long(const char* name, long fallback) {
  const char* s = std::getenv(name);
  if (!s || !*s) return fallback;
  char* end = nullptr;
  long v = std::strtol(s, &end, 10);
  return end && *end == '\0' ? v : fallback;
}

bool long_mode() { return env_long("CF_PROPERTY_LONG", 0) > 0; }
long scale() { return std::max(1L, env_long("CF_TEST_SCALE", 1)); }

// The value of `key` in a RapidCheck configuration string, or "".
std::string param(const std::string& params, const std::string& key) {
  std::size_t at = 0;
  while ((at = params.find(key + "=", at)) != std::string::npos) {
    if (at == 0 || params[at - 1] == ' ') {
      auto begin = at + key.size() + 1;
      return params.substr(begin, params.find(' ', begin) - begin);
    }
    at += key.size();
  }
  return {};
}

struct Config {
  std::string params;
  std::uint64_t seed = 0;
  int cases = 100;
};

// Runs before main (RapidCheck reads RC_PARAMS at the first property).
Config configure() {
  Config c;
  const char* given = std::getenv("RC_PARAMS");
  c.params = given ? given : "";
  auto append = [&](const std::string& kv) { c.params += (c.params.empty() ? "" : " ") + kv; };
  if (auto s = param(c.params, "seed"); !s.empty()) {
    c.seed = std::strtoull(s.c_str(), nullptr, 10);
  } else {
    std::random_device device;
    c.seed = (static_cast<std::uint64_t>(device()) << 32) | device();
    append("seed=" + std::to_string(c.seed));
  }
  if (auto s = param(c.params, "max_success"); !s.empty()) {
    c.cases = std::atoi(s.c_str());
  } else {
    // The column's declared share (CF_PROPERTY_CASES, cf_add_conformance's
    // PROPERTY_CASES), else 100.
    long n = std::max(1L, env_long("CF_PROPERTY_CASES", 100)) * (long_mode() ? 10 : 1);
    c.cases = static_cast<int>(std::max(10L, n / scale()));
    append("max_success=" + std::to_string(c.cases));
  }
  setenv("RC_PARAMS", c.params.c_str(), 1);
  // Ten times the cases need more than the watchdog's default minute.
  if (long_mode() && !std::getenv("CF_TEST_BUDGET_S")) setenv("CF_TEST_BUDGET_S", "170", 1);
  return c;
}

const Config& config() {
  static const Config c = configure();
  return c;
}
const Config& g_configured = config();  // before main, not at the first use

class Announce : public ::testing::Environment {
 public:
  void SetUp() override {
    std::printf("[properties] RC_PARAMS=\"%s\"%s\n", config().params.c_str(),
                long_mode() ? " (long mode)" : "");
  }
};
[[maybe_unused]] auto* const g_announce = ::testing::AddGlobalTestEnvironment(new Announce);

// Prints the replay line under every failed property.
class ReplayOnFailure : public ::testing::EmptyTestEventListener {
 public:
  void OnTestEnd(const ::testing::TestInfo& info) override {
    if (info.result()->Failed()) std::printf("[properties] %s\n", replay_hint().c_str());
  }
};
[[maybe_unused]] const bool g_replay = [] {
  ::testing::UnitTest::GetInstance()->listeners().Append(new ReplayOnFailure);
  return true;
}();

template <class D>
EdgeTimeout poll(std::string name, D d) {
  return {std::move(name), conformance::Timeout(d), {}, false};
}

}  // namespace

std::uint64_t seed() { return config().seed; }

std::string replay_hint() {
  std::string test = "<test>";
  if (const auto* info = ::testing::UnitTest::GetInstance()->current_test_info()) {
    test = std::string(info->test_suite_name()) + "." + info->name();
  }
  return "replay: RC_PARAMS=\"seed=" + std::to_string(seed()) +
         " max_success=" + std::to_string(config().cases) +
         "\" <this binary> --gtest_filter=" + test;
}

int cases() { return config().cases; }

int scaled(int n, int floor) { return std::max(floor, static_cast<int>(n / scale())); }

Indices iota(std::size_t n) {
  Indices out(n);
  std::iota(out.begin(), out.end(), std::size_t{0});
  return out;
}

Indices sorted(Indices indices) {
  std::sort(indices.begin(), indices.end());
  return indices;
}

Indices permutation(std::size_t n) {
  auto keys = *rc::gen::container<std::vector<int>>(n, rc::gen::inRange(0, 1000));
  Indices order = iota(n);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return keys[a] < keys[b]; });
  return order;
}

bool accepted(const Outcome& o) { return o.is(Kind::kNone) || o.is(Kind::kValue); }

std::string describe(const std::optional<Outcome>& o) { return o ? to_string(*o) : "the end"; }

Implementation& guarded() {
  static GuardedImplementation instance(implementation());
  return instance;
}

void await_started(const Lab& lab, int gate, int count) {
  CF_PRECONDITION(count > 1 ? "TPE-MAX-1" : "EXEC-SUBMIT-1", lab.await_arrivals(gate, count, kLong))
      << lab.arrived(gate) << " of " << count << " tasks reached their gate";
}

std::vector<FuturePtr> block_workers(Executor& ex, Lab& lab, int workers, int gate) {
  std::vector<FuturePtr> pads;
  for (int i = 0; i < workers * (1 + kPrefetch); ++i) {
    pads.push_back(ex.submit(Probe().gate(gate).returns(-1)));
  }
  await_started(lab, gate, workers);
  return pads;
}

void await_alongside(const Lab& lab, int gate, std::size_t busy) {
  CF_PRECONDITION(busy > 0 ? "TPE-MAX-1" : "EXEC-SUBMIT-1", lab.await_arrivals(gate, 1, kLong))
      << "a task never started while " << busy << " others were blocked";
}

void await_logged(const Lab& lab, int log, std::size_t count) {
  CF_PRECONDITION(count > 1 ? "TPE-MAX-1" : "EXEC-SUBMIT-1", lab.await_log_size(log, count, kLong))
      << lab.log(log).size() << " of " << count << " tasks started";
}

bool cancel_took_effect(Future& f, Caps caps) {
  const bool said = f.cancel();
  if (has(caps, Cap::kCancelResult)) return said;
  return has(caps, Cap::kStateQueries) && f.cancelled();
}

AsCompletedStep next_or_raised(AsCompletedRun& run) {
  AsCompletedStep step;
  try {
    step.index = run.next();
  } catch (const Raised& raised) {
    step.raised = ": raised " + to_string(raised.outcome);
  }
  return step;
}

const char* unyielded_cancel_rule(Implementation& impl, const FuturePtr& f,
                                  const char* held_back_rule) {
  if (!has(impl.caps(), Cap::kAsCompletedTimeout)) return "ASC-CANCEL-1";
  try {
    auto alone = impl.as_completed({f}, Timeout(std::chrono::seconds(0)));
    return alone->next() == std::optional<std::size_t>(0) ? held_back_rule : "ASC-CANCEL-1";
  } catch (const Raised&) {
    return "ASC-CANCEL-1";
  }
}

std::string seen(const Outcome& actual, const Outcome& expected) {
  bool ok = actual.kind == expected.kind;
  if (ok && expected.is(Kind::kValue)) ok = actual.value == expected.value;
  if (ok && expected.is(Kind::kTaskError)) {
    ok = actual.message.find(expected.message) != std::string::npos;
  }
  return ok ? to_string(expected) : to_string(actual);
}

std::string failure_message(std::size_t i) { return "failure <" + std::to_string(i) + ">"; }

Outcome gated_outcome(std::size_t i, const std::vector<bool>& fails) {
  if (i < fails.size() && fails[i]) return Outcome::error(Kind::kTaskError, failure_message(i));
  return Outcome::of_value(static_cast<std::int64_t>(i));
}

std::vector<Probe> gated_probes(Lab& lab, int log, std::size_t n, const std::vector<bool>& fails,
                                std::vector<int>* gates) {
  std::vector<Probe> probes;
  for (std::size_t i = 0; i < n; ++i) {
    gates->push_back(lab.new_gate());
    Probe probe = Probe().record(log, static_cast<std::int64_t>(i)).gate(gates->back());
    if (i < fails.size() && fails[i]) {
      probe.raises(failure_message(i));
    } else {
      probe.returns(static_cast<std::int64_t>(i));
    }
    probes.push_back(probe);
  }
  return probes;
}

Gated submit_gated(Executor& ex, Lab& lab, int log, std::size_t n, const std::vector<bool>& fails,
                   bool await_start) {
  Gated g;
  auto probes = gated_probes(lab, log, n, fails, &g.gates);
  for (std::size_t i = 0; i < n; ++i) {
    g.futures.push_back(ex.submit(probes[i]));
    if (await_start) await_alongside(lab, g.gates[i], i);
  }
  return g;
}

std::size_t times_in(const std::vector<std::int64_t>& log, std::int64_t id) {
  return static_cast<std::size_t>(std::count(log.begin(), log.end(), id));
}

std::ostream& operator<<(std::ostream& os, const EdgeTimeout& t) { return os << t.name; }

bool infinite(const EdgeTimeout& t) {
  return std::visit(
      [](const auto& d) {
        using D = std::decay_t<decltype(d)>;
        if constexpr (std::is_same_v<D, std::monostate>) {
          return false;
        } else if constexpr (std::is_floating_point_v<typename D::rep>) {
          return std::isinf(d.count());
        } else {
          return false;
        }
      },
      t.timeout.raw());
}

EdgeTimeout gen_poll_timeout() {
  using namespace std::chrono;
  switch (*rc::gen::inRange(0, 8)) {
    case 0:
      return poll("0ns", nanoseconds(0));
    case 1:
      return poll("0s (double)", duration<double>(0.0));
    case 2:
      return poll("-1 tick", -nanoseconds(1));
    case 3:
      return poll("-1s", -seconds(1));
    case 4:
      return poll("nanoseconds::min()", nanoseconds::min());
    case 5:
      return poll("hours::min()", hours::min());
    case 6:
      return poll("-infinity s (double)",
                  duration<double>(-std::numeric_limits<double>::infinity()));
    default: {
      auto ms = *rc::gen::inRange<std::int64_t>(std::numeric_limits<std::int64_t>::min() / 2, 0);
      return poll(std::to_string(ms) + "ms", milliseconds(ms));
    }
  }
}

namespace {
template <class D>
EdgeTimeout tick(std::string name, D d, std::chrono::nanoseconds at_least) {
  return {std::move(name), conformance::Timeout(d), at_least, false};
}
}  // namespace

EdgeTimeout gen_short_timeout() {
  using namespace std::chrono;
  switch (*rc::gen::inRange(0, 4)) {
    case 0:
      return tick("1 tick (1ns)", nanoseconds(1), nanoseconds(1));
    case 1:
      return tick("1us", microseconds(1), microseconds(1));
    case 2:
      return tick("0.001s (double)", duration<double>(0.001), milliseconds(1));
    default: {
      auto ms = *rc::gen::inRange(1, 4);
      return tick(std::to_string(ms) + "ms", milliseconds(ms), milliseconds(ms));
    }
  }
}

EdgeTimeout gen_huge_timeout() {
  using namespace std::chrono;
  auto huge = [](std::string name, auto d) {
    return EdgeTimeout{std::move(name), conformance::Timeout(d), {}, true};
  };
  switch (*rc::gen::inRange(0, 7)) {
    case 0:
      return huge("nanoseconds::max()", nanoseconds::max());
    case 1:
      return huge("seconds::max()", seconds::max());
    case 2:
      return huge("hours::max()", hours::max());
    case 3:
      return huge("duration<double>::max()", duration<double>::max());
    case 4:
      return huge("+infinity s (double)",
                  duration<double>(std::numeric_limits<double>::infinity()));
    case 5:
      return huge("duration<int64, ratio<INT64_MAX>>(1)",
                  duration<std::int64_t, std::ratio<std::numeric_limits<std::int64_t>::max()>>(1));
    default: {
      auto years = *rc::gen::inRange<std::int64_t>(1000, 1'000'000);
      return huge(std::to_string(years) + " years", years * hours(24 * 366));
    }
  }
}

}  // namespace cf::conformance::props
