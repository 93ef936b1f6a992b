// EXT-TIMEOUT-1: every timeout is a std::chrono::duration of any
// representation and period; huge and infinite ones behave as none, negative
// infinity as zero, NaN throws std::invalid_argument — for result, exception,
// wait, as_completed and map alike.
#include <atomic>
#include <cfloat>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <future>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "cf/cf.hpp"
#include "ext_support.hpp"
#include "harness/suite.hpp"

namespace cf::conformance {
namespace {

using ext::OpenGatesOnExit;
using ext::still_blocked;
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
  CF_CLAUSES("EXT-TIMEOUT-1", "FUT-RESULT-7");
  cf::Future<int> f;
  f.set_result(7);
  for_each_huge([&](const char* name, auto d) {
    EXPECT_EQ(f.result(d), 7) << name;
    EXPECT_EQ(f.exception(d), nullptr) << name;
    EXPECT_EQ(cf::wait({f}, cf::ALL_COMPLETED, d).done.size(), 1u) << name;
    auto run = cf::as_completed({f}, d);
    EXPECT_TRUE(run.next().has_value()) << name;
    EXPECT_FALSE(run.next().has_value()) << name;
  });
}

// The overflow bug this guards against (now() + max() wrapping into the past)
// throws TimeoutError at once, so every reader must still be blocked after
// kShort, and must then return the value once the future completes.
TEST_F(Conformance, EXT_TIMEOUT_HugeTimeoutsNeverTimeOutEarly) {
  CF_CLAUSES("EXT-TIMEOUT-1", "FUT-RESULT-7", "FUT-EXC-3");
  cf::Future<int> f;
  struct Reader {
    std::string name;
    std::future<bool> done;  // true if it observed the completion
  };
  std::vector<Reader> readers;
  for_each_huge([&](const char* name, auto d) {
    auto launch = [&](const char* op, auto call) {
      readers.push_back({std::string(op) + " " + name, std::async(std::launch::async, call)});
    };
    launch("result", [f, d] { return f.result(d) == 7; });
    launch("exception", [f, d] { return f.exception(d) == nullptr; });
    launch("wait", [f, d] { return cf::wait({f}, cf::ALL_COMPLETED, d).done.size() == 1; });
    launch("as_completed", [f, d] {
      auto run = cf::as_completed({f}, d);
      auto next = run.next();
      return next.has_value() && *next == f;
    });
  });
  // kShort for the first, and every other reader had at least as long.
  ASSERT_TRUE(still_blocked(readers.front().done)) << readers.front().name;
  for (auto& r : readers) {
    EXPECT_EQ(r.done.wait_for(0s), std::future_status::timeout)
        << r.name << " returned before the future completed";
  }
  f.set_result(7);
  for (auto& r : readers) {
    ASSERT_EQ(r.done.wait_for(kLong), std::future_status::ready) << r.name;
    try {
      EXPECT_TRUE(r.done.get()) << r.name;
    } catch (const std::exception& e) {
      ADD_FAILURE() << r.name << " threw " << e.what();
    }
  }
}

TEST_F(Conformance, EXT_TIMEOUT_HugeMapTimeoutsNeverTimeOutEarly) {
  CF_CLAUSES("EXT-TIMEOUT-1", "MAP-TIMEOUT-1");
  cf::ThreadPoolExecutor pool(4);
  OpenGatesOnExit release(lab);
  int gate = lab.new_gate();
  auto fn = [&lab = lab, gate](int x) {
    lab.pass_gate(gate);
    return x * 10;
  };
  std::vector<std::pair<std::string, std::future<std::vector<int>>>> readers;
  for_each_huge([&](const char* name, auto d) {
    readers.emplace_back(name, std::async(std::launch::async, [&pool, fn, d] {
                           std::vector<int> out;
                           for (int v : pool.map(fn, std::vector<int>{1, 2, 3}, {d})) {
                             out.push_back(v);
                           }
                           return out;
                         }));
  });
  ASSERT_TRUE(lab.await_arrivals(gate, 1, kLong));
  ASSERT_TRUE(still_blocked(readers.front().second)) << readers.front().first;
  for (auto& [name, r] : readers) {
    EXPECT_EQ(r.wait_for(0s), std::future_status::timeout) << "map with " << name;
  }
  lab.open(gate);
  for (auto& [name, r] : readers) {
    ASSERT_EQ(r.wait_for(kLong), std::future_status::ready) << name;
    try {
      EXPECT_EQ(r.get(), (std::vector<int>{10, 20, 30})) << "map with " << name;
    } catch (const std::exception& e) {
      ADD_FAILURE() << "map with " << name << " threw " << e.what();
    }
  }
}

TEST_F(Conformance, EXT_TIMEOUT_NegativeAndNegativeInfinityPoll) {
  CF_CLAUSES("EXT-TIMEOUT-1", "FUT-RESULT-6", "ASC-TIMEOUT-2");
  cf::Future<int> pending;
  cf::Future<int> finished;
  finished.set_result(3);
  for_each_poll([&](const char* name, auto d) {
    auto start = cf::Clock::now();
    EXPECT_THROW(pending.result(d), cf::TimeoutError) << name;
    EXPECT_THROW(pending.exception(d), cf::TimeoutError) << name;
    EXPECT_EQ(finished.result(d), 3) << name << ": a poll of a done future returns";
    EXPECT_EQ(finished.exception(d), nullptr) << name;

    auto split = cf::wait({pending, finished}, cf::ALL_COMPLETED, d);
    EXPECT_EQ(split.done.size(), 1u) << name;
    EXPECT_EQ(split.done.count(finished), 1u) << name;
    EXPECT_EQ(split.not_done.count(pending), 1u) << name;

    auto run = cf::as_completed({pending, finished}, d);
    auto first = run.next();
    EXPECT_TRUE(first.has_value() && *first == finished) << name << ": done ones still yielded";
    EXPECT_THROW(run.next(), cf::TimeoutError) << name;
    EXPECT_LE(cf::Clock::now() - start, kPollBound) << name << " blocked";
    EXPECT_FALSE(pending.done()) << name << ": a timeout never changes the state";
  });
}

TEST_F(Conformance, EXT_TIMEOUT_NegativeInfinityMapPollsAndCancelsTheRest) {
  CF_CLAUSES("EXT-TIMEOUT-1", "MAP-TIMEOUT-1", "MAP-TIMEOUT-2");
  cf::ThreadPoolExecutor pool(1);
  OpenGatesOnExit release(lab);
  int gate = lab.new_gate();
  auto fn = [&lab = lab, gate](int x) {
    lab.pass_gate(gate);
    return x;
  };
  auto start = cf::Clock::now();
  auto results = pool.map(fn, std::vector<int>{1, 2, 3}, {chr::duration<double>(-kInf)});
  EXPECT_THROW(results.next(), cf::TimeoutError);
  EXPECT_LE(cf::Clock::now() - start, kPollBound);
  EXPECT_FALSE(results.next().has_value()) << "the range is finished after the timeout";
}

TEST_F(Conformance, EXT_TIMEOUT_NanThrowsInvalidArgumentEverywhere) {
  CF_CLAUSES("EXT-TIMEOUT-1");
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
    EXPECT_THROW(pending.result(d), std::invalid_argument) << name;
    EXPECT_THROW(pending.exception(d), std::invalid_argument) << name;
    // Rejected even when the answer is known: NaN is never silently a poll.
    EXPECT_THROW(finished.result(d), std::invalid_argument) << name;
    EXPECT_THROW(cf::wait({pending, finished}, cf::ALL_COMPLETED, d), std::invalid_argument)
        << name;
    EXPECT_THROW((void)cf::as_completed({pending, finished}, d), std::invalid_argument) << name;
    EXPECT_THROW((void)pool.map(fn, std::vector<int>{1, 2}, {d}), std::invalid_argument) << name;
  });
  pool.shutdown(true);
  EXPECT_EQ(calls.load(), 0) << "a rejected map submits nothing";
  EXPECT_FALSE(pending.done()) << "a rejected call leaves the future alone";
}

// Small timeouts of unusual representations and periods are real timeouts:
// never early, not much late.
TEST_F(Conformance, EXT_TIMEOUT_AnyRepresentationAndPeriodTimesOutOnTime) {
  CF_CLAUSES("EXT-TIMEOUT-1", "FUT-RESULT-4", "WAIT-TIMEOUT-1", "ASC-TIMEOUT-1");
  cf::Future<int> pending;
  auto check = [&](const char* name, auto d) {
    const auto asked = chr::duration_cast<chr::nanoseconds>(d);
    auto timed = [&](const char* op, auto call) {
      auto start = cf::Clock::now();
      call();
      auto elapsed = cf::Clock::now() - start;
      EXPECT_GE(elapsed, asked) << op << " " << name << " returned early";
      EXPECT_LE(elapsed, asked + kLateSlack) << op << " " << name << " returned late";
    };
    timed("result", [&] { EXPECT_THROW(pending.result(d), cf::TimeoutError); });
    timed("wait",
          [&] { EXPECT_EQ(cf::wait({pending}, cf::ALL_COMPLETED, d).not_done.size(), 1u); });
    timed("as_completed", [&] {
      auto run = cf::as_completed({pending}, d);
      EXPECT_THROW(run.next(), cf::TimeoutError);
    });
  };
  check("duration<double, milli>(50.0)", chr::duration<double, std::milli>(50.0));
  check("duration<float>(0.05f)", chr::duration<float>(0.05f));
  check("duration<int8_t, centi>(5)", chr::duration<std::int8_t, std::centi>(5));
  check("duration<unsigned, micro>(50000)", chr::duration<unsigned, std::micro>(50000));
  check("duration<long double, ratio<1, 20>>(1)", chr::duration<long double, std::ratio<1, 20>>(1));
  check("duration<double, ratio<60>>(1/1200)", chr::duration<double, std::ratio<60>>(1.0 / 1200));
  EXPECT_FALSE(pending.done());
}

}  // namespace
}  // namespace cf::conformance
