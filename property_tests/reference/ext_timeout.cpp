// EXT-TIMEOUT-1: every timeout is a std::chrono::duration of any
// representation and period; huge and infinite ones behave as none, negative
// infinity as zero, NaN throws std::invalid_argument — for result, exception,
// wait, as_completed and map alike.
//
// A check names the clause that states the rule for its operation and kind
// of timeout: result() with a huge one is FUT-RESULT-7's, with a zero or
// negative one FUT-RESULT-6's; exception() follows FUT-EXC-3; wait() and
// as_completed() polling are WAIT-TIMEOUT-1's and ASC-TIMEOUT-2's; what no
// other clause covers (huge timeouts of wait, as_completed and map, negative
// infinity, NaN) is EXT-TIMEOUT-1's.
#include <atomic>
#include <cfloat>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "cf/cf.hpp"
#include "ext_support.hpp"
#include "harness/background.hpp"
#include "harness/suite.hpp"

namespace cf::conformance {
namespace {

using ext::during;
using ext::outcome_of;
namespace chr = std::chrono;

static_assert(cf::Clock::is_steady, "timeouts are measured on a steady clock");
// A bare number has no unit; only durations convert.
static_assert(!std::is_convertible_v<int, cf::Timeout>);
static_assert(!std::is_convertible_v<double, cf::Timeout>);

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNan = std::numeric_limits<double>::quiet_NaN();

// Calls fn(name, d) with durations too large for any deadline, one per
// representation and period worth distinguishing.
template <class Fn>
void for_each_huge(Fn&& fn) {
  fn("hours::max()", chr::hours::max());
  fn("nanoseconds::max()", chr::nanoseconds::max());
  fn("seconds::max()", chr::seconds::max());
  fn("years::max() (int rep)", chr::years::max());
  fn("duration<uint64_t>::max()", chr::duration<std::uint64_t>::max());
  fn("duration<int64_t, ratio<INT64_MAX>>::max()",
     chr::duration<std::int64_t, std::ratio<INT64_MAX>>::max());
  fn("duration<double>(+inf)", chr::duration<double>(kInf));
  fn("duration<float, milli>(+inf)",
     chr::duration<float, std::milli>(std::numeric_limits<float>::infinity()));
  fn("duration<long double>(+inf)",
     chr::duration<long double>(std::numeric_limits<long double>::infinity()));
  fn("duration<double>(DBL_MAX)", chr::duration<double>(DBL_MAX));
  fn("duration<double, nano>(1e300)", chr::duration<double, std::nano>(1e300));
}

// Durations that must poll: zero, negative, negative infinity.
template <class Fn>
void for_each_poll(Fn&& fn) {
  fn("0ns", chr::nanoseconds(0));
  fn("-1ns", chr::nanoseconds(-1));
  fn("-1s", chr::seconds(-1));
  fn("hours::min()", chr::hours::min());
  fn("nanoseconds::min()", chr::nanoseconds::min());
  fn("duration<int8_t>(-128)", chr::duration<std::int8_t>(-128));
  fn("duration<double>(-0.0)", chr::duration<double>(-0.0));
  fn("duration<double>(-inf)", chr::duration<double>(-kInf));
  fn("duration<float>(-inf)", chr::duration<float>(-std::numeric_limits<float>::infinity()));
  fn("duration<double>(-DBL_MAX)", chr::duration<double>(-DBL_MAX));
}

template <class Fn>
void for_each_nan(Fn&& fn) {
  fn("duration<double>(NaN)", chr::duration<double>(kNan));
  fn("duration<double, milli>(-NaN)", chr::duration<double, std::milli>(std::copysign(kNan, -1.0)));
  fn("duration<float>(NaN)", chr::duration<float>(std::numeric_limits<float>::quiet_NaN()));
  fn("duration<long double>(NaN)",
     chr::duration<long double>(std::numeric_limits<long double>::quiet_NaN()));
  fn("duration<double>(signaling NaN)",
     chr::duration<double>(std::numeric_limits<double>::signaling_NaN()));
}

// A poll must not block; this bound only separates "returned" from "hung".
constexpr auto kPollBound = kLateSlack;

TEST_F(Conformance, EXT_TIMEOUT_HugeTimeoutsOnADoneFutureReturn) {
  cf::Future<int> f;
  f.set_result(7);
  for_each_huge([&](const char* name, auto d) {
    CF_CHECK_EQ("FUT-RESULT-7", f.result(d), 7) << name;
    CF_CHECK("FUT-EXC-3", f.exception(d) == nullptr) << name;
    CF_CHECK_EQ("EXT-TIMEOUT-1", cf::wait({f}, cf::ALL_COMPLETED, d).done.size(), 1u) << name;
    auto run = cf::as_completed({f}, d);
    CF_CHECK("EXT-TIMEOUT-1", run.next().has_value()) << name;
    CF_CHECK("EXT-TIMEOUT-1", !run.next().has_value()) << name;
  });
}

// The overflow bug this guards against (now() + max() wrapping into the past)
// throws TimeoutError at once, so every reader must still be blocked after
// kShort, and must then return the value once the future completes.
TEST_F(Conformance, EXT_TIMEOUT_HugeTimeoutsNeverTimeOutEarly) {
  cf::Future<int> f;
  struct Reader {
    std::string name;
    const char* clause;  // the rule for this operation with a huge timeout
    std::unique_ptr<Background<std::string>> call;  // "observed" once it saw the completion
  };
  // A reader still blocked when the test ends early is released by completing f.
  auto rescue = [f] {
    try {
      f.set_result(7);
    } catch (const cf::InvalidStateError&) {
    }
  };
  std::vector<Reader> readers;
  for_each_huge([&](const char* name, auto d) {
    auto launch = [&](const char* op, const char* clause, auto read) {
      readers.push_back({std::string(op) + " " + name, clause,
                         std::make_unique<Background<std::string>>(
                             lab, clause, [read] { return outcome_of(read); }, rescue)});
    };
    auto observed = [](bool saw) { return std::string(saw ? "observed" : "missed"); };
    launch("result", "FUT-RESULT-7", [f, d, observed] { return observed(f.result(d) == 7); });
    launch("exception", "FUT-EXC-3",
           [f, d, observed] { return observed(f.exception(d) == nullptr); });
    launch("wait", "EXT-TIMEOUT-1", [f, d, observed] {
      return observed(cf::wait({f}, cf::ALL_COMPLETED, d).done.size() == 1);
    });
    launch("as_completed", "EXT-TIMEOUT-1", [f, d, observed] {
      auto run = cf::as_completed({f}, d);
      auto next = run.next();
      return observed(next.has_value() && *next == f);
    });
  });
  // kShort for the first, and every other reader had at least as long.
  CF_ASSERT(readers.front().clause, !readers.front().call->returns_within(kShort))
      << readers.front().name << " returned before the future completed";
  for (auto& r : readers) {
    CF_CHECK(r.clause, !r.call->returns_within(0s))
        << r.name << " returned before the future completed";
  }
  f.set_result(7);
  for (auto& r : readers) {
    CF_ASSERT(r.clause, r.call->returns_within(kLong))
        << r.name << " still blocked after the completion";
    CF_CHECK_EQ(r.clause, r.call->get(), "observed") << r.name;
  }
}

TEST_F(Conformance, EXT_TIMEOUT_HugeMapTimeoutsNeverTimeOutEarly) {
  auto pool = std::make_shared<cf::ThreadPoolExecutor>(4);
  OpenGatesOnExit release(lab);
  int gate = lab.new_gate();
  auto fn = [&lab = lab, gate](int x) {
    lab.pass_gate(gate);
    return x * 10;
  };
  // Each reader maps over three inputs and reports the values it got.
  std::vector<std::pair<std::string, std::unique_ptr<Background<std::string>>>> readers;
  for_each_huge([&](const char* name, auto d) {
    readers.emplace_back(
        name, std::make_unique<Background<std::string>>(lab, "EXT-TIMEOUT-1", [pool, fn, d] {
          return outcome_of([&] {
            std::string out;
            for (int v : pool->map(fn, std::vector<int>{1, 2, 3}, {d})) {
              out += (out.empty() ? "" : " ") + std::to_string(v);
            }
            return out;
          });
        }));
  });
  CF_PRECONDITION("EXEC-SUBMIT-1", lab.await_arrivals(gate, 1, kLong)) << "no mapped call started";
  CF_ASSERT("EXT-TIMEOUT-1", !readers.front().second->returns_within(kShort))
      << "map with " << readers.front().first << " returned before its calls completed";
  for (auto& [name, r] : readers) {
    CF_CHECK("EXT-TIMEOUT-1", !r->returns_within(0s)) << "map with " << name << " returned early";
  }
  lab.open(gate);
  for (auto& [name, r] : readers) {
    CF_ASSERT("EXT-TIMEOUT-1", r->returns_within(kLong)) << "map with " << name << " still blocked";
    CF_CHECK_EQ("EXT-TIMEOUT-1", r->get(), "10 20 30") << "map with " << name;
  }
}

TEST_F(Conformance, EXT_TIMEOUT_NegativeAndNegativeInfinityPoll) {
  cf::Future<int> pending;
  cf::Future<int> finished;
  finished.set_result(3);
  for_each_poll([&](const char* name, auto d) {
    auto start = cf::Clock::now();
    CF_CHECK_THROWS("FUT-RESULT-6", pending.result(d), cf::TimeoutError) << name;
    CF_CHECK_THROWS("FUT-EXC-3", pending.exception(d), cf::TimeoutError) << name;
    CF_CHECK_EQ("FUT-RESULT-6", finished.result(d), 3)
        << name << ": a poll of a done future returns";
    CF_CHECK("FUT-EXC-3", finished.exception(d) == nullptr) << name;

    auto split = during("WAIT-TIMEOUT-1", [&] {
      return cf::wait({pending, finished}, cf::ALL_COMPLETED, d);
    });
    CF_CHECK_EQ("WAIT-TIMEOUT-1", split.done.size(), 1u) << name;
    CF_CHECK_EQ("WAIT-TIMEOUT-1", split.done.count(finished), 1u) << name;
    CF_CHECK_EQ("WAIT-TIMEOUT-1", split.not_done.count(pending), 1u) << name;

    auto run = cf::as_completed({pending, finished}, d);
    auto first = during("ASC-TIMEOUT-2", [&] { return run.next(); });
    CF_CHECK("ASC-TIMEOUT-2", first.has_value() && *first == finished)
        << name << ": done ones still yielded";
    CF_CHECK_THROWS("ASC-TIMEOUT-2", run.next(), cf::TimeoutError) << name;
    CF_CHECK("EXT-TIMEOUT-1", cf::Clock::now() - start <= kPollBound) << name << " blocked";
    CF_CHECK("FUT-RESULT-4", !pending.done()) << name << ": a timeout never changes the state";
  });
}

TEST_F(Conformance, EXT_TIMEOUT_NegativeInfinityMapPollsAndCancelsTheRest) {
  cf::ThreadPoolExecutor pool(1);
  OpenGatesOnExit release(lab);
  int gate = lab.new_gate();
  auto fn = [&lab = lab, gate](int x) {
    lab.pass_gate(gate);
    return x;
  };
  auto start = cf::Clock::now();
  auto results = pool.map(fn, std::vector<int>{1, 2, 3}, {chr::duration<double>(-kInf)});
  CF_CHECK_THROWS("MAP-TIMEOUT-1", results.next(), cf::TimeoutError);
  CF_CHECK("EXT-TIMEOUT-1", cf::Clock::now() - start <= kPollBound) << "map with -inf blocked";
  CF_CHECK("MAP-TIMEOUT-2", !results.next().has_value())
      << "the range is finished after the timeout";
}

TEST_F(Conformance, EXT_TIMEOUT_NanThrowsInvalidArgumentEverywhere) {
  cf::ThreadPoolExecutor pool(1);
  cf::Future<int> pending;
  cf::Future<int> finished;
  finished.set_result(1);
  std::atomic<int> calls{0};
  auto fn = [&calls](int x) {
    calls.fetch_add(1);
    return x;
  };
  for_each_nan([&](const char* name, auto d) {
    CF_CHECK_THROWS("EXT-TIMEOUT-1", pending.result(d), std::invalid_argument) << name;
    CF_CHECK_THROWS("EXT-TIMEOUT-1", pending.exception(d), std::invalid_argument) << name;
    // Rejected even when the answer is known: NaN is never silently a poll.
    CF_CHECK_THROWS("EXT-TIMEOUT-1", finished.result(d), std::invalid_argument) << name;
    CF_CHECK_THROWS("EXT-TIMEOUT-1", cf::wait({pending, finished}, cf::ALL_COMPLETED, d),
                    std::invalid_argument)
        << name;
    CF_CHECK_THROWS("EXT-TIMEOUT-1", (void)cf::as_completed({pending, finished}, d),
                    std::invalid_argument)
        << name;
    CF_CHECK_THROWS("EXT-TIMEOUT-1", (void)pool.map(fn, std::vector<int>{1, 2}, {d}),
                    std::invalid_argument)
        << name;
  });
  {
    CF_STEP("SHUT-WAIT-1");
    pool.shutdown(true);
  }
  CF_CHECK_EQ("EXT-TIMEOUT-1", calls.load(), 0) << "a rejected map submits nothing";
  CF_CHECK("EXT-TIMEOUT-1", !pending.done()) << "a rejected call leaves the future alone";
}

// Small timeouts of unusual representations and periods are real timeouts:
// never early, not much late.
TEST_F(Conformance, EXT_TIMEOUT_AnyRepresentationAndPeriodTimesOutOnTime) {
  cf::Future<int> pending;
  auto check = [&](const char* name, auto d) {
    const auto asked = chr::duration_cast<chr::nanoseconds>(d);
    // Times `call` (an operation with timeout d on `pending`), judged by `clause`.
    auto timed = [&](const char* op, const char* clause, auto call) {
      auto start = cf::Clock::now();
      call();
      auto elapsed = cf::Clock::now() - start;
      CF_CHECK(clause, elapsed >= asked) << op << " " << name << " returned early";
      CF_CHECK(clause, elapsed <= asked + kLateSlack) << op << " " << name << " returned late";
    };
    timed("result", "FUT-RESULT-4",
          [&] { CF_CHECK_THROWS("FUT-RESULT-4", pending.result(d), cf::TimeoutError) << name; });
    timed("wait", "WAIT-TIMEOUT-1", [&] {
      CF_CHECK_EQ("WAIT-TIMEOUT-1", cf::wait({pending}, cf::ALL_COMPLETED, d).not_done.size(), 1u)
          << name;
    });
    timed("as_completed", "ASC-TIMEOUT-1", [&] {
      auto run = cf::as_completed({pending}, d);
      CF_CHECK_THROWS("ASC-TIMEOUT-1", run.next(), cf::TimeoutError) << name;
    });
  };
  check("duration<double, milli>(50.0)", chr::duration<double, std::milli>(50.0));
  check("duration<float>(0.05f)", chr::duration<float>(0.05f));
  check("duration<int8_t, centi>(5)", chr::duration<std::int8_t, std::centi>(5));
  check("duration<unsigned, micro>(50000)", chr::duration<unsigned, std::micro>(50000));
  check("duration<long double, ratio<1, 20>>(1)", chr::duration<long double, std::ratio<1, 20>>(1));
  check("duration<double, ratio<60>>(1/1200)", chr::duration<double, std::ratio<60>>(1.0 / 1200));
  CF_CHECK("FUT-RESULT-4", !pending.done()) << "a timeout never changes the state";
}

}  // namespace
}  // namespace cf::conformance
