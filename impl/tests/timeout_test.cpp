// Unit tests of cf::Timeout and cf::Deadline: the conversion of a caller's
// duration into a deadline, in the JSR-166 TCK style (negative, zero, one
// tick, sub-tick, ordinary, huge, infinite, NaN). deadline_from() takes a
// fixed `now`, so every expectation is exact, with no clock in the way.
#include "cf/timeout.hpp"

#include <gtest/gtest.h>

#include <cfloat>
#include <chrono>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace cf {
namespace {

using namespace std::chrono_literals;
namespace chr = std::chrono;

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNan = std::numeric_limits<double>::quiet_NaN();

// A fixed "now", far from both ends of the clock's range.
const Clock::time_point kNow = Clock::time_point(chr::hours(24 * 365));

Clock::duration length_of(const Timeout& t) {
  Deadline d = t.deadline_from(kNow);
  EXPECT_FALSE(d.is_never());
  return d.when() - kNow;
}

static_assert(std::is_nothrow_copy_constructible_v<Timeout>);
static_assert(std::is_convertible_v<chr::milliseconds, Timeout>, "f.result(100ms) must compile");
static_assert(std::is_convertible_v<chr::duration<double>, Timeout>);

// A plain number converts only in a constant expression, and only when it is
// zero or negative [EXT-TIMEOUT-2]: `f.result(0)` polls, `f.result(5)` does not
// compile (property_tests/reference/ext_timeout.cpp checks both).
TEST(Timeout, PlainZeroOrNegativeNumberPolls) {
  Timeout zero = 0;
  Timeout negative = -1.5;
  EXPECT_FALSE(zero.is_none());
  EXPECT_EQ(zero.length(), Clock::duration::zero());
  EXPECT_FALSE(negative.is_none());
  EXPECT_EQ(negative.length(), Clock::duration::zero());
}

TEST(Timeout, DefaultIsNone) {
  EXPECT_TRUE(Timeout().is_none());
  EXPECT_TRUE(Timeout::none().is_none());
  EXPECT_TRUE(Timeout().deadline_from(kNow).is_never());
  EXPECT_TRUE(Timeout().deadline().is_never());
  EXPECT_FALSE(Timeout(0s).is_none()) << "zero is a poll, not none";
}

TEST(Timeout, ZeroIsAPollAtNow) {
  EXPECT_EQ(length_of(0ns), Clock::duration::zero());
  EXPECT_EQ(length_of(0h), Clock::duration::zero());
  EXPECT_EQ(length_of(chr::duration<double>(0.0)), Clock::duration::zero());
  EXPECT_EQ(length_of(chr::duration<double>(-0.0)), Clock::duration::zero());
}

TEST(Timeout, NegativeIsAPollAtNowNeverInThePast) {
  // A deadline before `now` would still poll, but one at `now` keeps
  // remaining() and the arithmetic of callers trivially in range.
  EXPECT_EQ(length_of(-1ns), Clock::duration::zero());
  EXPECT_EQ(length_of(-1s), Clock::duration::zero());
  EXPECT_EQ(length_of(chr::hours::min()), Clock::duration::zero());
  EXPECT_EQ(length_of(chr::nanoseconds::min()), Clock::duration::zero());
  EXPECT_EQ(length_of(chr::duration<std::int8_t>(-128)), Clock::duration::zero());
  EXPECT_EQ(length_of(chr::duration<double>(-kInf)), Clock::duration::zero());
  EXPECT_EQ(length_of(chr::duration<double>(-DBL_MAX)), Clock::duration::zero());
  EXPECT_EQ(length_of(chr::duration<float>(-std::numeric_limits<float>::infinity())),
            Clock::duration::zero());
}

TEST(Timeout, OneTickIsOneTick) {
  EXPECT_EQ(length_of(Clock::duration(1)), Clock::duration(1));
  EXPECT_EQ(length_of(1ns), chr::duration_cast<Clock::duration>(1ns));
  EXPECT_EQ(length_of(1us), chr::duration_cast<Clock::duration>(1us));
}

TEST(Timeout, SubTickPositiveRoundsUpToOneTick) {
  // Shorter than the clock can express: rounded up, never down to a poll,
  // so the call still waits at least as long as asked.
  EXPECT_EQ(length_of(chr::duration<double, std::pico>(1.0)), Clock::duration(1));
  EXPECT_EQ(length_of(chr::duration<double>(1e-300)), Clock::duration(1));
  EXPECT_EQ(length_of(chr::duration<double>(DBL_TRUE_MIN)), Clock::duration(1));
  EXPECT_EQ(length_of(chr::duration<std::int64_t, std::pico>(1)), Clock::duration(1));
}

// "A call never reports a timeout before its deadline": the deadline must be
// at least the requested length after the call, for every integral duration.
// Going through a floating-point count of seconds must not shave off a tick.
TEST(Timeout, IntegralDurationsAreNeverShortened) {
  int shortened = 0;
  std::string first;
  auto check = [&](auto d, const char* unit) {
    auto got = length_of(d);
    if (got < d) {
      if (shortened++ == 0) {
        first =
            std::to_string(d.count()) + unit + " became " + std::to_string(got.count()) + " ticks";
      }
    }
  };
  for (std::int64_t n = 1; n <= 20000; ++n) {
    check(chr::nanoseconds(n), "ns");
    check(chr::microseconds(n), "us");
    check(chr::milliseconds(n), "ms");
    check(chr::seconds(n), "s");
  }
  EXPECT_EQ(shortened, 0) << "durations shortened by the conversion; first: " << first;
}

TEST(Timeout, IntegralDurationsAreExact) {
  EXPECT_EQ(length_of(1ms), chr::duration_cast<Clock::duration>(1ms));
  EXPECT_EQ(length_of(1500ms), chr::duration_cast<Clock::duration>(1500ms));
  EXPECT_EQ(length_of(3ns), chr::duration_cast<Clock::duration>(3ns));
  EXPECT_EQ(length_of(24h), chr::duration_cast<Clock::duration>(24h));
  // A year is long, but still a real deadline.
  EXPECT_EQ(length_of(chr::hours(24 * 365)),
            chr::duration_cast<Clock::duration>(chr::hours(24 * 365)));
}

TEST(Timeout, FloatingDurationsConvertWithinATick) {
  auto near = [](Clock::duration got, Clock::duration want) {
    return got - want <= Clock::duration(1) && want - got <= Clock::duration(1);
  };
  EXPECT_TRUE(near(length_of(chr::duration<double>(0.25)), 250ms));
  EXPECT_TRUE(near(length_of(chr::duration<double, std::milli>(1.5)), 1500us));
  EXPECT_TRUE(near(length_of(chr::duration<float>(2.0f)), 2s));
  EXPECT_TRUE(near(length_of(chr::duration<long double, std::ratio<60>>(1.0L)), 60s));
}

TEST(Timeout, HugeAndInfiniteAreNever) {
  auto never = [](const Timeout& t) { return t.deadline_from(kNow).is_never(); };
  EXPECT_TRUE(never(chr::hours::max()));
  EXPECT_TRUE(never(chr::nanoseconds::max()));
  EXPECT_TRUE(never(chr::seconds::max()));
  EXPECT_TRUE(never(chr::years::max()));
  EXPECT_TRUE(never(chr::years(100)));
  EXPECT_TRUE(never(chr::duration<std::uint64_t>::max()));
  EXPECT_TRUE(never(chr::duration<std::int64_t, std::ratio<INT64_MAX>>::max()));
  EXPECT_TRUE(never(chr::duration<double>(kInf)));
  EXPECT_TRUE(never(chr::duration<double>(DBL_MAX)));
  EXPECT_TRUE(never(chr::duration<float>(std::numeric_limits<float>::infinity())));
  EXPECT_TRUE(never(chr::duration<long double>(std::numeric_limits<long double>::max())));
  EXPECT_TRUE(Timeout(chr::hours::max()).is_none()) << "too long to tell from none";
}

// The saturation must hold for the real clock too: now() is far from the
// clock's limits, and a never deadline neither passes nor overflows.
TEST(Timeout, HugeDeadlineFromTheRealClockNeverPasses) {
  Deadline d = Timeout(chr::nanoseconds::max()).deadline();
  EXPECT_TRUE(d.is_never());
  EXPECT_FALSE(d.passed());
}

TEST(Timeout, NanThrowsInvalidArgument) {
  EXPECT_THROW(Timeout(chr::duration<double>(kNan)), std::invalid_argument);
  EXPECT_THROW(Timeout(chr::duration<double>(-kNan)), std::invalid_argument);
  EXPECT_THROW(Timeout(chr::duration<float>(std::numeric_limits<float>::quiet_NaN())),
               std::invalid_argument);
  EXPECT_THROW(Timeout(chr::duration<long double>(std::numeric_limits<long double>::quiet_NaN())),
               std::invalid_argument);
  EXPECT_THROW(
      Timeout(chr::duration<double, std::milli>(std::numeric_limits<double>::signaling_NaN())),
      std::invalid_argument);
  try {
    Timeout t{chr::duration<double>(kNan)};
    (void)t;
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "timeout must not be NaN");
  }
}

TEST(Deadline, NeverNeitherPassesNorHasAWhen) {
  Deadline d = Deadline::never();
  EXPECT_TRUE(d.is_never());
  EXPECT_FALSE(d.passed());
}

TEST(Deadline, PassedAndRemaining) {
  auto now = Clock::now();
  Deadline past = Deadline::at(now - 1s);
  EXPECT_FALSE(past.is_never());
  EXPECT_TRUE(past.passed());
  EXPECT_EQ(past.remaining(), Clock::duration::zero()) << "never negative";

  Deadline at_now = Timeout(0s).deadline();
  EXPECT_TRUE(at_now.passed()) << "a poll's deadline has passed as soon as it is made";
  EXPECT_EQ(at_now.remaining(), Clock::duration::zero());

  Deadline future = Deadline::at(now + 1h);
  EXPECT_FALSE(future.passed());
  EXPECT_GT(future.remaining(), Clock::duration::zero());
  EXPECT_LE(future.remaining(), chr::duration_cast<Clock::duration>(1h));
  EXPECT_EQ(future.when(), now + 1h);
}

TEST(Deadline, FixedAtTheCallThatMakesIt) {
  // deadline() reads the clock once: two timeouts made in order give
  // deadlines in the same order, and the later call's is no earlier.
  Timeout t = 10s;
  Deadline first = t.deadline();
  Deadline second = t.deadline();
  EXPECT_LE(first.when(), second.when());
  EXPECT_EQ(t.deadline_from(kNow).when(), kNow + 10s);
}

}  // namespace
}  // namespace cf
